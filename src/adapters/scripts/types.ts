/**
 * What the script adapters share: a log sink and the timers they run on.
 *
 * The daemon passes `realTimers`; a test passes a manual clock and moves it itself, so the
 * interval/timeout logic can be driven without waiting (DESIGN.md: one injected clock).
 */

/** One log line, in keepalived's words (`VRRP_Script(chk) failed (exited with status 1)`). */
export type ScriptLog = (line: string) => void;

/** An armed timer; opaque to callers. */
export type TimerRef = unknown;

export interface ScriptTimers {
  setTimeout(fn: () => void, ms: number): TimerRef;
  clearTimeout(ref: TimerRef): void;
  /** Milliseconds on a monotonic clock. */
  now(): number;
}

/** Node's timers. Unref'd: a pending script interval must not keep a stopping daemon alive. */
export const realTimers: ScriptTimers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(ref) {
    clearTimeout(ref as NodeJS.Timeout);
  },
  now() {
    return performance.now();
  },
};

/** keepalived's user/group a script runs as. */
export interface RunAs {
  uid: number;
  gid: number;
}

/** The four states keepalived passes to notify scripts and writes to the fifos. */
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/** A committed state change of an instance or a sync group, as the notify adapters take it. */
export interface NotifyEvent {
  type: 'INSTANCE' | 'GROUP';
  /** vrrp_instance or vrrp_sync_group name, as configured. */
  name: string;
  state: NotifyState;
  /** Effective priority for an instance; keepalived passes 0 for a group. */
  priority: number;
}
