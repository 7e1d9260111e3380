import type { LvsProtocol, RealServer, VirtualServer } from '../../config/types.js';
import type { IpvsServiceId } from '../../adapters/ipvs-types.js';

/**
 * Names as keepalived prints them (check_data.c format_vs / format_rs, utils.c
 * inet_sockaddrtotrio): they go into lvs_notify_fifo lines, which scripts parse, so they must match
 * byte for byte: `[192.0.2.10]:tcp:80`, `FWM 1`, `[group]:0`.
 */
function protoWord(vs: VirtualServer): string {
  // keepalived clears the protocol of a fwmark service (service_type 0 prints "none").
  if (vs.key.type === 'fwmark') return 'none';
  return vs.protocol.toLowerCase();
}

export function formatVs(vs: VirtualServer): string {
  switch (vs.key.type) {
    case 'address':
      return `[${vs.key.address}]:${protoWord(vs)}:${vs.key.port}`;
    case 'fwmark':
      return `FWM ${vs.key.fwmark}`;
    case 'group':
      // A group's virtual server has no address of its own; its port is 0.
      return `[${vs.key.name}]:0`;
  }
}

export function formatRs(rs: Pick<RealServer, 'address' | 'port'>, vs: VirtualServer): string {
  return `[${rs.address}]:${protoWord(vs)}:${rs.port}`;
}

/** `VS [192.0.2.10]:tcp:80 UP` (lvs_notify_fifo). */
export function vsFifoLine(vs: VirtualServer, up: boolean): string {
  return `VS ${formatVs(vs)} ${up ? 'UP' : 'DOWN'}`;
}

/** `RS [192.0.2.21]:tcp:80 [192.0.2.10]:tcp:80 DOWN` (lvs_notify_fifo). */
export function rsFifoLine(rs: Pick<RealServer, 'address' | 'port'>, vs: VirtualServer, up: boolean): string {
  return `RS ${formatRs(rs, vs)} ${formatVs(vs)} ${up ? 'UP' : 'DOWN'}`;
}

/** Actor names in the event log: `vs/192.0.2.10:80`, `vs/[2001:db8::10]:80`, `vs/fwmark:1`, `vs/group:web`. */
export function vsName(vs: VirtualServer): string {
  switch (vs.key.type) {
    case 'address':
      return `${hostPort(vs.key.address, vs.key.port)}`;
    case 'fwmark':
      return `fwmark:${vs.key.fwmark}`;
    case 'group':
      return `group:${vs.key.name}`;
  }
}

export function rsName(rs: Pick<RealServer, 'address' | 'port'>): string {
  return hostPort(rs.address, rs.port);
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The IPVS service of a configured virtual server. */
export function serviceIdOf(vs: Pick<VirtualServer, 'key' | 'protocol'>): IpvsServiceId {
  const key = vs.key;
  const protocol: LvsProtocol = vs.protocol;
  switch (key.type) {
    case 'address':
      return { type: 'address', protocol, address: key.address, port: key.port, family: key.family };
    case 'fwmark':
      return { type: 'fwmark', fwmark: key.fwmark, family: key.family };
    case 'group':
      return { type: 'group', protocol, name: key.name };
  }
}
