/**
 * Effective priority of each instance as its tracked scripts and interfaces change, computed from
 * the recorded configuration with the machine's own rules (src/machines/vrrp/priority.ts), so the
 * timeline can say "track_script chk_nginx failed: weight -60 → priority 90" even when the drop
 * changed no state (the machine logs a transition only for a change of state).
 */
import type { KeepalivedConfig } from '../config/types.js';
import { computePriority, type TrackSpec, type TrackStatus } from '../machines/vrrp/priority.js';
import { deriveSettings } from '../machines/vrrp/settings.js';

export interface PriorityChange {
  from: number;
  to: number;
  /** "track_script chk_nginx failed: weight -60" */
  by: string;
}

interface Tracked {
  base: number;
  tracks: TrackSpec[];
  status: { interfaces: Record<string, boolean>; scripts: Record<string, boolean> };
  effective: number;
}

export class PriorityTracker {
  private readonly byInstance = new Map<string, Tracked>();

  constructor(config: KeepalivedConfig) {
    const groups = new Map<string, KeepalivedConfig['vrrpSyncGroups'][number]>();
    for (const g of config.vrrpSyncGroups) for (const m of g.group) groups.set(m, g);
    for (const inst of config.vrrpInstances) {
      const g = groups.get(inst.name);
      const s = deriveSettings(inst, config.globalDefs, { vrrpScripts: config.vrrpScripts, ...(g ? { syncGroup: g } : {}) });
      const status = { interfaces: {} as Record<string, boolean>, scripts: {} as Record<string, boolean> };
      for (const name of s.scriptsInitFailed) status.scripts[name] = false;
      const t: Tracked = { base: s.basePriority, tracks: s.tracks, status, effective: 0 };
      t.effective = computePriority(t.base, t.tracks, status as TrackStatus).effective;
      this.byInstance.set(inst.name, t);
    }
  }

  priorityOf(instance: string): number | undefined {
    return this.byInstance.get(instance)?.effective;
  }

  /** A script or interface input reached the instance: the change of priority it makes, if any. */
  apply(instance: string, kind: 'script' | 'interface', name: string, ok: boolean): PriorityChange | undefined {
    const t = this.byInstance.get(instance);
    if (t === undefined) return undefined;
    const table = kind === 'script' ? t.status.scripts : t.status.interfaces;
    table[name] = ok;
    const before = t.effective;
    t.effective = computePriority(t.base, t.tracks, t.status).effective;
    if (t.effective === before) return undefined;
    const spec = t.tracks.find((s) => s.kind === kind && s.name === name && s.weight !== 0);
    const word = kind === 'script' ? (ok ? 'recovered' : 'failed') : ok ? 'up' : 'down';
    const weight = spec ? `: weight ${spec.weight}${spec.reverse ? ' reverse' : ''}` : '';
    return { from: before, to: t.effective, by: `${kind === 'script' ? 'track_script' : 'track_interface'} ${name} ${word}${weight}` };
  }
}
