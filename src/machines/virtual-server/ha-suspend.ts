import type { VirtualServer, VirtualServerGroup } from '../../config/types.js';
import { parseIpv4, parseIpv6 } from '../../protocol/address.js';

/**
 * ha_suspend (keepalived.conf(5): "suspend healthchecker's activity if the virtual server IP
 * address is not set on this host"): which addresses activate a virtual server's checkers.
 *
 * - `virtual_server IP PORT`: that address.
 * - `virtual_server fwmark N`: none — a fwmark has no address, ha_suspend does not apply
 *   (keepalived clears it: "cannot use ha_suspend with fwmarks"). The same for a group with a
 *   fwmark member.
 * - `virtual_server group NAME`: every address of the group, ranges included (`192.0.2.10-20`
 *   covers .10 to .20, as keepalived's addr_matches reads a range: the last byte, or the last
 *   16-bit group for IPv6). The checkers run while ANY of them is on this host: the group is one
 *   service on one director, and a director that holds part of it is the one that serves.
 */
export interface HaSuspendAddresses {
  /** Whether this address (canonical text, as the address monitor reports it) is one of them. */
  matches(address: string): boolean;
}

/** undefined: the virtual server does not use ha_suspend, or ha_suspend does not apply to it. */
export function haSuspendAddresses(vs: VirtualServer, groups: readonly VirtualServerGroup[] = []): HaSuspendAddresses | undefined {
  if (!vs.haSuspend) return undefined;
  const key = vs.key;
  switch (key.type) {
    case 'fwmark':
      return undefined;
    case 'address': {
      const want = bytesOf(key.address);
      if (want === undefined) return undefined;
      return { matches: (a) => bytesOf(a)?.equals(want) === true };
    }
    case 'group': {
      const group = groups.find((g) => g.name === key.name);
      if (group === undefined || group.members.some((m) => m.type === 'fwmark')) return undefined;
      const ranges: Array<{ prefix: Buffer; first: number; last: number }> = [];
      for (const m of group.members) {
        if (m.type !== 'address') continue;
        const b = bytesOf(m.address);
        if (b === undefined) continue;
        const first = lastPart(b);
        ranges.push({ prefix: prefixOf(b), first, last: Math.max(first, m.rangeEnd ?? first) });
      }
      if (ranges.length === 0) return undefined;
      return {
        matches: (a) => {
          const b = bytesOf(a);
          if (b === undefined) return false;
          const n = lastPart(b);
          const prefix = prefixOf(b);
          return ranges.some((r) => r.prefix.equals(prefix) && n >= r.first && n <= r.last);
        },
      };
    }
  }
}

function bytesOf(address: string): Buffer | undefined {
  return address.includes(':') ? parseIpv6(address) : parseIpv4(address);
}

/** The part a range counts over: the last byte of IPv4, the last 16-bit group of IPv6. */
function lastPart(b: Buffer): number {
  return b.length === 4 ? b[3]! : b.readUInt16BE(14);
}

function prefixOf(b: Buffer): Buffer {
  return b.subarray(0, b.length === 4 ? 3 : 14);
}
