/**
 * Clock alignment across nodes, from the adverts one node SENT (its `sendAdvert` effects) and another
 * RECEIVED (its `advert` inputs from that sender's address).
 *
 * For a packet sent at s (sender's clock) and received at r (receiver's clock),
 *   r − s = delay + θ,   θ = receiver's clock − sender's clock, delay ≥ 0.
 * Over many packets the smallest r − s in each direction is closest to the true delay:
 *   d_ab = min(r_b − s_a) = δ_ab + θ,   d_ba = min(r_a − s_b) = δ_ba − θ,
 *   θ = (d_ab − d_ba) / 2  ±  (d_ab + d_ba) / 2,
 * the NTP estimate: the error is at most half the round trip, and 0 when the two delays are equal.
 *
 * Which received advert is which sent one? The log keeps, as is, the first advert of each steady
 * stream (sender side: the first with new priority / interval / addresses; receiver side: the first
 * from that sender with those fields) and folds the rest into summaries. Pairs are the records with
 * the same VRID, sender address and fields. A receiver that joined a stream late pairs its first
 * advert with an earlier send (r − s too large by whole advert intervals), and a stream seen again
 * later (a restart) pairs with sends of another episode; so the pairs are clustered (r − s within a
 * window well under an advert interval), and in each direction the cluster that most received
 * adverts agree with, consistent with the other direction (a round trip ≥ 0), is taken.
 */

export interface AdvertPoint {
  node: string;
  vrid: number;
  /** Sender's address (a send: our primary address; a receive: the packet's source). */
  src: string;
  /** priority/interval/addresses */
  fields: string;
  /** The node's wall clock, ms. */
  wall: number;
  seq: number;
}

export interface NodeOffset {
  node: string;
  /** How far this node's clock is ahead of the reference node's, ms: reference time = wall − offsetMs. */
  offsetMs: number;
  /** The true offset lies in [low, high] (infinite when only one direction was seen). */
  low: number;
  high: number;
  /** Adverts paired to get it. */
  pairs: number;
  /** In words: "reference", "±0.100 ms from 12 adverts each way", "unknown: no advert exchanged". */
  how: string;
}

export interface Alignment {
  reference: string;
  offsets: Map<string, NodeOffset>;
}

interface Cluster {
  /** min r − s within the cluster */
  d: number;
  support: number;
}

const MAX_POINTS = 2000;

/** r − s for every receive on `to` of a send by `from` with the same VRID, source and fields. */
function differences(sends: readonly AdvertPoint[], receives: readonly AdvertPoint[], from: string, to: string): Array<{ d: number; r: number }> {
  const byKey = new Map<string, number[]>();
  for (const s of sends) {
    if (s.node !== from) continue;
    const k = `${s.vrid} ${s.src} ${s.fields}`;
    let list = byKey.get(k);
    if (list === undefined) byKey.set(k, (list = []));
    if (list.length < MAX_POINTS) list.push(s.wall);
  }
  const out: Array<{ d: number; r: number }> = [];
  let i = 0;
  for (const r of receives) {
    if (r.node !== to) continue;
    const list = byKey.get(`${r.vrid} ${r.src} ${r.fields}`);
    i++;
    if (list === undefined || i > MAX_POINTS) continue;
    for (const s of list) out.push({ d: r.wall - s, r: i });
  }
  return out;
}

/** Every window [d_i, d_i + W] with the number of distinct receives in it. */
function clusters(diffs: Array<{ d: number; r: number }>, windowMs: number): Cluster[] {
  const sorted = [...diffs].sort((a, b) => a.d - b.d);
  const out: Cluster[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i]!.d === sorted[i - 1]!.d) continue;
    const seen = new Set<number>();
    for (let j = i; j < sorted.length && sorted[j]!.d <= sorted[i]!.d + windowMs; j++) seen.add(sorted[j]!.r);
    out.push({ d: sorted[i]!.d, support: seen.size });
  }
  return out;
}

interface PairEstimate {
  /** θ = clock of `b` − clock of `a` */
  theta: number;
  low: number;
  high: number;
  pairs: number;
  how: string;
}

function estimatePair(sends: readonly AdvertPoint[], receives: readonly AdvertPoint[], a: string, b: string, windowMs: number): PairEstimate | undefined {
  const ab = clusters(differences(sends, receives, a, b), windowMs);
  const ba = clusters(differences(sends, receives, b, a), windowMs);
  if (ab.length > 0 && ba.length > 0) {
    let best: { x: Cluster; y: Cluster; rtt: number } | undefined;
    for (const x of ab) {
      for (const y of ba) {
        const rtt = x.d + y.d;
        // A round trip cannot be negative (1 µs of rounding allowed), nor longer than the window.
        if (rtt < -0.001 || rtt > 2 * windowMs) continue;
        const score = x.support + y.support;
        const bestScore = best ? best.x.support + best.y.support : -1;
        if (score > bestScore || (score === bestScore && rtt < best!.rtt)) best = { x, y, rtt };
      }
    }
    if (best !== undefined) {
      const rtt = Math.max(0, best.rtt);
      return {
        theta: (best.x.d - best.y.d) / 2,
        low: -best.y.d,
        high: best.x.d,
        pairs: best.x.support + best.y.support,
        how: `±${(rtt / 2).toFixed(3)} ms (half the round trip) from ${best.x.support} advert(s) ${a}→${b} and ${best.y.support} ${b}→${a}`,
      };
    }
  }
  const one = (list: Cluster[]): Cluster | undefined =>
    list.reduce<Cluster | undefined>((m, c) => (m === undefined || c.support > m.support || (c.support === m.support && c.d < m.d) ? c : m), undefined);
  const x = one(ab);
  if (x !== undefined) {
    return { theta: x.d, low: -Infinity, high: x.d, pairs: x.support, how: `at most ${x.d.toFixed(3)} ms (adverts seen ${a}→${b} only; delay taken as 0)` };
  }
  const y = one(ba);
  if (y !== undefined) {
    return { theta: -y.d, low: -y.d, high: Infinity, pairs: y.support, how: `at least ${(-y.d).toFixed(3)} ms (adverts seen ${b}→${a} only; delay taken as 0)` };
  }
  return undefined;
}

export interface AlignOptions {
  /** Width of a cluster of r − s, ms (default: 100, or less than half the shortest advert interval seen). */
  windowMs?: number;
}

/**
 * Offsets of every node against the first one (the reference). A node that exchanged no advert with
 * the reference is aligned through one that did; one that exchanged none at all keeps offset 0,
 * marked unknown.
 */
export function alignClocks(nodes: readonly string[], sends: readonly AdvertPoint[], receives: readonly AdvertPoint[], opts: AlignOptions = {}): Alignment {
  const reference = nodes[0] ?? '';
  const offsets = new Map<string, NodeOffset>();
  if (nodes.length === 0) return { reference, offsets };
  let shortest = Infinity;
  for (const list of [sends, receives]) {
    for (const p of list) {
      const ms = Number(p.fields.split('/')[1]) * 10;
      if (Number.isFinite(ms) && ms > 0 && ms < shortest) shortest = ms;
    }
  }
  const windowMs = opts.windowMs ?? Math.min(100, Number.isFinite(shortest) ? shortest / 2.5 : 100);
  offsets.set(reference, { node: reference, offsetMs: 0, low: 0, high: 0, pairs: 0, how: 'reference clock' });
  const pending = nodes.slice(1);
  let progress = true;
  while (pending.length > 0 && progress) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      const node = pending[i]!;
      let found: NodeOffset | undefined;
      for (const [known, k] of offsets) {
        const e = estimatePair(sends, receives, known, node, windowMs);
        if (e === undefined) continue;
        const via = known === reference ? '' : ` (via ${known})`;
        found = { node, offsetMs: k.offsetMs + e.theta, low: k.low + e.low, high: k.high + e.high, pairs: e.pairs, how: `${e.how}${via}` };
        break;
      }
      if (found !== undefined) {
        offsets.set(node, found);
        pending.splice(i--, 1);
        progress = true;
      }
    }
  }
  for (const node of pending) {
    offsets.set(node, { node, offsetMs: 0, low: -Infinity, high: Infinity, pairs: 0, how: 'unknown: no advert exchanged with the other nodes; clock taken as is' });
  }
  return { reference, offsets };
}
