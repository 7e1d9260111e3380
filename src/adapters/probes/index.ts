import type { Checker } from '../../config/types.js';
import type { ProbeSignal } from './cancel.js';
import { runAttempt } from './attempt.js';
import { dnsProbe } from './dns.js';
import { httpProbe } from './http.js';
import { miscProbe } from './misc.js';
import { pingProbe } from './ping.js';
import { smtpProbe } from './smtp.js';
import { tcpProbe } from './tcp.js';
import { udpProbe } from './udp.js';
import type { Probe } from './types.js';

export type { Probe, ProbeResult, ProbeTarget } from './types.js';

/**
 * The probe for a checker type. FILE_CHECK is not a network probe (it watches a track_file) and
 * BFD_CHECK is not supported: both get a probe that reports why it cannot run.
 */
export function probeFor(type: Checker['type']): Probe {
  switch (type) {
    case 'TCP_CHECK':
      return tcpProbe;
    case 'HTTP_GET':
    case 'SSL_GET':
      return httpProbe;
    case 'MISC_CHECK':
      return miscProbe;
    case 'SMTP_CHECK':
      return smtpProbe;
    case 'DNS_CHECK':
      return dnsProbe;
    case 'UDP_CHECK':
      return udpProbe;
    case 'PING_CHECK':
      return pingProbe;
    default:
      return (_target, signal) =>
        runAttempt(signal, 0, `${String(type)} is not probed here`, (ctl) =>
          ctl.finish({ ok: false, reason: `${String(type)} is not probed here` }),
        );
  }
}

/** Run the right probe for `target.checker`. Never throws. */
export function runProbe(target: Parameters<Probe>[0], signal: ProbeSignal): ReturnType<Probe> {
  return probeFor(target.checker.type)(target, signal);
}
