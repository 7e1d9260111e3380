/**
 * `keepalived-ts -n`: checks what can be checked while we are still Node — the configuration
 * (errors named file:line:column, and the daemon refuses to start), a daemon already running on our
 * pid file —, writes the pid file, and then becomes the watchdog (native/watchdog.c) by execve():
 * the same pid and process group, but a ≈ 1 MB C program instead of a Node process. The watchdog
 * forks the VRRP child (vrrp-child.ts) and the checker child (checker-child.ts), restarts one that
 * dies, passes SIGHUP on to them (each reloads itself: config-elsewhere.ts), SIGUSR1 / SIGUSR2 to
 * the VRRP child, and stops them on SIGTERM / SIGINT. See native/watchdog.c for the protocol.
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KeepalivedConfig } from '../config/types.js';
import { loadNative, watchdogProgram } from '../adapters/linux/native.js';
import { loadDaemonConfig } from './daemon-config.js';
import { CHILD_SETTINGS_ENV, type ChildSettings } from './ipc.js';
import type { DaemonLogger } from './logger.js';
import type { DaemonOptions } from './options.js';
import { currentNice } from './process-priority.js';
import { CHILD_MEMORY_NODE_OPTIONS, VRRP_CHILD_MEMORY_NODE_OPTIONS } from './memory-budget.js';

/**
 * Node options of the VRRP child, after the daemon's own (process.execArgv):
 * - it compiles its code when it loads, not at first use (--no-lazy), and keeps it
 *   (--no-flush-bytecode: V8 otherwise drops the bytecode of functions left unused for a while):
 *   a backup's takeover runs code that never ran before (a watched backup runs none for days), and
 *   compiling it then cost ≈ 0.4 ms of the takeover on the bench. About 6 MB of memory.
 * - a small young generation, and its own memory reducer instead of V8's (memory-budget.ts).
 */
export const VRRP_CHILD_NODE_OPTIONS: readonly string[] = ['--no-lazy', '--no-flush-bytecode', ...VRRP_CHILD_MEMORY_NODE_OPTIONS];

/** The child's module, beside this one: .ts under tsx, .js when built. */
function childModule(name: string): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${name}${ext}`, import.meta.url));
}

function writePid(file: string, pid: number, log: DaemonLogger): boolean {
  try {
    writeFileSync(file, `${pid}\n`);
    return true;
  } catch (e) {
    log.error(`cannot write pid file ${file}: ${(e as Error).message}`);
    return false;
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

/** The watchdog's command line (native/watchdog.c's usage) for these options. */
export function watchdogArgv(program: string, opts: DaemonOptions, start: { vrrp: boolean; checkers: boolean }, nice: number): string[] {
  const node = (module: string, extra: readonly string[]): string[] => {
    const argv = [process.execPath, ...process.execArgv, ...extra, childModule(module)];
    return [String(argv.length), ...argv];
  };
  const out = [program, '--nice', String(nice), '--pid-file', opts.pidFile];
  if (opts.logConsole) out.push('--log-console');
  if (opts.dontRespawn) out.push('--no-respawn');
  if (!opts.vrrpOnly) out.push('--allow-checkers');
  if (start.vrrp) out.push('--start', 'vrrp');
  if (start.checkers) out.push('--start', 'checkers');
  if (!opts.checkOnly) out.push('--vrrp', opts.vrrpPidFile, ...node('vrrp-child', VRRP_CHILD_NODE_OPTIONS));
  if (!opts.vrrpOnly) out.push('--checkers', opts.checkersPidFile, ...node('checker-child', CHILD_MEMORY_NODE_OPTIONS));
  return out;
}

export function childSettings(opts: DaemonOptions, nice: number): ChildSettings {
  return {
    configFile: opts.configFile,
    ...(opts.configId !== undefined ? { configId: opts.configId } : {}),
    nice,
    logConsole: opts.logConsole,
    logDetail: opts.logDetail,
    keepVipsAtExit: opts.dontReleaseVrrp,
    keepIpvsAtExit: opts.dontReleaseIpvs,
    ...(opts.logDir !== undefined ? { logDir: opts.logDir } : {}),
    ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}),
  };
}

/** Checks, then execve()s the watchdog: returns only with an exit status when it cannot run. */
export function runDaemon(opts: DaemonOptions, log: DaemonLogger): number {
  const loaded = loadDaemonConfig(opts.configFile, opts.configId);
  if (!loaded.ok) {
    for (const e of loaded.errors) log.error(e);
    log.error(`Stopping: the configuration ${opts.configFile} has errors`);
    return 1;
  }
  for (const w of loaded.warnings) log.info(w);
  const config = loaded.config;

  const other = runningPid(opts.pidFile);
  if (other !== undefined) {
    log.error(`daemon is already running (pid ${other}, ${opts.pidFile})`);
    return 1;
  }
  // -P: VRRP only; -C: checkers only; neither: both, as keepalived. The checker child only
  // where there is something to check (keepalived starts it only with virtual servers too).
  const start = { vrrp: !opts.checkOnly, checkers: !opts.vrrpOnly && wantsCheckerSide(config, opts, log) };
  if (!start.vrrp && !start.checkers) {
    log.info('Nothing to run: no VRRP side (-C) and no virtual servers');
    return 0;
  }
  const program = watchdogProgram();
  const addon = loadNative();
  if (program === undefined || !addon.ok) {
    log.error(`cannot start: the watchdog program is not built (${addon.ok ? 'native/build/Release/kts_watchdog is missing' : addon.error}); run npm ci or node-gyp rebuild in native/`);
    return 1;
  }
  if (!writePid(opts.pidFile, process.pid, log)) return 1;
  log.info(`Starting keepalived-ts, pid ${process.pid}`);
  const nice = currentNice();
  const env = { ...process.env, [CHILD_SETTINGS_ENV]: JSON.stringify(childSettings(opts, nice)) };
  try {
    addon.addon.execve(program, watchdogArgv(program, opts, start, nice), Object.entries(env).map(([k, v]) => `${k}=${v ?? ''}`));
  } catch (e) {
    log.error(`cannot start the watchdog: ${(e as Error).message}`);
  }
  removePid(opts.pidFile, process.pid);
  return 1;
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
