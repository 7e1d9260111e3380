/**
 * use_vmac: a macvlan on the instance's interface carrying the VRRP virtual MAC
 * 00:00:5e:00:01:VRID (IPv6: 00:00:5e:00:02:VRID, RFC 5798 §7.3), mode private as keepalived
 * creates it, named `vrrp.VRID` (`vrrp6.VRID`) unless the configuration names it.
 *
 * The link info is encoded here by hand: netlink 0.3's IFLA_LINKINFO is an opaque Buffer and its
 * IFLA_LINK is a raw u32. Never throws; creating an existing vmac or removing a missing one is harmless.
 *
 * Not done here (keepalived does them): the sysctls it sets on a vmac (arp_ignore, arp_filter,
 * rp_filter) and, for IPv6, replacing the kernel's EUI-64 link-local address.
 */
import { endianness } from 'node:os';
import { parseMac, virtualMac } from '../../protocol/ethernet.js';
import { errnoName, errnoText, openRtnetlink, type RtSocket } from './rtnetlink.js';

const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;
export const MACVLAN_MODE_PRIVATE = 1;
const NLM_F_CREATE = 0x400;
const NLM_F_EXCL = 0x200;
const LE = endianness() === 'LE';

export interface VmacSpec {
  vrid: number;
  family: 'ipv4' | 'ipv6';
  /** The interface the macvlan sits on. */
  parent: string;
  /** Default vrrp.VRID / vrrp6.VRID. */
  name?: string;
}

export type VmacResult = { ok: true; changed: boolean; ifindex?: number; name: string; mac: string } | { ok: false; code?: string; error: string };

export function vmacName(vrid: number, family: 'ipv4' | 'ipv6'): string {
  return family === 'ipv4' ? `vrrp.${vrid}` : `vrrp6.${vrid}`;
}

/** One rtattr: length, type, payload, padded to 4 bytes (host byte order, as netlink is). */
function rtattr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const b = Buffer.alloc((len + 3) & ~3);
  if (LE) {
    b.writeUInt16LE(len, 0);
    b.writeUInt16LE(type, 2);
  } else {
    b.writeUInt16BE(len, 0);
    b.writeUInt16BE(type, 2);
  }
  payload.copy(b, 4);
  return b;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  if (LE) b.writeUInt32LE(v, 0);
  else b.writeUInt32BE(v, 0);
  return b;
}

/** IFLA_LINKINFO payload: kind "macvlan", data { IFLA_MACVLAN_MODE: private }. */
export function macvlanLinkInfo(mode = MACVLAN_MODE_PRIVATE): Buffer {
  return Buffer.concat([rtattr(IFLA_INFO_KIND, Buffer.from('macvlan\0')), rtattr(IFLA_INFO_DATA, rtattr(IFLA_MACVLAN_MODE, u32(mode)))]);
}

export class VmacNetlink {
  private closed = false;
  private constructor(private readonly sock: RtSocket) {}

  static open(): VmacNetlink {
    return new VmacNetlink(openRtnetlink());
  }

  private async indexOf(ifname: string): Promise<number | undefined> {
    try {
      const [m] = await this.sock.getLink({}, { ifname });
      return m?.data.index;
    } catch {
      return undefined;
    }
  }

  /** Create the macvlan (if missing) and bring it up. */
  async create(spec: VmacSpec): Promise<VmacResult> {
    const name = spec.name ?? vmacName(spec.vrid, spec.family);
    let mac: string;
    try {
      mac = virtualMac(spec.vrid, spec.family);
    } catch (e) {
      return { ok: false, code: 'EINVAL', error: `cannot create ${name}: ${(e as Error).message}` };
    }
    const what = `cannot create ${name} (macvlan ${mac} on ${spec.parent})`;
    if (this.closed) return { ok: false, error: `${what}: adapter closed` };
    if (Buffer.byteLength(name) > 15) return { ok: false, code: 'EINVAL', error: `${what}: name longer than 15 bytes` };
    const parent = await this.indexOf(spec.parent);
    if (parent === undefined) return { ok: false, code: 'ENODEV', error: `${what}: no interface ${spec.parent}` };
    let changed = true;
    try {
      await this.sock.newLink({}, { ifname: name, link: u32(parent), address: parseMac(mac)!, linkinfo: macvlanLinkInfo() }, { flags: NLM_F_CREATE | NLM_F_EXCL });
    } catch (e) {
      const code = errnoName(e);
      if (code !== 'EEXIST') return { ok: false, ...(code ? { code } : {}), error: `${what}: ${errnoText(code)}` };
      changed = false;
    }
    const ifindex = await this.indexOf(name);
    if (ifindex === undefined) return { ok: false, code: 'ENODEV', error: `${what}: created but not found` };
    try {
      await this.sock.setLink({ index: ifindex, change: { up: true }, flags: { up: true } });
    } catch (e) {
      const code = errnoName(e);
      return { ok: false, ...(code ? { code } : {}), error: `cannot bring ${name} up: ${errnoText(code)}` };
    }
    return { ok: true, changed, ifindex, name, mac };
  }

  async remove(spec: VmacSpec): Promise<VmacResult> {
    const name = spec.name ?? vmacName(spec.vrid, spec.family);
    const mac = spec.vrid >= 1 && spec.vrid <= 255 ? virtualMac(spec.vrid, spec.family) : '';
    if (this.closed) return { ok: false, error: `cannot remove ${name}: adapter closed` };
    const ifindex = await this.indexOf(name);
    if (ifindex === undefined) return { ok: true, changed: false, name, mac };
    try {
      await this.sock.delLink({ index: ifindex });
      return { ok: true, changed: true, name, mac };
    } catch (e) {
      const code = errnoName(e);
      if (code === 'ENODEV') return { ok: true, changed: false, name, mac };
      return { ok: false, ...(code ? { code } : {}), error: `cannot remove ${name}: ${errnoText(code)}` };
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.socket.close();
  }
}
