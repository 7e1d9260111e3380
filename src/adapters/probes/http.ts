import net from 'node:net';
import tls from 'node:tls';
import type { ProbeSignal } from './cancel.js';
import type { Checker, HttpUrl } from '../../config/types.js';
import { errorText, runAttempt, type Outcome } from './attempt.js';
import { digestMatches } from './digest.js';
import { resolveEndpoint } from './endpoint.js';
import { buildHttpRequest, parseHttpProtocol } from './http-request.js';
import { HttpResponseReader, statusAccepted } from './http-response.js';
import type { Endpoint, Probe, ProbeTarget } from './types.js';

type HttpChecker = Extract<Checker, { type: 'HTTP_GET' | 'SSL_GET' }>;

/** A regex needs the body text; keep at most this much of it (keepalived scans in 4 KiB windows). */
const REGEX_BODY_LIMIT = 1 << 20;

export interface HttpFetchSpec {
  endpoint: Endpoint;
  tls: boolean;
  /** TLS SNI name (SSL_GET with enable_sni, genhash -I); none when undefined. */
  servername?: string;
  request: string;
  timeoutMs: number;
  signal?: ProbeSignal;
  keepBodyBytes?: number;
  /** Hash the body (default true); a checker whose url has no digest skips it. */
  digest?: boolean;
  /** Called when the header is complete (before its body), and with each body slice. */
  onHeadComplete?: (reader: HttpResponseReader) => void;
  onBody?: (slice: Buffer) => void;
}

export type HttpFetchResult =
  | { kind: 'response'; reader: HttpResponseReader }
  | { kind: 'error'; reason: string; /** keepalived's own words for this failure (genhash prints them). */ message: string };

/**
 * One GET on one connection, keepalived's way: connect (TLS handshake for SSL_GET), send the
 * request, read until the server closes (or Content-Length is reached). The deadline covers the
 * whole exchange, so a server that accepts and never answers, or trickles a body forever, is
 * timed out; the socket is destroyed on every path.
 */
export function fetchHttp(spec: HttpFetchSpec): Promise<HttpFetchResult> {
  return new Promise((resolve) => {
    let stage: 'connecting' | 'handshake' | 'reading' = 'connecting';
    let done = false;
    const reader = new HttpResponseReader({ keepBodyBytes: spec.keepBodyBytes ?? 0, digest: spec.digest !== false });
    reader.onBody = spec.onBody;
    if (spec.onHeadComplete) reader.onHead = () => spec.onHeadComplete?.(reader);
    let sock: net.Socket | undefined;
    const finish = (r: HttpFetchResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      sock?.destroy();
      resolve(r);
    };
    const onAbort = (): void => finish({ kind: 'error', reason: 'aborted', message: 'aborted' });
    const timer = setTimeout(() => {
      const reason =
        stage === 'connecting' ? 'Timeout connecting' : stage === 'handshake' ? 'Timeout SSL handshake' : 'Timeout HTTP read';
      finish({ kind: 'error', reason, message: reason === 'Timeout HTTP read' ? 'Timeout WEB read' : 'Timeout connecting' });
    }, Math.max(0, spec.timeoutMs));
    if (spec.signal?.aborted) return onAbort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });

    const ep = spec.endpoint;
    const base: net.TcpNetConnectOpts = { host: ep.host, port: ep.port };
    if (ep.localAddress) base.localAddress = ep.localAddress;
    if (ep.localPort !== undefined) base.localPort = ep.localPort;
    try {
      if (spec.tls) {
        const opts: tls.ConnectionOptions = { ...base, rejectUnauthorized: false };
        if (spec.servername) opts.servername = spec.servername;
        const s = tls.connect(opts);
        sock = s;
        s.once('connect', () => (stage = 'handshake'));
        s.once('secureConnect', onConnected);
      } else {
        sock = net.connect(base);
        sock.once('connect', onConnected);
      }
    } catch (e) {
      return finish({ kind: 'error', reason: `Error connecting: ${errorText(e)}`, message: 'Error connecting' });
    }
    const s = sock;
    function onConnected(): void {
      stage = 'reading';
      s.write(spec.request);
    }
    s.on('data', (chunk: Buffer) => {
      if (done) return;
      const r = reader.push(chunk);
      if (r === 'header-too-large') finish({ kind: 'error', reason: 'HTTP header too large', message: 'Read error with' });
      else if (r === 'complete') finish({ kind: 'response', reader });
    });
    s.on('end', () => finish({ kind: 'response', reader }));
    s.on('error', (e: Error) => {
      const message =
        stage === 'connecting'
          ? 'Connection failed'
          : stage === 'handshake'
            ? 'SSL handshake/communication error connecting to'
            : 'Read error with';
      finish({ kind: 'error', reason: `${message}: ${errorText(e)}`, message });
    });
    // A TLS peer may close without a clean end; what was read is the answer.
    s.on('close', () => (reader.head ? finish({ kind: 'response', reader }) : finish({ kind: 'error', reason: 'connection closed', message: 'Read error with' })));
  });
}

/** keepalived's virtualhost lookup order: url, checker, real server, virtual server. */
export function resolveVirtualhost(url: HttpUrl, checker: HttpChecker, inherited?: string): string | undefined {
  return url.virtualhost ?? checker.virtualhost ?? inherited;
}

/**
 * Judge one response as check_http does, in its order: some data, the status code, then the
 * digest, then the regex. Stricter than keepalived in one place: a body shorter than its
 * Content-Length (the server closed mid-answer) fails even without a digest — keepalived only logs
 * it, but a half-sent page is not a healthy server.
 */
export function judgeResponse(url: HttpUrl, reader: HttpResponseReader): Outcome {
  const head = reader.head;
  if (!head) return { ok: false, reason: 'Read, no data received' };
  if (!statusAccepted(head.statusCode, url.statusCode)) {
    return { ok: false, reason: `HTTP status code error (${head.statusCode || 'unreadable'})` };
  }
  if (head.contentLength !== undefined && reader.bodyBytes < head.contentLength) {
    return {
      ok: false,
      reason: `content_length (${head.contentLength}) does not match received bytes (${reader.bodyBytes})`,
    };
  }
  if (url.digest !== undefined) {
    const hex = reader.digestBytes().toString('hex');
    if (!digestMatches(url.digest, hex)) return { ok: false, reason: `MD5 digest error (got ${hex})` };
  }
  if (url.regex !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(url.regex);
    } catch (e) {
      return { ok: false, reason: `invalid regex: ${errorText(e)}` };
    }
    if (!re.test(reader.body().toString('latin1'))) return { ok: false, reason: 'Regex match failed' };
  }
  return { ok: true };
}

async function checkUrl(
  target: ProbeTarget,
  checker: HttpChecker,
  ep: Endpoint,
  url: HttpUrl,
  timeoutMs: number,
  signal: ProbeSignal,
): Promise<Outcome> {
  const protocol = parseHttpProtocol(checker.httpProtocol);
  if (!protocol) return { ok: false, reason: `invalid http_protocol ${checker.httpProtocol}` };
  const vhost = resolveVirtualhost(url, checker, target.virtualhost);
  const spec: HttpFetchSpec = {
    endpoint: ep,
    tls: checker.type === 'SSL_GET',
    request: buildHttpRequest({ path: url.path, protocol, virtualhost: vhost, host: ep.host, port: ep.port, family: ep.family }),
    timeoutMs,
    signal,
    keepBodyBytes: url.regex !== undefined ? REGEX_BODY_LIMIT : 0,
    digest: url.digest !== undefined,
  };
  if (spec.tls && checker.enableSni && vhost) spec.servername = vhost;
  const r = await fetchHttp(spec);
  if (r.kind === 'error') return { ok: false, reason: r.reason };
  return judgeResponse(url, r.reader);
}

/** HTTP_GET and SSL_GET: every url (or the one asked for) must pass. */
export const httpProbe: Probe = (target, signal) => {
  const checker = target.checker as HttpChecker;
  const timeoutMs = checker.connectTimeoutMs;
  const urls = target.urlIndex === undefined ? checker.urls : checker.urls.slice(target.urlIndex, target.urlIndex + 1);
  // The outer deadline is a backstop: each url has its own connect_timeout inside fetchHttp.
  return runAttempt(signal, timeoutMs * Math.max(1, urls.length) + 1000, 'Timeout WEB', async (ctl) => {
    const ep = resolveEndpoint(target);
    if ('error' in ep) return ctl.finish({ ok: false, reason: ep.error });
    // keepalived: a checker with no url enables the server without checking.
    for (const url of urls) {
      const o = await checkUrl(target, checker, ep, url, timeoutMs, signal);
      if (!o.ok) return ctl.finish({ ...o, reason: `${url.path}: ${o.reason ?? 'failed'}` });
    }
    ctl.finish({ ok: true });
  });
};
