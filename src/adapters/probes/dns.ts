import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { Checker } from '../../config/types.js';
import { errorText, runAttempt } from './attempt.js';
import { canonicalName, decodeAnswerHead, dnsTypeCode, encodeQuery, DNS_DEFAULT_NAME } from './dns-message.js';
import { resolveEndpoint } from './endpoint.js';
import type { Probe } from './types.js';

type DnsChecker = Extract<Checker, { type: 'DNS_CHECK' }>;

/**
 * DNS_CHECK: one UDP query of the configured type and name (default SOA of "."). Success is a
 * response with our id, QR set, RCODE 0 and our question echoed back. As in check_dns.c, a
 * datagram with another id or without QR is ignored and the wait goes on; an ICMP unreachable
 * on the connected socket fails at once.
 */
export const dnsProbe: Probe = (target, signal) => {
  const checker = target.checker as DnsChecker;
  return runAttempt(signal, checker.connectTimeoutMs, 'DNS read timeout', (ctl) => {
    const ep = resolveEndpoint(target);
    if ('error' in ep) return ctl.finish({ ok: false, reason: ep.error });
    const id = randomInt(0, 0x10000);
    const name = checker.dnsName || DNS_DEFAULT_NAME;
    const type = dnsTypeCode(checker.dnsType);
    const query = encodeQuery(id, name, type);
    if ('error' in query) return ctl.finish({ ok: false, reason: query.error });
    const sock = dgram.createSocket(ep.family === 6 ? 'udp6' : 'udp4');
    ctl.onSettle(() => sock.close());
    sock.on('error', (e) => ctl.finish({ ok: false, reason: `DNS socket error: ${errorText(e)}` }));
    sock.on('message', (msg) => {
      const d = decodeAnswerHead(msg);
      if (!d.ok) {
        // Too short to carry our id: keep waiting, as keepalived does.
        if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
        return ctl.finish({ ok: false, reason: `malformed DNS answer: ${d.error}` });
      }
      const h = d.value;
      if (h.id !== id || !h.qr) return;
      if (h.rcode !== 0) return ctl.finish({ ok: false, reason: `DNS error (rcode = ${h.rcode})` });
      const q = h.question;
      if (!q || q.name !== canonicalName(name) || q.type !== type) {
        return ctl.finish({ ok: false, reason: 'DNS answer does not echo the question' });
      }
      ctl.finish({ ok: true });
    });
    const send = (): void => {
      sock.connect(ep.port, ep.host, () => {
        if (ctl.settled) return;
        sock.send(query, (e) => {
          if (e) ctl.finish({ ok: false, reason: `failed to write socket: ${errorText(e)}` });
        });
      });
    };
    if (ep.localAddress || ep.localPort !== undefined) {
      sock.bind({ address: ep.localAddress, port: ep.localPort ?? 0 }, send);
    } else send();
  });
};
