import { Subject } from 'rxjs';
import type { Scheduler } from '../engine/scheduler.js';
import type { ReceivedVrrpPacket, VrrpPacket, VrrpTransport } from '../engine/transport.js';
import { Prng } from './prng.js';

/**
 * The simulated LAN: routers' interfaces attached to segments (layer-2 broadcast domains), on the one
 * virtual clock of a scheduler. Product code: `simulate` and the property tests run on it, the engine
 * cannot tell it from raw sockets (same VrrpTransport).
 *
 * Delivery rules:
 * - multicast (224.0.0.0/4, ff00::/8) reaches every OTHER up interface of the same family on the
 *   segment (no loopback to the sender, as keepalived turns IP_MULTICAST_LOOP off);
 * - unicast reaches the interface on the segment that holds the destination address, if any;
 * - per directed link (sender node → receiver node): delay + uniform jitter, loss, duplication,
 *   reordering (a packet held back so later ones overtake it), TTL decrement (`hops`);
 * - partitions cut links between groups of nodes; an interface that is down neither sends nor
 *   receives (packets in flight to it are dropped on arrival).
 * Randomness comes from one seeded PRNG, so a run replays exactly from its seed.
 */

export interface LinkProps {
  /** Base one-way delay, ms. */
  delayMs: number;
  /** Extra uniform delay in [0, jitterMs), ms. */
  jitterMs: number;
  /** Probability a packet is lost. */
  loss: number;
  /** Probability a packet is delivered twice. */
  duplicate: number;
  /** Probability a packet is held back by `reorderDelayMs` (later packets overtake it). */
  reorder: number;
  reorderDelayMs: number;
  /** Routers between the two (each decrements the TTL); 0 on a LAN. */
  hops: number;
}

export const DEFAULT_LINK: LinkProps = {
  delayMs: 0.1,
  jitterMs: 0,
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderDelayMs: 5,
  hops: 0,
};

export interface SimLanStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Not sent or not delivered because of a partition or an interface down. */
  blocked: number;
  /** Unicast to an address nobody on the segment holds. */
  unroutable: number;
}

interface SimInterface {
  node: SimNode;
  ifname: string;
  segment: string;
  addresses: Set<string>;
  up: boolean;
  /** Links to the other interfaces on the segment; rebuilt when the segment changes. */
  links: SimLink[];
}

interface SimLink {
  to: SimInterface;
  props: LinkProps;
  cut: boolean;
}

interface SimNode {
  name: string;
  interfaces: Map<string, SimInterface>;
  subject: Subject<ReceivedVrrpPacket>;
  transport: VrrpTransport;
}

export function isMulticast(address: string): boolean {
  const c0 = address.charCodeAt(0);
  // IPv6 ff00::/8
  if (c0 === 0x66 || c0 === 0x46) {
    const c1 = address.charCodeAt(1);
    return c1 === 0x66 || c1 === 0x46;
  }
  const dot = address.indexOf('.');
  if (dot < 0) return false;
  const first = Number(address.slice(0, dot));
  return first >= 224 && first <= 239;
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return address.includes(':') ? 'ipv6' : 'ipv4';
}

export class SimLan {
  private readonly nodes = new Map<string, SimNode>();
  private readonly segments = new Map<string, SimInterface[]>();
  /** Overrides per directed node pair "from\u0000to". */
  private readonly linkOverrides = new Map<string, Partial<LinkProps>>();
  private readonly cuts = new Set<string>();
  private defaults: LinkProps;
  private readonly prng: Prng;
  readonly stats: SimLanStats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, blocked: 0, unroutable: 0 };

  constructor(
    private readonly scheduler: Scheduler,
    opts: { seed?: number; link?: Partial<LinkProps> } = {},
  ) {
    this.prng = new Prng(opts.seed ?? 1);
    this.defaults = { ...DEFAULT_LINK, ...opts.link };
  }

  /** Attach a node's interface to a segment with its addresses (the first is the primary). */
  attach(node: string, ifname: string, segment: string, addresses: string[]): void {
    const n = this.node(node);
    if (n.interfaces.has(ifname)) throw new Error(`${node}:${ifname} is already attached`);
    const iface: SimInterface = { node: n, ifname, segment, addresses: new Set(addresses), up: true, links: [] };
    n.interfaces.set(ifname, iface);
    const seg = this.segments.get(segment) ?? [];
    seg.push(iface);
    this.segments.set(segment, seg);
    this.rebuildLinks();
  }

  /** The node's transport: sends from its interfaces, receives what reaches them. */
  transport(node: string): VrrpTransport {
    return this.node(node).transport;
  }

  hasInterface(node: string, ifname: string): boolean {
    return this.nodes.get(node)?.interfaces.has(ifname) ?? false;
  }

  /** Defaults for every link (existing overrides still apply on top). */
  setDefaults(props: Partial<LinkProps>): void {
    this.defaults = { ...this.defaults, ...props };
    this.rebuildLinks();
  }

  /** Properties of the directed link from → to (both ways when `bothWays`). */
  setLink(from: string, to: string, props: Partial<LinkProps>, bothWays = true): void {
    const set = (a: string, b: string): void => {
      const key = `${a}\u0000${b}`;
      this.linkOverrides.set(key, { ...this.linkOverrides.get(key), ...props });
    };
    set(from, to);
    if (bothWays) set(to, from);
    this.rebuildLinks();
  }

  /** Cut every link between a node of `a` and a node of `b` (both directions). */
  partition(a: string[], b: string[]): void {
    for (const x of a) for (const y of b) {
      this.cuts.add(`${x}\u0000${y}`);
      this.cuts.add(`${y}\u0000${x}`);
    }
    this.rebuildLinks();
  }

  /** Restore links cut between `a` and `b`, or every cut when called without arguments. */
  heal(a?: string[], b?: string[]): void {
    if (a === undefined || b === undefined) this.cuts.clear();
    else for (const x of a) for (const y of b) {
      this.cuts.delete(`${x}\u0000${y}`);
      this.cuts.delete(`${y}\u0000${x}`);
    }
    this.rebuildLinks();
  }

  setInterfaceUp(node: string, ifname: string, up: boolean): void {
    const iface = this.nodes.get(node)?.interfaces.get(ifname);
    if (iface === undefined) throw new Error(`no interface ${node}:${ifname} on the simulated LAN`);
    iface.up = up;
  }

  isInterfaceUp(node: string, ifname: string): boolean {
    return this.nodes.get(node)?.interfaces.get(ifname)?.up ?? false;
  }

  private node(name: string): SimNode {
    let n = this.nodes.get(name);
    if (n === undefined) {
      const subject = new Subject<ReceivedVrrpPacket>();
      const created: SimNode = {
        name,
        interfaces: new Map(),
        subject,
        transport: { send: (pkt) => this.send(created, pkt), receive$: subject.asObservable() },
      };
      n = created;
      this.nodes.set(name, n);
    }
    return n;
  }

  private rebuildLinks(): void {
    for (const seg of this.segments.values()) {
      for (const from of seg) {
        from.links = [];
        for (const to of seg) {
          if (to === from || to.node === from.node) continue;
          const key = `${from.node.name}\u0000${to.node.name}`;
          const over = this.linkOverrides.get(key);
          from.links.push({ to, props: over ? { ...this.defaults, ...over } : this.defaults, cut: this.cuts.has(key) });
        }
      }
    }
  }

  private send(node: SimNode, pkt: VrrpPacket): void {
    const iface = node.interfaces.get(pkt.ifname);
    this.stats.sent++;
    if (iface === undefined || !iface.up) {
      this.stats.blocked++;
      return;
    }
    const multicast = isMulticast(pkt.dst);
    let routed = false;
    for (const link of iface.links) {
      const to = link.to;
      if (multicast) {
        if (familyOf(pkt.dst) !== pkt.family) continue;
      } else if (!to.addresses.has(pkt.dst)) continue;
      routed = true;
      if (link.cut || !to.up) {
        this.stats.blocked++;
        continue;
      }
      this.transmit(link, pkt);
    }
    if (!multicast && !routed) this.stats.unroutable++;
  }

  /** One packet over one link: loss, delay, reordering, duplication. */
  private transmit(link: SimLink, pkt: VrrpPacket): void {
    const p = link.props;
    const prng = this.prng;
    if (prng.chance(p.loss)) {
      this.stats.lost++;
      return;
    }
    let delay = p.delayMs + (p.jitterMs > 0 ? prng.next() * p.jitterMs : 0);
    if (prng.chance(p.reorder)) {
      this.stats.reordered++;
      delay += p.reorderDelayMs;
    }
    const ttl = pkt.ttl === undefined ? undefined : pkt.ttl - p.hops;
    if (ttl !== undefined && ttl <= 0) {
      this.stats.lost++;
      return;
    }
    const received: ReceivedVrrpPacket = {
      ifname: link.to.ifname,
      family: pkt.family,
      src: pkt.src,
      dst: pkt.dst,
      ttl,
      payload: pkt.payload,
      at: 0,
    };
    this.scheduler.after(delay, () => this.arrive(link.to, received));
    if (prng.chance(p.duplicate)) {
      this.stats.duplicated++;
      // The copy trails the original by a few microseconds, like a duplicate off a switch.
      const copy: ReceivedVrrpPacket = { ...received };
      this.scheduler.after(delay + 0.01, () => this.arrive(link.to, copy));
    }
  }

  private arrive(to: SimInterface, pkt: ReceivedVrrpPacket): void {
    if (!to.up) {
      this.stats.blocked++;
      return;
    }
    this.stats.delivered++;
    pkt.at = this.scheduler.now();
    to.node.subject.next(pkt);
  }
}
