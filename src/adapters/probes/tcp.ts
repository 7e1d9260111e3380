import net from 'node:net';
import { errorText, runAttempt } from './attempt.js';
import { resolveEndpoint } from './endpoint.js';
import type { Probe } from './types.js';

/**
 * TCP_CHECK: the server is up when a TCP connection to it completes within connect_timeout.
 * keepalived closes at once after the handshake; so do we.
 */
export const tcpProbe: Probe = (target, signal) =>
  runAttempt(signal, target.checker.connectTimeoutMs, 'TCP connection timeout', (ctl) => {
    const ep = resolveEndpoint(target);
    if ('error' in ep) return ctl.finish({ ok: false, reason: ep.error });
    const opts: net.TcpNetConnectOpts = { host: ep.host, port: ep.port };
    if (ep.localAddress) opts.localAddress = ep.localAddress;
    if (ep.localPort !== undefined) opts.localPort = ep.localPort;
    const sock = net.connect(opts);
    ctl.onSettle(() => sock.destroy());
    sock.once('connect', () => ctl.finish({ ok: true }));
    sock.once('error', (e) => ctl.finish({ ok: false, reason: `TCP connection failed: ${errorText(e)}` }));
  });
