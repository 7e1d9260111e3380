import { isIP } from 'node:net';
import type { CheckerCommon } from '../../config/types.js';
import type { Endpoint, ProbeTarget } from './types.js';

/**
 * Where a checker connects: connect_ip / connect_port override the real server's address and port;
 * bindto / bind_port choose the source. bind_if scopes an IPv6 link-local destination (that is what
 * keepalived.conf(5) says bind_if is for). fwmark (SO_MARK) cannot be set from Node's sockets.
 */
export function resolveEndpoint(target: ProbeTarget): Endpoint | { error: string } {
  const co: CheckerCommon = target.checker;
  let host = co.connectIp ?? target.address;
  const port = co.connectPort ?? target.port;
  const bare = host.split('%')[0] ?? host;
  const fam = isIP(bare);
  if (fam === 0) return { error: `invalid address ${host}` };
  if (!Number.isInteger(port) || port < 0 || port > 65535) return { error: `invalid port ${port}` };
  if (fam === 6 && co.bindIf && !host.includes('%') && /^fe[89ab]/i.test(bare)) host = `${bare}%${co.bindIf}`;
  const ep: Endpoint = { host, port, family: fam as 4 | 6 };
  if (co.bindto) ep.localAddress = co.bindto;
  if (co.bindPort !== undefined) ep.localPort = co.bindPort;
  return ep;
}

/** `addr:port`, bracketed for IPv6, as keepalived prints a checker's target. */
export function formatEndpoint(ep: { host: string; port: number; family: 4 | 6 }): string {
  return ep.family === 6 ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}
