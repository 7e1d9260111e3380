/**
 * Dating a crash. A process killed with SIGKILL writes nothing more, and the summaries it had open
 * are lost, so the last record of its run may be well before the crash. Its peers know better: the
 * last advert they heard from it (a kept advert, the end of a summary, or a master-down timeout,
 * which fires one master-down interval after the last advert). The crash came after the latest of
 * these, before the next advert would have been sent.
 */
import type { Alignment } from './align.js';
import type { NodeScan, RunInfo } from './timeline.js';

export interface CrashEstimate {
  /** Reference clock, ms: the latest sign of life. */
  lastAlive: number;
  /** The peer that saw it, if one saw it later than the node's own last record. */
  seenBy?: string;
}

export function lastAlive(scans: readonly NodeScan[], alignment: Alignment, scan: NodeScan, run: RunInfo): CrashEstimate {
  const off = (node: string): number => alignment.offsets.get(node)?.offsetMs ?? 0;
  const o = off(scan.node);
  const next = scan.runs[scan.runs.indexOf(run) + 1];
  const from = run.startWall - o;
  const to = next === undefined ? Infinity : next.startWall - o;
  const addresses = new Set(run.instances.map((i) => i.primaryAddress).filter((a): a is string => a !== undefined));
  const est: CrashEstimate = { lastAlive: run.endWall - o };
  for (const peer of scans) {
    if (peer === scan) continue;
    const po = off(peer.node);
    for (const h of peer.heard) {
      const t = h.wall - po;
      if (addresses.has(h.src) && t >= from && t < to && t > est.lastAlive) {
        est.lastAlive = t;
        est.seenBy = peer.node;
      }
    }
  }
  return est;
}

/** Move each crash entry of a merged timeline to its node's last sign of life. */
export function dateCrashes(scans: readonly NodeScan[], alignment: Alignment): void {
  for (const s of scans) {
    for (const run of s.runs) {
      if (run.end !== 'crash') continue;
      const e = s.entries.find((x) => x.kind === 'crash' && x.seq === run.endSeq);
      if (e === undefined) continue;
      const est = lastAlive(scans, alignment, s, run);
      e.time = est.lastAlive;
      if (est.seenBy !== undefined) e.text += `; last heard by ${est.seenBy} at this time`;
    }
  }
}
