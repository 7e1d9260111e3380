/**
 * The VRRP transport on real sockets: the Linux twin of the simulated LAN (src/adapters/sim-lan.ts),
 * implementing src/engine/transport.ts.
 *
 * One raw socket per interface and family (the kts_net addon, native/), shared by every instance on
 * it, as keepalived does:
 *  - IPv4 (Raw4Socket, IPPROTO_VRRP): SO_BINDTODEVICE, IP_HDRINCL with the header built by
 *    src/protocol (TTL 255, TOS 0xC0 as keepalived's vrrp_build_ip4, and the source we choose, which
 *    the v3 checksum's pseudo-header depends on), IP_MULTICAST_IF, loop off, IP_ADD_MEMBERSHIP per
 *    group. The kernel hands received packets over with their IP header: TTL, TOS, source and
 *    destination are read from it.
 *  - IPv6 (Raw6Socket): SO_BINDTODEVICE, IPV6_CHECKSUM at offset 6 (the kernel fills and
 *    checks the v3 checksum, as keepalived sets it), multicast interface / hops 255 / loop off,
 *    IPV6_ADD_MEMBERSHIP per group; each send carries the hop limit and the link-local source in
 *    ancillary data; receive reports the hop limit (IPV6_RECVHOPLIMIT), which RFC 5798 §7.1 checks.
 *
 * A received packet's `at` is when the kernel received it (SO_TIMESTAMPNS), not when JavaScript read
 * it: a backup's Master_Down_Timer counts from `at`, and an advert that waited in the socket while
 * the loop was busy or waking up must not make the master look later than it was.
 *
 * Steady watches (watchSteady): a BACKUP's engine may hand the socket its master's advert, and the
 * addon then counts the identical ones itself (native/steady_watch.h) and delivers them as runs, so
 * the steady state costs a recvmsg and a memcmp per advert instead of a trip through JavaScript.
 * Steady adverts (advertSteady) are the MASTER's twin: the socket sends the advert the engine last
 * sent for a VRID at every point of its timer's grid (native/steady_advert.h).
 *
 * The transport does not judge packets: everything that parses as IP goes to `receive$` and the
 * engine validates (TTL, VRID, auth, ...) and counts drops. Socket errors never throw out of
 * `send`: they go to `errors$` and the counters, so one bad interface cannot stop the others.
 */
import { Observable, Subject } from 'rxjs';
import type { ReceivedVrrpPacket, SteadyAdvertise, SteadyWatch, VrrpPacket, VrrpTransport } from '../../engine/transport.js';
import { addressBytesOrThrow, formatIpv6, parseAddress } from '../../protocol/address.js';
import { buildIpv4Header, parseIpv4Packet } from '../../protocol/ipv4-header.js';
import { IPPROTO_VRRP, VRRP_MULTICAST_IPV4, VRRP_MULTICAST_IPV6, VRRP_TTL } from '../../protocol/vrrp-packet.js';
import { interfaceLookup } from './link-monitor.js';
import { loadNative, type Raw4Socket, type Raw6Socket, type SteadyRunCallback } from './native.js';
import {
  errnoOf,
  errorText,
  IP_ADD_MEMBERSHIP,
  IP_HDRINCL,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  ipMreqn,
  IPV6_ADD_MEMBERSHIP,
  IPV6_CHECKSUM,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  IPV6_UNICAST_HOPS,
  ipv6Mreq,
} from './raw-socket-module.js';

/** keepalived's TOS for adverts: 0xC0, "internetwork control" (DSCP CS6). */
export const VRRP_TOS = 0xc0;
/** Offset of the VRRP checksum, for IPV6_CHECKSUM. */
const VRRP_CHECKSUM_OFFSET = 6;

/** What the Linux transport adds to a received packet: the IPv4 TOS byte and the receiving ifindex. */
export interface LinuxReceivedVrrpPacket extends ReceivedVrrpPacket {
  /** IPv4 TOS / DS byte as received (undefined for IPv6). */
  tos?: number;
  ifindex: number;
}

export interface TransportInterface {
  ifname: string;
  ifindex: number;
  family: 'ipv4' | 'ipv6';
  /**
   * Multicast groups to join: default the VRRP group (224.0.0.18 / ff02::12). An empty list for an
   * interface used by unicast_peer instances only (they receive unicast without joining).
   */
  groups?: string[];
}

export interface TransportError {
  ifname: string;
  family: 'ipv4' | 'ipv6';
  op: 'open' | 'send' | 'receive';
  code?: string;
  message: string;
}

export interface RawVrrpTransportOptions {
  /** The steady watches' kernel filter (default true). */
  kernelWatches?: boolean;
}

export interface TransportStats {
  sent: number;
  received: number;
  sendErrors: number;
  /** Bytes that did not parse as an IPv4 packet (never seen from a sane kernel). */
  malformed: number;
  /** Of `received`, the adverts steady watches counted (delivered in runs). */
  watched: number;
  /** Of `sent`, the adverts steady adverts sent from the addon. */
  sentSteady: number;
}

export type OpenResult = { ok: true } | { ok: false; error: TransportError };

interface Ipv4Endpoint {
  family: 'ipv4';
  spec: TransportInterface;
  socket: Raw4Socket;
  /** `at` of the last packet received on this socket (arrivalTime keeps it monotonic). */
  lastAt: number;
  /** Per VRID, the advert its watch counts (what a run's packet repeats). */
  watched: Array<LinuxReceivedVrrpPacket | undefined>;
  /** Per VRID, the last advert sent (what a steady advert repeats) and the steady advert's run handler. */
  lastSent: Array<VrrpPacket | undefined>;
  advertising: Array<SteadyAdvertise['onRun'] | undefined>;
}
interface Ipv6Endpoint {
  family: 'ipv6';
  spec: TransportInterface;
  socket: Raw6Socket;
  lastAt: number;
  watched: Array<LinuxReceivedVrrpPacket | undefined>;
  lastSent: Array<VrrpPacket | undefined>;
  advertising: Array<SteadyAdvertise['onRun'] | undefined>;
}
type Endpoint = Ipv4Endpoint | Ipv6Endpoint;

const codeOf = errnoOf;


/**
 * A VRRP socket's receive buffer (keepalived's vrrp_rx_bufs_policy, here always on): while a
 * daemon starts 50 instances at 10 ms adverts its loop is busy for a while, and 5,000 adverts a
 * second overflowed the default buffer (≈ 270 datagrams): the bench saw 29 drops at a backup's
 * start, and two of its instances, hearing nothing, took over for an advert or two. 4 MiB holds
 * about a second of that. SO_RCVBUFFORCE (root) passes net.core.rmem_max; without the privilege,
 * SO_RCVBUF gets what rmem_max allows.
 */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;

function enlargeReceiveBuffer(socket: { setOption(level: number, name: number, value: number | Uint8Array): void }): void {
  try {
    socket.setOption(SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER_BYTES);
  } catch {
    try {
      socket.setOption(SOL_SOCKET, SO_RCVBUF, RECEIVE_BUFFER_BYTES);
    } catch {
      // The default buffer then: adverts only risk being dropped under a long stall.
    }
  }
}

export class RawVrrpTransport implements VrrpTransport {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly rx = new Subject<LinuxReceivedVrrpPacket>();
  private readonly errors = new Subject<TransportError>();
  private ipId = 0;
  private closed = false;
  readonly stats: TransportStats = { sent: 0, received: 0, sendErrors: 0, malformed: 0, watched: 0, sentSteady: 0 };

  readonly receive$: Observable<LinuxReceivedVrrpPacket> = this.rx.asObservable();
  readonly errors$: Observable<TransportError> = this.errors.asObservable();

  /**
   * `now` is the engine's clock: every received packet is stamped on it (see arrivalTime).
   * `kernelWatches: false` keeps the steady watches' eBPF filter off (native/steady_bpf.h): every
   * advert then wakes the process, and the addon's software watch counts it.
   */
  constructor(
    private readonly now: () => number,
    private options: RawVrrpTransportOptions = {},
  ) {}

  /** Switch the steady watches' kernel filter on or off on every socket (and on those opened later). */
  setKernelWatches(on: boolean): void {
    this.options = { ...this.options, kernelWatches: on };
    for (const ep of this.endpoints.values()) ep.socket.kernelWatches(on);
  }

  /** What the sockets' steady watches did: datagrams read, adverts counted in the kernel instead, filters attached, refusals. */
  steadyCounters(): { reads: number; kernelHeard: number; kernelFilters: number; kernelErrors: string[]; senderThreads: number; senderRealtime: number; senderHeld: number; watchWakeups: number } {
    const c = { reads: 0, kernelHeard: 0, kernelFilters: 0, kernelErrors: [] as string[], senderThreads: 0, senderRealtime: 0, senderHeld: 0, watchWakeups: 0 };
    for (const ep of this.endpoints.values()) {
      try {
        const s = ep.socket.counters();
        c.reads += s.reads;
        c.kernelHeard += s.kernelHeard;
        if (s.kernelFilter) c.kernelFilters++;
        if (s.kernelError !== undefined) c.kernelErrors.push(`${ep.spec.ifname}/${ep.family}: ${s.kernelError}`);
        if (s.senderThread) c.senderThreads++;
        if (s.senderRealtime) c.senderRealtime++;
        c.senderHeld += s.senderHeld;
        c.watchWakeups += s.watchWakeups;
      } catch {
        // A closed socket counts nothing more.
      }
    }
    return c;
  }

  private static key(ifname: string, family: string): string {
    return `${family}/${ifname}`;
  }

  /** Open (or widen the groups of) the socket for one interface and family. */
  open(spec: TransportInterface): OpenResult {
    const fail = (e: unknown, what: string): OpenResult => {
      const code = codeOf(e);
      const error: TransportError = { ifname: spec.ifname, family: spec.family, op: 'open', message: `${what} on ${spec.ifname}: ${errorText(e)}`, ...(code ? { code } : {}) };
      this.errors.next(error);
      return { ok: false, error };
    };
    if (this.closed) return fail(new Error('transport closed'), 'open');
    const key = RawVrrpTransport.key(spec.ifname, spec.family);
    const groups = spec.groups ?? [spec.family === 'ipv4' ? VRRP_MULTICAST_IPV4 : VRRP_MULTICAST_IPV6];
    const existing = this.endpoints.get(key);
    let ep: Endpoint;
    if (existing) {
      ep = existing;
    } else {
      try {
        ep = spec.family === 'ipv4' ? this.openIpv4(spec) : this.openIpv6(spec);
      } catch (e) {
        return fail(e, `cannot open the ${spec.family} VRRP socket`);
      }
      this.endpoints.set(key, ep);
    }
    const joined = new Set(existing?.spec.groups ?? []);
    // spec.groups always says what is joined, even when a join below fails half way.
    ep.spec = { ...spec, groups: [...joined] };
    for (const g of groups) {
      if (joined.has(g)) continue;
      const parsed = parseAddress(g, spec.family);
      if (!parsed) return fail(new Error(`${g} is not an ${spec.family} address`), 'cannot join');
      try {
        if (ep.family === 'ipv4') ep.socket.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(parsed.bytes, spec.ifindex));
        else ep.socket.setOption(IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, ipv6Mreq(parsed.bytes, spec.ifindex));
      } catch (e) {
        return fail(e, `cannot join ${g}`);
      }
      joined.add(g);
      ep.spec = { ...spec, groups: [...joined] };
    }
    return { ok: true };
  }

  private openIpv4(spec: TransportInterface): Ipv4Endpoint {
    const native = loadNative();
    if (!native.ok) throw Object.assign(new Error(native.error), { code: 'ENOSYS' });
    const ep = { family: 'ipv4', spec, lastAt: -Infinity, watched: [], lastSent: [], advertising: [] } as unknown as Ipv4Endpoint;
    // The addon drains up to 64 datagrams per readable wake-up (keepalived's read loop), so a
    // backlog left by a busy loop is read in one turn, not one datagram per turn.
    const socket = new native.addon.Raw4Socket(spec.ifname, spec.ifindex, IPPROTO_VRRP, (err, packet, ageNs) => {
      if (err) {
        this.errors.next({ ifname: ep.spec.ifname, family: 'ipv4', op: 'receive', message: err.message, ...(err.code ? { code: err.code } : {}) });
        return;
      }
      if (packet) this.onIpv4(ep, packet, ageNs);
    }, this.onSteady(ep));
    try {
      socket.setOption(IPPROTO_IP, IP_HDRINCL, 1);
      socket.setOption(IPPROTO_IP, IP_MULTICAST_IF, ipMreqn(Buffer.alloc(4), spec.ifindex));
      socket.setOption(IPPROTO_IP, IP_MULTICAST_TTL, VRRP_TTL);
      socket.setOption(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
    } catch (e) {
      socket.close();
      throw e;
    }
    enlargeReceiveBuffer(socket);
    warmIpv4SendPath();
    if (this.options.kernelWatches === false) socket.kernelWatches(false);
    ep.socket = socket;
    return ep;
  }

  private openIpv6(spec: TransportInterface): Ipv6Endpoint {
    const native = loadNative();
    if (!native.ok) throw Object.assign(new Error(native.error), { code: 'ENOSYS' });
    const ep = { family: 'ipv6', spec, lastAt: -Infinity, watched: [], lastSent: [], advertising: [] } as unknown as Ipv6Endpoint;
    const socket = new native.addon.Raw6Socket(spec.ifname, spec.ifindex, IPPROTO_VRRP, (err, payload, src, dst, hopLimit, ifindex, ageNs) => {
      if (err) {
        this.errors.next({ ifname: ep.spec.ifname, family: 'ipv6', op: 'receive', message: err.message, ...(err.code ? { code: err.code } : {}) });
        return;
      }
      if (!payload || !src) return;
      this.stats.received++;
      const pkt: LinuxReceivedVrrpPacket = {
        ifname: ep.spec.ifname,
        family: 'ipv6',
        src: formatIpv6(src),
        dst: dst ? formatIpv6(dst) : '::',
        payload,
        at: this.stamp(ep, ageNs),
        ifindex: ifindex ?? ep.spec.ifindex,
      };
      if (hopLimit !== undefined && hopLimit >= 0) pkt.ttl = hopLimit;
      this.rx.next(pkt);
    }, this.onSteady(ep));
    try {
      socket.setOption(IPPROTO_IPV6, IPV6_CHECKSUM, VRRP_CHECKSUM_OFFSET);
      socket.setOption(IPPROTO_IPV6, IPV6_MULTICAST_IF, spec.ifindex);
      socket.setOption(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, VRRP_TTL);
      socket.setOption(IPPROTO_IPV6, IPV6_UNICAST_HOPS, VRRP_TTL);
      socket.setOption(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
    } catch (e) {
      socket.close();
      throw e;
    }
    enlargeReceiveBuffer(socket);
    if (this.options.kernelWatches === false) socket.kernelWatches(false);
    ep.socket = socket;
    return ep;
  }

  /** The addon's onSteady for `ep`: a watch's run, as its advert with `run` set, to `receive$`. */
  private onSteady(ep: Endpoint): SteadyRunCallback {
    return (vrid, count, firstAgeNs, lastAgeNs, maxGapNs, ended, kind, nextInNs, errors, errorCode) => {
      if (kind === 1) {
        const onRun = ep.advertising[vrid];
        if (onRun === undefined) return;
        if (ended) ep.advertising[vrid] = undefined;
        this.stats.sent += count;
        this.stats.sentSteady += count;
        if (errors > 0) {
          this.stats.sendErrors += errors;
          this.errors.next({ ifname: ep.spec.ifname, family: ep.family, op: 'send', message: `steady advert of VRID ${vrid} on ${ep.spec.ifname}: ${errorCode ?? 'error'}`, ...(errorCode ? { code: errorCode } : {}) });
        }
        const now = this.now();
        onRun({ count, firstAt: now - firstAgeNs / 1e6, lastAt: now - lastAgeNs / 1e6, maxGapMs: maxGapNs / 1e6, nextDueAt: now + nextInNs / 1e6, errors, ended });
        return;
      }
      const watched = ep.watched[vrid];
      if (watched === undefined) return;
      if (ended) ep.watched[vrid] = undefined;
      this.stats.received += count;
      this.stats.watched += count;
      const now = this.now();
      const at = Math.min(now, now - lastAgeNs / 1e6);
      this.rx.next({ ...watched, at, run: { count, firstAt: Math.min(at, now - firstAgeNs / 1e6), maxGapMs: maxGapNs / 1e6, ended } });
    };
  }

  /** VrrpTransport.watchSteady: the addon counts the adverts identical to `w.packet` from now on. */
  watchSteady(w: SteadyWatch): boolean {
    const p = w.packet;
    const ep = this.endpoints.get(RawVrrpTransport.key(p.ifname, p.family));
    if (ep === undefined || this.closed || p.payload.length < 8) return false;
    const src = parseAddress(p.src, p.family);
    const dst = parseAddress(p.dst, p.family);
    if (!src || !dst) return false;
    const vrid = p.payload[1]!;
    try {
      ep.socket.watch(vrid, src.bytes, dst.bytes, p.ttl ?? -1, p.payload, w.expireMs, w.handoverMs, Math.max(0, this.now() - p.at));
    } catch {
      return false;
    }
    const { run: _run, ...plain } = p as LinuxReceivedVrrpPacket;
    ep.watched[vrid] = { ...plain, payload: new Uint8Array(p.payload) } as LinuxReceivedVrrpPacket;
    return true;
  }

  /** VrrpTransport.advertSteady: the addon sends the advert last sent for that VRID on the grid. */
  advertSteady(req: SteadyAdvertise): boolean {
    const ep = this.endpoints.get(RawVrrpTransport.key(req.ifname, req.family));
    const pkt = ep?.lastSent[req.vrid];
    if (ep === undefined || pkt === undefined || this.closed) return false;
    try {
      const dst = addressBytesOrThrow(pkt.dst, pkt.family, 'dst');
      const ttl = pkt.ttl ?? VRRP_TTL;
      const dueIn = req.nextDueAt - this.now();
      if (ep.family === 'ipv4') {
        // The socket renews the id (and the checksum) at each send, from this one on.
        const header = buildIpv4Header({ src: pkt.src, dst: pkt.dst, protocol: IPPROTO_VRRP, payloadLength: pkt.payload.length, ttl, tos: VRRP_TOS, id: this.ipId });
        ep.socket.advertise(req.vrid, Buffer.concat([header, pkt.payload]), dst, null, ttl, req.intervalMs, dueIn);
      } else {
        ep.socket.advertise(req.vrid, pkt.payload, dst, addressBytesOrThrow(pkt.src, 'ipv6', 'src'), ttl, req.intervalMs, dueIn);
      }
    } catch {
      return false;
    }
    ep.advertising[req.vrid] = req.onRun;
    return true;
  }

  /** VrrpTransport.unadvertSteady: the steady advert's last run to its handler, now. */
  unadvertSteady(ifname: string, family: 'ipv4' | 'ipv6', vrid: number): void {
    const ep = this.endpoints.get(RawVrrpTransport.key(ifname, family));
    if (ep === undefined || ep.advertising[vrid] === undefined) return;
    try {
      ep.socket.unadvertise(vrid);
    } catch {
      // A closed socket sends nothing more.
    }
    ep.advertising[vrid] = undefined;
  }

  /** VrrpTransport.unwatchSteady: the watch's last run to `receive$`, now. */
  unwatchSteady(ifname: string, family: 'ipv4' | 'ipv6', vrid: number): void {
    const ep = this.endpoints.get(RawVrrpTransport.key(ifname, family));
    if (ep === undefined || ep.watched[vrid] === undefined) return;
    try {
      ep.socket.unwatch(vrid);
    } catch {
      // A closed socket has no run to give.
    }
    ep.watched[vrid] = undefined;
  }

  /** VrrpTransport.collectSteady: every watch's run so far to `receive$`, now. */
  collectSteady(): void {
    for (const ep of [...this.endpoints.values()]) {
      if (this.closed) return;
      try {
        ep.socket.collect();
      } catch {
        // A socket closed meanwhile has nothing to give.
      }
    }
  }

  /** `at` of a datagram received on `ep` now, `ageNs` old (see arrivalTime); remembered for the next. */
  private stamp(ep: Endpoint, ageNs: number | undefined): number {
    ep.lastAt = arrivalTime(this.now(), ageNs, ep.lastAt);
    return ep.lastAt;
  }

  private onIpv4(ep: Ipv4Endpoint, buf: Buffer, ageNs: number | undefined): void {
    const ip = parseIpv4Packet(buf);
    if (!ip.ok) {
      this.stats.malformed++;
      return;
    }
    this.stats.received++;
    this.rx.next({
      ifname: ep.spec.ifname,
      family: 'ipv4',
      src: ip.value.src,
      dst: ip.value.dst,
      ttl: ip.value.ttl,
      tos: ip.value.tos,
      payload: ip.value.payload,
      at: this.stamp(ep, ageNs),
      ifindex: ep.spec.ifindex,
    });
  }

  private sendError(pkt: VrrpPacket, message: string, code?: string): void {
    this.stats.sendErrors++;
    this.errors.next({ ifname: pkt.ifname, family: pkt.family, op: 'send', message, ...(code ? { code } : {}) });
  }

  /** Every datagram already queued on our sockets, to `receive$` now (VrrpTransport.drain). */
  drain(): void {
    for (const ep of [...this.endpoints.values()]) {
      if (this.closed) return;
      try {
        ep.socket.drain();
      } catch {
        // A socket closed meanwhile has nothing to give.
      }
    }
  }

  /** Send one advert; `pkt.ttl` (default 255) becomes the TTL / hop limit on the wire. */
  send(pkt: VrrpPacket): void {
    const ep = this.endpoints.get(RawVrrpTransport.key(pkt.ifname, pkt.family));
    if (!ep || this.closed) {
      this.sendError(pkt, `no ${pkt.family} VRRP socket on ${pkt.ifname}`, 'ENODEV');
      return;
    }
    const ttl = pkt.ttl ?? VRRP_TTL;
    if (pkt.payload.length >= 2) ep.lastSent[pkt.payload[1]!] = pkt;
    try {
      if (ep.family === 'ipv4') {
        this.ipId = (this.ipId + 1) & 0xffff;
        const header = buildIpv4Header({ src: pkt.src, dst: pkt.dst, protocol: IPPROTO_VRRP, payloadLength: pkt.payload.length, ttl, tos: VRRP_TOS, id: this.ipId });
        const frame = Buffer.concat([header, pkt.payload]);
        // One sendto, at once (keepalived's one sendmsg per advert): no queue behind the loop.
        ep.socket.send(frame, addressBytesOrThrow(pkt.dst, 'ipv4', 'dst'));
        this.stats.sent++;
      } else {
        const dst = addressBytesOrThrow(pkt.dst, 'ipv6', 'dst');
        const src = addressBytesOrThrow(pkt.src, 'ipv6', 'src');
        ep.socket.send(pkt.payload, dst, src, ttl);
        this.stats.sent++;
      }
    } catch (e) {
      this.sendError(pkt, `send on ${pkt.ifname} to ${pkt.dst}: ${errorText(e)}`, codeOf(e));
    }
  }

  /** Interfaces with an open socket. */
  interfaces(): TransportInterface[] {
    return [...this.endpoints.values()].map((e) => e.spec);
  }

  /** Close one interface's socket (interface deleted, instance removed on reload). */
  closeInterface(ifname: string, family: 'ipv4' | 'ipv6'): void {
    const key = RawVrrpTransport.key(ifname, family);
    const ep = this.endpoints.get(key);
    if (!ep) return;
    this.endpoints.delete(key);
    ep.socket.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ep of this.endpoints.values()) ep.socket.close();
    this.endpoints.clear();
    this.rx.complete();
    this.errors.complete();
  }
}

/** Where a node speaks VRRP: an interface, a family, and the groups (default the VRRP group; [] for unicast only). */
export interface TransportEndpointSpec {
  ifname: string;
  family: 'ipv4' | 'ipv6';
  groups?: string[];
}

/**
 * Open a transport for the engine: resolve each interface's index, open its socket and join its
 * groups. An interface that is missing or refuses is reported in `failures` and the others still
 * open (keepalived logs and carries on; the instance on it goes to FAULT).
 */
export async function openRawVrrpTransport(
  now: () => number,
  endpoints: TransportEndpointSpec[],
  options: RawVrrpTransportOptions = {},
): Promise<{ transport: RawVrrpTransport; failures: TransportError[] }> {
  const transport = new RawVrrpTransport(now, options);
  const failures: TransportError[] = [];
  for (const ep of endpoints) {
    let ifindex: number | undefined;
    try {
      ifindex = await interfaceLookup.ifindex(ep.ifname);
    } catch (e) {
      failures.push({ ifname: ep.ifname, family: ep.family, op: 'open', message: `cannot look up ${ep.ifname}: ${errorText(e)}` });
      continue;
    }
    if (ifindex === undefined) {
      failures.push({ ifname: ep.ifname, family: ep.family, op: 'open', code: 'ENODEV', message: `no interface ${ep.ifname}` });
      continue;
    }
    const r = transport.open({ ifname: ep.ifname, ifindex, family: ep.family, ...(ep.groups ? { groups: ep.groups } : {}) });
    if (!r.ok) failures.push(r.error);
  }
  return { transport, failures };
}

/**
 * When a datagram `ageNs` old (the addon's CLOCK_REALTIME now minus the kernel's SO_TIMESTAMPNS
 * stamp; -1 or undefined without a stamp) arrived, on the engine's clock whose time is `now`: that
 * much before now, whatever clock the engine runs on; now without a stamp. Never earlier than
 * `previous` (the last `at` on the same socket), so a wall clock stepped back between two stamps
 * cannot reorder them, and never later than now.
 */
export function arrivalTime(now: number, ageNs: number | undefined, previous: number): number {
  let at = ageNs !== undefined && ageNs >= 0 ? now - ageNs / 1e6 : now;
  if (at < previous) at = previous;
  if (at > now) at = now;
  return at;
}

let ipv4SendPathWarm = false;

/**
 * A backup sends nothing until it takes over, so its first advert used to pay the first-call
 * compilation of everything on the send path: the IPv4 header builder, Buffer.concat, the address
 * parse — 0.3 of the 0.7 ms that first send took (measured with raw-socket; a warm send takes
 * 0.1 ms), on the takeover's critical path. Run them once at open, on a frame that is not sent.
 */
function warmIpv4SendPath(): void {
  if (ipv4SendPathWarm) return;
  ipv4SendPathWarm = true;
  const header = buildIpv4Header({ src: '0.0.0.0', dst: VRRP_MULTICAST_IPV4, protocol: IPPROTO_VRRP, payloadLength: 8, ttl: VRRP_TTL, tos: VRRP_TOS, id: 0 });
  Buffer.concat([header, Buffer.alloc(8)]);
  addressBytesOrThrow(VRRP_MULTICAST_IPV4, 'ipv4', 'dst');
}
