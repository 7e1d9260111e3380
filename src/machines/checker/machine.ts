/**
 * The real-server checker statechart (keepalived 2.2.7 check_*.c epilogues and
 * update_svr_checker_state), pure.
 *
 * States: idle → up ⇄ down → stopped. Whether a probe is in flight is context, not a state: a
 * probe runs the same way up or down, and only its outcome moves the chart. Every effect is an
 * action of one kind, `checker`, whose params are a contract `CheckerAction`; nothing runs here.
 *
 * keepalived's semantics, as the chart has them:
 * - start: up, or down with alpha; the first probe comes after the warmup the engine drew.
 * - one probe at a time; after a settled result the next comes delay_loop later.
 * - a failure while up is retried `retry` times, delay_before_retry apart; the (retry+1)th
 *   consecutive failure takes the checker down. A success in between clears the count.
 * - a down checker keeps probing the same way (retries then delay_loop); ONE success brings it up.
 * - at start a single failure is enough (keepalived sets retry_it = retry before the first run),
 *   and an alpha checker's first failure re-announces "down" (its notify_down runs once).
 * - MISC_CHECK misc_dynamic: a success that carries a weight asks for that weight.
 * - ha_suspend: while the virtual server's address is not on this host the checker is suspended:
 *   no probe runs (one in flight is abandoned) and its state stays what it was — keepalived does
 *   not touch a real server on suspend. When the address comes back, the next probe comes one
 *   delay_loop later. (keepalived keeps a disabled checker's thread ticking every delay_loop, so
 *   its first probe comes at the next tick, at most one delay_loop later; here no timer runs while
 *   suspended, so the log stays quiet, and the first probe comes exactly one delay_loop later.)
 */
import { setup, type SnapshotFrom } from 'xstate';
import { withContext, type OptionalKeys } from '../snapshot.js';
import { createPureStepper, type PureStepper } from '../vrrp/pure-step.js';
import type {
  CheckerAction,
  CheckerCarried,
  CheckerInput,
  CheckerReason,
  CheckerSettings,
  CheckerState,
  CheckerStepResult,
  CheckerStepper,
  CheckerView,
} from './contract.js';

export interface CheckerContext {
  s: CheckerSettings;
  probing: boolean;
  /** keepalived's retry_it: failures counted in the current round. */
  retryIt: number;
  /** Consecutive failures since the last success (for the reason's `attempts`). */
  failures: number;
  hasRun: boolean;
  attempts: number;
  dynamicWeight?: number;
  /** ha_suspend: the virtual server's address is not on this host (keepalived: !checker->enabled). */
  suspended: boolean;
  /** Reason of the last state change, read by the stepper when the state moves. */
  reason?: CheckerReason;
}

/** What one probe outcome decides, computed once from context and input. */
interface Verdict {
  to?: 'up' | 'down';
  actions: CheckerAction[];
  patch: Partial<CheckerContext>;
}

/** The epilogue of a probe (keepalived's tcp_epilog and friends), for a result or the backstop. */
export function verdict(ctx: CheckerContext, isUp: boolean, ev: CheckerInput): Verdict {
  const timedOut = ev.type === 'timer';
  const ok = ev.type === 'probeResult' && ev.ok;
  const reason = ev.type === 'probeResult' ? ev.reason : undefined;
  const actions: CheckerAction[] = [];
  const patch: Partial<CheckerContext> = { probing: false, hasRun: true };
  let to: 'up' | 'down' | undefined;
  if (timedOut) {
    actions.push({ type: 'abortProbe' });
  } else {
    actions.push({ type: 'cancelTimer', timer: 'probeTimeout' });
  }
  const failures = ok ? 0 : ctx.failures + 1;
  patch.failures = failures;
  if (ok && ev.type === 'probeResult' && ev.weight !== undefined && ev.weight !== ctx.dynamicWeight) {
    patch.dynamicWeight = ev.weight;
    actions.push({ type: 'setWeight', weight: ev.weight, reason: { code: 'dynamicWeight', weight: ev.weight } });
  }
  let delayMs: number;
  if (ok || ctx.retryIt >= ctx.s.retry) {
    delayMs = ctx.s.delayLoopMs;
    patch.retryIt = 0;
    // Built only for a failure (most outcomes are successes: no garbage for them).
    const failReason = (): CheckerReason =>
      timedOut
        ? { code: 'probeTimeout', afterMs: ctx.s.probeTimeoutMs }
        : { code: 'probeFailed', attempts: failures, ...(reason !== undefined ? { reason } : {}) };
    if (ok && !isUp) {
      to = 'up';
      const r: CheckerReason = { code: 'probeSucceeded', ...(reason !== undefined ? { reason } : {}) };
      patch.reason = r;
      actions.push({ type: 'up', reason: r });
    } else if (!ok && isUp) {
      to = 'down';
      const r = failReason();
      patch.reason = r;
      actions.push({ type: 'down', reason: r });
    } else if (!ok && !ctx.hasRun) {
      actions.push({ type: 'down', reason: failReason(), firstCheck: true });
    }
  } else {
    delayMs = ctx.s.delayBeforeRetryMs;
    patch.retryIt = ctx.retryIt + 1;
  }
  actions.push({ type: 'armTimer', timer: 'check', delayMs });
  return { ...(to !== undefined ? { to } : {}), actions, patch };
}

/** The end of the probe in flight: its result, or the backstop firing. A stale one is not. */
function isOutcome(ctx: CheckerContext, ev: CheckerInput): boolean {
  return ctx.probing && (ev.type === 'probeResult' || (ev.type === 'timer' && ev.timer === 'probeTimeout'));
}

const checkerSetup = setup({
  types: {
    context: {} as CheckerContext,
    events: {} as CheckerInput,
    input: {} as { settings: CheckerSettings },
  },
  actions: {
    // The one effect kind; its params are the contract action and the engine performs it.
    checker: (_args, _params: CheckerAction) => {},
  },
  guards: {
    probing: ({ context }) => context.probing,
    checkDue: ({ context, event }) => event.type === 'timer' && event.timer === 'check' && !context.probing && !context.suspended,
    probeLost: ({ context, event }) => event.type === 'timer' && event.timer === 'probeTimeout' && context.probing,
    goesDown: ({ context, event }) => isOutcome(context, event) && verdict(context, true, event).to === 'down',
    goesUp: ({ context, event }) => isOutcome(context, event) && verdict(context, false, event).to === 'up',
    addressLeft: ({ context, event }) => event.type === 'vsAddress' && !event.present && !context.suspended,
    addressBack: ({ context, event }) => event.type === 'vsAddress' && event.present && context.suspended,
  },
});

/** Apply the verdict of the probe that just ended (the state the chart was in decides `isUp`). */
function settle(isUp: boolean) {
  return checkerSetup.enqueueActions(({ context, event, enqueue }) => {
    const v = verdict(context, isUp, event);
    enqueue.assign(v.patch);
    for (const a of v.actions) enqueue({ type: 'checker', params: a });
  });
}

const startProbe = checkerSetup.enqueueActions(({ context, enqueue }) => {
  const attempt = context.attempts + 1;
  enqueue.assign({ probing: true, attempts: attempt });
  enqueue({ type: 'checker', params: { type: 'runProbe', attempt } });
  enqueue({ type: 'checker', params: { type: 'armTimer', timer: 'probeTimeout', delayMs: context.s.probeTimeoutMs } });
});

const start = checkerSetup.enqueueActions(({ context, event, enqueue }) => {
  const warmup = event.type === 'startup' ? Math.max(0, Math.min(event.warmupMs ?? 0, context.s.warmupMs)) : 0;
  const suspended = event.type === 'startup' && event.suspended === true;
  const carried = event.type === 'startup' ? event.carried : undefined;
  if (carried !== undefined) enqueue.assign({ ...carriedContext(context.s, carried), suspended });
  // keepalived sets retry_it = retry before the first run: one failure is enough at start.
  else enqueue.assign({ retryIt: context.s.retry, suspended, reason: { code: 'startup', alpha: context.s.alpha } });
  // Suspended at start: the first probe waits for the address (activate arms it).
  if (!suspended) enqueue({ type: 'checker', params: { type: 'armTimer', timer: 'check', delayMs: warmup } });
});

/**
 * keepalived's migrate_checkers: the state and has_run carry over; a round of retries in progress
 * goes on, but at most `retry - 1` failures are kept, so one more failure is needed to fail; a
 * checker that never ran needs only one failure, as at a start.
 */
function carriedContext(s: CheckerSettings, c: CheckerCarried): Partial<CheckerContext> {
  let retryIt: number;
  if (!c.hasRun) retryIt = s.retry;
  else if (c.retryIt > 0 && s.retry > 0) retryIt = Math.min(c.retryIt, s.retry - 1);
  else retryIt = 0;
  return { retryIt, hasRun: c.hasRun, failures: c.failures, reason: { code: 'reload', up: c.up } };
}

/** ha_suspend, the address left: no more probes; the state (and the real server) stay as they are. */
const suspend = checkerSetup.enqueueActions(({ context, enqueue }) => {
  enqueue({ type: 'checker', params: { type: 'cancelTimer', timer: 'check' } });
  enqueue({ type: 'checker', params: { type: 'cancelTimer', timer: 'probeTimeout' } });
  // A probe in flight is abandoned: its answer would describe the time after the suspension.
  if (context.probing) enqueue({ type: 'checker', params: { type: 'abortProbe' } });
  enqueue.assign({ probing: false, suspended: true });
});

/** ha_suspend, the address is back: checking resumes on the normal rhythm, one delay_loop on. */
const activate = checkerSetup.enqueueActions(({ context, enqueue }) => {
  enqueue.assign({ suspended: false });
  enqueue({ type: 'checker', params: { type: 'armTimer', timer: 'check', delayMs: context.s.delayLoopMs } });
});

const haSuspend = [
  { guard: 'addressLeft' as const, actions: suspend },
  { guard: 'addressBack' as const, actions: activate },
];

const stop = checkerSetup.enqueueActions(({ context, enqueue }) => {
  enqueue({ type: 'checker', params: { type: 'cancelTimer', timer: 'check' } });
  enqueue({ type: 'checker', params: { type: 'cancelTimer', timer: 'probeTimeout' } });
  if (context.probing) enqueue({ type: 'checker', params: { type: 'abortProbe' } });
  enqueue.assign({ probing: false, reason: { code: 'shutdown' } });
});

export const checkerMachine = checkerSetup.createMachine({
  id: 'checker',
  context: ({ input }) => ({ s: input.settings, probing: false, retryIt: 0, failures: 0, hasRun: false, attempts: 0, suspended: false }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        startup: [
          // A reload goes on in the state the checker had; a start is up unless alpha.
          { guard: ({ event }) => event.type === 'startup' && event.carried !== undefined && event.carried.up, target: 'up', actions: start },
          { guard: ({ event }) => event.type === 'startup' && event.carried !== undefined, target: 'down', actions: start },
          { guard: ({ context }) => context.s.alpha, target: 'down', actions: start },
          { target: 'up', actions: start },
        ],
        shutdown: { target: 'stopped', actions: stop },
      },
    },
    up: {
      on: {
        timer: [
          { guard: 'checkDue', actions: startProbe },
          { guard: 'goesDown', target: 'down', actions: settle(true) },
          { guard: 'probeLost', actions: settle(true) },
        ],
        probeResult: [
          { guard: 'goesDown', target: 'down', actions: settle(true) },
          { guard: 'probing', actions: settle(true) },
        ],
        vsAddress: haSuspend,
        shutdown: { target: 'stopped', actions: stop },
      },
    },
    down: {
      on: {
        timer: [
          { guard: 'checkDue', actions: startProbe },
          { guard: 'probeLost', actions: settle(false) },
        ],
        probeResult: [
          { guard: 'goesUp', target: 'up', actions: settle(false) },
          { guard: 'probing', actions: settle(false) },
        ],
        vsAddress: haSuspend,
        shutdown: { target: 'stopped', actions: stop },
      },
    },
    stopped: { type: 'final' },
  },
});

export type CheckerSnapshot = SnapshotFrom<typeof checkerMachine>;

function viewOf(snap: CheckerSnapshot): CheckerView {
  const c = snap.context;
  return {
    state: snap.value as CheckerState,
    probing: c.probing,
    retryIt: c.retryIt,
    hasRun: c.hasRun,
    failures: c.failures,
    attempts: c.attempts,
    suspended: c.suspended,
    ...(c.dynamicWeight !== undefined ? { dynamicWeight: c.dynamicWeight } : {}),
  };
}

/**
 * The steady state, without xstate: a check timer that starts a probe, and a probe outcome that
 * moves no state (a success while up, a retried failure, a failure while down). They are nearly
 * every input of a checker (two per delay_loop), and a pass through xstate costs several times
 * what these cost. They run the chart's own pieces (`verdict`, the startProbe patch) on the same
 * context; test/checkers/checker-fast-path.test.ts checks the result against the chart on random
 * input sequences. A state change, a startup, a shutdown and anything stale go through xstate.
 */
function steadyStep(snapshot: CheckerSnapshot, input: CheckerInput): CheckerStepResult<CheckerSnapshot> | undefined {
  const state = snapshot.value;
  if (state !== 'up' && state !== 'down') return undefined;
  const ctx = snapshot.context;
  if (input.type === 'timer' && input.timer === 'check' && !ctx.probing && !ctx.suspended) {
    const attempt = ctx.attempts + 1;
    return {
      snapshot: withContext(snapshot, patchedContext(ctx, { probing: true, attempts: attempt })),
      actions: [
        { type: 'runProbe', attempt },
        { type: 'armTimer', timer: 'probeTimeout', delayMs: ctx.s.probeTimeoutMs },
      ],
    };
  }
  if (!isOutcome(ctx, input)) return undefined;
  const v = verdict(ctx, state === 'up', input);
  if (v.to !== undefined) return undefined;
  return { snapshot: withContext(snapshot, patchedContext(ctx, v.patch)), actions: v.actions };
}

/**
 * `{ ...ctx, ...patch }`, written out: a literal with every field gives one hidden class where a
 * spread of mixed shapes takes V8's generic copy (see vrrp/machine.ts patchedContext). Optional
 * fields are copied only when present, so the result has exactly the spread's fields.
 */
function patchedContext(ctx: CheckerContext, patch: Partial<CheckerContext>): CheckerContext {
  const c: CheckerContext = {
    s: ctx.s,
    probing: ctx.probing,
    retryIt: ctx.retryIt,
    failures: ctx.failures,
    hasRun: ctx.hasRun,
    attempts: ctx.attempts,
    suspended: ctx.suspended,
  };
  if ('dynamicWeight' in ctx) c.dynamicWeight = ctx.dynamicWeight;
  if ('reason' in ctx) c.reason = ctx.reason;
  return Object.assign(c, patch);
}

/** Compile-time list of CheckerContext's optional fields: patchedContext copies each of them. */
const OPTIONAL_CONTEXT_FIELDS: Record<OptionalKeys<CheckerContext>, true> = { dynamicWeight: true, reason: true };
void OPTIONAL_CONTEXT_FIELDS;

/**
 * One pure stepper for every checker: the settings live in each snapshot's context and reach
 * `initial` as its input, so thousands of checkers share one inert xstate scope (an actor each
 * was most of a checker's memory).
 */
let sharedPure: PureStepper<typeof checkerMachine> | undefined;

/** Pure stepping of one checker: the engine feeds `startup` and every later input through `step`. */
export function createCheckerStepper(settings: CheckerSettings, opts: { fastPath?: boolean } = {}): CheckerStepper<CheckerSnapshot> {
  const pure = (sharedPure ??= createPureStepper(checkerMachine, { settings }));
  const fast = opts.fastPath !== false;
  const result = (before: CheckerState, snap: CheckerSnapshot, raw: Array<{ type: string; params?: unknown }>): CheckerStepResult<CheckerSnapshot> => {
    const actions: CheckerAction[] = [];
    for (const a of raw) if (a.type === 'checker') actions.push(a.params as CheckerAction);
    const to = snap.value as CheckerState;
    const out: CheckerStepResult<CheckerSnapshot> = { snapshot: snap, actions };
    if (to !== before) out.transition = { from: before, to, reason: snap.context.reason ?? { code: 'startup', alpha: settings.alpha } };
    return out;
  };
  return {
    init() {
      const [snap, raw] = pure.initial({ settings });
      return result('idle', snap, raw);
    },
    step(snapshot, input) {
      if (fast) {
        const r = steadyStep(snapshot, input);
        if (r !== undefined) return r;
      }
      const [snap, raw] = pure.step(snapshot, input);
      return result(snapshot.value as CheckerState, snap, raw);
    },
    view: viewOf,
  };
}
