/**
 * rtnetlink through the `netlink` package (0.3): open a socket, dump links and addresses, and turn
 * its messages into our own plain types. Kept apart from the adapters so each of them (VIPs, link
 * monitor, lookups) reads the kernel the same way.
 *
 * Traps of netlink 0.3 handled here: its typed `message` event drops the netlink message type, so
 * new vs. deleted is read from the NetlinkSocket underneath (`.socket`); a rejected request is an
 * Error whose text is "Request rejected: EEXIST", from which the errno name is taken.
 */
import { createRequire } from 'node:module';
import type * as Netlink from 'netlink';
import { formatIpv4, formatIpv6 } from '../../protocol/address.js';
import { formatMac } from '../../protocol/ethernet.js';

export type NetlinkModule = typeof Netlink;
export type RtSocket = Netlink.RtNetlinkSocket;

let mod: NetlinkModule | undefined;
export function netlinkModule(): NetlinkModule {
  mod ??= createRequire(import.meta.url)('netlink') as NetlinkModule;
  return mod;
}

/** A socket for requests; `ref: true` when it must keep the loop alive for notifications. */
export function openRtnetlink(opts: { ref?: boolean } = {}): RtSocket {
  // The package's typings mark the buffer sizes required; it sets them only when given.
  type Options = NonNullable<Parameters<NetlinkModule['createRtNetlink']>[0]>;
  return netlinkModule().createRtNetlink({ ref: opts.ref === true } as Options);
}

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const AF_INET = 2;
export const AF_INET6 = 10;

export interface LinkInfo {
  ifindex: number;
  ifname: string;
  /** IFF_UP: administratively up. */
  up: boolean;
  /** IFF_RUNNING: carrier / operationally up. */
  running: boolean;
  /** Hardware address ("aa:bb:..."); undefined on links without one. */
  mac?: string;
  mtu?: number;
}

export interface AddressInfo {
  ifindex: number;
  family: 'ipv4' | 'ipv6';
  /** The local address (IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6), canonical text. */
  address: string;
  prefixLen: number;
  /** RT_SCOPE_*: 0 global, 200 site, 253 link, 254 host. */
  scope: number;
  label?: string;
  broadcast?: string;
  secondary: boolean;
  permanent: boolean;
  noPrefixRoute: boolean;
}

export function linkFromMessage(m: Netlink.rt.LinkMessage): LinkInfo | undefined {
  const ifindex = m.data.index;
  const ifname = m.attrs.ifname;
  if (ifindex === undefined || ifname === undefined) return undefined;
  const info: LinkInfo = { ifindex, ifname, up: m.data.flags?.up === true, running: m.data.flags?.running === true };
  if (m.attrs.address && m.attrs.address.length === 6) info.mac = formatMac(m.attrs.address);
  if (m.attrs.mtu !== undefined) info.mtu = m.attrs.mtu;
  return info;
}

function formatBytes(b: Buffer | undefined, family: 'ipv4' | 'ipv6'): string | undefined {
  if (!b) return undefined;
  if (family === 'ipv4' && b.length === 4) return formatIpv4(b);
  if (family === 'ipv6' && b.length === 16) return formatIpv6(b);
  return undefined;
}

export function addressFromMessage(m: Netlink.rt.AddressMessage): AddressInfo | undefined {
  const family = m.data.family === AF_INET ? 'ipv4' : m.data.family === AF_INET6 ? 'ipv6' : undefined;
  if (!family || m.data.index === undefined) return undefined;
  const address = formatBytes(family === 'ipv4' ? (m.attrs.local ?? m.attrs.address) : m.attrs.address, family);
  if (!address) return undefined;
  // IFA_FLAGS (u32) supersedes ifa_flags (u8) when present.
  const flags = m.attrs.flags ?? m.data.flags ?? {};
  const info: AddressInfo = {
    ifindex: m.data.index,
    family,
    address,
    prefixLen: m.data.prefixlen ?? (family === 'ipv4' ? 32 : 128),
    scope: m.data.scope ?? 0,
    secondary: flags.secondary === true,
    permanent: flags.permanent === true,
    noPrefixRoute: flags.noprefixroute === true,
  };
  if (m.attrs.label !== undefined) info.label = m.attrs.label;
  const brd = formatBytes(m.attrs.broadcast, family);
  if (brd !== undefined) info.broadcast = brd;
  return info;
}

export async function dumpLinks(sock: RtSocket): Promise<LinkInfo[]> {
  const msgs = await sock.getLinks();
  return msgs.map(linkFromMessage).filter((l): l is LinkInfo => l !== undefined);
}

export async function dumpAddresses(sock: RtSocket): Promise<AddressInfo[]> {
  const msgs = await sock.getAddresses();
  return msgs.map(addressFromMessage).filter((a): a is AddressInfo => a !== undefined);
}

/** "EEXIST" from netlink 0.3's "Request rejected: EEXIST", or from an Error's `code`. */
export function errnoName(e: unknown): string | undefined {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') return (e as { code: string }).code;
  const m = /Request rejected: (E[A-Z0-9]+|-?\d+)/.exec(e instanceof Error ? e.message : String(e));
  return m?.[1];
}

const ERRNO_TEXT: Record<string, string> = {
  EEXIST: 'address already present',
  EADDRNOTAVAIL: 'no such address',
  ENODEV: 'no such device',
  EINVAL: 'invalid argument',
  EPERM: 'operation not permitted',
  EACCES: 'permission denied',
  ENOENT: 'not found',
  EOPNOTSUPP: 'not supported',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network is down',
};

export function errnoText(code: string | undefined): string {
  return code ? (ERRNO_TEXT[code] ? `${ERRNO_TEXT[code]} (${code})` : code) : 'unknown error';
}
