/**
 * Entry of the checker child process (keepalived's Keepalived_healthcheckers), forked by the
 * watchdog (native/watchdog.c) with its settings in the environment (ipc.ts). It loads the
 * configuration in a loader process (config-elsewhere.ts), runs the checker side, and handles:
 *   SIGTERM / SIGINT  graceful stop (services removed unless -I, scripts drained, log closed), exit 0;
 *   SIGHUP            reload: the new configuration is loaded elsewhere; a bad one is refused and
 *                     the running side kept; with a good one the checker side restarts on it with
 *                     the kernel's table kept in place: the start's reconcile then changes only
 *                     what differs;
 *   'vrrpState'       an instance's state from the VRRP child, for lvs_sync_daemon.
 * If the watchdog goes away (its IPC channel closes), the child stops gracefully too.
 */
import type { KeepalivedConfig } from '../config/types.js';
import { childSettingsOrExit, EXIT_CONFIG, isVrrpStateMessage, type ChildMessage, type ChildSettings } from './ipc.js';
import type { CarriedCheckerState } from '../engine/checkers.js';
import { CheckerProcess } from './checker-process.js';
import { createLogger, type DaemonLogger } from './logger.js';
import { tuneGarbageCollector } from '../engine/gc-tuning.js';
import { childPriority } from './process-priority.js';
import { loadConfigElsewhere } from './config-elsewhere.js';
import { forgetMallocArenaSetting, trimMalloc } from './memory-budget.js';

// An entry of its own (forked by the watchdog): the same collector tuning as the CLI (gc-tuning.ts).
tuneGarbageCollector();
forgetMallocArenaSetting();

const TAG = 'Keepalived_healthcheckers';
let checker: CheckerProcess | undefined;
/** Start, reload and stop run one after another. */
let chain: Promise<unknown> = Promise.resolve();
let stopping = false;
/** The last state heard of each VRRP instance: a reload's new side starts from them. */
const vrrpStates = new Map<string, Parameters<CheckerProcess['followVrrp']>[1]>();

const settings: ChildSettings = childSettingsOrExit(TAG);
const log: DaemonLogger = createLogger({ tag: TAG, console: settings.logConsole, detailed: settings.logDetail });

/** checker_priority, or the daemon's own priority (process-priority.ts). */
const keepPriority = childPriority('Healthcheck child', 'checker_priority', { info: (l) => log.info(l), error: (l) => log.error(l) });

function queue<T>(f: () => Promise<T>): Promise<T> {
  const next = chain.then(f, f);
  chain = next.catch(() => undefined);
  return next;
}

function load(): ReturnType<typeof loadConfigElsewhere> {
  return loadConfigElsewhere({ file: settings.configFile, ...(settings.configId !== undefined ? { configId: settings.configId } : {}), part: 'all', nice: settings.nice });
}

function start(config: KeepalivedConfig, reload = false, carried?: CarriedCheckerState): Promise<CheckerProcess> {
  return CheckerProcess.start({
    config,
    log,
    reload,
    ...(carried !== undefined ? { carried } : {}),
    keepIpvsAtExit: settings.keepIpvsAtExit === true,
    ...(settings.logDir !== undefined ? { logDir: settings.logDir } : {}),
  }).then((p) => {
    for (const [instance, state] of vrrpStates) p.followVrrp(instance, state);
    return p;
  });
}

function stop(why: string): void {
  if (stopping) return;
  stopping = true;
  log.info(`Stopping (${why})`);
  void queue(async () => {
    try {
      await checker?.stop();
    } catch (e) {
      log.error(`error while stopping: ${(e as Error).message}`);
    }
    log.info('Stopped');
    process.disconnect?.();
    process.exit(0);
  });
}

process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
process.on('disconnect', () => stop('parent gone'));

process.on('message', (m: unknown) => {
  if (!isVrrpStateMessage(m) || stopping) return;
  vrrpStates.set(m.instance, m.state);
  checker?.followVrrp(m.instance, m.state);
});

process.on('SIGHUP', () => {
  if (stopping) return;
  void queue(async () => {
    if (stopping || checker === undefined) return;
    log.info(`Reloading: reading ${settings.configFile}`);
    const next = await load();
    if (stopping) return;
    if (!next.ok) {
      for (const e of next.errors) log.error(e);
      log.error('Reload refused: the new configuration has errors; keeping the running one');
      return;
    }
    keepPriority(next.config.globalDefs.checkerPriority, settings.nice);
    try {
      // The kernel keeps its table across the swap; the new side's reconcile applies the difference.
      // The checkers' states go on in the new side (taken before the stop shuts them down).
      const carried = checker.engine.carryState();
      await checker.stop({ keepKernelTable: true });
      checker = undefined;
      checker = await start(next.config, true, carried);
      log.info('Reload finished');
      trimMalloc();
    } catch (e) {
      log.error(`reload failed: ${(e as Error).message}`);
      process.exit(1);
    }
  });
});

// Every handler is in place: the watchdog may pass signals on now.
if (process.connected) process.send?.({ type: 'ready' } satisfies ChildMessage);

void queue(async () => {
  const loaded = await load();
  if (!loaded.ok) {
    for (const e of loaded.errors) log.error(e);
    log.error('checker side cannot start: the configuration has errors');
    process.exit(EXIT_CONFIG);
  }
  keepPriority(loaded.config.globalDefs.checkerPriority, settings.nice);
  try {
    checker = await start(loaded.config);
    trimMalloc();
  } catch (e) {
    log.error(`checker side cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
});
