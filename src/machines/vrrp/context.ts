import type { TransitionReason, VrrpAction, VrrpInput, VrrpTimer } from './contract.js';
import { computePriority, type TrackSpec, type TrackStatus } from './priority.js';
import type { VrrpSettings } from './settings.js';
import { masterDownIntervalMs } from './timers.js';

/** A timer the machine believes armed: when (input time) and for how long. */
export interface ArmedTimer {
  at: number;
  delayMs: number;
}

/** Why the Master_Down_Timer is running: it names the transition when it expires. */
export type DownCause =
  | { kind: 'timeout'; intervalMs: number; lastMaster?: string }
  | { kind: 'masterStopped'; from: string }
  | { kind: 'preempt'; from: string; priority: number };

export interface VrrpContext {
  s: VrrpSettings;
  status: TrackStatus;
  effectivePriority: number;
  /** An unweighted tracked object (or our own interface) holds the instance down. */
  ownFault: boolean;
  /** Sync group members that reported a fault of their own (see sync-group.ts). */
  groupFaults: string[];
  /** Master_Adver_Interval (cs): learnt from the master's adverts in v3, else our own. */
  masterAdverIntCs: number;
  masterAddress?: string;
  masterPriority?: number;
  armed: Partial<Record<VrrpTimer, ArmedTimer>>;
  started: boolean;
  /** keepalived's preempt_time has passed: lower-priority adverts no longer hold us back. */
  preemptDelayElapsed: boolean;
  downCause: DownCause;
  /** The reason of the latest transition, and a counter the stepper watches to detect one. */
  reason: TransitionReason;
  transitions: number;
}

/** The events the statechart takes: the contract's inputs. */
export type VrrpEvent = VrrpInput;

/** A syncGroup input as sync-group.ts builds it: the contract's fields plus who sent it. */
export interface SyncGroupInputFrom {
  type: 'syncGroup';
  at: number;
  state: 'MASTER' | 'BACKUP' | 'FAULT';
  /** The member whose transition caused this input (keepalived-ts extension, optional). */
  from?: string;
  /** The sync group's name (keepalived-ts extension, optional). */
  group?: string;
}

export function initialContext(s: VrrpSettings): VrrpContext {
  const scripts: Record<string, boolean> = {};
  for (const name of s.scriptsInitFailed) scripts[name] = false;
  const status: TrackStatus = { interfaces: {}, scripts };
  const p = computePriority(s.basePriority, s.tracks, status);
  return {
    s,
    status,
    effectivePriority: p.effective,
    ownFault: p.faults.length > 0,
    groupFaults: [],
    masterAdverIntCs: s.advertIntCs,
    armed: {},
    started: false,
    preemptDelayElapsed: false,
    downCause: { kind: 'timeout', intervalMs: masterDownIntervalMs(s.version, p.effective, s.advertIntCs) },
    reason: { code: 'startup' },
    transitions: 0,
  };
}

/** The status after an interface / script input, and what it does to priority and faults. */
export interface TrackUpdate {
  status: TrackStatus;
  effectivePriority: number;
  ownFault: boolean;
  /** Unweighted objects that went down with this input. */
  newFaults: TrackSpec[];
  /** True when the input names something this instance tracks. */
  relevant: boolean;
}

export function applyTrackInput(ctx: VrrpContext, ev: VrrpEvent): TrackUpdate {
  if (ev.type !== 'interface' && ev.type !== 'script') {
    return { status: ctx.status, effectivePriority: ctx.effectivePriority, ownFault: ctx.ownFault, newFaults: [], relevant: false };
  }
  const kind = ev.type;
  const ok = ev.type === 'interface' ? ev.up : ev.ok;
  const relevant = ctx.s.tracks.some((t) => t.kind === kind && t.name === ev.name);
  if (!relevant) {
    return { status: ctx.status, effectivePriority: ctx.effectivePriority, ownFault: ctx.ownFault, newFaults: [], relevant };
  }
  const status: TrackStatus =
    kind === 'interface'
      ? { interfaces: { ...ctx.status.interfaces, [ev.name]: ok }, scripts: ctx.status.scripts }
      : { interfaces: ctx.status.interfaces, scripts: { ...ctx.status.scripts, [ev.name]: ok } };
  const before = computePriority(ctx.s.basePriority, ctx.s.tracks, ctx.status);
  const after = computePriority(ctx.s.basePriority, ctx.s.tracks, status);
  const newFaults = after.faults.filter((f) => !before.faults.includes(f));
  return { status, effectivePriority: after.effective, ownFault: after.faults.length > 0, newFaults, relevant };
}

/** The first unweighted object holding the instance down, as a transition reason. */
export function faultReason(spec: TrackSpec | undefined, fallbackName: string): TransitionReason {
  if (!spec) return { code: 'interfaceDown', name: fallbackName };
  return spec.kind === 'interface' ? { code: 'interfaceDown', name: spec.name } : { code: 'scriptFailed', name: spec.name };
}

/**
 * Collects what one statechart action does: context changes and output actions, with the
 * bookkeeping of armed timers (so a cancel is only emitted for a timer that is armed, and the
 * timer that just fired is not "cancelled" by the state it makes us leave).
 */
export class Effects {
  readonly out: VrrpAction[] = [];
  private readonly patch: Partial<VrrpContext> = {};
  private armed: Partial<Record<VrrpTimer, ArmedTimer>>;
  private armedChanged = false;

  constructor(
    readonly ctx: VrrpContext,
    readonly ev: VrrpEvent,
  ) {
    this.armed = ctx.armed;
  }

  get at(): number {
    return this.ev.at;
  }

  isArmed(timer: VrrpTimer): boolean {
    return this.armed[timer] !== undefined;
  }

  private writableArmed(): Partial<Record<VrrpTimer, ArmedTimer>> {
    if (!this.armedChanged) {
      this.armed = { ...this.armed };
      this.armedChanged = true;
    }
    return this.armed;
  }

  arm(timer: VrrpTimer, delayMs: number): void {
    const d = delayMs > 0 ? delayMs : 0;
    this.writableArmed()[timer] = { at: this.at, delayMs: d };
    this.out.push({ type: 'armTimer', timer, delayMs: d });
  }

  /** Cancel a timer if armed. The timer whose expiry is being handled is simply forgotten. */
  cancel(timer: VrrpTimer): void {
    if (this.armed[timer] === undefined) return;
    delete this.writableArmed()[timer];
    if (this.ev.type === 'timer' && this.ev.timer === timer) return;
    this.out.push({ type: 'cancelTimer', timer });
  }

  /**
   * Re-arm a timer so that it expires `intervalMs` after `startAt` (not after now): used when a
   * running Master_Down_Timer must follow a priority change without restarting.
   */
  rearmFrom(timer: VrrpTimer, startAt: number, intervalMs: number): void {
    const remaining = startAt + intervalMs - this.at;
    const d = remaining > 0 ? remaining : 0;
    this.writableArmed()[timer] = { at: startAt, delayMs: intervalMs };
    this.out.push({ type: 'armTimer', timer, delayMs: d });
  }

  /** The timer of this timer input has expired: it is no longer armed. */
  expired(timer: VrrpTimer): void {
    if (this.armed[timer] !== undefined) delete this.writableArmed()[timer];
  }

  emit(action: VrrpAction): void {
    this.out.push(action);
  }

  set(p: Partial<VrrpContext>): void {
    Object.assign(this.patch, p);
  }

  /** The accumulated context patch (undefined when nothing changed). */
  contextPatch(): Partial<VrrpContext> | undefined {
    if (this.armedChanged) this.patch.armed = this.armed;
    return Object.keys(this.patch).length > 0 ? this.patch : undefined;
  }
}
