/**
 * virtual_routes on rtnetlink: the common forms keepalived.conf writes
 * (`203.0.113.0/24 via 192.0.2.254 dev eth0 src 192.0.2.100 metric 10 table 100 scope link`,
 * `blackhole 198.51.100.0/24`), added with protocol keepalived (RTPROT_KEEPALIVED, 18) as
 * keepalived does, so `ip route show proto keepalived` lists them.
 *
 * Like the VIP adapter it never throws; a route already present or already gone is harmless.
 */
import type * as Netlink from 'netlink';
import { addressBytesOrThrow, canonicalAddress } from '../../protocol/address.js';
import { AF_INET, AF_INET6, errnoName, errnoText, openRtnetlink, type RtSocket } from './rtnetlink.js';
import { scopeNumber } from './vip-netlink.js';

/** Structurally the config's VirtualRoute. */
export interface RouteSpec {
  /** "203.0.113.0/24", "2001:db8:1::/48", "default" (IPv4) */
  dst: string;
  via?: string;
  src?: string;
  dev?: string;
  /** Number or main / local / default. */
  table?: string;
  metric?: number;
  scope?: string;
  /** As written; a leading blackhole / unreachable / prohibit / throw sets the route type. */
  words?: string[];
}

export type RouteResult = { ok: true; changed: boolean } | { ok: false; code?: string; error: string };

export const RTPROT_KEEPALIVED = 18;
const TABLES: Record<string, number> = { default: 253, main: 254, local: 255 };
const TYPES: Record<string, number> = { unicast: 1, local: 2, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9 };
const NLM_F_CREATE = 0x400;
const NLM_F_EXCL = 0x200;
const RT_TABLE_MAIN = 254;

interface Prefix {
  family: 'ipv4' | 'ipv6';
  bytes: Buffer | undefined;
  len: number;
}

/** "a.b.c.d/len", "addr" (host route) or "default"; undefined when not an address. */
export function parsePrefix(text: string, familyHint?: 'ipv4' | 'ipv6'): Prefix | undefined {
  if (text === 'default') return { family: familyHint ?? 'ipv4', bytes: undefined, len: 0 };
  const [addr = '', lenText] = text.split('/');
  const c = canonicalAddress(addr);
  if (!c) return undefined;
  const family = c.includes(':') ? 'ipv6' : 'ipv4';
  const max = family === 'ipv4' ? 32 : 128;
  const len = lenText === undefined ? max : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > max) return undefined;
  return { family, bytes: addressBytesOrThrow(c, family, 'route'), len };
}

export class RouteNetlink {
  private closed = false;
  private constructor(private readonly sock: RtSocket) {}

  static open(): RouteNetlink {
    return new RouteNetlink(openRtnetlink());
  }

  private async change(op: 'add' | 'remove', r: RouteSpec): Promise<RouteResult> {
    const what = `${op === 'add' ? 'cannot add' : 'cannot remove'} route ${(r.words ?? [r.dst]).join(' ')}`;
    if (this.closed) return { ok: false, error: `${what}: adapter closed` };
    const viaFamily = r.via ? (canonicalAddress(r.via)?.includes(':') ? 'ipv6' : 'ipv4') : undefined;
    const dst = parsePrefix(r.dst, viaFamily);
    if (!dst) return { ok: false, code: 'EINVAL', error: `${what}: bad destination ${JSON.stringify(r.dst)}` };
    const typeWord = r.words?.[0];
    const type = typeWord !== undefined && typeWord in TYPES ? TYPES[typeWord]! : TYPES['unicast']!;
    let table = RT_TABLE_MAIN;
    if (r.table !== undefined) {
      const t = TABLES[r.table] ?? Number(r.table);
      if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) return { ok: false, code: 'EINVAL', error: `${what}: bad table ${r.table}` };
      table = t;
    }
    const scope = r.scope !== undefined ? scopeNumber(r.scope) : r.via || type !== 1 ? 0 : 253;
    if (scope === undefined) return { ok: false, code: 'EINVAL', error: `${what}: bad scope ${r.scope}` };

    const attrs: Record<string, unknown> = {};
    if (dst.bytes) attrs['dst'] = dst.bytes;
    try {
      if (r.via) attrs['gateway'] = addressBytesOrThrow(canonicalAddress(r.via) ?? r.via, dst.family, 'via');
      if (r.src) attrs['prefsrc'] = addressBytesOrThrow(canonicalAddress(r.src) ?? r.src, dst.family, 'src');
    } catch {
      return { ok: false, code: 'EINVAL', error: `${what}: via / src not ${dst.family} addresses` };
    }
    if (r.dev) {
      try {
        const [m] = await this.sock.getLink({}, { ifname: r.dev });
        if (m?.data.index === undefined) return { ok: false, code: 'ENODEV', error: `${what}: no interface ${r.dev}` };
        attrs['oif'] = m.data.index;
      } catch (e) {
        const code = errnoName(e);
        return { ok: false, ...(code ? { code } : {}), error: `${what}: interface ${r.dev}: ${errnoText(code)}` };
      }
    }
    if (r.metric !== undefined) attrs['priority'] = r.metric;
    // Tables above 255 only fit the RTA_TABLE attribute; rtm_table then says RT_TABLE_UNSPEC (0).
    if (table > 255) attrs['table'] = table;
    const data: Netlink.rt.Route = {
      family: dst.family === 'ipv4' ? AF_INET : AF_INET6,
      dstLen: dst.len,
      table: table > 255 ? 0 : table,
      // Not in the package's enum (it predates RTPROT_KEEPALIVED); the kernel takes any value.
      protocol: RTPROT_KEEPALIVED as Netlink.rt.RouteProtocol,
      scope,
      type,
    };
    try {
      if (op === 'add') await this.sock.newRoute(data, attrs, { flags: NLM_F_CREATE | NLM_F_EXCL });
      else await this.sock.delRoute(data, attrs);
      return { ok: true, changed: true };
    } catch (e) {
      const code = errnoName(e);
      if (op === 'add' && code === 'EEXIST') return { ok: true, changed: false };
      if (op === 'remove' && (code === 'ESRCH' || code === 'ENOENT')) return { ok: true, changed: false };
      return { ok: false, ...(code ? { code } : {}), error: `${what}: ${errnoText(code)}` };
    }
  }

  add(r: RouteSpec): Promise<RouteResult> {
    return this.change('add', r);
  }

  remove(r: RouteSpec): Promise<RouteResult> {
    return this.change('remove', r);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.socket.close();
  }
}
