/**
 * The contract of the real-server checker machine: what goes in, what comes out. Data only, so the
 * engine, replay and tests all speak it.
 *
 * One checker = one checker block (TCP_CHECK, HTTP_GET, MISC_CHECK...) of one real_server. The
 * machine is pure like the VRRP one: no sockets, no clock. Time reaches it as `at` on every input;
 * timers and probes are actions the engine carries out, and their outcomes come back as inputs
 * (`timer`, `probeResult`), recorded like any other input so replay can feed them back in order.
 */

/** The timers one checker owns; at most one of each is armed at a time (arming re-arms). */
export type CheckerTimer =
  /** The next probe is due (after warmup, delay_loop or delay_before_retry). */
  | 'check'
  /**
   * Backstop for a probe in flight: the probe has its own connect_timeout / misc_timeout, but if it
   * never reports (a bug, a wedged child), this fires, the probe is aborted and counted as failed,
   * so a checker never gets stuck.
   */
  | 'probeTimeout';

export type CheckerInput =
  /**
   * The engine starts the checker. `warmupMs` is the random start delay the engine drew in [0, warmup].
   * `suspended`: ha_suspend, and the virtual server's address is not on this host at start
   * (keepalived register_checkers_thread: "Deactivating healthchecker ..."): no probe until it appears.
   */
  | { type: 'startup'; at: number; warmupMs?: number; suspended?: boolean; carried?: CheckerCarried }
  /** What one probe attempt found (src/adapters/probes). */
  | { type: 'probeResult'; at: number; ok: boolean; weight?: number; reason?: string; durationMs?: number }
  | { type: 'timer'; at: number; timer: CheckerTimer }
  /**
   * ha_suspend (keepalived check_api.c update_checker_activity): the virtual server's address
   * appeared on this host (`present`: the checker is activated) or left it (suspended). The engine
   * feeds it only to the checkers of a virtual server with ha_suspend, and only when presence
   * changes; `address` is the address whose addition or removal changed it.
   */
  | { type: 'vsAddress'; at: number; present: boolean; address?: string }
  /** Daemon stop or a reload that removed the checker. */
  | { type: 'shutdown'; at: number };

/**
 * A reload: what the same checker (same actor, same settings and target) of the running
 * configuration knew, so the new one goes on from there (keepalived check_data.c migrate_checkers)
 * instead of starting over — a dead server is not put back in the table for a reload.
 */
export interface CheckerCarried {
  up: boolean;
  hasRun: boolean;
  /** keepalived's retry_it of the old checker: failures counted in its current round. */
  retryIt: number;
  /** Consecutive failures since its last success. */
  failures: number;
}

/** Why the checker decided what it decided, as data; replay renders it in words. */
export type CheckerReason =
  /** Started: up unless alpha (keepalived marks an alpha checker failed until it succeeds). */
  | { code: 'startup'; alpha: boolean }
  /** Started by a reload in the state the same checker had before it. */
  | { code: 'reload'; up: boolean }
  /** A probe succeeded while the checker was down. */
  | { code: 'probeSucceeded'; reason?: string }
  /** `retry` retries spaced by delay_before_retry all failed (or the first failure at start). */
  | { code: 'probeFailed'; reason?: string; attempts: number }
  /** The backstop fired: the probe never reported. */
  | { code: 'probeTimeout'; afterMs: number }
  /** misc_dynamic: the probe reported a new weight. */
  | { code: 'dynamicWeight'; weight: number }
  | { code: 'shutdown' };

export type CheckerAction =
  /** Run one probe attempt now (the engine knows the target: address, port, checker block). */
  | { type: 'runProbe'; attempt: number }
  /** Give up the probe in flight (its result, if it ever comes, is stale). */
  | { type: 'abortProbe' }
  | { type: 'armTimer'; timer: CheckerTimer; delayMs: number }
  | { type: 'cancelTimer'; timer: CheckerTimer }
  /** The checker now says the real server is healthy. */
  | { type: 'up'; reason: CheckerReason }
  /**
   * The checker now says the real server is failed. `firstCheck`: an alpha checker's first probe
   * failed; it was already counted as failed, so nothing changes but keepalived still runs the
   * real server's notify_down once (update_svr_checker_state).
   */
  | { type: 'down'; reason: CheckerReason; firstCheck?: boolean }
  /** MISC_CHECK misc_dynamic: the exit code asks for this weight. */
  | { type: 'setWeight'; weight: number; reason: CheckerReason };

export type CheckerState = 'idle' | 'up' | 'down' | 'stopped';

export interface CheckerTransition {
  from: CheckerState;
  to: CheckerState;
  reason: CheckerReason;
}

/** The resolved timing of one checker (keepalived's inheritance applied, see settings.ts). */
export interface CheckerSettings {
  /** Between checks once a result is settled. */
  delayLoopMs: number;
  /** Extra attempts after a failure before the checker says down. */
  retry: number;
  delayBeforeRetryMs: number;
  /** Upper bound of the random start delay (0 = start at once). */
  warmupMs: number;
  /** Start down: the real server joins the pool only after a first success. */
  alpha: boolean;
  /** The backstop for a probe in flight (see CheckerTimer 'probeTimeout'). */
  probeTimeoutMs: number;
}

export interface CheckerView {
  state: CheckerState;
  /** A probe is in flight. */
  probing: boolean;
  /** Consecutive failures counted so far in this round (keepalived's retry_it). */
  retryIt: number;
  /** At least one probe has reported (keepalived's has_run). */
  hasRun: boolean;
  /** Consecutive failures since the last success. */
  failures: number;
  /** Last weight asked by misc_dynamic, if any. */
  dynamicWeight?: number;
  /** Probes run so far. */
  attempts: number;
  /** ha_suspend: the virtual server's address is not on this host; no probes run. */
  suspended: boolean;
}

export interface CheckerStepResult<S> {
  snapshot: S;
  actions: CheckerAction[];
  /** Present when the state changed. */
  transition?: CheckerTransition;
}

export interface CheckerStepper<S> {
  init(at: number): CheckerStepResult<S>;
  step(snapshot: S, input: CheckerInput): CheckerStepResult<S>;
  view(snapshot: S): CheckerView;
}
