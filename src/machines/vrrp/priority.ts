/**
 * Effective priority and "is the instance up", from track_interface / track_script, as
 * keepalived 2.2.7 computes them (vrrp_track.c):
 *
 * - A tracked object with weight 0 is *unweighted*: its failure puts the instance in FAULT.
 *   `weight 0 reverse` inverts that: the instance is down while the object is up.
 * - A weighted object contributes to the priority with multiplier m = reverse ? −1 : 1:
 *   positive weight → w·m while the object is up, 0 while down;
 *   negative weight → 0 while up, w·m while down.
 * - The sum is clamped to 1..254; an address owner (configured priority 255) never moves.
 * - The instance's own interface is always tracked, unweighted.
 */

export type TrackKind = 'interface' | 'script';

export interface TrackSpec {
  kind: TrackKind;
  name: string;
  /** 0 = unweighted. */
  weight: number;
  reverse: boolean;
}

/** Current status of every tracked object: up (interface) / ok (script). */
export interface TrackStatus {
  interfaces: Readonly<Record<string, boolean>>;
  scripts: Readonly<Record<string, boolean>>;
}

export const PRIORITY_OWNER = 255;

export function statusOf(spec: TrackSpec, status: TrackStatus): boolean {
  const table = spec.kind === 'interface' ? status.interfaces : status.scripts;
  return table[spec.name] ?? true;
}

/** The priority contribution of one weighted object in the given status. */
export function trackContribution(weight: number, reverse: boolean, ok: boolean): number {
  const m = reverse ? -1 : 1;
  if (weight > 0) return ok ? weight * m : 0;
  if (weight < 0) return ok ? 0 : weight * m;
  return 0;
}

/** True when an unweighted object in this status puts the instance down. */
export function trackFaults(weight: number, reverse: boolean, ok: boolean): boolean {
  return weight === 0 && ok === reverse;
}

export interface PriorityResult {
  /** Configured priority plus weights, before clamping (keepalived's total_priority). */
  total: number;
  /** What goes in adverts and elections. */
  effective: number;
  /** The unweighted objects that currently hold the instance down, in configuration order. */
  faults: TrackSpec[];
}

export function computePriority(basePriority: number, specs: readonly TrackSpec[], status: TrackStatus): PriorityResult {
  let total = basePriority;
  const faults: TrackSpec[] = [];
  for (const spec of specs) {
    const ok = statusOf(spec, status);
    if (spec.weight === 0) {
      if (trackFaults(0, spec.reverse, ok)) faults.push(spec);
    } else {
      total += trackContribution(spec.weight, spec.reverse, ok);
    }
  }
  let effective: number;
  if (basePriority >= PRIORITY_OWNER) effective = PRIORITY_OWNER;
  else if (total < 1) effective = 1;
  else if (total >= PRIORITY_OWNER) effective = PRIORITY_OWNER - 1;
  else effective = total;
  return { total, effective, faults };
}
