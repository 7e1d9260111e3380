import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, constants, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import type { GlobalDefs, ScriptCommand } from '../../config/types.js';
import { resolveRunAs } from '../probes/passwd.js';
import { runScript, type RunningScript } from './process.js';
import { scriptRunAs, type UserLookup } from './run-as.js';
import { checkScript } from './script-security.js';
import { realTimers, type NotifyEvent, type ScriptLog, type ScriptTimers } from './types.js';

/**
 * notify_fifo, vrrp_notify_fifo and lvs_notify_fifo: keepalived writes one line per event to a
 * named pipe, which guarantees the reader sees them in order (keepalived.conf(5)).
 *
 * Line formats (vrrp_notify.c, keepalived.conf(5)):
 *   INSTANCE "VI_1" MASTER 100        GROUP "VG_1" BACKUP 0
 *   VS [192.0.2.15]:tcp:80 UP          RS [198.51.100.4]:tcp:80 [192.0.2.15]:tcp:80 DOWN
 */

/** A vrrp line: the name in double quotes, priority 0 for a group, newline-terminated. */
export function formatVrrpFifoLine(ev: Pick<NotifyEvent, 'type' | 'name' | 'state' | 'priority'> | {
  type: 'INSTANCE' | 'GROUP';
  name: string;
  state: string;
  priority: number;
}): string {
  const prio = ev.type === 'GROUP' ? 0 : ev.priority;
  return `${ev.type} "${oneLine(ev.name)}" ${ev.state} ${prio}\n`;
}

/** keepalived's `[address]:proto:port` for a virtual or real server. */
export function formatServiceAddress(address: string, protocol: string, port: number): string {
  return `[${address}]:${protocol.toLowerCase()}:${port}`;
}

export function formatVsFifoLine(vs: string, up: boolean): string {
  return `VS ${oneLine(vs)} ${up ? 'UP' : 'DOWN'}\n`;
}

export function formatRsFifoLine(rs: string, vs: string, up: boolean): string {
  return `RS ${oneLine(rs)} ${oneLine(vs)} ${up ? 'UP' : 'DOWN'}\n`;
}

/** A line break inside a field would forge a second event for the reader. */
function oneLine(s: string): string {
  return s.replace(/[\r\n]/g, ' ');
}

export interface FifoSpec {
  path: string;
  user?: string;
  group?: string;
}

export interface NotifyFifoOptions {
  log: ScriptLog;
  /** The *_notify_fifo_script, run with the fifo's name as its last argument. */
  script?: ScriptCommand;
  globals?: Pick<GlobalDefs, 'scriptUser' | 'enableScriptSecurity'>;
  timers?: ScriptTimers;
  lookupUser?: UserLookup;
  /** Which keyword, for the log (notify_fifo, vrrp_notify_fifo, lvs_notify_fifo). */
  keyword?: string;
}

function isFifo(path: string): boolean | undefined {
  try {
    return lstatSync(path).isFIFO();
  } catch {
    return undefined;
  }
}

/**
 * One notify fifo. `open` creates it when missing (mkfifo(1), mode 0600, chowned to the fifo's
 * user if one is given), starts the fifo script if configured, then opens the fifo O_RDWR |
 * O_NONBLOCK: holding a read end ourselves means the open never waits for a reader and a write
 * never raises SIGPIPE, and non-blocking means a reader that stopped reading costs dropped lines
 * (logged), never a blocked daemon.
 */
export class NotifyFifo {
  private fd: number | undefined;
  private created = false;
  private script: RunningScript | undefined;
  private dropping = false;
  /** Lines written (tests, status). */
  written = 0;
  dropped = 0;

  private constructor(
    readonly spec: FifoSpec,
    private readonly opts: NotifyFifoOptions,
  ) {}

  get keyword(): string {
    return this.opts.keyword ?? 'notify_fifo';
  }

  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /** Never throws: a fifo that cannot be set up is logged and writes to it are no-ops. */
  static open(spec: FifoSpec, opts: NotifyFifoOptions): NotifyFifo {
    const f = new NotifyFifo(spec, opts);
    f.setUp();
    return f;
  }

  private setUp(): void {
    const { path } = this.spec;
    const log = this.opts.log;
    const kind = isFifo(path);
    if (kind === false) {
      log(`${this.keyword} ${path} exists and is not a FIFO - not using it`);
      return;
    }
    if (kind === undefined) {
      const r = spawnSync('mkfifo', ['-m', '0600', '--', path], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) {
        log(`Unable to create ${this.keyword} ${path}: ${(r.stderr?.toString() ?? r.error?.message ?? '').trim()}`);
        return;
      }
      this.created = true;
      if (this.spec.user !== undefined) {
        const who = (this.opts.lookupUser ?? resolveRunAs)(this.spec.user, this.spec.group);
        if ('error' in who) log(`Invalid user/group for ${this.keyword} ${path}: ${who.error}`);
        else {
          try {
            chownSync(path, who.uid, who.gid);
          } catch (e) {
            log(`Unable to chown ${this.keyword} ${path}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      }
    }
    if (this.opts.script) this.startScript(this.opts.script);
    try {
      this.fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    } catch (e) {
      log(`Unable to open ${this.keyword} ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private startScript(cmd: ScriptCommand): void {
    const log = this.opts.log;
    const what = `${this.keyword}_script for ${this.spec.path}`;
    const who = scriptRunAs(cmd, this.opts.globals?.scriptUser, this.opts.lookupUser);
    if ('error' in who) return log(`Not running ${what}: ${who.error}`);
    const check = checkScript(cmd.argv[0] ?? '', who, { scriptSecurity: this.opts.globals?.enableScriptSecurity ?? false });
    for (const n of check.notes) log(n);
    if (!check.runnable) return log(`Disabling ${what}: ${check.detail}`);
    if (check.insecure !== undefined) log(`SECURITY VIOLATION - ${what}: ${check.insecure}`);
    // The fifo's name is the script's last argument (keepalived.conf(5)).
    const run = runScript([check.path, ...cmd.argv.slice(1), this.spec.path], {
      runAs: who,
      timeoutMs: 0,
      timers: this.opts.timers ?? realTimers,
    });
    this.script = run;
    void run.done.then((exit) => {
      if (this.script === run) {
        this.script = undefined;
        log(`${this.keyword} script terminated (${exit.kind === 'exited' ? `status ${exit.code}` : exit.kind})`);
      }
    });
  }

  /** Write one line; never blocks, never throws. Returns false when it was dropped. */
  write(line: string): boolean {
    if (this.fd === undefined) return false;
    try {
      const buf = Buffer.from(line, 'utf8');
      // Lines are far below PIPE_BUF, so a write is all-or-nothing (POSIX atomicity).
      writeSync(this.fd, buf);
      this.written++;
      if (this.dropping) {
        this.dropping = false;
        this.opts.log(`${this.keyword} ${this.spec.path}: reader caught up, ${this.dropped} line(s) were dropped`);
      }
      return true;
    } catch (e) {
      this.dropped++;
      if (!this.dropping) {
        this.dropping = true;
        const code = (e as NodeJS.ErrnoException).code;
        this.opts.log(
          `${this.keyword} ${this.spec.path}: ${code === 'EAGAIN' ? 'full (no reader is keeping up)' : `write failed (${code ?? String(e)})`} - dropping lines`,
        );
      }
      return false;
    }
  }

  /**
   * Close: SIGTERM to the fifo script's group (as keepalived does at exit/reload), close our end
   * and remove the fifo if we created it. Settles once the script has gone.
   */
  async close(): Promise<void> {
    const script = this.script;
    this.script = undefined;
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = undefined;
    }
    if (this.created) {
      try {
        unlinkSync(this.spec.path);
      } catch {
        /* gone already */
      }
      this.created = false;
    }
    if (script) {
      script.kill();
      await script.done;
    }
  }
}

/**
 * The three fifos of global_defs and who gets what: vrrp lines go to notify_fifo and
 * vrrp_notify_fifo, checker lines to notify_fifo and lvs_notify_fifo. keepalived refuses a
 * vrrp/lvs fifo with the same name as the global one; so do we (the line would arrive twice).
 */
export class NotifyFifos {
  private constructor(
    readonly global: NotifyFifo | undefined,
    readonly vrrp: NotifyFifo | undefined,
    readonly lvs: NotifyFifo | undefined,
  ) {}

  static open(
    globals: Pick<
      GlobalDefs,
      | 'notifyFifo'
      | 'notifyFifoScript'
      | 'vrrpNotifyFifo'
      | 'vrrpNotifyFifoScript'
      | 'lvsNotifyFifo'
      | 'lvsNotifyFifoScript'
      | 'scriptUser'
      | 'enableScriptSecurity'
    >,
    opts: {
      log: ScriptLog;
      timers?: ScriptTimers;
      lookupUser?: UserLookup;
      /** The VRRP process opens 'vrrp', the checker process 'lvs'; both write to the global fifo. */
      which?: 'vrrp' | 'lvs' | 'both';
      /** Whether this process starts notify_fifo_script (only one of the two processes should). Default true. */
      globalScript?: boolean;
    },
  ): NotifyFifos {
    const which = opts.which ?? 'both';
    const base = {
      log: opts.log,
      globals,
      ...(opts.timers ? { timers: opts.timers } : {}),
      ...(opts.lookupUser ? { lookupUser: opts.lookupUser } : {}),
    };
    const mk = (spec: FifoSpec | undefined, script: ScriptCommand | undefined, keyword: string): NotifyFifo | undefined =>
      spec ? NotifyFifo.open(spec, { ...base, keyword, ...(script ? { script } : {}) }) : undefined;
    const g = mk(globals.notifyFifo, opts.globalScript === false ? undefined : globals.notifyFifoScript, 'notify_fifo');
    const same = (s: FifoSpec | undefined): boolean => s !== undefined && globals.notifyFifo?.path === s.path;
    if (same(globals.vrrpNotifyFifo)) opts.log(`notify FIFO ${globals.notifyFifo?.path} has been specified for global and vrrp FIFO - ignoring vrrp FIFO`);
    if (same(globals.lvsNotifyFifo)) opts.log(`notify FIFO ${globals.notifyFifo?.path} has been specified for global and LVS FIFO - ignoring LVS FIFO`);
    const v = which !== 'lvs' && !same(globals.vrrpNotifyFifo) ? mk(globals.vrrpNotifyFifo, globals.vrrpNotifyFifoScript, 'vrrp_notify_fifo') : undefined;
    const l = which !== 'vrrp' && !same(globals.lvsNotifyFifo) ? mk(globals.lvsNotifyFifo, globals.lvsNotifyFifoScript, 'lvs_notify_fifo') : undefined;
    return new NotifyFifos(g, v, l);
  }

  writeVrrp(ev: NotifyEvent): void {
    const line = formatVrrpFifoLine(ev);
    this.global?.write(line);
    this.vrrp?.write(line);
  }

  writeLvs(line: string): void {
    this.global?.write(line);
    this.lvs?.write(line);
  }

  async close(): Promise<void> {
    await Promise.all([this.global?.close(), this.vrrp?.close(), this.lvs?.close()]);
  }
}
