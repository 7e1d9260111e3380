import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { Checker } from '../../config/types.js';
import { errorText, runAttempt } from './attempt.js';
import { resolveEndpoint } from './endpoint.js';
import { parseHexString, replyMatches, type HexPattern } from './hex-string.js';
import type { Probe } from './types.js';

/**
 * UDP_CHECK. The contract carries `payload` and `requireReply`; keepalived's `require_reply
 * HEX_STR`, `min_reply_length` and `max_reply_length` are read here when the config adds them
 * under these names.
 */
export type UdpChecker = Extract<Checker, { type: 'UDP_CHECK' }> & {
  requireReplyData?: string;
  minReplyLength?: number;
  maxReplyLength?: number;
};

const RANDOM_PAYLOAD_BYTES = 16;

/**
 * Send one datagram on a connected socket. A port/host unreachable (ICMP, reported on the
 * connected socket) fails. Without require_reply, silence until connect_timeout is success (as
 * check_udp.c: "we consider it success unless require_reply is set"), and so is any reply. With
 * require_reply a reply must come, its length within min..max_reply_length and matching the
 * pattern if one is given.
 */
export const udpProbe: Probe = (target, signal) => {
  const checker = target.checker as UdpChecker;
  const waitMs = checker.connectTimeoutMs;
  return runAttempt(signal, waitMs + 1000, 'UDP timeout', (ctl) => {
    const ep = resolveEndpoint(target);
    if ('error' in ep) return ctl.finish({ ok: false, reason: ep.error });
    let payload: Buffer;
    if (checker.payload !== undefined) {
      const p = parseHexString(checker.payload);
      if ('error' in p) return ctl.finish({ ok: false, reason: `payload: ${p.error}` });
      payload = p.data;
    } else payload = randomBytes(RANDOM_PAYLOAD_BYTES);
    let pattern: HexPattern | undefined;
    if (checker.requireReplyData !== undefined) {
      const p = parseHexString(checker.requireReplyData, true);
      if ('error' in p) return ctl.finish({ ok: false, reason: `require_reply: ${p.error}` });
      pattern = p;
    }
    const requireReply = checker.requireReply === true || pattern !== undefined;
    const minLen = checker.minReplyLength ?? 0;
    const maxLen = checker.maxReplyLength ?? 255;

    const sock = dgram.createSocket(ep.family === 6 ? 'udp6' : 'udp4');
    ctl.onSettle(() => sock.close());
    const timer = setTimeout(() => {
      ctl.finish(requireReply ? { ok: false, reason: 'UDP no reply' } : { ok: true, reason: 'no reply, no ICMP error' });
    }, waitMs);
    ctl.onSettle(() => clearTimeout(timer));
    sock.on('error', (e) => ctl.finish({ ok: false, reason: `UDP connection failed: ${errorText(e)}` }));
    sock.on('message', (msg) => {
      if (!requireReply) return ctl.finish({ ok: true });
      if (msg.length < minLen || msg.length > maxLen) {
        return ctl.finish({ ok: false, reason: `UDP reply length ${msg.length} outside ${minLen}..${maxLen}` });
      }
      if (pattern && !replyMatches(msg, pattern)) return ctl.finish({ ok: false, reason: 'UDP reply data mismatch' });
      ctl.finish({ ok: true });
    });
    const send = (): void => {
      sock.connect(ep.port, ep.host, () => {
        if (ctl.settled) return;
        sock.send(payload, (e) => {
          if (e) ctl.finish({ ok: false, reason: `UDP send failed: ${errorText(e)}` });
        });
      });
    };
    if (ep.localAddress || ep.localPort !== undefined) {
      sock.bind({ address: ep.localAddress, port: ep.localPort ?? 0 }, send);
    } else send();
  });
};
