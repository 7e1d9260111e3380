/**
 * The VRRP instance statechart (RFC 5798 §6.4, RFC 3768 §6.4, keepalived 2.2.7), pure.
 *
 * States: INIT → BACKUP ⇄ MASTER, FAULT from/to both, STOP at the end. Every effect is an action
 * of one named kind, `vrrp`, whose params are a contract `VrrpAction`; nothing is executed here.
 * `createVrrpStepper` drives the chart with xstate's pure stepping — the machine's transition
 * function with an inert scope that collects actions instead of running them (pure-step.ts, the
 * same thing xstate's `transition()` does, proven equal in test/machines/purity.test.ts) — and
 * hands the `vrrp` params to the engine in order. The two steady-state inputs take a shortcut
 * through the chart's own action builders (steadyStep below, proven equal on random sequences).
 * Timers are actions too (armTimer / cancelTimer), their expiries come back as `timer` inputs;
 * there is no clock and no I/O in this folder.
 *
 * Where keepalived and the RFC differ, the code follows keepalived (the daemon users replace) and
 * says so, except where noted:
 * - MASTER receiving a lower-priority advert: RFC discards it; keepalived answers with an advert
 *   (unless lower_prio_no_advert) and, with garp_lower_prio_repeat, a GARP burst.
 * - MASTER → FAULT sends a priority-0 advert (keepalived), so the backups take over after skew time.
 * - preempt_delay is keepalived's (the RFC has none): while it runs, lower-priority adverts still
 *   reset the Master_Down_Timer; once it has elapsed they are ignored, so the take-over comes one
 *   master-down interval later ("it cannot speed up taking over as master", keepalived.conf(5)).
 * - MASTER → BACKUP on a higher-priority advert learns Master_Adver_Interval from that advert
 *   (RFC 5798 §6.4.3); keepalived 2.2.7 resets it to its own interval.
 *
 * Split brain (keepalived-ts's choice, on unless strict_mode): after a partition heals, two
 * masters hear each other. Whichever advert crosses first, the clients must end up on the winner
 * within one advert interval:
 * 1. The winner hears the loser first. A lower-priority advert is proof that another router
 *    believed itself master and may own the clients' ARP caches, so the winner answers with an
 *    advert and a GARP burst. keepalived does this too when garp_lower_prio_repeat is set (its
 *    default is vrrp_garp_master_repeat); here a 0 falls back to garp_master_repeat, so the burst
 *    always goes out (only strict_mode turns it off, as in keepalived).
 * 2. The loser hears the winner first: keepalived steps down silently, the winner never hears a
 *    lower-priority advert, sends no GARP, and the clients keep the loser's MAC until their ARP
 *    entries expire. Here the loser sends one advert at its own priority as it steps down
 *    (keepalived's higher_prio_send_advert, made the default), so the winner hears a
 *    lower-priority advert and rule 1 applies: the GARP goes out two network hops after the
 *    winner's first advert, well within one advert interval of the heal.
 * With a real keepalived peer: as the winner it GARPs in both orders as long as the loser is
 * keepalived-ts (rule 2 feeds its garp_lower_prio_repeat); as the loser it steps down silently
 * unless configured with higher_prio_send_advert, so a keepalived-ts winner cannot know in order 2
 * and only garp_master_refresh (if set) corrects the clients.
 */
import { and, not, setup, type SnapshotFrom } from 'xstate';
import type { GlobalDefs, VrrpInstance } from '../../config/types.js';
import type {
  SendAdvert,
  Transition,
  TransitionReason,
  VrrpAction,
  VrrpInput,
  VrrpInstanceView,
  VrrpState,
  VrrpStepResult,
  VrrpStepper,
  VrrpTimer,
} from './contract.js';
import { compareAddresses } from './address.js';
import {
  Effects,
  applyTrackInput,
  faultReason,
  initialContext,
  type DownCause,
  type SyncGroupInputFrom,
  type VrrpContext,
  type VrrpEvent,
} from './context.js';
import { createPureStepper } from './pure-step.js';
import { withContext, type OptionalKeys } from '../snapshot.js';
import { deriveSettings, type VrrpSettings, type VrrpStepperOptions } from './settings.js';
import { csToMs, masterDownIntervalMs, skewTimeMs } from './timers.js';

export type { VrrpStepperOptions } from './settings.js';

export interface VrrpMachineInput {
  settings: VrrpSettings;
}

/** Run a pure effect builder and hand its results to xstate: context patch, then effects in order. */
function run(build: (fx: Effects) => void) {
  return vrrpSetup.enqueueActions(({ context, event, enqueue }) => {
    const fx = new Effects(context, event);
    build(fx);
    const patch = fx.contextPatch();
    if (patch) enqueue.assign(patch);
    for (const a of fx.out) enqueue({ type: 'vrrp', params: a });
  });
}

/** Record the reason of the transition being taken. */
function because(reason: (ctx: VrrpContext, ev: VrrpEvent) => TransitionReason) {
  return run((fx) => fx.set({ reason: reason(fx.ctx, fx.ev), transitions: fx.ctx.transitions + 1 }));
}

// ---- policies -------------------------------------------------------------------------------

function advert(s: VrrpSettings, priority: number): SendAdvert {
  return {
    type: 'sendAdvert',
    version: s.version,
    vrid: s.vrid,
    priority,
    maxAdverIntCs: s.advertIntCs,
    addresses: s.advertAddresses,
  };
}

/**
 * GARP burst size when a MASTER hears a lower-priority advert (split-brain rule 1):
 * garp_lower_prio_repeat, or garp_master_repeat when that is 0. strict_mode forbids it
 * (keepalived: "Strict mode requires no repeat garps").
 */
export function lowerPrioGarpRepeat(s: VrrpSettings): number {
  if (s.strictMode) return 0;
  return s.garpLowerPrioRepeat > 0 ? s.garpLowerPrioRepeat : s.garpMasterRepeat;
}

/** Whether a MASTER answers a lower-priority advert (keepalived; strict_mode forces lower_prio_no_advert). */
export function answersLowerPrio(s: VrrpSettings): boolean {
  return !s.lowerPrioNoAdvert && !s.strictMode;
}

/**
 * Whether a MASTER announces itself once more before yielding (split-brain rule 2): always,
 * i.e. keepalived's higher_prio_send_advert is on by default here; strict_mode clears it, as
 * keepalived does ("strict mode requires higher_prio_send_advert to be clear").
 */
export function advertBeforeYield(s: VrrpSettings): boolean {
  return !s.strictMode;
}

/** Is the advert's sender ahead of us (higher priority, or equal and higher address)? */
function senderWins(ctx: VrrpContext, ev: VrrpEvent): boolean {
  if (ev.type !== 'advert') return false;
  if (ev.priority !== ctx.effectivePriority) return ev.priority > ctx.effectivePriority;
  const ours = ctx.s.primaryAddress;
  // Unknown own address: yield on ties (deterministic; the engine always passes the address).
  if (ours === undefined) return true;
  const cmp = compareAddresses(ev.src, ours);
  return cmp !== undefined && cmp > 0;
}

function senderLoses(ctx: VrrpContext, ev: VrrpEvent): boolean {
  if (ev.type !== 'advert' || ev.priority === 0) return false;
  if (ev.priority !== ctx.effectivePriority) return ev.priority < ctx.effectivePriority;
  const ours = ctx.s.primaryAddress;
  if (ours === undefined) return false;
  const cmp = compareAddresses(ev.src, ours);
  return cmp !== undefined && cmp < 0;
}

/** BACKUP: RFC "Preempt_Mode False, or priority ≥ ours" — plus keepalived's running preempt_delay. */
export function holdsBackup(ctx: VrrpContext, ev: VrrpEvent): boolean {
  return (
    ev.type === 'advert' &&
    ev.priority !== 0 &&
    (!ctx.s.preempt || ev.priority >= ctx.effectivePriority || (ctx.s.preemptDelayMs > 0 && !ctx.preemptDelayElapsed))
  );
}

/** BACKUP hears a master it keeps: re-arm Master_Down_Timer (and keepalived's preempt_delay). */
export function heardMaster(fx: Effects): void {
  const ev = fx.ev;
  if (ev.type !== 'advert') return;
  const { s } = fx.ctx;
  // v3 learns Master_Adver_Interval from the advert (RFC 5798 §6.4.2); v2 intervals must match
  // and are checked before the machine.
  const learnt = s.version === 3 && ev.maxAdverIntCs > 0 ? ev.maxAdverIntCs : fx.ctx.masterAdverIntCs;
  const intervalMs = downInterval(fx.ctx, fx.ctx.effectivePriority, learnt);
  fx.arm('masterDown', intervalMs);
  const ctx = fx.ctx;
  const dc = ctx.downCause;
  // The same master with the same fields again (the steady state): those fields already say so.
  const unchanged =
    dc.kind === 'timeout' && dc.intervalMs === intervalMs && dc.lastMaster === ev.src &&
    ctx.masterAdverIntCs === learnt && ctx.masterAddress === ev.src && ctx.masterPriority === ev.priority;
  if (!unchanged) {
    fx.set({ masterAdverIntCs: learnt, masterAddress: ev.src, masterPriority: ev.priority, downCause: { kind: 'timeout', intervalMs, lastMaster: ev.src } });
  }
  if (s.preempt && s.preemptDelayMs > 0) {
    if (ev.priority >= fx.ctx.effectivePriority) {
      // A master we would not preempt: any running preempt delay starts again later.
      fx.cancel('preemptDelay');
      fx.set({ preemptDelayElapsed: false });
    } else if (!fx.isArmed('preemptDelay') && !fx.ctx.preemptDelayElapsed) {
      fx.arm('preemptDelay', s.preemptDelayMs);
    }
  }
}

/** MASTER's Adver_Timer fired: advertise and re-arm. */
export function advertTick(fx: Effects): void {
  fx.emit(advert(fx.ctx.s, fx.ctx.effectivePriority));
  fx.arm('advert', csToMs(fx.ctx.s.advertIntCs));
}

function downInterval(ctx: VrrpContext, priority = ctx.effectivePriority, adverIntCs = ctx.masterAdverIntCs): number {
  return masterDownIntervalMs(ctx.s.version, priority, adverIntCs);
}

function isDown(ctx: VrrpContext): boolean {
  return ctx.ownFault || ctx.groupFaults.length > 0;
}

function syncFrom(ev: VrrpEvent): SyncGroupInputFrom | undefined {
  return ev.type === 'syncGroup' ? (ev as SyncGroupInputFrom) : undefined;
}

/** groupFaults after a syncGroup input: FAULT adds its sender, BACKUP/MASTER clear it. */
function groupFaultsAfter(ctx: VrrpContext, ev: VrrpEvent): string[] {
  const sg = syncFrom(ev);
  if (!sg) return ctx.groupFaults;
  const from = sg.from ?? '';
  if (sg.state === 'FAULT') return ctx.groupFaults.includes(from) ? ctx.groupFaults : [...ctx.groupFaults, from];
  // Without a sender we cannot tell whose fault cleared: the group as a whole is up again.
  if (sg.from === undefined) return [];
  return ctx.groupFaults.filter((m) => m !== from);
}

function syncReason(ctx: VrrpContext, ev: VrrpEvent): TransitionReason {
  const sg = syncFrom(ev);
  return { code: 'syncGroup', group: ctx.s.syncGroup ?? sg?.group ?? '', state: sg?.state ?? '' };
}

// ---- effect builders ------------------------------------------------------------------------

function enterMaster(fx: Effects): void {
  const { s, effectivePriority } = fx.ctx;
  fx.emit(advert(s, effectivePriority));
  fx.emit({ type: 'addVips', addresses: s.vipAddresses });
  if (s.garpMasterRepeat > 0 && s.vipAddresses.length > 0) {
    fx.emit({ type: 'sendGarp', addresses: s.vipAddresses, repeat: s.garpMasterRepeat });
  }
  if (s.garpMasterDelayMs > 0) fx.arm('garpDelay', s.garpMasterDelayMs);
  if (s.garpMasterRefreshMs > 0) fx.arm('garpRefresh', s.garpMasterRefreshMs);
  fx.emit({ type: 'notify', state: 'MASTER', priority: effectivePriority });
  fx.arm('advert', csToMs(s.advertIntCs));
  const patch: Partial<VrrpContext> = { masterAdverIntCs: s.advertIntCs, preemptDelayElapsed: false };
  if (s.primaryAddress !== undefined) patch.masterAddress = s.primaryAddress;
  patch.masterPriority = effectivePriority;
  fx.set(patch);
}

/**
 * What a MASTER says as it leaves, before anything else (keepalived's order): priority 0 when it
 * stops or fails (vrrp_state_leave_master / vrrp_restore_interface), so the backups take over
 * after their skew time; its own priority when it yields to a better advert (split-brain rule 2).
 */
function farewellAdvert(ctx: VrrpContext, ev: VrrpEvent): SendAdvert | undefined {
  switch (ev.type) {
    case 'shutdown':
      return advert(ctx.s, 0);
    case 'interface':
    case 'script':
      return applyTrackInput(ctx, ev).ownFault || ctx.groupFaults.length > 0 ? advert(ctx.s, 0) : undefined;
    case 'syncGroup':
      return ev.state === 'FAULT' ? advert(ctx.s, 0) : undefined;
    case 'advert':
      return senderWins(ctx, ev) && advertBeforeYield(ctx.s) ? advert(ctx.s, ctx.effectivePriority) : undefined;
    default:
      return undefined;
  }
}

function exitMaster(fx: Effects): void {
  const farewell = farewellAdvert(fx.ctx, fx.ev);
  if (farewell) fx.emit(farewell);
  for (const t of ['advert', 'garpDelay', 'garpRefresh', 'garpLowerPrio'] as const) fx.cancel(t);
  fx.emit({ type: 'removeVips', addresses: fx.ctx.s.vipAddresses });
}

function enterBackup(fx: Effects): void {
  const { effectivePriority } = fx.ctx;
  fx.emit({ type: 'notify', state: 'BACKUP', priority: effectivePriority });
  const intervalMs = downInterval(fx.ctx);
  fx.arm('masterDown', intervalMs);
  const cause: DownCause = { kind: 'timeout', intervalMs };
  if (fx.ctx.masterAddress !== undefined) cause.lastMaster = fx.ctx.masterAddress;
  fx.set({ downCause: cause });
}

function exitBackup(fx: Effects): void {
  fx.cancel('masterDown');
  fx.cancel('preemptDelay');
}

/** Coming (back) up into BACKUP from INIT / FAULT, or down from MASTER by the group: our own interval. */
function resetMasterInfo(fx: Effects): void {
  fx.set({ masterAdverIntCs: fx.ctx.s.advertIntCs, masterAddress: undefined, masterPriority: undefined, preemptDelayElapsed: false });
}

/** Interface / script input: new status, priority; a BACKUP's running Master_Down_Timer follows. */
function applyTrack(fx: Effects): void {
  const u = applyTrackInput(fx.ctx, fx.ev);
  if (!u.relevant) return;
  fx.set({ status: u.status, effectivePriority: u.effectivePriority, ownFault: u.ownFault });
  const armed = fx.ctx.armed.masterDown;
  if (u.effectivePriority !== fx.ctx.effectivePriority && armed !== undefined) {
    // keepalived (vrrp_set_effective_priority): the down timer keeps its start and takes the
    // skew of the new priority.
    const cause = fx.ctx.downCause;
    const interval =
      cause.kind === 'masterStopped'
        ? skewTimeMs(fx.ctx.s.version, u.effectivePriority, fx.ctx.masterAdverIntCs)
        : downInterval(fx.ctx, u.effectivePriority);
    fx.rearmFrom('masterDown', armed.at, interval);
    if (cause.kind === 'timeout') fx.set({ downCause: { ...cause, intervalMs: interval } });
  }
}

// ---- the statechart ---------------------------------------------------------------------------

const timerArmed = (t: VrrpTimer) => ({ type: 'timerFired' as const, params: { timer: t } });

const vrrpSetup = setup({
  types: {
    context: {} as VrrpContext,
    events: {} as VrrpEvent,
    input: {} as VrrpMachineInput,
  },
  actions: {
    // The one effect kind. Its params are the contract action; the engine performs it.
    vrrp: (_args, _params: VrrpAction) => {},
  },
  guards: {
    /** A timer input for a timer we armed (a stale expiry is ignored). */
    timerFired: ({ context, event }, params: { timer: VrrpTimer }) =>
      event.type === 'timer' && event.timer === params.timer && context.armed[params.timer] !== undefined,
    notStarted: ({ context }) => !context.started,
    hasStartupDelay: ({ context }) => context.s.startupDelayMs > 0,
    down: ({ context }) => isDown(context),
    owner: ({ context }) => context.s.owner,
    advertPriorityZero: ({ event }) => event.type === 'advert' && event.priority === 0,
    /** BACKUP: RFC "Preempt_Mode False, or priority ≥ ours" — plus keepalived's running preempt_delay. */
    advertHoldsBackup: ({ context, event }) => holdsBackup(context, event),
    senderWins: ({ context, event }) => senderWins(context, event),
    senderLoses: ({ context, event }) => senderLoses(context, event),
    trackFaults: ({ context, event }) => {
      const u = applyTrackInput(context, event);
      return u.relevant && (u.ownFault || context.groupFaults.length > 0);
    },
    trackRecovers: ({ context, event }) => {
      const u = applyTrackInput(context, event);
      return u.relevant && !u.ownFault && context.groupFaults.length === 0;
    },
    /** In FAULT, our own fault starts or ends while the group still holds us: the group must hear it. */
    ownFaultFlips: ({ context, event }) => {
      const u = applyTrackInput(context, event);
      return u.relevant && u.ownFault !== context.ownFault;
    },
    syncSays: ({ event }, params: { state: 'MASTER' | 'BACKUP' | 'FAULT' }) =>
      event.type === 'syncGroup' && event.state === params.state,
    syncReleases: ({ context, event }) => !context.ownFault && groupFaultsAfter(context, event).length === 0,
  },
});

export const vrrpMachine = vrrpSetup.createMachine({
  id: 'vrrp',
  context: ({ input }) => initialContext(input.settings),
  initial: 'INIT',
  states: {
    INIT: {
      exit: run((fx) => fx.cancel('startupDelay')),
      on: {
        startup: [
          // vrrp_startup_delay: nothing happens before it expires.
          {
            guard: and(['notStarted', 'hasStartupDelay']),
            actions: run((fx) => {
              fx.set({ started: true });
              fx.arm('startupDelay', fx.ctx.s.startupDelayMs);
            }),
          },
          { guard: and(['notStarted', 'down']), target: 'FAULT', actions: [run((fx) => fx.set({ started: true })), because(startupFaultReason)] },
          // RFC 5798 §6.4.1: the address owner becomes MASTER at once. keepalived 2.2.7 starts any
          // other router as BACKUP, even with `state MASTER`, and waits for the master-down interval.
          { guard: and(['notStarted', 'owner']), target: 'MASTER', actions: [run((fx) => fx.set({ started: true })), because(() => ({ code: 'ownerStartup' }))] },
          { guard: 'notStarted', target: 'BACKUP', actions: [run((fx) => { fx.set({ started: true }); resetMasterInfo(fx); }), because(() => ({ code: 'startup' }))] },
        ],
        timer: [
          { guard: and([timerArmed('startupDelay'), 'down']), target: 'FAULT', actions: because(startupFaultReason) },
          { guard: and([timerArmed('startupDelay'), 'owner']), target: 'MASTER', actions: because(() => ({ code: 'ownerStartup' })) },
          { guard: timerArmed('startupDelay'), target: 'BACKUP', actions: [run(resetMasterInfo), because(() => ({ code: 'startup' }))] },
        ],
        interface: { actions: run(applyTrack) },
        script: { actions: run(applyTrack) },
        syncGroup: { actions: run((fx) => fx.set({ groupFaults: groupFaultsAfter(fx.ctx, fx.ev) })) },
        shutdown: { target: 'STOP', actions: because(() => ({ code: 'shutdown' })) },
      },
    },

    BACKUP: {
      entry: run(enterBackup),
      exit: run(exitBackup),
      on: {
        advert: [
          {
            // RFC 5798 §6.4.2: priority 0 — the master is stopping; take over after Skew_Time.
            guard: 'advertPriorityZero',
            actions: run((fx) => {
              if (fx.ev.type !== 'advert') return;
              fx.arm('masterDown', skewTimeMs(fx.ctx.s.version, fx.ctx.effectivePriority, fx.ctx.masterAdverIntCs));
              fx.set({ masterAddress: fx.ev.src, masterPriority: 0, downCause: { kind: 'masterStopped', from: fx.ev.src } });
            }),
          },
          { guard: 'advertHoldsBackup', actions: run(heardMaster) },
          {
            // Preempting a lower-priority master: discard its adverts, the timer runs out.
            actions: run((fx) => {
              if (fx.ev.type !== 'advert') return;
              fx.set({ masterAddress: fx.ev.src, masterPriority: fx.ev.priority, downCause: { kind: 'preempt', from: fx.ev.src, priority: fx.ev.priority } });
            }),
          },
        ],
        timer: [
          { guard: timerArmed('masterDown'), target: 'MASTER', actions: because(masterDownReason) },
          { guard: timerArmed('preemptDelay'), actions: run((fx) => { fx.expired('preemptDelay'); fx.set({ preemptDelayElapsed: true }); }) },
        ],
        interface: [
          { guard: 'trackFaults', target: 'FAULT', actions: [run(applyTrack), because(trackFaultReason)] },
          { actions: run(applyTrack) },
        ],
        script: [
          { guard: 'trackFaults', target: 'FAULT', actions: [run(applyTrack), because(trackFaultReason)] },
          { actions: run(applyTrack) },
        ],
        syncGroup: [
          { guard: { type: 'syncSays', params: { state: 'FAULT' as const } }, target: 'FAULT', actions: [run(applySync), because(syncReason)] },
          { guard: and([{ type: 'syncSays', params: { state: 'MASTER' as const } }, not('down')]), target: 'MASTER', actions: [run(applySync), because(syncReason)] },
          { actions: run(applySync) },
        ],
        shutdown: { target: 'STOP', actions: because(() => ({ code: 'shutdown' })) },
      },
    },

    MASTER: {
      entry: run(enterMaster),
      exit: run(exitMaster),
      on: {
        advert: [
          {
            // A stopping router's priority-0 advert: answer at once so the others keep us
            // (RFC 5798 §6.4.3, keepalived).
            guard: 'advertPriorityZero',
            actions: run((fx) => {
              fx.emit(advert(fx.ctx.s, fx.ctx.effectivePriority));
              fx.arm('advert', csToMs(fx.ctx.s.advertIntCs));
            }),
          },
          {
            guard: 'senderWins',
            target: 'BACKUP',
            actions: [
              run((fx) => {
                const ev = fx.ev;
                if (ev.type !== 'advert') return;
                const { s } = fx.ctx;
                // (The split-brain rule 2 advert went out on exit, before the VIPs were removed.)
                const learnt = s.version === 3 && ev.maxAdverIntCs > 0 ? ev.maxAdverIntCs : s.advertIntCs;
                fx.set({ masterAdverIntCs: learnt, masterAddress: ev.src, masterPriority: ev.priority, preemptDelayElapsed: false });
              }),
              because((ctx, ev) => ({
                code: 'higherPriorityAdvert',
                from: ev.type === 'advert' ? ev.src : '',
                priority: ev.type === 'advert' ? ev.priority : 0,
                ourPriority: ctx.effectivePriority,
              })),
            ],
          },
          {
            // Split-brain rule 1: another router believed itself master.
            guard: 'senderLoses',
            actions: run((fx) => {
              const { s } = fx.ctx;
              if (answersLowerPrio(s)) {
                fx.emit(advert(s, fx.ctx.effectivePriority));
                fx.arm('advert', csToMs(s.advertIntCs));
              }
              const repeat = lowerPrioGarpRepeat(s);
              if (repeat > 0 && s.vipAddresses.length > 0) {
                fx.emit({ type: 'sendGarp', addresses: s.vipAddresses, repeat });
                if (s.garpLowerPrioDelayMs > 0) fx.arm('garpLowerPrio', s.garpLowerPrioDelayMs);
              }
            }),
          },
          // Equal priority from our own address (our echo): nothing to do.
        ],
        timer: [
          { guard: timerArmed('advert'), actions: run(advertTick) },
          {
            guard: timerArmed('garpDelay'),
            actions: run((fx) => {
              fx.expired('garpDelay');
              const { s } = fx.ctx;
              if (s.garpMasterRepeat > 0 && s.vipAddresses.length > 0) fx.emit({ type: 'sendGarp', addresses: s.vipAddresses, repeat: s.garpMasterRepeat });
            }),
          },
          {
            guard: timerArmed('garpRefresh'),
            actions: run((fx) => {
              const { s } = fx.ctx;
              if (s.garpMasterRefreshRepeat > 0 && s.vipAddresses.length > 0) fx.emit({ type: 'sendGarp', addresses: s.vipAddresses, repeat: s.garpMasterRefreshRepeat });
              fx.arm('garpRefresh', s.garpMasterRefreshMs);
            }),
          },
          {
            guard: timerArmed('garpLowerPrio'),
            actions: run((fx) => {
              fx.expired('garpLowerPrio');
              const repeat = lowerPrioGarpRepeat(fx.ctx.s);
              if (repeat > 0 && fx.ctx.s.vipAddresses.length > 0) fx.emit({ type: 'sendGarp', addresses: fx.ctx.s.vipAddresses, repeat });
            }),
          },
        ],
        interface: [
          { guard: 'trackFaults', target: 'FAULT', actions: [run(applyTrack), because(trackFaultReason)] },
          { actions: run(applyTrack) },
        ],
        script: [
          { guard: 'trackFaults', target: 'FAULT', actions: [run(applyTrack), because(trackFaultReason)] },
          { actions: run(applyTrack) },
        ],
        syncGroup: [
          { guard: { type: 'syncSays', params: { state: 'FAULT' as const } }, target: 'FAULT', actions: [run(applySync), because(syncReason)] },
          { guard: { type: 'syncSays', params: { state: 'BACKUP' as const } }, target: 'BACKUP', actions: [run(applySync), run(resetMasterInfo), because(syncReason)] },
          { actions: run(applySync) },
        ],
        // Graceful stop: the priority-0 advert goes out on exit (farewellAdvert).
        shutdown: { target: 'STOP', actions: because(() => ({ code: 'shutdown' })) },
      },
    },

    FAULT: {
      entry: run((fx) => fx.emit({ type: 'notify', state: 'FAULT', priority: fx.ctx.effectivePriority })),
      on: {
        interface: [
          { guard: and(['trackRecovers', 'owner']), target: 'MASTER', actions: [run(applyTrack), run(resetMasterInfo), because(trackRecoverReason)] },
          { guard: 'trackRecovers', target: 'BACKUP', actions: [run(applyTrack), run(resetMasterInfo), because(trackRecoverReason)] },
          // Still held down by the group, but our own fault started or ended: the group must know
          // (sync-group.ts turns this FAULT→FAULT transition into inputs for the others).
          { guard: 'ownFaultFlips', actions: [run(applyTrack), because(trackFlipReason)] },
          { actions: run(applyTrack) },
        ],
        script: [
          { guard: and(['trackRecovers', 'owner']), target: 'MASTER', actions: [run(applyTrack), run(resetMasterInfo), because(trackRecoverReason)] },
          { guard: 'trackRecovers', target: 'BACKUP', actions: [run(applyTrack), run(resetMasterInfo), because(trackRecoverReason)] },
          { guard: 'ownFaultFlips', actions: [run(applyTrack), because(trackFlipReason)] },
          { actions: run(applyTrack) },
        ],
        syncGroup: [
          { guard: and([{ type: 'syncSays', params: { state: 'MASTER' as const } }, 'syncReleases']), target: 'MASTER', actions: [run(applySync), run(resetMasterInfo), because(syncReason)] },
          { guard: and([{ type: 'syncSays', params: { state: 'BACKUP' as const } }, 'syncReleases']), target: 'BACKUP', actions: [run(applySync), run(resetMasterInfo), because(syncReason)] },
          { actions: run(applySync) },
        ],
        shutdown: { target: 'STOP', actions: because(() => ({ code: 'shutdown' })) },
      },
    },

    // Absorbing: a stopped instance takes no input (a reload that re-adds it builds a new one).
    STOP: {
      entry: run((fx) => fx.emit({ type: 'notify', state: 'STOP', priority: fx.ctx.effectivePriority })),
    },
  },
});

function applySync(fx: Effects): void {
  fx.set({ groupFaults: groupFaultsAfter(fx.ctx, fx.ev) });
}

function startupFaultReason(ctx: VrrpContext): TransitionReason {
  // The first unweighted object that is down (our own interface comes first).
  for (const t of ctx.s.tracks) {
    if (t.weight !== 0) continue;
    const ok = (t.kind === 'interface' ? ctx.status.interfaces : ctx.status.scripts)[t.name] ?? true;
    if (ok === t.reverse) return faultReason(t, t.name);
  }
  return { code: 'syncGroup', group: ctx.s.syncGroup ?? '', state: 'FAULT' };
}

function masterDownReason(ctx: VrrpContext): TransitionReason {
  const c = ctx.downCause;
  if (c.kind === 'masterStopped') return { code: 'masterStopped', from: c.from };
  if (c.kind === 'preempt') return { code: 'preempt', from: c.from, priority: c.priority, ourPriority: ctx.effectivePriority };
  const r: TransitionReason = { code: 'masterDownTimeout', masterDownIntervalMs: c.intervalMs };
  if (c.lastMaster !== undefined) r.lastMaster = c.lastMaster;
  return r;
}

function trackFaultReason(ctx: VrrpContext, ev: VrrpEvent): TransitionReason {
  // ctx already carries the new status (applyTrack ran first); name what this input broke.
  if (ev.type === 'interface') return { code: 'interfaceDown', name: ev.name };
  if (ev.type === 'script') return { code: 'scriptFailed', name: ev.name };
  return startupFaultReason(ctx);
}

function trackRecoverReason(_ctx: VrrpContext, ev: VrrpEvent): TransitionReason {
  if (ev.type === 'interface') return { code: 'interfaceUp', name: ev.name };
  if (ev.type === 'script') return { code: 'scriptRecovered', name: ev.name };
  return { code: 'startup' };
}

function trackFlipReason(ctx: VrrpContext, ev: VrrpEvent): TransitionReason {
  return ctx.ownFault ? trackFaultReason(ctx, ev) : trackRecoverReason(ctx, ev);
}

// ---- the stepper --------------------------------------------------------------------------------

export type VrrpSnapshot = SnapshotFrom<typeof vrrpMachine>;

function collect(actions: ReadonlyArray<{ type: string; params?: unknown }>): VrrpAction[] {
  const out: VrrpAction[] = [];
  for (const a of actions) if (a.type === 'vrrp') out.push(a.params as VrrpAction);
  return out;
}

function stateOf(snapshot: VrrpSnapshot): VrrpState {
  return snapshot.value as VrrpState;
}

/**
 * The steady state, without xstate: a BACKUP re-arming its Master_Down_Timer on its master's
 * advert, and a MASTER's advert timer. They are nearly every input of a healthy network (one per
 * advert interval per instance), and a pass through xstate costs ~30 µs where these cost ~1 µs.
 * Only the exact cases where the chart takes that one targetless transition come here, and they
 * run the chart's own action builders (heardMaster, advertTick) on the same context, so the
 * result is the chart's; test/machines/fast-path.test.ts checks it against the chart on random
 * input sequences. Everything else (and everything with preempt_delay) goes through xstate.
 */
function steadyStep(snapshot: VrrpSnapshot, input: VrrpInput): VrrpStepResult<VrrpSnapshot> | undefined {
  const ctx = snapshot.context;
  let build: ((fx: Effects) => void) | undefined;
  if (snapshot.value === 'BACKUP') {
    if (input.type === 'advert' && holdsBackup(ctx, input) && !(ctx.s.preempt && ctx.s.preemptDelayMs > 0)) build = heardMaster;
  } else if (snapshot.value === 'MASTER') {
    if (input.type === 'timer' && input.timer === 'advert' && ctx.armed.advert !== undefined) build = advertTick;
  }
  if (build === undefined) return undefined;
  const fx = new Effects(ctx, input);
  build(fx);
  const patch = fx.contextPatch();
  // The same shallow copy xstate makes of a snapshot whose context changed (cloneMachineSnapshot).
  const next = patch ? withContext(snapshot, patchedContext(ctx, patch)) : snapshot;
  return { snapshot: next, actions: fx.out };
}

/**
 * `{ ...ctx, ...patch }`, written out. Spreading objects of several hidden classes (xstate's
 * contexts and ours) sends V8 down its generic copy: it was most of a steady step's cost. A literal
 * with every field gives one hidden class; the optional fields are copied only when present, so
 * the result has exactly the spread's fields (OPTIONAL_CONTEXT_FIELDS makes the compiler name any
 * optional field added to VrrpContext here; a required one it names by itself).
 */
function patchedContext(ctx: VrrpContext, patch: Partial<VrrpContext>): VrrpContext {
  const c: VrrpContext = {
    s: ctx.s,
    status: ctx.status,
    effectivePriority: ctx.effectivePriority,
    ownFault: ctx.ownFault,
    groupFaults: ctx.groupFaults,
    masterAdverIntCs: ctx.masterAdverIntCs,
    armed: ctx.armed,
    started: ctx.started,
    preemptDelayElapsed: ctx.preemptDelayElapsed,
    downCause: ctx.downCause,
    reason: ctx.reason,
    transitions: ctx.transitions,
  };
  if ('masterAddress' in ctx) c.masterAddress = ctx.masterAddress;
  if ('masterPriority' in ctx) c.masterPriority = ctx.masterPriority;
  return Object.assign(c, patch);
}

/** Compile-time list of VrrpContext's optional fields: patchedContext copies each of them. */
const OPTIONAL_CONTEXT_FIELDS: Record<OptionalKeys<VrrpContext>, true> = { masterAddress: true, masterPriority: true };
void OPTIONAL_CONTEXT_FIELDS;

/**
 * Pure stepping of one instance (contract.ts VrrpStepper). `opts` is keepalived-ts's extension of
 * the contract: our primary address (for the equal-priority tie-break, when unicast_src_ip is not
 * set), the vrrp_script blocks (default weights, init_fail) and the sync group (its tracking).
 */
export function createVrrpStepper(
  instance: VrrpInstance,
  globals: GlobalDefs,
  opts: VrrpStepperOptions = {},
): VrrpStepper<VrrpSnapshot> {
  const settings = deriveSettings(instance, globals, opts);
  const pure = createPureStepper(vrrpMachine, { settings });
  const fast = opts.fastPath !== false;
  return {
    init(_at: number): VrrpStepResult<VrrpSnapshot> {
      const [snapshot, actions] = pure.initial();
      return { snapshot, actions: collect(actions) };
    },
    step(snapshot: VrrpSnapshot, input: VrrpInput): VrrpStepResult<VrrpSnapshot> {
      if (fast) {
        const r = steadyStep(snapshot, input);
        if (r) return r;
      }
      const from = stateOf(snapshot);
      const before = snapshot.context.transitions;
      const [next, actions] = pure.step(snapshot, input);
      const result: VrrpStepResult<VrrpSnapshot> = { snapshot: next, actions: collect(actions) };
      if (next.context.transitions !== before) {
        const t: Transition = { from, to: stateOf(next), reason: next.context.reason };
        result.transition = t;
      }
      return result;
    },
    view(snapshot: VrrpSnapshot): VrrpInstanceView {
      const c = snapshot.context;
      const v: VrrpInstanceView = {
        name: c.s.name,
        state: stateOf(snapshot),
        effectivePriority: c.effectivePriority,
        masterAdverIntCs: c.masterAdverIntCs,
      };
      if (c.masterAddress !== undefined) v.masterAddress = c.masterAddress;
      return v;
    },
  };
}
