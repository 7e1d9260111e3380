/**
 * The checker side of the daemon (keepalived's Keepalived_healthcheckers process): the checker
 * engine (one actor per real server × checker, one per virtual server) on the real-time scheduler
 * with the real probes, its own event log, and the effects it commits carried out:
 *   - IPVS: through CheckerIpvs — the kernel's table over generic netlink where the kernel has IPVS
 *     (lvs_flush and lvs_timeouts first, reconciled against the startup table, reconciled again
 *     after a refusal), else a recording twin, so checks and notifies still run;
 *   - notify_up / notify_down / quorum_up / quorum_down scripts, one at a time in log order;
 *   - lvs_notify_fifo (and notify_fifo) lines.
 * lvs_sync_daemon follows the VRRP instance it names: the watchdog forwards that instance's states.
 * ha_suspend: when a virtual server has it, an address monitor (rtnetlink) tells the engine when
 * the virtual server's address appears on or leaves this host; its checkers run only while it is here.
 *
 * It writes to its own event log directory (`<event log dir>-checkers`): the store allows one
 * writer per directory, and the VRRP child holds the other one.
 */
import { mkdirSync } from 'node:fs';
import { Subscription } from 'rxjs';
import type { KeepalivedConfig, VirtualServer } from '../config/types.js';
import type { IpvsEffect, IpvsServiceId } from '../adapters/ipvs-types.js';
import { AddressMonitor } from '../adapters/linux/address-monitor.js';
import { groupsOf, serviceOf } from '../adapters/linux/ipvs-map.js';
import { NetlinkIpvs } from '../adapters/linux/ipvs-netlink.js';
import { SyncDaemonFollower, type FollowedState } from '../adapters/linux/ipvs-sync-daemon.js';
import { runProbe } from '../adapters/probes/index.js';
import { NotifyFifos } from '../adapters/scripts/notify-fifo.js';
import { CheckerEngine, isIpvsEffect, type CarriedCheckerState, type CheckerEngineEffect } from '../engine/checkers.js';
import { createCheckerSummarizer } from '../engine/checker-summary.js';
import { RealTimeScheduler } from '../engine/scheduler.js';
import type { EngineJournal } from '../engine/node.js';
import type { CheckerInput, CheckerTransition } from '../machines/checker/contract.js';
import { haSuspendAddresses, type HaSuspendAddresses } from '../machines/virtual-server/ha-suspend.js';
import type { VsTransition } from '../machines/virtual-server/contract.js';
import { formatRs, formatVs, rsName, vsName } from '../machines/virtual-server/format.js';
import type { EventRecord } from '../store/schema.js';
import { CheckerIpvs } from './checker-ipvs.js';
import type { DaemonLogger } from './logger.js';
import { LvsNotifyRunner } from './lvs-notify.js';
import { CHILD_LOG_WRITE_BUFFER_BYTES } from './memory-budget.js';

/** Said once, when the kernel has no IPVS: keepalived would exit here; we keep checking. */
export const NO_IPVS_MESSAGE = 'IPVS is not available in this kernel: health checks run, the LVS table is not programmed';

/** Once per process: a reload's new checker side does not say it again. */
let noIpvsSaid = false;
function sayNoIpvs(log: DaemonLogger): void {
  if (noIpvsSaid) return;
  noIpvsSaid = true;
  log.info(NO_IPVS_MESSAGE);
}

export interface CheckerProcessOptions {
  config: KeepalivedConfig;
  log: DaemonLogger;
  /** --log-dir: the VRRP side's directory; ours is beside it with `-checkers`. */
  logDir?: string;
  /** -I: leave our IPVS services in the kernel at exit. */
  keepIpvsAtExit?: boolean;
  /** Never open the kernel's IPVS (tests of the no-IPVS path on a kernel that has it). */
  noKernelIpvs?: boolean;
  programVersion?: string;
  /**
   * The journal to use instead of the LevelDB event log in its directory (the VM tests, which run
   * bundled where the native LevelDB binding cannot load). Its config record is then not written.
   */
  journal?: EngineJournal;
  /** A reload's new checker side: the kernel's table is live, lvs_flush does not apply again. */
  reload?: boolean;
  /** A reload: the running side's checker states (CheckerEngine.carryState), which go on here. */
  carried?: CarriedCheckerState;
}

/** The checker side's event log: its own directory beside the VRRP side's. */
export function checkerLogDirFor(config: KeepalivedConfig, override?: string): string {
  // The VRRP side's directory (vrrp-process.ts eventLogDirFor), not imported: that module loads
  // the raw-socket and LevelDB bindings, which a bundled checker side must not need.
  const vrrpDir = override ?? config.globalDefs.eventLogDir ?? `/var/lib/keepalived-ts/${config.globalDefs.routerId}`;
  return `${vrrpDir}-checkers`;
}

/** How keepalived names a real server and its virtual server in its log, per actor. */
interface Names {
  vs: string;
  rs: string;
  checkerType: string;
  /** The virtual server's actor. */
  vsActor: string;
}

/** A virtual server whose checkers follow its address (ha_suspend). */
interface HaSuspendWatch {
  vs: VirtualServer;
  actor: string;
  addresses: HaSuspendAddresses;
}

function haSuspendWatches(config: KeepalivedConfig): HaSuspendWatch[] {
  const out: HaSuspendWatch[] = [];
  for (const vs of config.virtualServers) {
    const addresses = haSuspendAddresses(vs, config.virtualServerGroups);
    if (addresses !== undefined) out.push({ vs, actor: `vs/${vsName(vs)}`, addresses });
  }
  return out;
}

function stable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === 'pos' ? undefined : v))) as unknown;
}

export class CheckerProcess {
  private readonly subscriptions = new Subscription();
  private readonly names = new Map<string, Names>();
  private readonly vsNames = new Map<string, VirtualServer>();
  private follower: SyncDaemonFollower | undefined;
  private followChain: Promise<unknown> = Promise.resolve();
  /** The state of the instance lvs_sync_daemon follows, as last heard. */
  private followed: FollowedState | undefined;
  private stopping = false;
  private stopped = false;
  /** -I or a reload: the kernel's table stays as it is at stop. */
  private kernelKept = false;

  private constructor(
    private readonly opts: CheckerProcessOptions,
    readonly journal: EngineJournal,
    readonly engine: CheckerEngine,
    readonly ipvs: CheckerIpvs,
    private readonly kernel: NetlinkIpvs | undefined,
    private readonly notify: LvsNotifyRunner,
    private readonly fifos: NotifyFifos,
    private readonly addresses: AddressMonitor | undefined,
    private readonly watches: HaSuspendWatch[],
  ) {}

  static async start(opts: CheckerProcessOptions): Promise<CheckerProcess> {
    const { config, log } = opts;
    const g = config.globalDefs;
    let journal: EngineJournal;
    if (opts.journal !== undefined) journal = opts.journal;
    else {
      const dir = checkerLogDirFor(config, opts.logDir);
      mkdirSync(dir, { recursive: true });
      // Loaded here, not at the top: a bundle that injects its journal never loads LevelDB.
      const { EventLog } = await import('../store/event-log.js');
      const log$ = await EventLog.open(dir, {
        node: g.routerId,
        writeBufferBytes: CHILD_LOG_WRITE_BUFFER_BYTES,
        ...(g.eventLogMaxMb !== undefined ? { maxMb: g.eventLogMaxMb } : {}),
        ...(g.eventLogMaxAgeMs !== undefined ? { maxAgeMs: g.eventLogMaxAgeMs } : {}),
        logger: { error: (m) => log.error(m), warn: (m) => log.info(m) },
      });
      log$.writeConfig(stable(config), opts.programVersion ?? 'keepalived-ts');
      journal = log$;
    }

    let kernel: NetlinkIpvs | undefined;
    if (opts.noKernelIpvs !== true) {
      const opened = await NetlinkIpvs.open({ groups: groupsOf(config), log: (l) => log.error(l) });
      if (opened.ok) kernel = opened.ipvs;
      else {
        sayNoIpvs(log);
        log.detail(`IPVS: ${opened.message}`);
      }
    } else sayNoIpvs(log);

    if (kernel !== undefined) {
      if (g.lvsFlush && opts.reload !== true) {
        const r = await kernel.flush();
        if (r.ok) log.info('Flushing the LVS table (lvs_flush)');
      }
      const t = g.lvsTimeouts;
      if (t !== undefined) {
        await kernel.setTimeouts({
          ...(t.tcpS !== undefined ? { tcp: t.tcpS } : {}),
          ...(t.tcpFinS !== undefined ? { tcpFin: t.tcpFinS } : {}),
          ...(t.udpS !== undefined ? { udp: t.udpS } : {}),
        });
      }
    }

    // ha_suspend: the addresses on this host, watched only when some virtual server needs them.
    const watches = haSuspendWatches(config);
    let addresses: AddressMonitor | undefined;
    if (watches.length > 0) {
      try {
        addresses = await AddressMonitor.open();
      } catch (e) {
        // Without the watch the addresses are unknown: the checkers run, as without ha_suspend.
        log.error(`ha_suspend: cannot watch this host's addresses (${e instanceof Error ? e.message : String(e)}): checkers run regardless`);
      }
    }
    const monitor = addresses;
    const ipvs = new CheckerIpvs(kernel, (l) => log.error(l));
    const engine = new CheckerEngine({
      config,
      scheduler: new RealTimeScheduler(),
      journal,
      runProbe,
      summarizer: createCheckerSummarizer(),
      ...(opts.carried !== undefined ? { carried: opts.carried } : {}),
      // At start a checker of an ha_suspend service runs only if the address is already here.
      ...(monitor !== undefined ? { vsAddressPresent: (vs: VirtualServer) => watches.every((w) => w.vs !== vs || present(w, monitor)) } : {}),
    });
    const notify = new LvsNotifyRunner((l) => log.info(l), g);
    const fifos = NotifyFifos.open(g, { log: (l) => log.info(l), which: 'lvs' });
    const p = new CheckerProcess(opts, journal, engine, ipvs, kernel, notify, fifos, addresses, monitor !== undefined ? watches : []);
    await p.boot();
    return p;
  }

  private async boot(): Promise<void> {
    const { config, log } = this.opts;
    for (const vs of config.virtualServers) {
      const actor = `vs/${vsName(vs)}`;
      this.vsNames.set(actor, vs);
      for (const rs of vs.realServers) {
        rs.checkers.forEach((ck, c) => {
          this.names.set(`rs/${vsName(vs)}/${rsName(rs)}#${c}`, { vs: formatVs(vs), rs: formatRs(rs, vs), checkerType: ck.type, vsActor: actor });
        });
      }
    }
    this.subscriptions.add(this.engine.attachIpvs(this.ipvs));
    this.subscriptions.add(this.engine.effects$.subscribe((e) => this.onEffect(e)));
    this.subscriptions.add(this.journal.committed$.subscribe((rec) => this.onRecord(rec)));
    log.info(`Starting the checkers: ${config.virtualServers.length} virtual server(s), ${this.engine.checkerActors().length} checker(s)`);
    this.engine.start();
    // Subscribed in the same turn as the start read the addresses: no change falls in between.
    const monitor = this.addresses;
    if (monitor !== undefined) this.subscriptions.add(monitor.changes$.subscribe((c) => this.onAddress(monitor, c.address)));
    // The startup effects build the model; then the kernel is made equal to it, once.
    await this.journal.flush();
    await this.ipvs.idle();
    const report = await this.ipvs.goLive();
    if (report !== undefined) {
      const changed = report.applied.length;
      log.info(`IPVS table reconciled with the configuration (${changed} change(s))`);
    }
    const sync = config.globalDefs.lvsSyncDaemon;
    if (sync !== undefined) {
      const inst = config.vrrpInstances.find((i) => i.name === sync.vrrpInstance);
      if (this.kernel !== undefined) this.follower = new SyncDaemonFollower(this.kernel, sync, inst?.virtualRouterId);
      // Until the VRRP side says otherwise, the instance is not MASTER: the backup daemon runs.
      this.followVrrp(sync.vrrpInstance, 'INIT');
    }
  }

  /** ha_suspend: an address appeared on or left this host; the virtual servers it belongs to follow. */
  private onAddress(monitor: AddressMonitor, address: string): void {
    if (this.stopping) return;
    for (const w of this.watches) {
      if (w.addresses.matches(address)) this.engine.setVsAddressPresent(w.actor, present(w, monitor), address);
    }
  }

  /** A VRRP instance's new state, forwarded by the watchdog: lvs_sync_daemon follows the one it names. */
  followVrrp(instance: string, state: FollowedState): void {
    const sync = this.opts.config.globalDefs.lvsSyncDaemon;
    if (sync === undefined || sync.vrrpInstance !== instance || this.stopping || state === this.followed) return;
    this.followed = state;
    const log = this.opts.log;
    const follower = this.follower;
    if (follower === undefined) {
      log.info(`lvs_sync_daemon: ${instance} is ${state} (no IPVS in this kernel: no sync daemon runs)`);
      return;
    }
    log.info(`lvs_sync_daemon: ${instance} is ${state}`);
    this.followChain = this.followChain.then(async () => {
      for (const r of await follower.follow(state)) {
        const role = r.role === 'MASTER' ? 'master' : 'backup';
        if (r.result.ok) log.info(`IPVS: ${r.action === 'start' ? 'Starting' : 'Stopping'} ${role} sync daemon`);
        else log.error(`IPVS: cannot ${r.action} the ${role} sync daemon: ${r.result.message}`);
      }
    });
  }

  /** Committed effects other than IPVS: scripts and fifo lines; IPVS ones are logged here. */
  private onEffect(e: CheckerEngineEffect): void {
    const a = e.action;
    if (isIpvsEffect(a)) {
      // Kept in the kernel (-I, or a reload's swap): the shutdown's removals are not carried out.
      if (!this.kernelKept) this.logIpvs(e.actor, a);
      return;
    }
    if (a.type === 'fifo') {
      this.fifos.writeLvs(`${a.line}\n`);
      return;
    }
    const vs = this.vsNames.get(e.actor);
    const keyword = a.target === 'rs' ? (a.state === 'UP' ? 'notify_up' : 'notify_down') : a.state === 'UP' ? 'quorum_up' : 'quorum_down';
    const subject = a.target === 'vs' || vs === undefined ? (vs ? formatVs(vs) : a.name) : this.rsText(vs, a.name);
    const where = a.target === 'rs' && vs !== undefined ? `service ${subject} in VS ${formatVs(vs)}` : `VS ${subject}`;
    this.opts.log.info(`Executing [${a.script.argv.join(' ')}] for ${where}`);
    this.notify.run({ keyword, subject, script: a.script });
  }

  private rsText(vs: VirtualServer, name: string): string {
    const rs = vs.realServers.find((r) => rsName(r) === name);
    return rs ? formatRs(rs, vs) : name;
  }

  /** keepalived's words for a table change (ipwrapper.c). */
  private logIpvs(actor: string, a: IpvsEffect): void {
    const vs = this.vsNames.get(actor);
    if (vs === undefined) return;
    const vsText = formatVs(vs);
    const rsText = (d: { address: string; port: number }): string => formatRs(d, vs);
    const sorry = (d: { address: string; port: number }): boolean =>
      vs.sorryServer !== undefined && vs.sorryServer.address === d.address && vs.sorryServer.port === d.port;
    const log = this.opts.log;
    switch (a.type) {
      case 'ipvsAddDest':
        if (sorry(a.dest)) log.info(`Adding sorry server ${rsText(a.dest)} to VS ${vsText}`);
        else log.info(`Adding service ${rsText(a.dest)} to VS ${vsText}`);
        return;
      case 'ipvsDelDest':
        if (sorry(a.dest)) log.info(`Removing sorry server ${rsText(a.dest)} from VS ${vsText}`);
        else log.info(`${this.stopping ? 'Shutting down' : 'Removing'} service ${rsText(a.dest)} from VS ${vsText}`);
        return;
      case 'ipvsEditDest':
        // inhibit_on_failure (weight 0 and back), misc_dynamic weights.
        log.info(`${a.dest.weight === 0 ? 'Disabling' : 'Enabling'} service ${rsText(a.dest)} of VS ${vsText}`);
        return;
      case 'ipvsAddService':
        log.detail(`Adding VS ${vsText}`);
        return;
      case 'ipvsDelService':
        log.detail(`Removing VS ${vsText}`);
        return;
    }
  }

  /** Checker verdicts and quorum changes, as keepalived logs them. */
  private onRecord(rec: EventRecord): void {
    if (rec.kind === 'input') {
      this.onInput(rec);
      return;
    }
    if (rec.kind !== 'transition') return;
    const log = this.opts.log;
    const names = this.names.get(rec.actor);
    if (names !== undefined) {
      const t = rec.data as CheckerTransition;
      const tcp = names.checkerType === 'TCP_CHECK';
      if (t.to === 'down' && t.reason.code === 'probeFailed') {
        if (tcp) log.info(`TCP connection to ${names.rs} failed.`);
        else log.info(`${names.checkerType} on service ${names.rs} failed${t.reason.reason !== undefined ? `: ${t.reason.reason}` : ''}.`);
        log.info(`Check on service ${names.rs} failed after ${Math.max(0, t.reason.attempts - 1)} retries.`);
      } else if (t.to === 'down' && t.reason.code === 'probeTimeout') {
        log.info(`${names.checkerType} on service ${names.rs} timed out after ${t.reason.afterMs} ms.`);
      } else if (t.to === 'up' && t.reason.code === 'probeSucceeded') {
        if (tcp) log.info(`TCP connection to ${names.rs} success.`);
        else log.info(`${names.checkerType} on service ${names.rs} succeeded.`);
      }
      return;
    }
    const vs = this.vsNames.get(rec.actor);
    if (vs !== undefined) {
      const t = rec.data as VsTransition;
      const r = t.reason;
      if (r.code === 'gained') log.info(`Gained quorum ${r.quorum}+${r.hysteresis}=${r.threshold} <= ${r.weightSum} for VS ${formatVs(vs)}`);
      else if (r.code === 'lost') log.info(`Lost quorum ${r.quorum}-${r.hysteresis}=${r.threshold} > ${r.weightSum} for VS ${formatVs(vs)}`);
    }
  }

  /**
   * ha_suspend, in keepalived's words (check_api.c): at start, for each checker of an ha_suspend
   * service, "Activating" or "Deactivating healthchecker ..." as its address is here or not; then
   * "Activating" / "Suspending healthchecker ..." as the address comes and goes.
   */
  private onInput(rec: EventRecord): void {
    const names = this.names.get(rec.actor);
    if (names === undefined) return;
    const input = rec.data as CheckerInput;
    let verb: string;
    if (input.type === 'vsAddress') verb = input.present ? 'Activating' : 'Suspending';
    else if (input.type === 'startup' && this.watches.some((w) => w.actor === names.vsActor)) verb = input.suspended === true ? 'Deactivating' : 'Activating';
    else return;
    this.opts.log.info(`${verb} healthchecker for service ${names.rs} for VS ${names.vs}`);
  }

  /** The services we manage, as the kernel names them at the top level. */
  private serviceIds(): IpvsServiceId[] {
    return this.opts.config.virtualServers.map((vs) => serviceOf(vs).id);
  }

  /**
   * SIGTERM: every checker and virtual server shuts down (omega runs the down notifiers); the
   * kernel's services go unless -I; the sync daemons stop; scripts drain; the log is closed.
   */
  async stop(opts: { keepKernelTable?: boolean } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // A reload swaps the checker side and keeps the kernel's table (and sync daemons) in place.
    const keep = opts.keepKernelTable === true;
    if (this.opts.keepIpvsAtExit === true || keep) {
      this.kernelKept = true;
      this.ipvs.freeze();
    }
    await this.engine.stop();
    await this.ipvs.idle();
    const released = await this.ipvs.release(this.serviceIds());
    if (!released.ok) this.opts.log.error(`IPVS: removing our services at stop: ${released.message}`);
    await this.followChain;
    if (this.follower !== undefined && !keep) await this.follower.follow('STOP');
    this.stopped = true;
    await this.notify.stop();
    this.subscriptions.unsubscribe();
    this.addresses?.close();
    await this.fifos.close();
    this.kernel?.close();
    await this.journal.flush();
    await this.journal.close();
  }

  get isStopped(): boolean {
    return this.stopped;
  }
}

/** ha_suspend: some address of the virtual server is on this host. */
function present(w: HaSuspendWatch, monitor: AddressMonitor): boolean {
  return monitor.addresses().some((a) => w.addresses.matches(a));
}
