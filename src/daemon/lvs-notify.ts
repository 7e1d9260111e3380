/**
 * The checker side's notify scripts: a real server's notify_up / notify_down and a virtual
 * server's quorum_up / quorum_down. keepalived runs them with their configured arguments only (no
 * state appended, unlike the VRRP `notify`), as script_user unless the script names its own user.
 *
 * Like the VRRP NotifyRunner they run one at a time, in the order the effects were committed, so
 * a script for DOWN never overtakes the UP before it; each is checked first (exists, executable,
 * enable_script_security) and a hanging one is killed after the timeout. Nothing here throws.
 */
import type { GlobalDefs, ScriptCommand } from '../config/types.js';
import { runScript } from '../adapters/scripts/process.js';
import { scriptRunAs } from '../adapters/scripts/run-as.js';
import { checkScript } from '../adapters/scripts/script-security.js';
import { realTimers, type ScriptLog } from '../adapters/scripts/types.js';
import { NOTIFY_TIMEOUT_MS } from '../adapters/scripts/notify-runner.js';

export interface LvsNotifyJob {
  /** notify_up, notify_down, quorum_up or quorum_down: for the log. */
  keyword: string;
  /** What it is about, as keepalived prints it (`[192.0.2.21]:tcp:80`). */
  subject: string;
  script: ScriptCommand;
}

export class LvsNotifyRunner {
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Scripts run to completion (or refused, or killed). */
  completed = 0;

  constructor(
    private readonly log: ScriptLog,
    private readonly globals: Pick<GlobalDefs, 'scriptUser' | 'enableScriptSecurity'>,
    private readonly timeoutMs = NOTIFY_TIMEOUT_MS,
  ) {}

  run(job: LvsNotifyJob): void {
    if (this.stopped) return;
    this.chain = this.chain.then(() => this.runOne(job)).then(() => void this.completed++);
  }

  /** Settles once every queued script has run; later ones are refused. */
  async stop(): Promise<void> {
    await this.chain;
    this.stopped = true;
  }

  private async runOne(job: LvsNotifyJob): Promise<void> {
    const what = `${job.keyword} script for ${job.subject}`;
    try {
      const who = scriptRunAs(job.script, this.globals.scriptUser);
      if ('error' in who) {
        this.log(`Not running ${what}: ${who.error}`);
        return;
      }
      const file = job.script.argv[0] ?? '';
      const check = checkScript(file, who, { scriptSecurity: this.globals.enableScriptSecurity });
      for (const note of check.notes) this.log(note);
      if (!check.runnable) {
        this.log(`Disabling ${what}: ${check.detail}`);
        return;
      }
      const running = runScript([check.path, ...job.script.argv.slice(1)], { runAs: who, timeoutMs: this.timeoutMs, timers: realTimers });
      const exit = await running.done;
      if (exit.kind === 'timedOut') this.log(`${what} timed out after ${this.timeoutMs} ms - process group killed`);
      else if (exit.kind === 'spawnError') this.log(`Cannot run ${what}: ${exit.message}`);
      else if (exit.kind === 'signalled') this.log(`${what} killed by ${exit.signal}`);
      else if (exit.code !== 0) this.log(`${what} exited with status ${exit.code}`);
    } catch (e) {
      this.log(`Error running ${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
