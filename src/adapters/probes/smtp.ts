import net from 'node:net';
import type { Checker } from '../../config/types.js';
import { errorText, runAttempt } from './attempt.js';
import { resolveEndpoint } from './endpoint.js';
import { takeReply } from './smtp-reply.js';
import type { Probe } from './types.js';

type SmtpChecker = Extract<Checker, { type: 'SMTP_CHECK' }>;

/** keepalived's SMTP_DEFAULT_HELO. */
export const SMTP_DEFAULT_HELO = 'smtpchecker.keepalived.org';

/**
 * SMTP_CHECK as check_smtp.c runs it: connect, expect a 220 greeting, send `HELO helo_name`,
 * expect 250, send QUIT and wait for its answer. Unlike keepalived, a multi-line greeting
 * (`220-...`) is read to its last line instead of failing. connect_timeout bounds the whole dialogue.
 */
export const smtpProbe: Probe = (target, signal) => {
  const checker = target.checker as SmtpChecker;
  return runAttempt(signal, checker.connectTimeoutMs, 'SMTP read timeout', (ctl) => {
    const ep = resolveEndpoint(target);
    if ('error' in ep) return ctl.finish({ ok: false, reason: ep.error });
    const opts: net.TcpNetConnectOpts = { host: ep.host, port: ep.port };
    if (ep.localAddress) opts.localAddress = ep.localAddress;
    if (ep.localPort !== undefined) opts.localPort = ep.localPort;
    const sock = net.connect(opts);
    ctl.onSettle(() => sock.destroy());
    let state: 'banner' | 'helo' | 'quit' = 'banner';
    let connected = false;
    let buf = Buffer.alloc(0);
    const helo = checker.heloName ?? SMTP_DEFAULT_HELO;
    sock.once('connect', () => (connected = true));
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const r = takeReply(buf);
        if (r === 'incomplete') return;
        if (r === 'garbage') return ctl.finish({ ok: false, reason: `SMTP ${state}: not an SMTP reply` });
        buf = buf.subarray(r.used);
        if (state === 'banner') {
          if (r.code !== 220) return ctl.finish({ ok: false, reason: `Bad greeting banner (${r.code})` });
          state = 'helo';
          sock.write(`HELO ${helo}\r\n`);
        } else if (state === 'helo') {
          if (r.code !== 250) return ctl.finish({ ok: false, reason: `Bad HELO response (${r.code})` });
          state = 'quit';
          sock.write('QUIT\r\n');
        } else {
          // keepalived takes any answer to QUIT as the end of a good dialogue.
          return ctl.finish({ ok: true });
        }
      }
    });
    sock.once('end', () => {
      // A server that hangs up right after QUIT without a 221 has still passed HELO.
      if (state === 'quit') ctl.finish({ ok: true });
      else ctl.finish({ ok: false, reason: `SMTP ${state}: connection closed by server` });
    });
    sock.once('error', (e) =>
      ctl.finish({
        ok: false,
        reason: connected ? `SMTP ${state}: ${errorText(e)}` : `Error connecting to server: ${errorText(e)}`,
      }),
    );
  });
};
