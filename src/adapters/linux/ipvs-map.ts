/**
 * keepalived's words for an IPVS service and its real servers, mapped onto the kernel's (and back):
 * lb_algo → scheduler name, lb_kind / lvs_method → forwarding method, persistence_timeout and
 * persistence_granularity → PERSISTENT flag, timeout and netmask, scheduler flags (flag-N, sh-port,
 * sh-fallback, mh-port, mh-fallback, ops) → IP_VS_SVC_F_* bits, protocol → IPPROTO_*, and a
 * virtual_server_group → one kernel service per member (ranges expanded).
 *
 * Pure: no I/O. The netlink adapter and the tests both use it.
 */
import type { KeepalivedConfig, LvsMethod, LvsProtocol, LvsScheduler, VirtualServer, VirtualServerGroup } from '../../config/types.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../../protocol/address.js';
import {
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IP_VS_CONN_F,
  IP_VS_SVC_F,
  type IpvsDestEntry,
  type IpvsDestIdentity,
  type IpvsDestSpec,
  type IpvsFamily,
  type IpvsServiceEntry,
  type IpvsServiceIdentity,
  type IpvsServiceSpec,
} from '../../protocol/ipvs.js';
import type { IpvsDest, IpvsDestId, IpvsService, IpvsServiceId, IpvsTableEntry } from '../ipvs-types.js';

/** virtual_server_group name → its members, as the config has them. */
export type IpvsGroups = ReadonlyMap<string, VirtualServerGroup['members']>;

export function groupsOf(cfg: Pick<KeepalivedConfig, 'virtualServerGroups'>): IpvsGroups {
  return new Map(cfg.virtualServerGroups.map((g) => [g.name, g.members]));
}

export function protocolNumber(p: LvsProtocol): number {
  return p === 'UDP' ? IPPROTO_UDP : p === 'SCTP' ? IPPROTO_SCTP : IPPROTO_TCP;
}

export function protocolName(n: number): LvsProtocol | undefined {
  return n === IPPROTO_TCP ? 'TCP' : n === IPPROTO_UDP ? 'UDP' : n === IPPROTO_SCTP ? 'SCTP' : undefined;
}

export function fwdMethodOf(m: LvsMethod): number {
  return m === 'DR' ? IP_VS_CONN_F.DROUTE : m === 'TUN' ? IP_VS_CONN_F.TUNNEL : IP_VS_CONN_F.MASQ;
}

/** The kernel's LOCALNODE (a real server on this host) and BYPASS read back as NAT: keepalived has no word for them. */
export function methodOf(fwd: number): LvsMethod {
  const f = fwd & IP_VS_CONN_F.FWD_MASK;
  return f === IP_VS_CONN_F.DROUTE ? 'DR' : f === IP_VS_CONN_F.TUNNEL ? 'TUN' : 'NAT';
}

/** Scheduler flag words → IP_VS_SVC_F_* bits. sh-* and mh-* are the same bits as flag-1 / flag-2 (ip_vs.h). */
const FLAG_BITS: Record<string, number> = {
  'flag-1': IP_VS_SVC_F.SCHED1,
  'flag-2': IP_VS_SVC_F.SCHED2,
  'flag-3': IP_VS_SVC_F.SCHED3,
  'sh-fallback': IP_VS_SVC_F.SCHED1,
  'sh-port': IP_VS_SVC_F.SCHED2,
  'mh-fallback': IP_VS_SVC_F.SCHED1,
  'mh-port': IP_VS_SVC_F.SCHED2,
  ops: IP_VS_SVC_F.ONEPACKET,
};

export function schedFlagBits(words: readonly string[]): number {
  let bits = 0;
  for (const w of words) bits |= FLAG_BITS[w] ?? 0;
  return bits;
}

/** Bits → words, in the scheduler's own names where it has them (as `ipvsadm -Ln` prints them). */
export function schedFlagWords(scheduler: string, bits: number): string[] {
  const out: string[] = [];
  const named = scheduler === 'sh' || scheduler === 'mh' ? scheduler : undefined;
  if (bits & IP_VS_SVC_F.SCHED1) out.push(named ? `${named}-fallback` : 'flag-1');
  if (bits & IP_VS_SVC_F.SCHED2) out.push(named ? `${named}-port` : 'flag-2');
  if (bits & IP_VS_SVC_F.SCHED3) out.push('flag-3');
  if (bits & IP_VS_SVC_F.ONEPACKET) out.push('ops');
  return out;
}

/** The netmask IPVS keeps when persistence_granularity is not given: one client address. */
export function defaultNetmask(family: IpvsFamily): number {
  return family === 'ipv6' ? 128 : 0xffffffff;
}

/**
 * persistence_granularity → the kernel's netmask: an IPv4 mask (`255.255.255.0`) or a prefix
 * length (`24`, and for IPv6 services `64`). undefined when it is not one.
 */
export function netmaskOf(family: IpvsFamily, granularity: string | undefined): number | undefined {
  if (granularity === undefined) return defaultNetmask(family);
  if (/^\d{1,3}$/.test(granularity)) {
    const len = Number(granularity);
    if (family === 'ipv6') return len >= 1 && len <= 128 ? len : undefined;
    if (len > 32) return undefined;
    return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  }
  if (family === 'ipv4') {
    const b = parseIpv4(granularity);
    return b === undefined ? undefined : b.readUInt32BE(0);
  }
  return undefined;
}

export function granularityOf(family: IpvsFamily, netmask: number): string | undefined {
  if (netmask === defaultNetmask(family)) return undefined;
  if (family === 'ipv6') return String(netmask);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(netmask >>> 0);
  return formatIpv4(b);
}

/** The address `offset` places after `address` in its last byte (IPv4) or last group (IPv6). */
function rangeMember(family: IpvsFamily, address: string, last: number): string | undefined {
  if (family === 'ipv4') {
    const b = parseIpv4(address);
    if (b === undefined || last > 255) return undefined;
    b[3] = last;
    return formatIpv4(b);
  }
  const b = parseIpv6(address);
  if (b === undefined || last > 0xffff) return undefined;
  b.writeUInt16BE(last, 14);
  return formatIpv6(b);
}

/** The kernel services one adapter service id stands for (a group: one per member, ranges expanded). */
export function kernelIdentities(id: IpvsServiceId, groups: IpvsGroups): IpvsServiceIdentity[] {
  switch (id.type) {
    case 'address':
      return [{ family: id.family, protocol: protocolNumber(id.protocol), address: id.address, port: id.port }];
    case 'fwmark':
      return [{ family: id.family, fwmark: id.fwmark }];
    case 'group': {
      const out: IpvsServiceIdentity[] = [];
      for (const m of groups.get(id.name) ?? []) {
        if (m.type === 'fwmark') {
          out.push({ family: m.family, fwmark: m.fwmark });
          continue;
        }
        const first = m.family === 'ipv4' ? parseIpv4(m.address)?.[3] : parseIpv6(m.address)?.readUInt16BE(14);
        if (first === undefined) continue;
        const last = m.rangeEnd ?? first;
        for (let n = first; n <= last; n++) {
          const a = rangeMember(m.family, m.address, n);
          if (a !== undefined) out.push({ family: m.family, protocol: protocolNumber(id.protocol), address: a, port: m.port });
        }
      }
      return out;
    }
  }
}

/** An adapter service → the kernel services it is (several for a group). undefined: a granularity the family cannot take. */
export function kernelServices(s: IpvsService, groups: IpvsGroups): IpvsServiceSpec[] | undefined {
  const out: IpvsServiceSpec[] = [];
  const persistent = s.persistenceTimeout !== undefined;
  for (const id of kernelIdentities(s.id, groups)) {
    const netmask = netmaskOf(id.family, s.persistenceGranularity);
    if (netmask === undefined) return undefined;
    out.push({
      ...id,
      schedName: s.scheduler,
      flags: schedFlagBits(s.flags) | (persistent ? IP_VS_SVC_F.PERSISTENT : 0),
      timeout: persistent ? s.persistenceTimeout! : 0,
      netmask,
    });
  }
  return out;
}

export function kernelDest(d: IpvsDest): IpvsDestSpec {
  return {
    address: d.address,
    port: d.port,
    family: d.family,
    fwdMethod: fwdMethodOf(d.method),
    weight: d.weight,
    uThresh: d.uthreshold ?? 0,
    lThresh: d.lthreshold ?? 0,
  };
}

export function kernelDestId(d: IpvsDestId, family: IpvsFamily): IpvsDestIdentity {
  const fam: IpvsFamily = parseIpv4(d.address) !== undefined ? 'ipv4' : parseIpv6(d.address) !== undefined ? 'ipv6' : family;
  return { address: d.address, port: d.port, family: fam };
}

/** A kernel service read back → the adapter's words (address or fwmark id, never a group). */
export function serviceFromKernel(e: IpvsServiceSpec | IpvsServiceEntry): IpvsService {
  const id: IpvsServiceId =
    'fwmark' in e
      ? { type: 'fwmark', fwmark: e.fwmark, family: e.family }
      : { type: 'address', protocol: protocolName(e.protocol) ?? 'TCP', address: e.address, port: e.port, family: e.family };
  const s: IpvsService = { id, scheduler: e.schedName as LvsScheduler, flags: schedFlagWords(e.schedName, e.flags) };
  if (e.flags & IP_VS_SVC_F.PERSISTENT) s.persistenceTimeout = e.timeout;
  const g = granularityOf(e.family, e.netmask);
  if (g !== undefined) s.persistenceGranularity = g;
  return s;
}

export function destFromKernel(e: IpvsDestSpec | IpvsDestEntry): IpvsDest {
  const d: IpvsDest = { address: e.address, port: e.port, family: e.family, weight: e.weight, method: methodOf(e.fwdMethod) };
  if (e.uThresh !== 0) d.uthreshold = e.uThresh;
  if (e.lThresh !== 0) d.lthreshold = e.lThresh;
  return d;
}

/**
 * The table keepalived programs at start for a configuration, every real server up (no `alpha`):
 * each virtual server's service and its real servers at their configured weight, with the
 * forwarding method of the real server (lvs_method) or of the virtual server (lb_kind). A
 * virtual server without real servers gets its sorry server, as keepalived does when the quorum
 * is lost from the start.
 */
export function wantedTable(cfg: Pick<KeepalivedConfig, 'virtualServers'>): IpvsTableEntry[] {
  return cfg.virtualServers.map((vs) => ({ service: serviceOf(vs), dests: destsOf(vs) }));
}

export function serviceOf(vs: VirtualServer): IpvsService {
  const id: IpvsServiceId =
    vs.key.type === 'address'
      ? { type: 'address', protocol: vs.protocol, address: vs.key.address, port: vs.key.port, family: vs.key.family }
      : vs.key.type === 'fwmark'
        ? { type: 'fwmark', fwmark: vs.key.fwmark, family: vs.key.family }
        : { type: 'group', protocol: vs.protocol, name: vs.key.name };
  const s: IpvsService = { id, scheduler: vs.lbAlgo, flags: [...vs.schedFlags, ...(vs.opsFlag ? ['ops'] : [])] };
  if (vs.persistenceTimeout !== undefined) s.persistenceTimeout = vs.persistenceTimeout;
  if (vs.persistenceGranularity !== undefined) s.persistenceGranularity = vs.persistenceGranularity;
  return s;
}

function destsOf(vs: VirtualServer): IpvsDest[] {
  if (vs.realServers.length === 0 && vs.sorryServer !== undefined) {
    const ss = vs.sorryServer;
    const family: IpvsFamily = parseIpv4(ss.address) !== undefined ? 'ipv4' : 'ipv6';
    return [{ address: ss.address, port: ss.port, family, weight: 1, method: ss.lvsMethod ?? vs.lbKind }];
  }
  return vs.realServers.map((rs) => {
    const d: IpvsDest = { address: rs.address, port: rs.port, family: rs.family, weight: rs.weight, method: rs.lvsMethod ?? vs.lbKind };
    if (rs.uthreshold !== undefined) d.uthreshold = rs.uthreshold;
    if (rs.lthreshold !== undefined) d.lthreshold = rs.lthreshold;
    return d;
  });
}

/** The kernel-level table: what the netlink adapter reads and what reconcile compares. */
export interface KernelTableEntry {
  service: IpvsServiceSpec;
  dests: IpvsDestSpec[];
}

/** An adapter table (groups included) → the kernel services and dests it stands for. Unmappable services are left out and named. */
export function kernelTable(entries: readonly IpvsTableEntry[], groups: IpvsGroups): { table: KernelTableEntry[]; unmappable: IpvsServiceId[] } {
  const table: KernelTableEntry[] = [];
  const unmappable: IpvsServiceId[] = [];
  for (const e of entries) {
    const svcs = kernelServices(e.service, groups);
    if (svcs === undefined) {
      unmappable.push(e.service.id);
      continue;
    }
    for (const s of svcs) table.push({ service: s, dests: e.dests.map(kernelDest) });
  }
  return { table, unmappable };
}
