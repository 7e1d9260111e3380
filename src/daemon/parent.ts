/**
 * The parent process: keepalived's watchdog. It loads and checks the configuration, writes the pid
 * files, forks the VRRP child and the checker child (checker-child.ts), restarts a child
 * that dies, and turns signals into actions:
 *   SIGHUP            reload: load the new file here (never on the VRRP loop); a bad one is refused
 *                     with the reason logged and the running configuration kept; a good one is sent
 *                     to the children, which diff it against the running one (the VRRP child gets
 *                     only its part: no virtual servers);
 *   SIGTERM / SIGINT  stop the children gracefully, remove the pid files, exit 0;
 *   SIGUSR1 / SIGUSR2 forwarded to the VRRP child (data dump / stats).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../config/load.js';
import type { Diagnostic } from '../config/diagnostics.js';
import type { KeepalivedConfig } from '../config/types.js';
import { vrrpPartOf, type ChildMessage, type ChildSettings, type ParentMessage, type VrrpStateMessage } from './ipc.js';
import type { DaemonLogger } from './logger.js';
import type { DaemonOptions } from './options.js';
import { currentNice, PARENT_NICE_STEP, setProcessNice, withThreadNice } from './process-priority.js';

/** Restarts closer together than this are delayed (a child that dies at once must not spin). */
const MIN_RESTART_GAP_MS = 1000;
/** A child that ignores SIGTERM this long is killed. */
const STOP_TIMEOUT_MS = 10_000;

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.pos.file}:${d.pos.line}:${d.pos.column}: ${d.severity}: ${d.message}`;
}

export type ConfigLoad = { ok: true; config: KeepalivedConfig; warnings: string[] } | { ok: false; errors: string[] };

export function loadDaemonConfig(file: string, configId?: string): ConfigLoad {
  const r = loadConfigFile(file, configId !== undefined ? { configId } : {});
  const lines = r.diagnostics.map(formatDiagnostic);
  if (r.config === undefined) return { ok: false, errors: lines.length > 0 ? lines : [`${file}: cannot be used`] };
  return { ok: true, config: r.config, warnings: lines };
}

/** The child's module, beside this one: .ts under tsx, .js when built. */
function childModule(name: string): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${name}${ext}`, import.meta.url));
}

function writePid(file: string, pid: number, log: DaemonLogger): void {
  try {
    writeFileSync(file, `${pid}\n`);
  } catch (e) {
    log.error(`cannot write pid file ${file}: ${(e as Error).message}`);
  }
}

function removePid(file: string, pid: number): void {
  try {
    if (readFileSync(file, 'utf8').trim() === String(pid)) unlinkSync(file);
  } catch {
    /* gone already */
  }
}

/** A pid file naming a live process other than us: keepalived's "daemon is already running". */
export function runningPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

interface ManagedChild {
  name: string;
  /** The child's entry module beside this one. */
  module: string;
  pidFile: string;
  /** Node options of its own, after the parent's (process.execArgv). */
  nodeOptions: string[];
  proc?: ChildProcess;
  lastStart: number;
  restartTimer?: NodeJS.Timeout;
}

export async function runParent(opts: DaemonOptions, log: DaemonLogger): Promise<number> {
  const loaded = loadDaemonConfig(opts.configFile, opts.configId);
  if (!loaded.ok) {
    for (const e of loaded.errors) log.error(e);
    log.error(`Stopping: the configuration ${opts.configFile} has errors`);
    return 1;
  }
  for (const w of loaded.warnings) log.info(w);
  let config = loaded.config;

  const other = runningPid(opts.pidFile);
  if (other !== undefined) {
    log.error(`daemon is already running (pid ${other}, ${opts.pidFile})`);
    return 1;
  }
  writePid(opts.pidFile, process.pid, log);
  log.info(`Starting keepalived-ts, pid ${process.pid}`);

  const settings: ChildSettings = {
    nice: currentNice(),
    logConsole: opts.logConsole,
    logDetail: opts.logDetail,
    keepVipsAtExit: opts.dontReleaseVrrp,
    keepIpvsAtExit: opts.dontReleaseIpvs,
    ...(opts.logDir !== undefined ? { logDir: opts.logDir } : {}),
    ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}),
  };
  let shuttingDown = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  // The VRRP child compiles its code when it loads, not at first use (--no-lazy), and keeps it
  // (--no-flush-bytecode: V8 otherwise drops the bytecode of functions left unused for a while):
  // a backup's takeover runs code that never ran before (a watched backup runs none for days), and
  // compiling it then cost ≈ 0.4 ms of the takeover on the bench. About 6 MB of memory.
  const vrrp: ManagedChild = { name: 'VRRP', module: 'vrrp-child', pidFile: opts.vrrpPidFile, lastStart: 0, nodeOptions: ['--no-lazy', '--no-flush-bytecode'] };
  const checkers: ManagedChild = { name: 'Healthcheck', module: 'checker-child', pidFile: opts.checkersPidFile, lastStart: 0, nodeOptions: [] };
  const children: ManagedChild[] = [];
  /** Each VRRP instance's last state: a (re)started checker child hears them all first. */
  const vrrpStates = new Map<string, VrrpStateMessage>();

  const startChild = (child: ManagedChild): void => {
    child.lastStart = Date.now();
    // Forked at the daemon's own priority, not the parent's lower one (process-priority.ts).
    const proc = withThreadNice(settings.nice, () =>
      fork(childModule(child.module), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...child.nodeOptions] }),
    );
    child.proc = proc;
    if (proc.pid !== undefined) {
      writePid(child.pidFile, proc.pid, log);
      log.info(`Starting ${child.name} child process, pid=${proc.pid}`);
    }
    proc.on('message', (m: ChildMessage) => {
      if (m.type === 'startFailed') log.error(`${child.name} child could not start: ${m.error}`);
      if (m.type === 'vrrpState' && child === vrrp) {
        vrrpStates.set(m.instance, m);
        if (checkers.proc?.connected === true) checkers.proc.send(m);
      }
    });
    proc.once('exit', (code, signal) => {
      if (proc.pid !== undefined) removePid(child.pidFile, proc.pid);
      if (child.proc === proc) child.proc = undefined;
      if (shuttingDown) return maybeFinish();
      log.error(`${child.name} child process(${proc.pid}) died: ${signal ?? `exit status ${code}`}`);
      if (opts.dontRespawn) {
        log.info('Not respawning it (-R): stopping');
        void shutdown('child died');
        return;
      }
      const wait = Math.max(0, child.lastStart + MIN_RESTART_GAP_MS - Date.now());
      child.restartTimer = setTimeout(() => {
        child.restartTimer = undefined;
        if (shuttingDown) return;
        log.info(`Restarting ${child.name} child process`);
        startChild(child);
      }, wait);
    });
    const start: ParentMessage = { type: 'start', config: child === vrrp ? vrrpPartOf(config) : config, settings };
    proc.send(start);
    if (child === checkers) for (const m of vrrpStates.values()) proc.send(m);
  };

  const maybeFinish = (): void => {
    if (children.some((c) => c.proc !== undefined)) return;
    removePid(opts.pidFile, process.pid);
    for (const [sig, fn] of handlers) process.removeListener(sig, fn);
    log.info('Stopped keepalived-ts');
    resolveDone(0);
  };

  const shutdown = async (why: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info(`Stopping (${why})`);
    for (const child of children) {
      if (child.restartTimer) clearTimeout(child.restartTimer);
      const proc = child.proc;
      if (proc === undefined) continue;
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
      proc.once('exit', () => clearTimeout(killer));
    }
    maybeFinish();
  };

  const reload = (): void => {
    if (shuttingDown) return;
    log.info(`Reloading: reading ${opts.configFile}`);
    const next = loadDaemonConfig(opts.configFile, opts.configId);
    if (!next.ok) {
      for (const e of next.errors) log.error(e);
      log.error('Reload refused: the new configuration has errors; keeping the running one');
      return;
    }
    for (const w of next.warnings) log.info(w);
    config = next.config;
    for (const child of children) {
      if (child.proc?.connected !== true) continue;
      const msg: ParentMessage = { type: 'reload', config: child === vrrp ? vrrpPartOf(config) : config };
      child.proc.send(msg);
    }
    // Virtual servers where there were none: the checker child starts now, on the new config.
    if (!children.includes(checkers) && !opts.vrrpOnly && config.virtualServers.length > 0) {
      children.push(checkers);
      startChild(checkers);
    }
  };

  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGTERM', () => void shutdown('SIGTERM')],
    ['SIGINT', () => void shutdown('SIGINT')],
    ['SIGHUP', reload],
    ['SIGUSR1', () => vrrp.proc?.kill('SIGUSR1')],
    ['SIGUSR2', () => vrrp.proc?.kill('SIGUSR2')],
  ];
  for (const [sig, fn] of handlers) process.on(sig, fn);

  // -P: VRRP only; -C: checkers only; neither: both, as keepalived. The checker child only
  // where there is something to check (keepalived starts it only with virtual servers too).
  if (!opts.checkOnly) children.push(vrrp);
  if (!opts.vrrpOnly && wantsCheckerSide(config, opts, log)) children.push(checkers);
  if (children.length === 0) {
    log.info('Nothing to run: no VRRP side (-C) and no virtual servers');
    removePid(opts.pidFile, process.pid);
    for (const [sig, fn] of handlers) process.removeListener(sig, fn);
    return 0;
  }
  for (const child of children) startChild(child);
  // The watchdog yields the cores to its children: its reload parses must not starve the VRRP
  // child's adverts (process-priority.ts).
  const niced = setProcessNice(settings.nice + PARENT_NICE_STEP);
  if (!niced.ok) log.info(`The watchdog keeps its priority: ${niced.error}`);
  return done;
}

/**
 * Whether the checker child runs (keepalived's Keepalived_healthcheckers): only with virtual
 * servers to check. On a kernel without IPVS it still runs (keepalived would exit): the child
 * says so once and checks, notifies and fifo lines go on.
 */
export function wantsCheckerSide(config: KeepalivedConfig, opts: DaemonOptions, log: DaemonLogger): boolean {
  if (config.virtualServers.length > 0) return true;
  if (opts.checkOnly) log.info('Checker side only (-C), but the configuration has no virtual_server');
  return false;
}
