/**
 * Entry of the VRRP child process (keepalived's Keepalived_vrrp), forked by the watchdog
 * (native/watchdog.c) with its settings in the environment (ipc.ts). It loads the configuration in
 * a loader process (config-elsewhere.ts), runs the VRRP side, and handles its signals:
 *   SIGTERM / SIGINT  graceful stop (priority-0 adverts, VIPs released, log flushed), exit 0;
 *   SIGUSR1 / SIGUSR2 data dump / stats files;
 *   SIGHUP            reload: the new configuration is loaded elsewhere; a bad one is refused with
 *                     the reason logged and the running one kept; a good one is diffed against the
 *                     running one (untouched instances keep their state and VIPs).
 * Its configuration having errors at start (a restart after the file was edited), it exits with
 * EXIT_CONFIG and the watchdog stops. If the watchdog goes away (the IPC channel closes), the child
 * stops gracefully too: a VRRP side without its watchdog would never be restarted.
 */
import { childSettingsOrExit, EXIT_CONFIG, isResendStatesMessage, type ChildMessage, type ChildSettings } from './ipc.js';
import { createLogger, type DaemonLogger } from './logger.js';
import { VrrpProcess } from './vrrp-process.js';
import { tuneGarbageCollector } from '../engine/gc-tuning.js';
import { childPriority } from './process-priority.js';
import { loadConfigElsewhere } from './config-elsewhere.js';
import { collectStartupGarbage, firstElectionsOverMs, forgetMallocArenaSetting, MemoryReducer, quietAfterWorkMs, reduceMemory, trimMalloc } from './memory-budget.js';
import type { KeepalivedConfig } from '../config/types.js';

// An entry of its own (forked by the watchdog): the same collector tuning as the CLI (gc-tuning.ts).
tuneGarbageCollector();
forgetMallocArenaSetting();

const TAG = 'Keepalived_vrrp';
let vrrp: VrrpProcess | undefined;
/** Memory-reducing collections after bursts of work (memory-budget.ts), once the configuration is loaded. */
let reducer: MemoryReducer | undefined;
/** Start, reloads and stop run one after another. */
let chain: Promise<unknown> = Promise.resolve();
let stopping: Promise<void> | undefined;

const settings: ChildSettings = childSettingsOrExit(TAG);
const log: DaemonLogger = createLogger({ tag: TAG, console: settings.logConsole, detailed: settings.logDetail });
const keepPriority = childPriority('VRRP child', 'vrrp_priority', { info: (l) => log.info(l), error: (l) => log.error(l) });
const applyPriority = (config: KeepalivedConfig): void => keepPriority(config.globalDefs.vrrpPriority, settings.nice);

function send(m: ChildMessage): void {
  if (process.connected) process.send?.(m);
}

function queue(f: () => Promise<unknown>): void {
  chain = chain.then(f, f).catch(() => undefined);
}

function load(): ReturnType<typeof loadConfigElsewhere> {
  return loadConfigElsewhere({ file: settings.configFile, ...(settings.configId !== undefined ? { configId: settings.configId } : {}), part: 'vrrp', nice: settings.nice });
}

function sendStates(p: VrrpProcess): void {
  for (const i of p.status().instances) send({ type: 'vrrpState', instance: i.name, state: i.state });
}

function stop(why: string): Promise<void> {
  stopping ??= (async () => {
    log.info(`Stopping (${why})`);
    // No collection while the instances stop: the process ends with them.
    reducer?.stop();
    try {
      await chain;
      await vrrp?.stop();
    } catch (e) {
      log.error(`error while stopping: ${(e as Error).message}`);
    }
    log.info('Stopped');
    process.disconnect?.();
    process.exit(0);
  })();
  return stopping;
}

process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
/** SIGUSR1 / SIGUSR2: at once when the VRRP side runs, else once its start is over. */
function whenStarted(what: string, write: (p: VrrpProcess) => void): void {
  const run = (): void => {
    try {
      if (vrrp !== undefined) write(vrrp);
    } catch (e) {
      log.error(`cannot write the ${what}: ${(e as Error).message}`);
    }
  };
  if (vrrp !== undefined) run();
  else queue(async () => run());
}
process.on('SIGUSR1', () => whenStarted('data dump', (p) => p.writeDataDump()));
process.on('SIGUSR2', () => whenStarted('stats', (p) => p.writeStats()));
process.on('disconnect', () => void stop('parent gone'));
process.on('message', (m: unknown) => {
  // A checker child (re)started: it hears every instance's state first (lvs_sync_daemon).
  if (isResendStatesMessage(m) && vrrp !== undefined) sendStates(vrrp);
});

process.on('SIGHUP', () =>
  queue(async () => {
    if (vrrp === undefined || stopping !== undefined) return;
    log.info(`Reloading: reading ${settings.configFile}`);
    const next = await load();
    if (stopping !== undefined) return;
    if (!next.ok) {
      for (const e of next.errors) log.error(e);
      log.error('Reload refused: the new configuration has errors; keeping the running one');
      return;
    }
    for (const w of next.warnings) log.info(w);
    applyPriority(next.config);
    try {
      const report = await vrrp.reload(next.config);
      log.info(`Reload finished: kept ${report.kept.length}, stopped ${report.stopped.length}, started ${report.started.length}`);
      trimMalloc();
      reducer?.setQuietMs(quietAfterWorkMs(next.config.vrrpInstances));
      reducer?.work();
    } catch (e) {
      log.error(`reload failed: ${(e as Error).message}`);
    }
    // Virtual servers where there were none: the watchdog starts the checker child.
    if (next.virtualServers > 0) send({ type: 'checkersWanted' });
  }),
);

// Every handler is in place: the watchdog may pass signals on now.
send({ type: 'ready' });

queue(async () => {
  const loaded = await load();
  if (!loaded.ok) {
    for (const e of loaded.errors) log.error(e);
    log.error('VRRP side cannot start: the configuration has errors');
    process.exit(EXIT_CONFIG);
  }
  applyPriority(loaded.config);
  reducer = new MemoryReducer(quietAfterWorkMs(loaded.config.vrrpInstances));
  // Loading's garbage goes before any instance runs a timer (memory-budget.ts).
  collectStartupGarbage();
  try {
    const p = await VrrpProcess.start({
      config: loaded.config,
      log,
      keepVipsAtExit: settings.keepVipsAtExit,
      ...(settings.logDir !== undefined ? { logDir: settings.logDir } : {}),
      ...(settings.metricsPort !== undefined ? { metricsPort: settings.metricsPort } : {}),
    });
    vrrp = p;
    // Each instance's committed state goes to the watchdog, which forwards it to the checker
    // child: lvs_sync_daemon follows the instance it names.
    p.journal.committed$.subscribe((rec) => {
      if (rec.kind !== 'transition' || !rec.actor.startsWith('vrrp/')) return;
      reducer?.work();
      const to = (rec.data as { to?: unknown }).to;
      if (to === 'INIT' || to === 'BACKUP' || to === 'MASTER' || to === 'FAULT' || to === 'STOP') {
        send({ type: 'vrrpState', instance: rec.actor.slice('vrrp/'.length), state: to });
      }
    });
    // What was committed before the subscription: the states as they are now.
    sendStates(p);
    // What the start freed to malloc goes back to the kernel, now and once the first elections'
    // allocations are over (memory-budget.ts).
    trimMalloc();
    setTimeout(trimMalloc, 10_000).unref();
    // The first elections' garbage at once (a start of many instances is the largest burst), and
    // what the start left after it once the work is over: the new masters' delayed gratuitous
    // ARPs, any transition since (memory-budget.ts).
    setTimeout(reduceMemory, firstElectionsOverMs(loaded.config.vrrpInstances.map((i) => i.advertIntMs))).unref();
    reducer.work();
  } catch (e) {
    log.error(`VRRP side cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
});
