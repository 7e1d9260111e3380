/**
 * Virtual IP addresses on rtnetlink: add and remove with dev, scope, label, brd and noprefixroute as
 * keepalived.conf's virtual_ipaddress writes them (`192.0.2.100/32 dev eth0 scope global label
 * eth0:1 brd 192.0.2.255`), and list what is on the interfaces so a start can reconcile with the
 * event log (remove VIPs a crashed run left behind).
 *
 * Nothing here throws: each call resolves to a result, and a refusal by the kernel carries its
 * errno name and a sentence for the log. Adding an address already present or removing one that is
 * absent is harmless (changed: false), so an effect replayed after a restart is idempotent.
 */
import { addressBytesOrThrow, canonicalAddress } from '../../protocol/address.js';
import { AF_INET, AF_INET6, dumpAddresses, dumpLinks, errnoName, errnoText, openRtnetlink, type AddressInfo, type RtSocket } from './rtnetlink.js';

/** Structurally the config's VirtualIp: the engine passes those as they are. */
export interface VipSpec {
  address: string;
  prefixLen: number;
  family: 'ipv4' | 'ipv6';
  /** Interface; the instance's interface when absent (resolved by the caller through `defaultDev`). */
  dev?: string;
  /** keepalived's words (global, site, link, host, nowhere) or a number 0..255. */
  scope?: string;
  /** IPv4 only (IFA_LABEL); must start with the device name, at most 15 bytes. */
  label?: string;
  /** Broadcast address, or '+' / '-' as `ip addr` takes them (all-ones / all-zeros host part). */
  brd?: string;
  noPrefixRoute?: boolean;
}

export type VipResult =
  | { ok: true; changed: boolean }
  | { ok: false; code?: string; error: string };

export interface PresentAddress extends AddressInfo {
  ifname?: string;
}

const SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };
const NLM_F_CREATE = 0x400;
const NLM_F_EXCL = 0x200;

export function scopeNumber(scope: string | undefined): number | undefined {
  if (scope === undefined) return 0;
  const s = scope.trim().toLowerCase();
  if (s in SCOPES) return SCOPES[s];
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 && n <= 255 ? n : undefined;
}

/** `brd +` / `brd -` / an address, for an IPv4 prefix. */
export function broadcastFor(address: string, prefixLen: number, brd: string): Buffer | undefined {
  if (brd === '+' || brd === '-') {
    const a = addressBytesOrThrow(address, 'ipv4', 'broadcast').readUInt32BE(0);
    const host = prefixLen >= 32 ? 0 : 0xffffffff >>> prefixLen;
    const v = brd === '+' ? (a | host) >>> 0 : (a & ~host) >>> 0;
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v, 0);
    return b;
  }
  const c = canonicalAddress(brd);
  return c && !c.includes(':') ? addressBytesOrThrow(c, 'ipv4', 'broadcast') : undefined;
}

function describe(vip: VipSpec, dev: string): string {
  return `${vip.address}/${vip.prefixLen} dev ${dev}${vip.label ? ` label ${vip.label}` : ''}`;
}

export class VipNetlink {
  private closed = false;
  private constructor(private readonly sock: RtSocket) {}

  static open(): VipNetlink {
    return new VipNetlink(openRtnetlink());
  }

  /**
   * One RTM_GETLINK per device, answers ignored: the socket's first requests cost ≈ 3 ms of
   * first-use work (measured: the first getLink 2.8–4.6 ms, later ones 0.3 ms). The daemon pays it
   * at start, not in its first takeover between the first advert and the gratuitous ARP.
   */
  async warmUp(devs: Iterable<string>): Promise<void> {
    for (const dev of new Set(devs)) await this.ifindexOf(dev);
  }

  /** RTM_GETLINK by name (IFLA_IFNAME): one round trip, no dump. */
  private async ifindexOf(ifname: string): Promise<number | { code?: string; error: string }> {
    try {
      const [m] = await this.sock.getLink({}, { ifname });
      if (m?.data.index !== undefined) return m.data.index;
      return { code: 'ENODEV', error: `no interface ${ifname}` };
    } catch (e) {
      const code = errnoName(e);
      return { ...(code ? { code } : {}), error: `interface ${ifname}: ${errnoText(code)}` };
    }
  }

  private async change(op: 'add' | 'remove', vip: VipSpec, defaultDev: string, knownIfindex?: number): Promise<VipResult> {
    if (this.closed) return { ok: false, error: 'VIP adapter closed' };
    const dev = vip.dev ?? defaultDev;
    const what = `${op === 'add' ? 'cannot add' : 'cannot remove'} ${describe(vip, dev)}`;
    let local: Buffer;
    try {
      local = addressBytesOrThrow(vip.address, vip.family, 'VIP');
    } catch {
      return { ok: false, code: 'EINVAL', error: `${what}: not an ${vip.family} address` };
    }
    const maxLen = vip.family === 'ipv4' ? 32 : 128;
    if (!Number.isInteger(vip.prefixLen) || vip.prefixLen < 0 || vip.prefixLen > maxLen) {
      return { ok: false, code: 'EINVAL', error: `${what}: prefix length ${vip.prefixLen}` };
    }
    const scope = scopeNumber(vip.scope);
    if (scope === undefined) return { ok: false, code: 'EINVAL', error: `${what}: unknown scope ${JSON.stringify(vip.scope)}` };
    // The caller may know the device's index (from the link notifications it follows): a takeover
    // then skips a round trip whose answer — the whole RTM_NEWLINK — takes ≈ 1 ms of JavaScript to
    // parse. An index that no longer exists (the device was recreated) falls back to the lookup.
    if (knownIfindex !== undefined) {
      const r = await this.changeAt(op, vip, dev, what, knownIfindex, scope, local);
      if (r.ok || r.code !== 'ENODEV') return r;
    }
    const ifindex = await this.ifindexOf(dev);
    if (typeof ifindex !== 'number') return { ok: false, ...(ifindex.code ? { code: ifindex.code } : {}), error: `${what}: ${ifindex.error}` };
    return this.changeAt(op, vip, dev, what, ifindex, scope, local);
  }

  private async changeAt(op: 'add' | 'remove', vip: VipSpec, dev: string, what: string, ifindex: number, scope: number, local: Buffer): Promise<VipResult> {
    const family = vip.family === 'ipv4' ? AF_INET : AF_INET6;

    const attrs: Record<string, unknown> = { address: local };
    if (vip.family === 'ipv4') {
      attrs['local'] = local;
      if (vip.label !== undefined && op === 'add') {
        // The kernel keeps labels in an IFNAMSIZ field; ip(8) insists on the device-name prefix.
        if (Buffer.byteLength(vip.label) > 15 || !vip.label.startsWith(dev)) {
          return { ok: false, code: 'EINVAL', error: `${what}: label must start with ${dev} and be at most 15 bytes` };
        }
        attrs['label'] = vip.label;
      }
      if (vip.brd !== undefined && op === 'add') {
        const b = broadcastFor(vip.address, vip.prefixLen, vip.brd);
        if (!b) return { ok: false, code: 'EINVAL', error: `${what}: bad broadcast ${JSON.stringify(vip.brd)}` };
        attrs['broadcast'] = b;
      }
    }
    // IPv6 VIPs skip DAD as keepalived's do (IFA_F_NODAD): during a takeover the address must
    // answer at once, and the VRRP election already guarantees a single owner.
    const flags: Record<string, true> = {};
    if (vip.family === 'ipv6') flags['nodad'] = true;
    if (vip.noPrefixRoute) flags['noprefixroute'] = true;
    if (Object.keys(flags).length) attrs['flags'] = flags;

    const data = { family, prefixlen: vip.prefixLen, scope, index: ifindex };
    try {
      if (op === 'add') await this.sock.newAddress(data, attrs, { flags: NLM_F_CREATE | NLM_F_EXCL });
      else await this.sock.delAddress(data, attrs);
      return { ok: true, changed: true };
    } catch (e) {
      const code = errnoName(e);
      if (op === 'add' && code === 'EEXIST') return { ok: true, changed: false };
      if (op === 'remove' && (code === 'EADDRNOTAVAIL' || code === 'ENOENT' || code === 'ESRCH')) return { ok: true, changed: false };
      return { ok: false, ...(code ? { code } : {}), error: `${what}: ${errnoText(code)}` };
    }
  }

  /** `ifindex`: the index of the device the VIP goes on, when the caller knows it (see change). */
  add(vip: VipSpec, defaultDev: string, ifindex?: number): Promise<VipResult> {
    return this.change('add', vip, defaultDev, ifindex);
  }

  remove(vip: VipSpec, defaultDev: string, ifindex?: number): Promise<VipResult> {
    return this.change('remove', vip, defaultDev, ifindex);
  }

  /** Every address on every interface, with the interface name: the input of a start-up reconcile. */
  async list(): Promise<{ ok: true; addresses: PresentAddress[] } | { ok: false; code?: string; error: string }> {
    try {
      const [links, addrs] = [await dumpLinks(this.sock), await dumpAddresses(this.sock)];
      const names = new Map(links.map((l) => [l.ifindex, l.ifname]));
      return {
        ok: true,
        addresses: addrs.map((a) => {
          const name = names.get(a.ifindex);
          return name === undefined ? a : { ...a, ifname: name };
        }),
      };
    } catch (e) {
      const code = errnoName(e);
      return { ok: false, ...(code ? { code } : {}), error: `cannot list addresses: ${errnoText(code)}` };
    }
  }

  /** Whether `vip` is on its interface now. */
  async isPresent(vip: VipSpec, defaultDev: string): Promise<boolean> {
    const l = await this.list();
    if (!l.ok) return false;
    const dev = vip.dev ?? defaultDev;
    const want = canonicalAddress(vip.address);
    return l.addresses.some((a) => a.ifname === dev && a.address === want && a.prefixLen === vip.prefixLen);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.socket.close();
  }
}
