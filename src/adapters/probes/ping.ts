import { createRequire } from 'node:module';
import { randomBytes, randomInt } from 'node:crypto';
import { errorText, runAttempt } from './attempt.js';
import { resolveEndpoint } from './endpoint.js';
import { decodeEcho, encodeEchoRequest, ICMP6_ECHO_REPLY, ICMP_ECHO_REPLY } from './icmp.js';
import type { Probe } from './types.js';

/** The part of raw-socket (a CommonJS addon without types) that PING_CHECK uses. */
interface RawSocket {
  on(ev: 'message', cb: (buf: Buffer, source: string) => void): void;
  on(ev: 'error', cb: (e: Error) => void): void;
  send(buf: Buffer, offset: number, length: number, address: string, after: (e: Error | null, bytes: number) => void): void;
  close(): void;
}
interface RawSocketModule {
  AddressFamily: { IPv4: number; IPv6: number };
  Protocol: { ICMP: number; ICMPv6: number };
  createSocket(opts: { addressFamily: number; protocol: number; bufferSize?: number }): RawSocket;
}

let rawModule: RawSocketModule | undefined;
function raw(): RawSocketModule {
  rawModule ??= createRequire(import.meta.url)('raw-socket') as RawSocketModule;
  return rawModule;
}

/** Same address in any spelling (IPv6 zero compression, case). */
function sameAddress(a: string, b: string): boolean {
  const norm = (x: string): string => {
    const bare = x.split('%')[0] ?? x;
    if (!bare.includes(':')) return bare;
    try {
      return new URL(`http://[${bare}]/`).hostname;
    } catch {
      return bare.toLowerCase();
    }
  };
  return norm(a) === norm(b);
}

/**
 * PING_CHECK: one ICMP (IPv4) or ICMPv6 echo request; up when the matching echo reply (our id and
 * sequence, from the target) arrives within connect_timeout. Uses a raw socket (root or
 * CAP_NET_RAW), which sees every ICMP message of the host: everything not ours is ignored.
 */
export const pingProbe: Probe = (target, signal) =>
  runAttempt(signal, target.checker.connectTimeoutMs, 'PING timeout', (ctl) => {
    const ep = resolveEndpoint(target);
    if ('error' in ep) return ctl.finish({ ok: false, reason: ep.error });
    const r = raw();
    const id = randomInt(0, 0x10000);
    const seq = randomInt(0, 0x10000);
    let sock: RawSocket;
    try {
      sock = r.createSocket({
        addressFamily: ep.family === 6 ? r.AddressFamily.IPv6 : r.AddressFamily.IPv4,
        protocol: ep.family === 6 ? r.Protocol.ICMPv6 : r.Protocol.ICMP,
      });
    } catch (e) {
      return ctl.finish({ ok: false, reason: `cannot open raw ICMP socket: ${errorText(e)}` });
    }
    ctl.onSettle(() => sock.close());
    const replyType = ep.family === 6 ? ICMP6_ECHO_REPLY : ICMP_ECHO_REPLY;
    sock.on('error', (e) => ctl.finish({ ok: false, reason: `PING socket error: ${errorText(e)}` }));
    sock.on('message', (buf, source) => {
      const d = decodeEcho(ep.family, buf);
      if (!d.ok) return;
      const m = d.value;
      if (m.type !== replyType || m.id !== id || m.seq !== seq || !sameAddress(source, ep.host)) return;
      ctl.finish({ ok: true });
    });
    const req = encodeEchoRequest(ep.family, id, seq, randomBytes(16));
    sock.send(req, 0, req.length, ep.host, (e) => {
      if (e) ctl.finish({ ok: false, reason: `PING send failed: ${errorText(e)}` });
    });
  });
