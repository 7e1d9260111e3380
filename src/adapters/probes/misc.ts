import { spawn, type ChildProcess } from 'node:child_process';
import type { Checker } from '../../config/types.js';
import { errorText, runAttempt, type Outcome } from './attempt.js';
import { resolveRunAs } from './passwd.js';
import type { Probe } from './types.js';

type MiscChecker = Extract<Checker, { type: 'MISC_CHECK' }>;

/** After SIGTERM, how long a timed-out script's group gets before SIGKILL (keepalived: a few seconds). */
export const MISC_KILL_GRACE_MS = 2000;
/** virtual_server delay_loop default, keepalived's fallback for misc_timeout. */
const DEFAULT_DELAY_LOOP_MS = 60_000;

/**
 * Exit status → result, as keepalived.conf(5) describes MISC_CHECK: 0 up, 1 down; with
 * misc_dynamic 2..255 is up with weight (status - 2); without it any non-zero status is down.
 */
export function miscExitOutcome(code: number | null, sig: NodeJS.Signals | null, dynamic: boolean): Outcome {
  if (code === null) return { ok: false, reason: `misc_path killed by ${sig ?? 'a signal'}` };
  if (code === 0) return { ok: true };
  if (dynamic && code >= 2 && code <= 255) return { ok: true, weight: code - 2 };
  return { ok: false, reason: `misc_path exited with status ${code}` };
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    /* the whole group has gone already */
  }
}

/**
 * MISC_CHECK: run misc_path's argv (no shell) in a process group of its own, so that on
 * misc_timeout (default: delay_loop) the whole group — the script and anything it started — is
 * signalled: SIGTERM at once, SIGKILL after a grace period. The probe answers at the timeout and
 * does not wait for the group to die.
 */
export const miscProbe: Probe = (target, signal) => {
  const checker = target.checker as MiscChecker;
  const timeoutMs = checker.miscTimeoutMs ?? target.delayLoopMs ?? DEFAULT_DELAY_LOOP_MS;
  return runAttempt(signal, timeoutMs + 1000, 'misc_path timeout', (ctl) => {
    const argv = checker.miscPath.argv;
    if (argv.length === 0 || !argv[0]) return ctl.finish({ ok: false, reason: 'empty misc_path' });
    const opts: Parameters<typeof spawn>[2] = { detached: true, stdio: 'ignore' };
    if (checker.miscPath.user) {
      const who = resolveRunAs(checker.miscPath.user, checker.miscPath.group);
      if ('error' in who) return ctl.finish({ ok: false, reason: who.error });
      opts.uid = who.uid;
      opts.gid = who.gid;
    }
    let child: ChildProcess;
    try {
      child = spawn(argv[0], argv.slice(1), opts);
    } catch (e) {
      return ctl.finish({ ok: false, reason: `cannot run misc_path: ${errorText(e)}` });
    }
    let exited = false;
    child.once('error', (e) => ctl.finish({ ok: false, reason: `cannot run misc_path: ${errorText(e)}` }));
    child.once('exit', (code, sig) => {
      exited = true;
      ctl.finish(miscExitOutcome(code, sig, checker.miscDynamic));
    });
    const timer = setTimeout(() => {
      killGroup(child, 'SIGTERM');
      // Members that ignore SIGTERM, or outlive the leader, get SIGKILL; unref so a daemon
      // shutting down does not wait for it.
      setTimeout(() => killGroup(child, 'SIGKILL'), MISC_KILL_GRACE_MS).unref();
      ctl.finish({ ok: false, reason: `misc_path timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    ctl.onSettle(() => clearTimeout(timer));
    ctl.onSettle(() => {
      // Aborted (checker stopped) while the script runs: do not leave it behind.
      if (!exited && !signal.aborted) return;
      if (!exited) {
        killGroup(child, 'SIGTERM');
        setTimeout(() => killGroup(child, 'SIGKILL'), MISC_KILL_GRACE_MS).unref();
      }
    });
  });
};
