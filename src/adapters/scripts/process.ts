import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { RunAs, ScriptTimers } from './types.js';

/** After SIGTERM, how long a timed-out script's group gets before SIGKILL (keepalived: 2 s). */
export const SCRIPT_KILL_GRACE_MS = 2000;

export type ScriptExit =
  | { kind: 'exited'; code: number }
  | { kind: 'signalled'; signal: string }
  /** Ran past its timeout and was killed (SIGTERM to the group, SIGKILL after the grace). */
  | { kind: 'timedOut'; timeoutMs: number }
  /** Could not be started at all (missing, not executable, bad user). */
  | { kind: 'spawnError'; message: string };

export interface RunningScript {
  /** Leader pid = the process group id; undefined when the spawn failed. */
  readonly pid: number | undefined;
  /** Settles once the leader has gone (never rejects). */
  readonly done: Promise<ScriptExit>;
  /** Kill the whole group now (stop/reload): SIGTERM, then SIGKILL after the grace. */
  kill(): void;
}

export interface RunScriptOptions {
  runAs?: RunAs;
  /** 0 = no timeout (a long-running reader such as notify_fifo_script). */
  timeoutMs: number;
  killGraceMs?: number;
  timers: ScriptTimers;
}

/** Signal a whole process group; a group that has gone already is not an error. */
export function killGroup(pid: number | undefined, sig: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false;
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * Run one argv — never through a shell, so nothing in it is ever interpreted — as the leader of a
 * process group of its own (detached = setsid), so that a timeout reaches the script and
 * everything it started: SIGTERM to the group at the timeout, SIGKILL to the group when the
 * leader dies of that SIGTERM (its children may still be there, as keepalived does) or after the
 * grace period if it ignores it. `done` settles when the leader is gone, so a caller that waits on
 * it never starts a second copy beside a dying one.
 */
export function runScript(argv: readonly string[], opts: RunScriptOptions): RunningScript {
  const grace = opts.killGraceMs ?? SCRIPT_KILL_GRACE_MS;
  const timers = opts.timers;
  let resolve!: (e: ScriptExit) => void;
  const done = new Promise<ScriptExit>((r) => (resolve = r));
  const file = argv[0];
  if (file === undefined || file === '') {
    resolve({ kind: 'spawnError', message: 'empty command' });
    return { pid: undefined, done, kill() {} };
  }

  const spawnOpts: SpawnOptions = { detached: true, stdio: 'ignore' };
  if (opts.runAs) {
    spawnOpts.uid = opts.runAs.uid;
    spawnOpts.gid = opts.runAs.gid;
  }
  let child: ChildProcess;
  try {
    child = spawn(file, argv.slice(1), spawnOpts);
  } catch (e) {
    // Synchronous failures: a NUL byte in an argument, an invalid uid.
    resolve({ kind: 'spawnError', message: errorText(e) });
    return { pid: undefined, done, kill() {} };
  }

  const pid = child.pid;
  let settled = false;
  let timedOut = false;
  let terminating = false;
  let timeoutRef: unknown;
  let graceRef: unknown;

  const settle = (e: ScriptExit): void => {
    if (settled) return;
    settled = true;
    if (timeoutRef !== undefined) timers.clearTimeout(timeoutRef);
    if (graceRef !== undefined) timers.clearTimeout(graceRef);
    resolve(e);
  };

  const terminate = (): void => {
    if (terminating || settled) return;
    terminating = true;
    killGroup(pid, 'SIGTERM');
    graceRef = timers.setTimeout(() => killGroup(pid, 'SIGKILL'), grace);
  };

  child.once('error', (e) => {
    // ENOENT / EACCES from exec: no process is left behind.
    settle({ kind: 'spawnError', message: errorText(e) });
  });
  child.once('exit', (code, signal) => {
    if (terminating) {
      // The leader is gone; whatever it left in its group goes now (keepalived: kill(-pid, SIGKILL)).
      killGroup(pid, 'SIGKILL');
    }
    if (timedOut) settle({ kind: 'timedOut', timeoutMs: opts.timeoutMs });
    else if (code !== null) settle({ kind: 'exited', code });
    else settle({ kind: 'signalled', signal: signal ?? 'unknown' });
  });
  if (pid !== undefined && opts.timeoutMs > 0) {
    timeoutRef = timers.setTimeout(() => {
      timeoutRef = undefined;
      timedOut = true;
      terminate();
    }, opts.timeoutMs);
  }

  return {
    pid,
    done,
    kill: terminate,
  };
}
