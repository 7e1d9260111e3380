import type { GlobalDefs, VrrpScript } from '../../config/types.js';
import { runScript, type RunningScript, type ScriptExit } from './process.js';
import { scriptRunAs, type UserLookup } from './run-as.js';
import { ScriptResult } from './script-result.js';
import { checkScript, type StatFn } from './script-security.js';
import { realTimers, type RunAs, type ScriptLog, type ScriptTimers, type TimerRef } from './types.js';

/** A tracked script reached a new verdict: the engine feeds it to the machines (`setScript`). */
export interface ScriptChange {
  name: string;
  ok: boolean;
}

export interface VrrpScriptRunnerOptions {
  onChange: (change: ScriptChange) => void;
  log: ScriptLog;
  /** global_defs script_user / enable_script_security. */
  globals?: Pick<GlobalDefs, 'scriptUser' | 'enableScriptSecurity'>;
  timers?: ScriptTimers;
  killGraceMs?: number;
  /** Test seams: user lookup and stat(2). */
  lookupUser?: UserLookup;
  stat?: StatFn;
}

/** How a run ended, in keepalived's log words and as success/failure. */
export function describeExit(exit: ScriptExit): { success: boolean; text: string; code?: number } {
  switch (exit.kind) {
    case 'exited':
      return exit.code === 0
        ? { success: true, text: 'succeeded', code: 0 }
        : { success: false, text: `failed (exited with status ${exit.code})`, code: exit.code };
    case 'signalled':
      return { success: false, text: `failed (due to signal ${exit.signal})` };
    case 'timedOut':
      return { success: false, text: 'timed_out' };
    case 'spawnError':
      return { success: false, text: `failed (cannot run: ${exit.message})` };
  }
}

/**
 * One vrrp_script: run its argv every `interval` (the first run at once, as keepalived schedules
 * it), kill the whole process group after `timeout` (default: the interval), turn exit codes into
 * good/bad with rise/fall, and report only changes.
 *
 * A script that cannot be used — missing, not executable for its user, an unknown user, or
 * refused by enable_script_security — is logged once, clearly, and counts as failed from then on
 * (it is never run). keepalived itself drops such a script from tracking; reporting it failed is
 * the safer reading: a check that cannot run cannot vouch for the service.
 */
export class VrrpScriptRunner {
  private readonly result: ScriptResult;
  private readonly timers: ScriptTimers;
  private readonly timeoutMs: number;
  private runAs: RunAs | undefined;
  private argv: string[] = [];
  private running: RunningScript | undefined;
  private timer: TimerRef | undefined;
  private started = false;
  private stopped = false;
  private disabled = false;
  private lastCode: number | undefined;
  /** Number of runs that finished (tests, status). */
  runs = 0;

  constructor(
    readonly script: VrrpScript,
    private readonly opts: VrrpScriptRunnerOptions,
  ) {
    this.result = new ScriptResult(script.rise, script.fall, script.initFail);
    this.timers = opts.timers ?? realTimers;
    this.timeoutMs = script.timeoutMs && script.timeoutMs > 0 ? script.timeoutMs : script.intervalMs;
  }

  get name(): string {
    return this.script.name;
  }

  /** The verdict last reported. */
  get ok(): boolean {
    return this.result.ok;
  }

  /** keepalived's status word (INIT, INIT/FAILED, GOOD, BAD, or DISABLED when it cannot run). */
  get status(): string {
    return this.disabled ? 'DISABLED' : this.result.status;
  }

  /** Check the script, then run it now and every interval. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const name = this.script.name;
    const cmd = this.script.script;
    const who = scriptRunAs(cmd, this.opts.globals?.scriptUser, this.opts.lookupUser);
    if ('error' in who) return this.disable(`Disabling track script ${name}: ${who.error}`);
    const file = cmd.argv[0];
    if (file === undefined || file === '') return this.disable(`Disabling track script ${name}: no script set`);
    const check = checkScript(file, who, {
      scriptSecurity: this.opts.globals?.enableScriptSecurity ?? false,
      ...(this.opts.stat ? { stat: this.opts.stat } : {}),
    });
    for (const note of check.notes) this.opts.log(note);
    if (!check.runnable) {
      const why = check.reason === 'insecure' ? 'due to insecure' : check.reason === 'not found' ? 'since not found/accessible' : 'since not executable';
      return this.disable(`Disabling track script ${name} ${why}: ${check.detail}`);
    }
    if (check.insecure !== undefined) {
      this.opts.log(
        `SECURITY VIOLATION - check scripts are being executed but script_security not enabled. Track script ${name}: ${check.insecure}`,
      );
    }
    this.runAs = who;
    this.argv = [check.path, ...cmd.argv.slice(1)];
    this.timer = this.timers.setTimeout(() => this.tick(), 0);
  }

  /** Stop running: cancel the interval and kill a running script's group; settles when it has gone. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const r = this.running;
    if (r) {
      r.kill();
      await r.done;
    }
  }

  private disable(line: string): void {
    this.disabled = true;
    this.opts.log(line);
    // Counts as failed from the start (reported once, on the timers like a run's result, so a
    // caller that starts runners before the engine still hears it).
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      while (this.result.ok) this.record(false, 'failed (cannot run)');
    }, 0);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    // The next run is due one interval after this one started, whatever this one does.
    this.timer = this.timers.setTimeout(() => this.tick(), this.script.intervalMs);
    if (this.running) {
      this.opts.log(`Track script ${this.script.name} is already running, expect idle - skipping run`);
      return;
    }
    const run = runScript(this.argv, {
      ...(this.runAs ? { runAs: this.runAs } : {}),
      timeoutMs: this.timeoutMs,
      timers: this.timers,
      ...(this.opts.killGraceMs !== undefined ? { killGraceMs: this.opts.killGraceMs } : {}),
    });
    this.running = run;
    void run.done.then((exit) => {
      this.running = undefined;
      this.runs++;
      if (this.stopped) return;
      this.onExit(exit);
    });
  }

  private onExit(exit: ScriptExit): void {
    const name = this.script.name;
    if (exit.kind === 'exited' && exit.code !== this.lastCode) {
      this.opts.log(`Script \`${name}\` now returning ${exit.code}`);
      this.lastCode = exit.code;
    }
    if (exit.kind === 'spawnError') this.opts.log(`Track script ${name}: cannot run ${this.argv[0]}: ${exit.message}`);
    if (exit.kind === 'timedOut') this.opts.log(`Track script ${name} timed out after ${exit.timeoutMs} ms - process group killed`);
    const d = describeExit(exit);
    this.record(d.success, d.text);
  }

  private record(success: boolean, text: string): void {
    const r = this.result.feed(success);
    if (r.verdict !== undefined) this.opts.log(`VRRP_Script(${this.script.name}) ${success ? 'succeeded' : text}`);
    if (r.changed) this.opts.onChange({ name: this.script.name, ok: this.result.ok });
  }
}

/**
 * Runners for the vrrp_scripts some instance or sync group tracks (keepalived runs only those:
 * "the script will only be executed if at least one VRRP instance monitors it").
 */
export function trackedScripts(config: {
  vrrpScripts: readonly VrrpScript[];
  vrrpInstances: ReadonlyArray<{ trackScript: ReadonlyArray<{ name: string }> }>;
  vrrpSyncGroups: ReadonlyArray<{ trackScript: ReadonlyArray<{ name: string }> }>;
}): VrrpScript[] {
  const used = new Set<string>();
  for (const i of config.vrrpInstances) for (const t of i.trackScript) used.add(t.name);
  for (const g of config.vrrpSyncGroups) for (const t of g.trackScript) used.add(t.name);
  return config.vrrpScripts.filter((s) => used.has(s.name));
}
