import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fetchHttp, type HttpFetchSpec } from '../adapters/probes/http.js';
import { buildHttpRequest, parseHttpProtocol, type HttpProtocol } from '../adapters/probes/http-request.js';

/**
 * `keepalived-ts genhash`: keepalived's genhash. GETs a url the way HTTP_GET / SSL_GET do (same
 * request bytes, same body boundaries, same MD5) and prints the digest to put in `digest`.
 * Output is genhash's, byte for byte, including the -v hex dumps. Two deliberate differences: the
 * exit status is 1 when no digest could be made (genhash exits 0 after "Connection failed"), and
 * without -t the timeout is 5 s, checkers' connect_timeout default (genhash waits forever).
 */

export interface GenhashIo {
  out(s: string): void;
  err(s: string): void;
}

const defaultIo: GenhashIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

const DEFAULT_TIMEOUT_S = 5;

const HTTP_HEADER_HEXA = '-----------------------[    HTTP Header Buffer    ]-----------------------\n';
const HTTP_HEADER_ASCII = '-----------------------[ HTTP Header Ascii Buffer ]-----------------------\n';
const HTML_HEADER_HEXA = '-----------------------[        HTML Buffer        ]-----------------------\n';
const HTML_HASH = '-----------------------[    HTML hash resulting    ]-----------------------\n';
const HTML_HASH_FINAL = '-----------------------[ HTML hash final resulting ]-----------------------\n';

export interface GenhashOptions {
  server: string;
  port: number;
  url: string;
  ssl: boolean;
  sni: boolean;
  virtualhost?: string;
  protocol: HttpProtocol;
  timeoutS: number;
  verbose: boolean;
}

export function usage(prog = 'keepalived-ts genhash'): string {
  return (
    `Usage: ${prog} COMMAND [OPTIONS]\n` +
    'Commands:\n' +
    '   -s server-address -p port -u url\n' +
    '   -S -s server-address -p port -u url\n' +
    '   -h\n\n' +
    'Options:\n' +
    'Either long or short options are allowed.\n' +
    '   --use-ssl         -S       Use SSL connection to remote server.\n' +
    '   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).\n' +
    '   --server          -s       Use the specified remote server address.\n' +
    '   --port            -p       Use the specified remote server port.\n' +
    '   --url             -u       Use the specified remote server url.\n' +
    '   --use-virtualhost -V       Use the specified virtualhost in GET query.\n' +
    '   --verbose         -v       Use verbose mode output.\n' +
    '   --help            -h       Display this short inlined help screen.\n' +
    '   --fwmark          -m       Use the specified FW mark.\n' +
    "   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.\n" +
    "                                1.0c means 1.0 with 'Connection: close'\n" +
    '   --timeout         -t       Timeout in seconds\n'
  );
}

const LONG: Record<string, string> = {
  help: 'h',
  verbose: 'v',
  'use-ssl': 'S',
  'use-sni': 'I',
  server: 's',
  'use-virtualhost': 'V',
  port: 'p',
  url: 'u',
  fwmark: 'm',
  protocol: 'P',
  timeout: 't',
};
const FLAGS = new Set(['h', 'v', 'S', 'I']);
const WITH_ARG = new Set(['s', 'V', 'p', 'u', 'm', 'P', 't']);

export type ParsedArgs = { kind: 'run'; opts: GenhashOptions } | { kind: 'help' } | { kind: 'error'; message?: string };

/** getopt_long-style parsing: `-s X`, `-sX`, `-vS` (grouped flags), `--server X`, `--server=X`. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const seen: Array<[string, string]> = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const c = LONG[name];
      if (!c) return { kind: 'error', message: `unrecognized option '${a}'` };
      if (WITH_ARG.has(c)) {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) return { kind: 'error', message: `option '${a}' requires an argument` };
        seen.push([c, v]);
      } else seen.push([c, '']);
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (FLAGS.has(c)) seen.push([c, '']);
        else if (WITH_ARG.has(c)) {
          const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
          if (v === undefined) return { kind: 'error', message: `option requires an argument -- '${c}'` };
          seen.push([c, v]);
          break;
        } else return { kind: 'error', message: `invalid option -- '${c}'` };
      }
    } else return { kind: 'error', message: `Unexpected argument(s): ${argv.slice(i).join(' ')}` };
  }
  const o: Partial<GenhashOptions> = { ssl: false, sni: false, protocol: '1.0', timeoutS: DEFAULT_TIMEOUT_S, verbose: false };
  for (const [c, v] of seen) {
    switch (c) {
      case 'h':
        return { kind: 'help' };
      case 'v':
        o.verbose = true;
        break;
      case 'S':
        o.ssl = true;
        break;
      case 'I':
        o.sni = true;
        break;
      case 's':
        if (isIP(v.split('%')[0] ?? v) === 0) return { kind: 'error', message: `server should be an IP, not ${v}` };
        o.server = v;
        break;
      case 'V':
        o.virtualhost = v;
        break;
      case 'p': {
        const n = /^\d+$/.test(v) ? Number(v) : NaN;
        if (!(n > 0 && n <= 65535)) return { kind: 'error', message: `invalid port number '${v}'` };
        o.port = n;
        break;
      }
      case 'u':
        o.url = v;
        break;
      case 'm':
        return { kind: 'error', message: 'fwmark (SO_MARK) is not supported by keepalived-ts genhash' };
      case 'P': {
        const p = parseHttpProtocol(v);
        if (!p) return { kind: 'error', message: `invalid HTTP protocol version '${v}'` };
        o.protocol = p;
        break;
      }
      case 't': {
        const t = v.trim();
        if (!/^\d+$/.test(t)) return { kind: 'error', message: `invalid timeout '${v}'` };
        o.timeoutS = Number(t);
        break;
      }
    }
  }
  if (o.server === undefined || o.port === undefined || o.url === undefined) return { kind: 'error' };
  return { kind: 'run', opts: o as GenhashOptions };
}

/**
 * keepalived's dump_buffer: decimal offset, 16 bytes in two groups of 8 split by "- ", then the
 * printable characters ('.' for the rest), each line padded to full width.
 */
export function dumpBuffer(buf: Uint8Array): string {
  let s = '';
  for (let off = 0; off < buf.length; off += 16) {
    let line = String(off).padStart(4, '0') + '  ';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      if (i === 8) line += '- ';
      const b = buf[off + i];
      if (b === undefined) {
        line += '   ';
        ascii += ' ';
      } else {
        line += b.toString(16).padStart(2, '0') + ' ';
        ascii += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '.';
      }
    }
    s += `${line}  ${ascii}\n`;
  }
  return s;
}

export async function main(argv: string[], io: GenhashIo = defaultIo): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    io.err(usage());
    return 0;
  }
  if (parsed.kind === 'error') {
    if (parsed.message) io.err(`${parsed.message}\n`);
    io.err(usage());
    return 1;
  }
  const o = parsed.opts;
  const family = isIP(o.server.split('%')[0] ?? o.server) as 4 | 6;
  const started = performance.now();
  let bodyHeaderShown = false;
  const spec: HttpFetchSpec = {
    endpoint: { host: o.server, port: o.port, family },
    tls: o.ssl,
    request: buildHttpRequest({
      path: o.url,
      protocol: o.protocol,
      virtualhost: o.virtualhost,
      host: o.server,
      port: o.port,
      family,
    }),
    timeoutMs: o.timeoutS * 1000,
  };
  if (o.ssl && o.sni && o.virtualhost) spec.servername = o.virtualhost;
  if (o.verbose) {
    spec.onHeadComplete = (reader) => {
      const raw = reader.head!.raw;
      io.out(HTTP_HEADER_HEXA);
      io.out(dumpBuffer(raw));
      io.out(HTTP_HEADER_ASCII);
      io.out(`${raw.toString('latin1')}\n`);
    };
    spec.onBody = (slice) => {
      if (!bodyHeaderShown) {
        bodyHeaderShown = true;
        io.out(HTML_HEADER_HEXA);
      }
      io.out(dumpBuffer(slice));
    };
  }
  const r = await fetchHttp(spec);
  if (r.kind === 'error') {
    io.out(`${r.message}\n`);
    return 1;
  }
  if (!r.reader.head) {
    io.err('no data received from remote webserver\n');
    return 1;
  }
  const digest = r.reader.digestBytes();
  if (o.verbose) {
    io.out('\n');
    io.out(HTML_HASH);
    io.out(dumpBuffer(digest));
    io.out(HTML_HASH_FINAL);
  }
  io.out(`${digest.toString('hex')}\n`);
  if (o.verbose) {
    const usecs = Math.round((performance.now() - started) * 1000);
    io.out(`\nGlobal response time for [${o.url}] = ${usecs} usecs\n`);
  }
  return 0;
}
