/**
 * The VRRP side of the daemon (keepalived's Keepalived_vrrp process): builds the engines from a
 * configuration on the real-time scheduler, the raw-socket transport and the LevelDB event log, and
 * wires the Linux adapters to the committed effects. It never parses a configuration itself: the
 * parent does that (off this process's event loop) and hands over the typed config.
 *
 * The instances are split into units — one per vrrp_sync_group, one per instance outside a group —
 * each with its own NodeEngine on the shared journal and transport. A reload is then a diff of
 * units: an untouched unit keeps its engine (state, timers, VIPs), a removed one stops gracefully
 * (priority-0 advert, VIPs released), an added or changed one starts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Subject, Subscription } from 'rxjs';
import type { KeepalivedConfig, VrrpInstance, VrrpScript, VrrpSyncGroup } from '../config/types.js';
import { GarpSender, LinkMonitor, linkStateOf, RouteNetlink, VipNetlink, VmacNetlink, interfaceLookup, kernelTimerFactory, openRawVrrpTransport, type RawVrrpTransport, type TransportEndpointSpec } from '../adapters/linux/index.js';
import { NotifyRunner } from '../adapters/scripts/notify-runner.js';
import { SmtpAlerter, smtpAlertConfig } from '../adapters/scripts/smtp-alert.js';
import { VrrpNotifier } from '../adapters/scripts/vrrp-notifier.js';
import { VrrpScriptRunner, trackedScripts } from '../adapters/scripts/vrrp-script-runner.js';
import { AdvertSender } from '../engine/advert-sender.js';
import { vrrpMachineKit } from '../engine/machines.js';
import { NodeEngine, type EngineEffect } from '../engine/node.js';
import { protocolCodec } from '../engine/protocol-codec.js';
import { RealTimeScheduler } from '../engine/scheduler.js';
import { createEngineSummarizer } from '../engine/summary-keys.js';
import type { TransitionReason, VrrpState } from '../machines/vrrp/contract.js';
import { EventLog } from '../store/event-log.js';
import type { EventRecord } from '../store/schema.js';
import { LinuxEffects, SerialQueue, type InterfaceFacts } from './linux-effects.js';
import type { DaemonLogger } from './logger.js';
import { leftoverVips } from './leftover.js';
import { InstanceTransport, MetricsServer, type InstanceMetrics, type MetricsSnapshot } from './metrics.js';
import { SyncGroupWatch } from './sync-group-state.js';
import { VmacSetup } from './vmac-setup.js';
import { memoryLines } from './memory-stats.js';
import { CHILD_LOG_WRITE_BUFFER_BYTES } from './memory-budget.js';

/**
 * Where SIGUSR1 (data dump + JSON status) and SIGUSR2 (stats) write, as keepalived writes
 * /tmp/keepalived.data and /tmp/keepalived.stats. KEEPALIVED_TS_DUMP_DIR moves them, so several
 * daemons on one host (tests, labs) do not overwrite each other's files.
 */
export function dumpFiles(env: NodeJS.ProcessEnv = process.env): { data: string; stats: string; json: string } {
  const dir = env.KEEPALIVED_TS_DUMP_DIR || '/tmp';
  return { data: `${dir}/keepalived-ts.data`, stats: `${dir}/keepalived-ts.stats`, json: `${dir}/keepalived-ts.json` };
}

export interface VrrpProcessOptions {
  config: KeepalivedConfig;
  log: DaemonLogger;
  /** --log-dir: overrides global_defs event_log_dir. */
  logDir?: string;
  /** -V: leave VIPs in place at exit. */
  keepVipsAtExit?: boolean;
  programVersion?: string;
  /**
   * Serve /metrics (Prometheus text) and /status (JSON) on 127.0.0.1 at this port (0: any free
   * port). Default: the KEEPALIVED_TS_METRICS_PORT environment variable; unset: no server.
   */
  metricsPort?: number;
}

/** The metrics port from the options, else from KEEPALIVED_TS_METRICS_PORT; undefined: none. */
export function metricsPortFor(opts: Pick<VrrpProcessOptions, 'metricsPort'>, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (opts.metricsPort !== undefined) return opts.metricsPort;
  const text = env['KEEPALIVED_TS_METRICS_PORT'];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

/** Where the event log goes: --log-dir, else event_log_dir, else /var/lib/keepalived-ts/<router_id>. */
export function eventLogDirFor(config: KeepalivedConfig, override?: string): string {
  return override ?? config.globalDefs.eventLogDir ?? `/var/lib/keepalived-ts/${config.globalDefs.routerId}`;
}

interface UnitSpec {
  key: string;
  instances: VrrpInstance[];
  group?: VrrpSyncGroup;
  fingerprint: string;
}

interface Unit extends UnitSpec {
  engine: NodeEngine;
  /**
   * The unit's effects: the engine's stream while it runs, then — after stop() — the records of
   * its final step read from the journal. (NodeEngine lets go of the committed stream in stop(),
   * so on an asynchronous journal the VIP release of a graceful stop would never reach an adapter
   * otherwise; its priority-0 advert went at the append, on the engine's stream.)
   */
  effects$: Subject<EngineEffect>;
  /** Seq after which the journal path delivers this unit's effects (set at stop). */
  finalFrom?: number;
  /** The unit's view of the wire: it receives only its own instances' packets. */
  wire: ReturnType<InstanceTransport['forInstances']>;
  sender: AdvertSender;
  effects: LinuxEffects;
  notifier: VrrpNotifier;
  syncGroup?: SyncGroupWatch;
  /** use_vmac: instance -> its macvlan's name, for the instances whose vmac is up. */
  vmacs: Map<string, string>;
}

/** Source positions do not change what runs: a reload that only moved lines touches nothing. */
function stable(value: unknown): string {
  return JSON.stringify(value, (k, v: unknown) => (k === 'pos' ? undefined : v));
}

/** The units of a configuration, each with the fingerprint a reload compares. */
export function unitsOf(config: KeepalivedConfig): UnitSpec[] {
  const byName = new Map(config.vrrpInstances.map((i) => [i.name, i]));
  const grouped = new Set<string>();
  const out: UnitSpec[] = [];
  const vrrpGlobals = Object.fromEntries(Object.entries(config.globalDefs).filter(([k]) => k.startsWith('vrrp') || k === 'routerId'));
  const scriptsFor = (names: string[]): VrrpScript[] => config.vrrpScripts.filter((s) => names.includes(s.name));
  for (const g of config.vrrpSyncGroups) {
    const instances = g.group.map((n) => byName.get(n)).filter((i): i is VrrpInstance => i !== undefined);
    for (const i of instances) grouped.add(i.name);
    const tracked = [...g.trackScript.map((t) => t.name), ...instances.flatMap((i) => i.trackScript.map((t) => t.name))];
    out.push({ key: `group/${g.name}`, instances, group: g, fingerprint: stable({ instances, g, scripts: scriptsFor(tracked), vrrpGlobals }) });
  }
  for (const i of config.vrrpInstances) {
    if (grouped.has(i.name)) continue;
    out.push({ key: `instance/${i.name}`, instances: [i], fingerprint: stable({ i, scripts: scriptsFor(i.trackScript.map((t) => t.name)), vrrpGlobals }) });
  }
  return out;
}

export interface ReloadReport {
  kept: string[];
  stopped: string[];
  started: string[];
}

export class VrrpProcess {
  private readonly units = new Map<string, Unit>();
  private readonly interfaces = new Map<string, InterfaceFacts>();
  private readonly queue = new SerialQueue();
  private readonly subscriptions = new Subscription();
  private readonly scripts = new Map<string, { runner: VrrpScriptRunner; fingerprint: string }>();
  private readonly openEndpoints = new Set<string>();
  private notifyRunner!: NotifyRunner;
  private linkMonitor: LinkMonitor | undefined;
  private stopping = false;
  private stopped = false;
  private config: KeepalivedConfig;
  private readonly startedAt = Date.now();
  /** Transitions seen this run, per instance (stats). */
  private readonly transitions = new Map<string, number>();
  /** Seq of the newest record committed$ has released. */
  private lastCommittedSeq = 0;
  /** The transport the engines see: counts adverts per instance, sends use_vmac adverts by the vmac. */
  private readonly wire: InstanceTransport;
  /** Opened when a unit first needs them (no netlink socket for nothing). */
  private routes: RouteNetlink | undefined;
  private vmac: VmacSetup | undefined;
  private mailer: SmtpAlerter | undefined;
  private metrics: MetricsServer | undefined;

  private constructor(
    private readonly opts: VrrpProcessOptions,
    readonly scheduler: RealTimeScheduler,
    readonly journal: EventLog,
    private readonly transport: RawVrrpTransport,
    private readonly vips: VipNetlink,
    private readonly garp: GarpSender,
  ) {
    this.config = opts.config;
    this.wire = new InstanceTransport(transport);
  }

  /** Port the /metrics server listens on, when it runs. */
  get metricsPort(): number | undefined {
    return this.metrics?.port;
  }

  get node(): string {
    return this.config.globalDefs.routerId;
  }

  static async start(opts: VrrpProcessOptions): Promise<VrrpProcess> {
    const { config, log } = opts;
    const dir = eventLogDirFor(config, opts.logDir);
    mkdirSync(dir, { recursive: true });
    const journal = await EventLog.open(dir, {
      node: config.globalDefs.routerId,
      writeBufferBytes: CHILD_LOG_WRITE_BUFFER_BYTES,
      ...(config.globalDefs.eventLogMaxMb !== undefined ? { maxMb: config.globalDefs.eventLogMaxMb } : {}),
      ...(config.globalDefs.eventLogMaxAgeMs !== undefined ? { maxAgeMs: config.globalDefs.eventLogMaxAgeMs } : {}),
      logger: { error: (m) => log.error(m), warn: (m) => log.info(m) },
    });
    const vips = VipNetlink.open();
    // VIPs a previous run left behind (a crash: no removeVips was logged) go first, before any
    // election, so a restarted backup never answers for an address the master holds.
    try {
      const left = await leftoverVips(journal);
      if (left.size > 0) {
        const present = await vips.list();
        if (present.ok) {
          for (const a of present.addresses) {
            if (!left.has(a.address) || a.ifname === undefined) continue;
            log.info(`Removing VIP ${a.address} left on ${a.ifname} by a previous run`);
            const r = await vips.remove({ address: a.address, prefixLen: a.prefixLen, family: a.family }, a.ifname);
            if (!r.ok) log.error(r.error);
          }
        } else log.error(present.error);
      }
    } catch (e) {
      log.error(`cannot read the event log's tail in ${dir}: ${(e as Error).message}`);
    }
    await vips.warmUp(config.vrrpInstances.flatMap((i) => [i.interface, ...[...i.virtualIpaddress, ...i.virtualIpaddressExcluded].map((a) => a.dev ?? i.interface)]));
    journal.writeConfig(JSON.parse(stable(config)) as unknown, opts.programVersion ?? 'keepalived-ts');
    // Master_Down_Timer's last stretch on a kernel timer (timerfd), as keepalived's timers are.
    const kernelTimer = kernelTimerFactory();
    const scheduler = new RealTimeScheduler(kernelTimer ? { kernelTimer } : {});
    // The steady watches' eBPF filter (native/steady_bpf.h); KTS_KERNEL_WATCHES=0 leaves it off (the
    // software watch alone), to tell the two apart when a watch misbehaves.
    const { transport, failures } = await openRawVrrpTransport(() => scheduler.now(), [], { kernelWatches: process.env['KTS_KERNEL_WATCHES'] !== '0' });
    for (const f of failures) log.error(f.message);
    const p = new VrrpProcess(opts, scheduler, journal, transport, vips, GarpSender.open());
    await p.boot();
    return p;
  }

  private async boot(): Promise<void> {
    const { log } = this.opts;
    this.notifyRunner = new NotifyRunner({ log: (l) => log.info(l), globals: this.config.globalDefs });
    this.mailer = this.mailerFor(this.config);
    const port = metricsPortFor(this.opts);
    if (port !== undefined) {
      try {
        this.metrics = await MetricsServer.listen(port, () => this.metricsSnapshot());
        log.info(`Metrics on http://127.0.0.1:${this.metrics.port}/metrics and /status`);
      } catch (e) {
        log.error(`cannot serve metrics on 127.0.0.1:${port}: ${(e as Error).message}`);
      }
    }
    this.subscriptions.add(this.transport.errors$.subscribe((e) => log.error(e.message)));
    this.subscriptions.add(this.journal.committed$.subscribe((rec) => this.onRecord(rec)));
    try {
      this.linkMonitor = await LinkMonitor.open();
      this.subscriptions.add(
        this.linkMonitor.linkEvents$.subscribe((ev) => {
          if (ev.previous === undefined && ev.state !== 'down') return;
          const up = ev.state === 'up';
          log.info(`Netlink reports ${ev.ifname} ${up ? 'up' : 'down'}`);
          for (const u of this.units.values()) u.engine.setInterface(ev.ifname, up);
        }),
      );
    } catch (e) {
      log.error(`cannot watch interfaces (track_interface disabled): ${(e as Error).message}`);
    }
    for (const spec of unitsOf(this.config)) await this.startUnit(spec);
    this.syncScripts();
  }

  private async factsFor(ifname: string): Promise<InterfaceFacts | undefined> {
    const known = this.interfaces.get(ifname);
    if (known) return known;
    const link = await interfaceLookup.link(ifname);
    if (link === undefined || link.mac === undefined) return undefined;
    const facts: InterfaceFacts = { ifindex: link.ifindex, mac: link.mac };
    const v4 = await interfaceLookup.primaryIpv4(ifname);
    if (v4 !== undefined) facts.ipv4 = v4;
    const v6 = await interfaceLookup.ipv6LinkLocal(ifname);
    if (v6 !== undefined) facts.ipv6LinkLocal = v6;
    this.interfaces.set(ifname, facts);
    return facts;
  }

  private openTransportFor(instances: VrrpInstance[]): void {
    const g = this.config.globalDefs;
    const wanted = new Map<string, TransportEndpointSpec>();
    for (const i of instances) {
      const key = `${i.family}/${i.interface}`;
      const group = i.family === 'ipv4' ? g.vrrpMcastGroup4 : g.vrrpMcastGroup6;
      const ep = wanted.get(key) ?? { ifname: i.interface, family: i.family, groups: [] };
      if (i.unicastPeers.length === 0 && !ep.groups!.includes(group)) ep.groups!.push(group);
      wanted.set(key, ep);
    }
    for (const [key, ep] of wanted) {
      const facts = this.interfaces.get(ep.ifname);
      if (facts === undefined) continue;
      const groups = ep.groups ?? [];
      const fullKey = `${key}/${groups.join(',')}`;
      if (this.openEndpoints.has(fullKey)) continue;
      const r = this.transport.open({ ifname: ep.ifname, ifindex: facts.ifindex, family: ep.family, groups });
      if (r.ok) this.openEndpoints.add(fullKey);
      else this.opts.log.error(r.error.message);
    }
  }

  private async startUnit(spec: UnitSpec): Promise<void> {
    const { log } = this.opts;
    const usable: VrrpInstance[] = [];
    for (const i of spec.instances) {
      const facts = await this.factsFor(i.interface);
      if (facts === undefined) {
        log.error(`(${i.name}) interface ${i.interface} does not exist: instance not started`);
        continue;
      }
      usable.push(i);
    }
    if (usable.length === 0) return;
    this.openTransportFor(usable);
    if (this.routes === undefined && usable.some((i) => i.virtualRoutes.length > 0)) this.routes = RouteNetlink.open();
    if (this.vmac === undefined && usable.some((i) => i.useVmac !== undefined)) this.vmac = new VmacSetup(VmacNetlink.open(), (l) => log.error(l));
    const vmacs = new Map<string, string>();
    for (const i of usable) {
      if (i.useVmac === undefined || this.vmac === undefined) continue;
      const r = await this.vmac.create(i, this.interfaces.get(i.interface)!);
      if (!r.ok) {
        log.error(`(${i.name}) ${r.error}: VIPs and adverts stay on ${i.interface}`);
        continue;
      }
      log.info(`(${i.name}) use_vmac: ${r.name} (${r.facts.mac}) on ${i.interface}`);
      this.interfaces.set(r.name, r.facts);
      vmacs.set(i.name, r.name);
      // Adverts leave by the vmac (its virtual MAC as the source) unless vmac_xmit_base.
      if (!i.vmacXmitBase) {
        const o = this.transport.open({ ifname: r.name, ifindex: r.facts.ifindex, family: i.family, groups: [] });
        if (o.ok) this.wire.route(i.interface, i.family, i.virtualRouterId, r.name);
        else log.error(`(${i.name}) cannot send from ${r.name}: ${o.error.message}`);
      }
    }
    const sub: KeepalivedConfig = {
      ...this.config,
      vrrpInstances: usable,
      vrrpSyncGroups: spec.group ? [{ ...spec.group, group: spec.group.group.filter((n) => usable.some((i) => i.name === n)) }] : [],
    };
    let engine: NodeEngine;
    const wire = this.wire.forInstances(usable);
    try {
      engine = new NodeEngine({
        config: sub,
        node: this.node,
        scheduler: this.scheduler,
        journal: this.journal,
        transport: wire,
        codec: protocolCodec,
        machines: vrrpMachineKit,
        primaryAddress: (ifname, family) => {
          const f = this.interfaces.get(ifname);
          return family === 'ipv4' ? f?.ipv4 : f?.ipv6LinkLocal;
        },
        wallClock: () => Date.now(),
        summarizer: createEngineSummarizer(),
      });
    } catch (e) {
      wire.close();
      log.error(`${spec.key}: ${(e as Error).message}`);
      return;
    }
    const effects$ = new Subject<EngineEffect>();
    engine.effects$.subscribe({ next: (e) => effects$.next(e) });
    // AdvertSender reads the instances from the engine and the effects from `effects$`.
    const senderView = {
      instanceNames: () => engine.instanceNames(),
      instanceConfig: (n: string) => engine.instanceConfig(n),
      primaryAddressOf: (n: string) => engine.primaryAddressOf(n),
      effects$: effects$.asObservable(),
    };
    const sender = new AdvertSender(senderView as unknown as NodeEngine, this.wire, protocolCodec, this.config.globalDefs);
    const notifier = new VrrpNotifier(sub, { scripts: this.notifyRunner, ...(this.mailer ? { mailer: this.mailer } : {}) });
    const effects = new LinuxEffects(
      engine,
      effects$,
      {
        vips: this.vips,
        garp: this.garp,
        notifier,
        log,
        interfaces: this.interfaces,
        keepVipsAtStop: () => this.opts.keepVipsAtExit === true,
        stopping: () => this.stopping,
        ...(this.routes ? { routes: this.routes } : {}),
        deviceFor: (n) => vmacs.get(n),
      },
      this.queue,
    );
    const unit: Unit = { ...spec, instances: usable, engine, wire, effects$, sender, effects, notifier, vmacs };
    const members = sub.vrrpSyncGroups[0]?.group;
    if (spec.group !== undefined && members !== undefined) unit.syncGroup = new SyncGroupWatch(spec.group.name, members);
    this.units.set(spec.key, unit);
    engine.start();
    // An interface that is down now is down for the new engine too.
    for (const i of usable) {
      const l = this.linkMonitor?.byName(i.interface);
      if (l !== undefined && linkStateOf(l) === 'down') engine.setInterface(i.interface, false);
    }
  }

  /** Graceful stop of one unit: priority-0 advert, VIPs released, then its adapters let go. */
  private async stopUnit(unit: Unit): Promise<void> {
    this.stopEngine(unit);
    await this.settle();
    unit.sender.close();
    unit.effects.close();
    unit.wire.close();
    await this.removeVmacs(unit);
    this.units.delete(unit.key);
  }

  /** The unit's vmacs go with it (keepalived deletes the vmacs it created at exit). */
  private async removeVmacs(unit: Unit): Promise<void> {
    for (const [name, ifname] of unit.vmacs) {
      const i = unit.instances.find((x) => x.name === name);
      if (i === undefined || this.vmac === undefined) continue;
      this.wire.route(i.interface, i.family, i.virtualRouterId, undefined);
      this.transport.closeInterface(ifname, i.family);
      for (const k of [...this.openEndpoints]) if (k.startsWith(`${i.family}/${ifname}/`)) this.openEndpoints.delete(k);
      this.interfaces.delete(ifname);
      const err = await this.vmac.remove(i);
      if (err) this.opts.log.error(`(${name}) ${err}`);
    }
    unit.vmacs.clear();
  }

  /** smtp_alert's mailer, when global_defs can send mail (notification_email and smtp_server). */
  private mailerFor(config: KeepalivedConfig): SmtpAlerter | undefined {
    const cfg = smtpAlertConfig(config.globalDefs);
    return cfg ? new SmtpAlerter(cfg, { log: (l) => this.opts.log.info(l) }) : undefined;
  }

  private stopEngine(unit: Unit): void {
    unit.finalFrom = this.lastCommittedSeq;
    unit.engine.stop();
  }

  /** Wait until what the engines appended is committed and its effects carried out. */
  private async settle(): Promise<void> {
    await this.journal.flush();
    // committed$ releases on the write's completion or after the 1 ms budget: give it that turn.
    await new Promise((r) => setTimeout(r, 5));
    await this.queue.idle();
  }

  /** Runners for the tracked vrrp_scripts: keep unchanged ones, stop removed, start new. */
  private syncScripts(): void {
    const wanted = new Map(trackedScripts(this.config).map((s) => [s.name, s]));
    for (const [name, s] of this.scripts) {
      const w = wanted.get(name);
      if (w === undefined || stable(w) !== s.fingerprint) {
        void s.runner.stop();
        this.scripts.delete(name);
      }
    }
    for (const [name, script] of wanted) {
      if (this.scripts.has(name)) continue;
      const runner = new VrrpScriptRunner(script, {
        onChange: (c) => {
          this.opts.log.info(`VRRP_Script(${c.name}) ${c.ok ? 'succeeded' : 'failed'}`);
          for (const u of this.units.values()) u.engine.setScript(c.name, c.ok);
        },
        log: (l) => this.opts.log.info(l),
        globals: this.config.globalDefs,
      });
      this.scripts.set(name, { runner, fingerprint: stable(script) });
      runner.start();
    }
  }

  private onRecord(rec: EventRecord): void {
    this.lastCommittedSeq = rec.seq;
    if (rec.kind === 'effect') return this.onFinalEffect(rec);
    if (rec.kind !== 'transition' || !rec.actor.startsWith('vrrp/')) return;
    const d = rec.data as { from: VrrpState; to: VrrpState; reason: TransitionReason };
    const name = rec.actor.slice('vrrp/'.length);
    this.transitions.set(name, (this.transitions.get(name) ?? 0) + 1);
    for (const u of this.units.values()) {
      const g = u.syncGroup;
      if (g === undefined || !g.members.includes(name)) continue;
      const state = g.transition(name, d.to);
      if (state === undefined) continue;
      this.opts.log.info(`VRRP_Group(${g.name}) Syncing instances to ${state} state`);
      u.notifier.group(g.name, state);
    }
    if (d.to === 'INIT' || d.to === 'STOP') {
      this.opts.log.detail(`(${name}) ${d.from} -> ${d.to} (${d.reason.code})`);
      return;
    }
    this.opts.log.info(`(${name}) Entering ${d.to} STATE${d.reason.code === 'startup' ? ' (init)' : ''}`);
    this.opts.log.detail(`(${name}) reason: ${JSON.stringify(d.reason)}`);
  }

  /** An effect of a unit whose engine has stopped: its last step's adverts and VIP releases. */
  private onFinalEffect(rec: EventRecord): void {
    // Adverts went out at their append, while the engine's stream was still open.
    if (!rec.actor.startsWith('vrrp/') || rec.type === 'sendAdvert') return;
    const name = rec.actor.slice('vrrp/'.length);
    for (const u of this.units.values()) {
      if (u.finalFrom === undefined || rec.seq <= u.finalFrom) continue;
      if (!u.instances.some((i) => i.name === name)) continue;
      u.effects$.next({ node: this.node, instance: name, action: rec.data as EngineEffect['action'], at: rec.monoTime, seq: rec.seq });
    }
  }

  /**
   * Apply a new configuration (already loaded and checked by the caller). Units whose fingerprint
   * is unchanged are not touched at all.
   */
  async reload(config: KeepalivedConfig): Promise<ReloadReport> {
    const report: ReloadReport = { kept: [], stopped: [], started: [] };
    if (this.stopping) return report;
    const next = new Map(unitsOf(config).map((u) => [u.key, u]));
    for (const unit of [...this.units.values()]) {
      const n = next.get(unit.key);
      if (n !== undefined && n.fingerprint === unit.fingerprint) {
        report.kept.push(unit.key);
        continue;
      }
      await this.stopUnit(unit);
      report.stopped.push(unit.key);
    }
    this.config = config;
    if (stable(smtpAlertConfig(config.globalDefs)) !== stable(this.mailer?.cfg)) this.mailer = this.mailerFor(config);
    // The configuration in force from here on, in full: replay --verify rebuilds the new units from it.
    this.journal.writeConfig(JSON.parse(stable(config)) as unknown, this.opts.programVersion ?? 'keepalived-ts');
    for (const spec of next.values()) {
      if (this.units.has(spec.key)) continue;
      await this.startUnit(spec);
      if (this.units.has(spec.key)) report.started.push(spec.key);
    }
    this.syncScripts();
    return report;
  }

  /** SIGTERM: every unit stops gracefully, the log is flushed and closed. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const u of this.units.values()) this.stopEngine(u);
    await this.settle();
    for (const u of this.units.values()) {
      u.sender.close();
      u.effects.close();
      // -V keeps the VIPs, so the vmacs they sit on stay too.
      if (this.opts.keepVipsAtExit !== true) await this.removeVmacs(u);
    }
    this.units.clear();
    await this.metrics?.close();
    await this.mailer?.idle();
    await Promise.all([...this.scripts.values()].map((s) => s.runner.stop()));
    await this.notifyRunner.stop(true);
    this.subscriptions.unsubscribe();
    this.linkMonitor?.close();
    this.wire.close();
    this.transport.close();
    this.vips.close();
    this.routes?.close();
    this.vmac?.close();
    await this.journal.flush();
    await this.journal.close();
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** State of each running instance (status, tests). */
  status(): { node: string; pid: number; instances: Array<{ name: string; state: VrrpState; priority: number; master?: string; vips: string[] }> } {
    const instances: Array<{ name: string; state: VrrpState; priority: number; master?: string; vips: string[] }> = [];
    for (const u of this.units.values()) {
      for (const v of u.engine.views()) {
        instances.push({
          name: v.name,
          state: v.state,
          priority: v.effectivePriority,
          ...(v.masterAddress !== undefined ? { master: v.masterAddress } : {}),
          vips: [...(u.effects.held.get(v.name) ?? [])],
        });
      }
    }
    return { node: this.node, pid: process.pid, instances };
  }

  /** Every running instance with its counters: /metrics, /status, SIGUSR2. */
  metricsSnapshot(): MetricsSnapshot {
    // Before the collect, so every advert it counts is in a run the collect hands over.
    const watchedInKernel = this.transport.steadyCounters().kernelHeard;
    // Adverts the steady watches counted since their last run: into the counters (and summaries) now.
    this.wire.collectSteady();
    const instances: InstanceMetrics[] = [];
    for (const u of this.units.values()) {
      const malformed = u.engine.malformed();
      for (const v of u.engine.views()) {
        const c = u.engine.instanceConfig(v.name)!;
        instances.push({
          name: v.name,
          interface: c.interface,
          family: c.family,
          virtualRouterId: c.virtualRouterId,
          state: v.state,
          priority: c.priority,
          effectivePriority: v.effectivePriority,
          transitions: this.transitions.get(v.name) ?? 0,
          advertsSent: this.wire.sent(c.interface, c.family, c.virtualRouterId),
          advertsReceived: this.wire.received(c.interface, c.family, c.virtualRouterId),
          drops: { ...(malformed[v.name] ?? {}) },
          ...(v.masterAddress !== undefined ? { master: v.masterAddress } : {}),
          vips: [...(u.effects.held.get(v.name) ?? [])],
        });
      }
    }
    const known = new Set(instances.map((i) => InstanceTransport.key(i.interface, i.family, i.virtualRouterId)));
    const foreignVrids = this.wire.foreign(known);
    return { node: this.node, pid: process.pid, uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000), instances, foreignVrids, transport: { ...this.transport.stats, watchedInKernel } };
  }

  /** SIGUSR1: keepalived's data dump, in its layout where it applies. */
  dataDump(): string {
    const lines = ['------< Global definitions >------', ` Router ID = ${this.node}`, '------< VRRP Topology >------'];
    for (const u of this.units.values()) {
      for (const v of u.engine.views()) {
        const c = u.engine.instanceConfig(v.name)!;
        lines.push(
          ` VRRP Instance = ${v.name}`,
          `   State = ${v.state}`,
          `   Interface = ${c.interface}`,
          `   Virtual Router ID = ${c.virtualRouterId}`,
          `   Priority = ${c.priority}`,
          `   Effective priority = ${v.effectivePriority}`,
          `   Advert interval = ${c.advertIntMs / 1000} sec`,
          `   VRRP version = ${c.version}`,
          ...(v.masterAddress ? [`   Master router = ${v.masterAddress}`] : []),
          `   Virtual IP = ${c.virtualIpaddress.length}`,
          ...c.virtualIpaddress.map((a) => `     ${a.address}/${a.prefixLen} dev ${a.dev ?? c.interface}`),
        );
      }
    }
    return `${lines.join('\n')}\n`;
  }

  /** SIGUSR2: counters. */
  statsText(): string {
    const lines: string[] = [];
    const snap = this.metricsSnapshot();
    for (const i of snap.instances) {
      lines.push(`VRRP Instance: ${i.name}`, `  Transitions: ${i.transitions}`, `  Adverts sent: ${i.advertsSent}`, `  Adverts received: ${i.advertsReceived}`);
      for (const [reason, n] of Object.entries(i.drops)) lines.push(`  Dropped (${reason}): ${n}`);
    }
    for (const f of snap.foreignVrids) lines.push(`Foreign VRID ${f.vrid} on ${f.interface} (${f.family}): ${f.received}`);
    const t = this.transport.stats;
    const steady = this.transport.steadyCounters();
    const refusals = steady.kernelErrors;
    lines.push(`Packets sent: ${t.sent}`, `Packets received: ${t.received}`, `  of them counted by steady watches: ${t.watched}`, `    of them in the kernel (eBPF filter): ${snap.transport.watchedInKernel ?? 0}`);
    for (const refused of refusals) lines.push(`  Kernel filter refused on ${refused} (steady watches count in the addon)`);
    lines.push(`Steady threads: ${steady.senderThreads} (real-time: ${steady.senderRealtime}), adverts held by their watchdog: ${steady.senderHeld}, watch deadlines they woke for: ${steady.watchWakeups}`);
    lines.push(`Send errors: ${t.sendErrors}`, ...memoryLines(), `Uptime: ${Math.round((Date.now() - this.startedAt) / 1000)} s`);
    return `${lines.join('\n')}\n`;
  }

  writeDataDump(file = dumpFiles().data): void {
    writeFileSync(file, this.dataDump());
    writeFileSync(dumpFiles().json, `${JSON.stringify(this.status(), null, 2)}\n`);
  }

  writeStats(file = dumpFiles().stats): void {
    writeFileSync(file, this.statsText());
  }
}
