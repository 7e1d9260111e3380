import { performance } from 'node:perf_hooks';
import type { ProbeSignal } from './cancel.js';
import type { ProbeResult } from './types.js';

/** What a probe body reports: the result without its duration (the attempt measures that). */
export type Outcome = Omit<ProbeResult, 'durationMs'>;

export interface AttemptControl {
  /** Settle the attempt (first call wins; later calls are ignored). */
  finish(outcome: Outcome): void;
  /** Register a release step (destroy a socket, kill a process): run once when the attempt settles. */
  onSettle(release: () => void): void;
  /** True once settled: late socket events must not do anything. */
  readonly settled: boolean;
}

/**
 * Run one probe attempt with a hard deadline. Whatever the body does, the returned promise settles
 * by `timeoutMs` (or at once when `signal` aborts) and every registered resource is released: a
 * probe never hangs past its timeout and never throws, because a checker that waits on a stuck
 * probe is a checker that is stuck.
 */
export function runAttempt(
  signal: ProbeSignal,
  timeoutMs: number,
  timeoutReason: string,
  body: (ctl: AttemptControl) => void | Promise<void>,
): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise<ProbeResult>((resolve) => {
    const releases: Array<() => void> = [];
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => ctl.finish({ ok: false, reason: 'aborted' });

    const ctl: AttemptControl = {
      get settled() {
        return settled;
      },
      finish(outcome) {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        for (const release of releases.splice(0)) {
          try {
            release();
          } catch {
            // A release that fails (socket already gone) must not stop the others.
          }
        }
        resolve({ ...outcome, durationMs: performance.now() - started });
      },
      onSettle(release) {
        if (settled) {
          try {
            release();
          } catch {
            /* already released */
          }
          return;
        }
        releases.push(release);
      },
    };

    if (signal.aborted) {
      ctl.finish({ ok: false, reason: 'aborted' });
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => ctl.finish({ ok: false, reason: timeoutReason }), Math.max(0, timeoutMs));
    try {
      const r = body(ctl);
      if (r && typeof (r as Promise<void>).then === 'function') {
        (r as Promise<void>).catch((e: unknown) => ctl.finish({ ok: false, reason: errorText(e) }));
      }
    } catch (e) {
      ctl.finish({ ok: false, reason: errorText(e) });
    }
  });
}

export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
