/**
 * Several nodes' timelines as one: every entry on the reference node's clock (align.ts), in time
 * order, so "what did each node see" reads top to bottom.
 */
import { alignClocks, type Alignment } from './align.js';
import { dateCrashes } from './crash.js';
import type { NodeScan, TimelineEntry } from './timeline.js';

export interface MergedTimeline {
  nodes: string[];
  alignment: Alignment;
  entries: TimelineEntry[];
}

export interface MergeOptions {
  /** Keep entries at or after this time (reference clock, ms since the epoch). */
  since?: number;
  until?: number;
}

export function mergeTimelines(scans: readonly NodeScan[], opts: MergeOptions = {}): MergedTimeline {
  const nodes = scans.map((s) => s.node);
  const alignment = alignClocks(
    nodes,
    scans.flatMap((s) => s.sends),
    scans.flatMap((s) => s.receives),
  );
  for (const s of scans) {
    const off = alignment.offsets.get(s.node)?.offsetMs ?? 0;
    for (const e of s.entries) e.time = e.wallTime - off;
  }
  dateCrashes(scans, alignment);
  const entries: TimelineEntry[] = [];
  for (const s of scans) {
    for (const e of s.entries) {
      if (opts.since !== undefined && e.time < opts.since) continue;
      if (opts.until !== undefined && e.time > opts.until) continue;
      entries.push(e);
    }
  }
  const order = new Map(nodes.map((n, i) => [n, i]));
  // Stable within a node (seq order); nodes in the order given when two entries share a time.
  entries.sort((a, b) => a.time - b.time || (a.node === b.node ? a.seq - b.seq : order.get(a.node)! - order.get(b.node)!));
  return { nodes, alignment, entries };
}
