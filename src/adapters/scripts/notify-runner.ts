import type { GlobalDefs, ScriptCommand, VrrpNotify } from '../../config/types.js';
import { runScript, type ScriptExit } from './process.js';
import { scriptRunAs, type UserLookup } from './run-as.js';
import { checkScript, type StatFn } from './script-security.js';
import { realTimers, type NotifyEvent, type ScriptLog, type ScriptTimers } from './types.js';

/**
 * How long one notify script may run before its group is killed and the queue moves on.
 * keepalived does not wait for notify scripts at all (it forks and forgets, except notify_stop,
 * which it gives 1 s); we run them one after another so they see the states in log order, and a
 * hanging one must not hold back the next transition's scripts for long.
 */
export const NOTIFY_TIMEOUT_MS = 10_000;

/** One command to run: the argv exactly as it will reach execve(2), and who runs it. */
export interface NotifyCommand {
  /** Which keyword it came from (notify_master, notify, ...): for the log. */
  keyword: string;
  argv: string[];
  cmd: ScriptCommand;
}

const STATE_KEYWORD = {
  MASTER: 'notifyMaster',
  BACKUP: 'notifyBackup',
  FAULT: 'notifyFault',
  STOP: 'notifyStop',
} as const;

const KEYWORD_TEXT: Record<string, string> = {
  notifyMaster: 'notify_master',
  notifyBackup: 'notify_backup',
  notifyFault: 'notify_fault',
  notifyStop: 'notify_stop',
};

/**
 * The commands keepalived runs for one state change (vrrp_notify.c, send_instance_notifies /
 * send_group_notifies), in its order: first the state's own script (notify_master, ...) with its
 * configured arguments only, then `notify` with four more arguments:
 * `INSTANCE|GROUP NAME MASTER|BACKUP|FAULT|STOP PRIORITY` (priority 0 for a group). Each is a
 * separate argv element: a name with blanks or quotes stays one argument and reaches the script
 * as written, never through a shell.
 */
export function notifyCommands(ev: NotifyEvent, scripts: VrrpNotify): NotifyCommand[] {
  const out: NotifyCommand[] = [];
  const key = STATE_KEYWORD[ev.state];
  const own = scripts[key];
  if (own && own.argv.length > 0) out.push({ keyword: KEYWORD_TEXT[key] ?? key, argv: [...own.argv], cmd: own });
  const generic = scripts.notify;
  if (generic && generic.argv.length > 0) {
    const prio = ev.type === 'GROUP' ? 0 : ev.priority;
    out.push({ keyword: 'notify', argv: [...generic.argv, ev.type, ev.name, ev.state, String(prio)], cmd: generic });
  }
  return out;
}

export interface NotifyRunnerOptions {
  log: ScriptLog;
  globals?: Pick<GlobalDefs, 'scriptUser' | 'enableScriptSecurity'>;
  timers?: ScriptTimers;
  /** Per script; default NOTIFY_TIMEOUT_MS. */
  timeoutMs?: number;
  killGraceMs?: number;
  lookupUser?: UserLookup;
  stat?: StatFn;
}

interface Job {
  ev: NotifyEvent;
  command: NotifyCommand;
}

/**
 * Runs notify scripts strictly one at a time in the order the effects were committed: a script
 * for BACKUP never overtakes the MASTER one before it. Each script is checked before it runs
 * (exists, executable for its user, enable_script_security) and a refusal is a log line, not an
 * exception; a script that hangs is killed (its whole group) after the timeout and the queue goes
 * on. Nothing here throws into the caller.
 */
export class NotifyRunner {
  private readonly queue: Job[] = [];
  private readonly timers: ScriptTimers;
  private busy = false;
  private stopped = false;
  private current: { kill(): void; done: Promise<ScriptExit> } | undefined;
  private idleWaiters: Array<() => void> = [];
  /** Scripts run to completion (or killed): tests, status. */
  completed = 0;

  constructor(private readonly opts: NotifyRunnerOptions) {
    this.timers = opts.timers ?? realTimers;
  }

  /** Jobs waiting or running. */
  get pending(): number {
    return this.queue.length + (this.busy ? 1 : 0);
  }

  /** Queue the scripts of one state change. */
  notify(ev: NotifyEvent, scripts: VrrpNotify): void {
    if (this.stopped) return;
    for (const command of notifyCommands(ev, scripts)) this.queue.push({ ev, command });
    this.pump();
  }

  /** Settles when every queued script has run. */
  idle(): Promise<void> {
    if (!this.busy && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Stop taking new work. With `drain` (graceful stop: the STOP notifies must still run) the
   * queue finishes first; otherwise what waits is dropped and a running script is killed.
   */
  async stop(drain = true): Promise<void> {
    if (!drain) {
      this.queue.length = 0;
      this.current?.kill();
    }
    await this.idle();
    this.stopped = true;
  }

  private pump(): void {
    if (this.busy) return;
    const job = this.queue.shift();
    if (!job) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.busy = true;
    void this.run(job).then(() => {
      this.busy = false;
      this.completed++;
      this.pump();
    });
  }

  private async run(job: Job): Promise<void> {
    const { command, ev } = job;
    const what = `${command.keyword} script for ${ev.type === 'GROUP' ? 'group' : 'instance'} ${ev.name} (${ev.state})`;
    try {
      const who = scriptRunAs(command.cmd, this.opts.globals?.scriptUser, this.opts.lookupUser);
      if ('error' in who) {
        this.opts.log(`Not running ${what}: ${who.error}`);
        return;
      }
      const file = command.argv[0] ?? '';
      const check = checkScript(file, who, {
        scriptSecurity: this.opts.globals?.enableScriptSecurity ?? false,
        ...(this.opts.stat ? { stat: this.opts.stat } : {}),
      });
      for (const note of check.notes) this.opts.log(note);
      if (!check.runnable) {
        const why = check.reason === 'insecure' ? 'due to insecure' : check.reason === 'not found' ? 'since not found' : 'since not executable';
        this.opts.log(`Disabling ${what} ${why}: ${check.detail}`);
        return;
      }
      if (check.insecure !== undefined) {
        this.opts.log(`SECURITY VIOLATION - scripts are being executed but script_security not enabled. ${what}: ${check.insecure}`);
      }
      const timeoutMs = this.opts.timeoutMs ?? NOTIFY_TIMEOUT_MS;
      const running = runScript([check.path, ...command.argv.slice(1)], {
        runAs: who,
        timeoutMs,
        timers: this.timers,
        ...(this.opts.killGraceMs !== undefined ? { killGraceMs: this.opts.killGraceMs } : {}),
      });
      this.current = running;
      const exit = await running.done;
      this.current = undefined;
      if (exit.kind === 'timedOut') this.opts.log(`${what} timed out after ${timeoutMs} ms - process group killed`);
      else if (exit.kind === 'spawnError') this.opts.log(`Cannot run ${what}: ${exit.message}`);
      else if (exit.kind === 'signalled') this.opts.log(`${what} killed by ${exit.signal}`);
      else if (exit.code !== 0) this.opts.log(`${what} exited with status ${exit.code}`);
    } catch (e) {
      // Nothing above should throw; if it does, the queue must still go on.
      this.opts.log(`Error running ${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
