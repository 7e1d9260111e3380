/**
 * The parent process: keepalived's watchdog. It loads and checks the configuration, writes the pid
 * files, forks the VRRP child (and the checker child: see `startCheckerSide`), restarts a child
 * that dies, and turns signals into actions:
 *   SIGHUP            reload: load the new file here (never on the VRRP loop); a bad one is refused
 *                     with the reason logged and the running configuration kept; a good one is sent
 *                     to the child, which diffs it against the running one;
 *   SIGTERM / SIGINT  stop the children gracefully, remove the pid files, exit 0;
 *   SIGUSR1 / SIGUSR2 forwarded to the VRRP child (data dump / stats).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../config/load.js';
import type { Diagnostic } from '../config/diagnostics.js';
import type { KeepalivedConfig } from '../config/types.js';
import type { ChildMessage, ChildSettings, ParentMessage } from './ipc.js';
import type { DaemonLogger } from './logger.js';
import type { DaemonOptions } from './options.js';

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
  pidFile: string;
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
    logConsole: opts.logConsole,
    logDetail: opts.logDetail,
    keepVipsAtExit: opts.dontReleaseVrrp,
    ...(opts.logDir !== undefined ? { logDir: opts.logDir } : {}),
  };
  let shuttingDown = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const vrrp: ManagedChild = { name: 'VRRP', pidFile: opts.vrrpPidFile, lastStart: 0 };

  const startVrrp = (): void => {
    vrrp.lastStart = Date.now();
    const proc = fork(childModule('vrrp-child'), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    vrrp.proc = proc;
    if (proc.pid !== undefined) {
      writePid(vrrp.pidFile, proc.pid, log);
      log.info(`Starting VRRP child process, pid=${proc.pid}`);
    }
    proc.on('message', (m: ChildMessage) => {
      if (m.type === 'startFailed') log.error(`VRRP child could not start: ${m.error}`);
    });
    proc.once('exit', (code, signal) => {
      if (proc.pid !== undefined) removePid(vrrp.pidFile, proc.pid);
      if (vrrp.proc === proc) vrrp.proc = undefined;
      if (shuttingDown) return maybeFinish();
      log.error(`VRRP child process(${proc.pid}) died: ${signal ?? `exit status ${code}`}`);
      if (opts.dontRespawn) {
        log.info('Not respawning it (-R): stopping');
        void shutdown('child died');
        return;
      }
      const wait = Math.max(0, vrrp.lastStart + MIN_RESTART_GAP_MS - Date.now());
      vrrp.restartTimer = setTimeout(() => {
        vrrp.restartTimer = undefined;
        if (shuttingDown) return;
        log.info('Restarting VRRP child process');
        startVrrp();
      }, wait);
    });
    const start: ParentMessage = { type: 'start', config, settings };
    proc.send(start);
  };

  const maybeFinish = (): void => {
    if (vrrp.proc !== undefined) return;
    removePid(opts.pidFile, process.pid);
    for (const [sig, fn] of handlers) process.removeListener(sig, fn);
    log.info('Stopped keepalived-ts');
    resolveDone(0);
  };

  const shutdown = async (why: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info(`Stopping (${why})`);
    if (vrrp.restartTimer) clearTimeout(vrrp.restartTimer);
    const proc = vrrp.proc;
    if (proc === undefined) return maybeFinish();
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    proc.once('exit', () => clearTimeout(killer));
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
    const msg: ParentMessage = { type: 'reload', config };
    vrrp.proc?.send(msg);
  };

  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGTERM', () => void shutdown('SIGTERM')],
    ['SIGINT', () => void shutdown('SIGINT')],
    ['SIGHUP', reload],
    ['SIGUSR1', () => vrrp.proc?.kill('SIGUSR1')],
    ['SIGUSR2', () => vrrp.proc?.kill('SIGUSR2')],
  ];
  for (const [sig, fn] of handlers) process.on(sig, fn);

  if (!opts.checkOnly) startVrrp();
  if (!opts.vrrpOnly) startCheckerSide(config, opts, log);
  if (opts.checkOnly) {
    // Nothing runs on this side yet: say so and stay up, as a -C daemon would, until stopped.
    log.info('Checker side only (-C): no VRRP child');
  }
  return done;
}

/**
 * Hook for the checker child (keepalived's Keepalived_healthcheckers): it will be forked here like
 * the VRRP child (src/engine/checkers.ts behind an IPVS adapter), with its pid in opts.checkersPidFile.
 * Until then, a configuration with virtual servers is told clearly that no checks run, and VRRP
 * keeps running (keepalived would exit on a kernel without IPVS).
 */
export function startCheckerSide(config: KeepalivedConfig, opts: DaemonOptions, log: DaemonLogger): void {
  void opts;
  if (config.virtualServers.length === 0) return;
  log.info(`Health checkers not started: the checker process is not part of this build yet (${config.virtualServers.length} virtual_server block(s) ignored); VRRP keeps running`);
}
