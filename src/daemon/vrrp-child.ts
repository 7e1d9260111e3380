/**
 * Entry of the VRRP child process (keepalived's Keepalived_vrrp), forked by the parent. It waits
 * for its configuration over IPC, runs the VRRP side, and handles its signals:
 *   SIGTERM / SIGINT  graceful stop (priority-0 adverts, VIPs released, log flushed), exit 0;
 *   SIGUSR1 / SIGUSR2 data dump / stats files;
 *   SIGHUP            ignored here: the parent reloads and sends the new configuration.
 * If the parent goes away (its IPC channel closes), the child stops gracefully too: a VRRP side
 * without its watchdog would never be restarted.
 */
import { isParentMessage, type ChildMessage } from './ipc.js';
import { createLogger, type DaemonLogger } from './logger.js';
import { VrrpProcess } from './vrrp-process.js';
import { tuneGarbageCollector } from '../engine/gc-tuning.js';
import { childPriority } from './process-priority.js';
import type { KeepalivedConfig } from '../config/types.js';

// An entry of its own (forked by the parent): the same collector tuning as the CLI (gc-tuning.ts).
tuneGarbageCollector();

let vrrp: VrrpProcess | undefined;
/** The start in progress: a stop that arrives meanwhile waits for it, then undoes it properly. */
let starting: Promise<unknown> | undefined;
let log: DaemonLogger = createLogger({ tag: 'Keepalived_vrrp', console: true, detailed: false });
let stopping: Promise<void> | undefined;

/** The nice value the daemon was started with (the parent's, before it yielded). */
let baseNice = 0;
const keepPriority = childPriority('VRRP child', 'vrrp_priority', { info: (l) => log.info(l), error: (l) => log.error(l) });
const applyPriority = (config: KeepalivedConfig): void => keepPriority(config.globalDefs.vrrpPriority, baseNice);

function send(m: ChildMessage): void {
  if (process.connected) process.send?.(m);
}

function stop(why: string): Promise<void> {
  stopping ??= (async () => {
    log.info(`Stopping (${why})`);
    try {
      await starting;
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
process.on('SIGHUP', () => undefined);
process.on('SIGUSR1', () => {
  try {
    vrrp?.writeDataDump();
  } catch (e) {
    log.error(`cannot write the data dump: ${(e as Error).message}`);
  }
});
process.on('SIGUSR2', () => {
  try {
    vrrp?.writeStats();
  } catch (e) {
    log.error(`cannot write the stats: ${(e as Error).message}`);
  }
});
process.on('disconnect', () => void stop('parent gone'));

process.on('message', (m: unknown) => {
  if (!isParentMessage(m)) return;
  if (m.type === 'start') {
    if (vrrp !== undefined) return;
    log = createLogger({ tag: 'Keepalived_vrrp', console: m.settings.logConsole, detailed: m.settings.logDetail });
    baseNice = m.settings.nice;
    applyPriority(m.config);
    starting = VrrpProcess.start({
      config: m.config,
      log,
      keepVipsAtExit: m.settings.keepVipsAtExit,
      ...(m.settings.logDir !== undefined ? { logDir: m.settings.logDir } : {}),
      ...(m.settings.metricsPort !== undefined ? { metricsPort: m.settings.metricsPort } : {}),
    }).then(
      (p) => {
        vrrp = p;
        // Each instance's committed state goes to the parent, which forwards it to the checker
        // child: lvs_sync_daemon follows the instance it names.
        p.journal.committed$.subscribe((rec) => {
          if (rec.kind !== 'transition' || !rec.actor.startsWith('vrrp/')) return;
          const to = (rec.data as { to?: unknown }).to;
          if (to === 'INIT' || to === 'BACKUP' || to === 'MASTER' || to === 'FAULT' || to === 'STOP') {
            send({ type: 'vrrpState', instance: rec.actor.slice('vrrp/'.length), state: to });
          }
        });
        // What was committed before the subscription: the states as they are now.
        for (const i of p.status().instances) send({ type: 'vrrpState', instance: i.name, state: i.state });
        if (stopping !== undefined) return;
        send({ type: 'ready' });
      },
      (e: unknown) => {
        log.error(`VRRP side cannot start: ${(e as Error).message}`);
        send({ type: 'startFailed', error: (e as Error).message });
        process.exit(1);
      },
    );
    starting.catch(() => undefined);
  } else if (vrrp !== undefined && stopping === undefined) {
    log.info('Reloading');
    applyPriority(m.config);
    vrrp.reload(m.config).then(
      (report) => {
        log.info(`Reload finished: kept ${report.kept.length}, stopped ${report.stopped.length}, started ${report.started.length}`);
        send({ type: 'reloaded', report });
      },
      (e: unknown) => log.error(`reload failed: ${(e as Error).message}`),
    );
  }
});
