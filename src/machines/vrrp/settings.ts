import type { GlobalDefs, VrrpInstance, VrrpScript, VrrpSyncGroup } from '../../config/types.js';
import { advertIntCs } from './timers.js';
import type { TrackSpec } from './priority.js';

/**
 * What the machine needs from the configuration, derived once per instance: plain data, so it can
 * live in the statechart's context and snapshots stay serialisable.
 */
export interface VrrpSettings {
  name: string;
  version: 2 | 3;
  vrid: number;
  /** Configured priority (keepalived's base_priority). */
  basePriority: number;
  owner: boolean;
  /** Our own Advertisement_Interval, cs. */
  advertIntCs: number;
  preempt: boolean;
  preemptDelayMs: number;
  /** Our primary address, for the equal-priority tie-break; undefined if unknown. */
  primaryAddress?: string;
  interface: string;
  /** Addresses carried in adverts (virtual_ipaddress). */
  advertAddresses: string[];
  /** Addresses installed / announced while MASTER (virtual_ipaddress + _excluded). */
  vipAddresses: string[];
  tracks: TrackSpec[];
  /** Scripts whose first status is "failed" (vrrp_script init_fail). */
  scriptsInitFailed: string[];
  garpMasterRepeat: number;
  garpMasterDelayMs: number;
  garpMasterRefreshMs: number;
  garpMasterRefreshRepeat: number;
  garpLowerPrioRepeat: number;
  garpLowerPrioDelayMs: number;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  strictMode: boolean;
  startupDelayMs: number;
  syncGroup?: string;
}

export interface VrrpStepperOptions {
  /** Our primary address on the instance's interface (used when unicast_src_ip is not set). */
  primaryAddress?: string;
  /** The configured vrrp_script blocks: default weight / reverse / init_fail of a track_script. */
  vrrpScripts?: readonly VrrpScript[];
  /** The sync group the instance belongs to: its track_interface / track_script apply too. */
  syncGroup?: VrrpSyncGroup;
  /**
   * Take the two steady-state inputs (a BACKUP hearing its master, a MASTER's advert timer)
   * without going through xstate (default true). Same results, ~20× faster; see machine.ts.
   */
  fastPath?: boolean;
}

function nonNegative(n: number | undefined, fallback: number): number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : fallback;
}

export function deriveSettings(instance: VrrpInstance, globals: GlobalDefs, opts: VrrpStepperOptions = {}): VrrpSettings {
  const version: 2 | 3 = instance.version === 3 ? 3 : 2;
  const scripts = new Map((opts.vrrpScripts ?? []).map((s) => [s.name, s] as const));
  const tracks: TrackSpec[] = [
    // The instance's own interface is always tracked, unweighted (keepalived: unless
    // dont_track_primary, which the config model does not carry).
    { kind: 'interface', name: instance.interface, weight: 0, reverse: false },
  ];
  const addTracks = (list: VrrpInstance['trackInterface'], kind: 'interface' | 'script'): void => {
    for (const t of list) {
      if (kind === 'script' && t.weight === undefined) {
        // "An unspecified weight means that the default weight declared in the script will be used."
        const s = scripts.get(t.name);
        tracks.push({ kind, name: t.name, weight: s?.weight ?? 0, reverse: s ? s.weightReverse || t.reverse : t.reverse });
      } else {
        tracks.push({ kind, name: t.name, weight: t.weight ?? 0, reverse: t.reverse });
      }
    }
  };
  addTracks(instance.trackInterface, 'interface');
  addTracks(instance.trackScript, 'script');
  if (opts.syncGroup) {
    addTracks(opts.syncGroup.trackInterface, 'interface');
    addTracks(opts.syncGroup.trackScript, 'script');
  }
  const scriptsInitFailed = [...scripts.values()]
    .filter((s) => s.initFail && tracks.some((t) => t.kind === 'script' && t.name === s.name))
    .map((s) => s.name);

  const primaryAddress = instance.unicastSrcIp ?? opts.primaryAddress;
  const vipAddresses = [
    ...instance.virtualIpaddress.map((v) => v.address),
    ...instance.virtualIpaddressExcluded.map((v) => v.address),
  ];
  const settings: VrrpSettings = {
    name: instance.name,
    version,
    vrid: instance.virtualRouterId,
    basePriority: instance.priority,
    owner: instance.priority >= 255,
    advertIntCs: advertIntCs(version, instance.advertIntMs),
    // keepalived (vrrp_complete_instance): nopreempt is reset for an owner and with `state
    // MASTER` ("nopreempt will not work with initial state MASTER - clearing"); preempt_delay is
    // cleared by `state MASTER`, by nopreempt and by strict mode.
    preempt: instance.preempt || instance.priority >= 255 || instance.initialState === 'MASTER',
    preemptDelayMs:
      instance.preempt && !instance.strictMode && instance.initialState !== 'MASTER' ? nonNegative(instance.preemptDelayMs, 0) : 0,
    interface: instance.interface,
    advertAddresses: instance.virtualIpaddress.map((v) => v.address),
    vipAddresses,
    tracks,
    scriptsInitFailed,
    garpMasterRepeat: nonNegative(instance.garpMasterRepeat, 5),
    garpMasterDelayMs: nonNegative(instance.garpMasterDelayMs, 0),
    garpMasterRefreshMs: nonNegative(instance.garpMasterRefreshMs, 0),
    garpMasterRefreshRepeat: nonNegative(instance.garpMasterRefreshRepeat, 1),
    garpLowerPrioRepeat: nonNegative(instance.garpLowerPrioRepeat, 0),
    garpLowerPrioDelayMs: nonNegative(instance.garpLowerPrioDelayMs, 0),
    lowerPrioNoAdvert: instance.lowerPrioNoAdvert,
    higherPrioSendAdvert: instance.higherPrioSendAdvert,
    strictMode: instance.strictMode,
    startupDelayMs: nonNegative(globals.vrrpStartupDelayMs, 0),
  };
  if (primaryAddress !== undefined) settings.primaryAddress = primaryAddress;
  if (instance.syncGroup !== undefined) settings.syncGroup = instance.syncGroup;
  else if (opts.syncGroup) settings.syncGroup = opts.syncGroup.name;
  return settings;
}
