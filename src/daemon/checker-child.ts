/**
 * Entry of the checker child process (keepalived's Keepalived_healthcheckers), forked by the
 * parent. It waits for its configuration over IPC, runs the checker side, and handles:
 *   SIGTERM / SIGINT  graceful stop (services removed unless -I, scripts drained, log closed), exit 0;
 *   SIGHUP            ignored here: the parent reloads and sends the new configuration;
 *   'reload'          the checker side restarts on the new configuration with the kernel's table
 *                     kept in place: the start's reconcile then changes only what differs;
 *   'vrrpState'       an instance's state from the VRRP child, for lvs_sync_daemon.
 * If the parent goes away (its IPC channel closes), the child stops gracefully too.
 */
import type { KeepalivedConfig } from '../config/types.js';
import { isCheckerParentMessage, type ChildMessage, type ChildSettings } from './ipc.js';
import type { CarriedCheckerState } from '../engine/checkers.js';
import { CheckerProcess } from './checker-process.js';
import { createLogger, type DaemonLogger } from './logger.js';
import { tuneGarbageCollector } from '../engine/gc-tuning.js';
import { childPriority } from './process-priority.js';

// An entry of its own (forked by the parent): the same collector tuning as the CLI (gc-tuning.ts).
tuneGarbageCollector();

let checker: CheckerProcess | undefined;
let settings: ChildSettings | undefined;
/** Start, reload and stop run one after another. */
let chain: Promise<unknown> = Promise.resolve();
let log: DaemonLogger = createLogger({ tag: 'Keepalived_healthcheckers', console: true, detailed: false });
let stopping = false;
/** The last state heard of each VRRP instance: a reload's new side starts from them. */
const vrrpStates = new Map<string, Parameters<CheckerProcess['followVrrp']>[1]>();

/** checker_priority, or the daemon's own priority (process-priority.ts). */
const keepPriority = childPriority('Healthcheck child', 'checker_priority', { info: (l) => log.info(l), error: (l) => log.error(l) });

function send(m: ChildMessage): void {
  if (process.connected) process.send?.(m);
}

function queue<T>(f: () => Promise<T>): Promise<T> {
  const next = chain.then(f, f);
  chain = next.catch(() => undefined);
  return next;
}

function start(config: KeepalivedConfig, s: ChildSettings, reload = false, carried?: CarriedCheckerState): Promise<CheckerProcess> {
  return CheckerProcess.start({
    config,
    log,
    reload,
    ...(carried !== undefined ? { carried } : {}),
    keepIpvsAtExit: s.keepIpvsAtExit === true,
    ...(s.logDir !== undefined ? { logDir: s.logDir } : {}),
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
process.on('SIGHUP', () => undefined);
process.on('disconnect', () => stop('parent gone'));

process.on('message', (m: unknown) => {
  if (!isCheckerParentMessage(m) || stopping) return;
  if (m.type === 'vrrpState') {
    vrrpStates.set(m.instance, m.state);
    checker?.followVrrp(m.instance, m.state);
    return;
  }
  if (m.type === 'start') {
    if (settings !== undefined) return;
    settings = m.settings;
    const s = m.settings;
    log = createLogger({ tag: 'Keepalived_healthcheckers', console: s.logConsole, detailed: s.logDetail });
    keepPriority(m.config.globalDefs.checkerPriority, s.nice);
    void queue(async () => {
      try {
        checker = await start(m.config, s);
        send({ type: 'ready' });
      } catch (e) {
        log.error(`checker side cannot start: ${(e as Error).message}`);
        send({ type: 'startFailed', error: (e as Error).message });
        process.exit(1);
      }
    });
    return;
  }
  const s = settings;
  if (s === undefined) return;
  void queue(async () => {
    if (stopping) return;
    log.info('Reloading');
    keepPriority(m.config.globalDefs.checkerPriority, s.nice);
    try {
      // The kernel keeps its table across the swap; the new side's reconcile applies the difference.
      // The checkers' states go on in the new side (taken before the stop shuts them down).
      const carried = checker?.engine.carryState();
      await checker?.stop({ keepKernelTable: true });
      checker = undefined;
      checker = await start(m.config, s, true, carried);
      log.info('Reload finished');
    } catch (e) {
      log.error(`reload failed: ${(e as Error).message}`);
      process.exit(1);
    }
  });
});
