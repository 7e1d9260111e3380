import type { KeepalivedConfig } from '../config/types.js';
import type { TransitionReason, VrrpState } from '../machines/vrrp/contract.js';
import type { EventRecord } from '../store/schema.js';
import { SimLan, type LinkProps } from '../adapters/sim-lan.js';
import { AdvertSender } from './advert-sender.js';
import type { VrrpCodec } from './codec.js';
import { MemoryJournal } from './memory-journal.js';
import { NodeEngine, type EngineEffect, type VrrpMachineKit } from './node.js';
import { VirtualScheduler, type Scheduler } from './scheduler.js';
import type { VrrpTransport } from './transport.js';
import { createEngineSummarizer } from './summary-keys.js';

/**
 * Several nodes' configurations on one simulated LAN and one virtual clock, with scripted faults:
 * what `keepalived-ts simulate` and the property tests run. Each node has its own engine and its own
 * in-memory journal (as each daemon has its own log); the timeline is read from the journals.
 */

export interface SimNodeSpec {
  /** Node name: router_id, or the file's base name. */
  name: string;
  config: KeepalivedConfig;
}

export type Fault =
  /** Crash: the node vanishes, no priority-0 advert. */
  | { kind: 'kill'; node: string; at: number }
  /** Graceful stop (SIGTERM): masters send priority 0. */
  | { kind: 'stop'; node: string; at: number }
  /** (Re)start a node; a node whose first fault is `start` is down until then. */
  | { kind: 'start'; node: string; at: number }
  /** Cut the links between the groups from `from` to `to` (forever if no `to`). */
  | { kind: 'partition'; a: string[]; b: string[]; from: number; to?: number }
  /** An interface goes down (the LAN stops carrying it, the engine is told), and up again at `to`. */
  | { kind: 'linkDown'; node: string; ifname: string; from: number; to?: number }
  /** A vrrp_script result changes. */
  | { kind: 'script'; node: string; script: string; ok: boolean; at: number };

export interface SimulationOptions {
  nodes: SimNodeSpec[];
  machines: VrrpMachineKit;
  codec: VrrpCodec;
  seed?: number;
  /** Properties of every link. */
  link?: Partial<LinkProps>;
  faults?: Fault[];
  /** Fold steady streams in the journals (default true). */
  summarize?: boolean;
  /** Keep at most this many records per node journal (default all). */
  maxRecords?: number;
  /** Build a node's journal (default: a MemoryJournal with maxRecords). */
  journal?: (node: string) => MemoryJournal;
  /** Called after every engine step of any node (invariant checks). */
  afterStep?: (sim: Simulation, node: string) => void;
  /**
   * The engines' and advert senders' steady-state shortcuts (default on; see NodeEngineOptions).
   * Off runs the plain path, which the tests compare against.
   */
  fastPath?: boolean;
  /**
   * Wrap a node's transport at each start, e.g. in SteadyWatchTransport (src/adapters/
   * steady-watch-model.ts), the daemon's steady watches as a model: tests compare the two.
   */
  transport?: (node: string, lan: VrrpTransport, scheduler: Scheduler) => VrrpTransport;
  /** The scheduler a node's engine is given, around the simulation's own (tests: TimerOptions.prepare). */
  engineScheduler?: (node: string, scheduler: Scheduler) => Scheduler;
}

export interface TimelineEntry {
  at: number;
  node: string;
  /** Instance name, or undefined for node-level events (faults). */
  instance?: string;
  from?: VrrpState;
  to?: VrrpState;
  reason?: TransitionReason;
  /** A fault applied at this moment. */
  fault?: string;
}

export interface SimNodeRuntime {
  name: string;
  config: KeepalivedConfig;
  journal: MemoryJournal;
  /** Primary address per interface (IPv4; IPv6 link-local beside it). */
  addresses: Map<string, { ipv4: string; ipv6: string }>;
  engine?: NodeEngine;
  sender?: AdvertSender;
  /** VIPs the node's host holds (addVips/removeVips effects); a crash leaves them, as on a real host. */
  vips: Set<string>;
  garps: number;
  /** Every GARP / NA burst the node sent: when, and for which addresses (what a client's ARP cache follows). */
  garpLog: Array<{ at: number; addresses: string[] }>;
  /** Machine steps of the node's previous engines (before a crash or stop). */
  pastSteps: number;
}

export class Simulation {
  readonly scheduler = new VirtualScheduler();
  readonly lan: SimLan;
  readonly nodes = new Map<string, SimNodeRuntime>();
  private readonly timelineEntries: TimelineEntry[] = [];
  private readonly opts: SimulationOptions;

  constructor(opts: SimulationOptions) {
    this.opts = opts;
    this.lan = new SimLan(this.scheduler, { seed: opts.seed ?? 1, ...(opts.link ? { link: opts.link } : {}) });
    const single = opts.nodes.every((n) => new Set(n.config.vrrpInstances.map((i) => i.interface)).size <= 1);
    opts.nodes.forEach((spec, i) => this.addNode(spec, i, single));
    const faults = [...(opts.faults ?? [])];
    const startsLate = new Set<string>();
    for (const spec of opts.nodes) {
      const first = faults.filter((f) => 'node' in f && f.node === spec.name).sort((a, b) => faultTime(a) - faultTime(b))[0];
      if (first?.kind === 'start') startsLate.add(spec.name);
    }
    for (const f of faults) this.scheduleFault(f);
    for (const spec of opts.nodes) if (!startsLate.has(spec.name)) this.startNode(spec.name);
  }

  private addNode(spec: SimNodeSpec, index: number, singleSegment: boolean): void {
    if (this.nodes.has(spec.name)) throw new Error(`two nodes are named ${spec.name}`);
    const addresses = new Map<string, { ipv4: string; ipv6: string }>();
    const ifnames = [...new Set(spec.config.vrrpInstances.map((i) => i.interface))];
    // Each interface gets a primary address: unicast_src_ip when an instance sets one, else one
    // from the documentation ranges, by node index (192.0.2.10+i on the first interface).
    const nets = ['192.0.2', '198.51.100', '203.0.113'];
    ifnames.forEach((ifname, k) => {
      const insts = spec.config.vrrpInstances.filter((i) => i.interface === ifname);
      const v4src = insts.find((i) => i.family === 'ipv4' && i.unicastSrcIp)?.unicastSrcIp;
      const v6src = insts.find((i) => i.family === 'ipv6' && i.unicastSrcIp)?.unicastSrcIp;
      const ipv4 = v4src ?? `${nets[k % nets.length]}.${10 + index}`;
      const ipv6 = v6src ?? `fe80::${(0x10 + index).toString(16)}${k > 0 ? `:${k}` : ''}`;
      addresses.set(ifname, { ipv4, ipv6 });
      const all = new Set([ipv4, ipv6]);
      for (const i of insts) if (i.unicastSrcIp) all.add(i.unicastSrcIp);
      this.lan.attach(spec.name, ifname, singleSegment ? 'lan' : ifname, [...all]);
    });
    const journal = this.opts.journal?.(spec.name) ?? new MemoryJournal(this.opts.maxRecords !== undefined ? { maxRecords: this.opts.maxRecords } : {});
    journal.committed$.subscribe((rec) => this.onRecord(spec.name, rec));
    this.nodes.set(spec.name, { name: spec.name, config: spec.config, journal, addresses, vips: new Set(), garps: 0, garpLog: [], pastSteps: 0 });
  }

  private onRecord(node: string, rec: EventRecord): void {
    if (rec.kind !== 'transition') return;
    const d = rec.data as { from: VrrpState; to: VrrpState; reason: TransitionReason };
    this.timelineEntries.push({ at: rec.monoTime, node, instance: rec.actor.replace(/^vrrp\//, ''), from: d.from, to: d.to, reason: d.reason });
  }

  private scheduleFault(f: Fault): void {
    const s = this.scheduler;
    const note = (node: string, fault: string): void => {
      this.timelineEntries.push({ at: s.now(), node, fault });
    };
    switch (f.kind) {
      case 'kill':
        s.at(f.at, () => {
          note(f.node, 'killed (crash: no priority-0 advert)');
          this.crashNode(f.node);
        });
        break;
      case 'stop':
        s.at(f.at, () => {
          note(f.node, 'stopped (graceful)');
          this.stopNode(f.node);
        });
        break;
      case 'start':
        s.at(f.at, () => {
          note(f.node, 'started');
          this.startNode(f.node);
        });
        break;
      case 'partition':
        s.at(f.from, () => {
          note(f.a.join(','), `partitioned from ${f.b.join(',')}`);
          this.lan.partition(f.a, f.b);
        });
        if (f.to !== undefined) {
          s.at(f.to, () => {
            note(f.a.join(','), `partition from ${f.b.join(',')} healed`);
            this.lan.heal(f.a, f.b);
          });
        }
        break;
      case 'linkDown':
        s.at(f.from, () => {
          note(f.node, `${f.ifname} down`);
          this.setLink(f.node, f.ifname, false);
        });
        if (f.to !== undefined) {
          s.at(f.to, () => {
            note(f.node, `${f.ifname} up`);
            this.setLink(f.node, f.ifname, true);
          });
        }
        break;
      case 'script':
        s.at(f.at, () => {
          note(f.node, `vrrp_script ${f.script} ${f.ok ? 'ok' : 'failed'}`);
          this.runtime(f.node).engine?.setScript(f.script, f.ok);
        });
        break;
    }
  }

  private runtime(node: string): SimNodeRuntime {
    const rt = this.nodes.get(node);
    if (rt === undefined) throw new Error(`no node ${node} in the simulation (nodes: ${[...this.nodes.keys()].join(', ')})`);
    return rt;
  }

  /** Start (or restart) a node's engine. */
  startNode(node: string): void {
    const rt = this.runtime(node);
    if (rt.engine?.isRunning) return;
    if (rt.engine) rt.pastSteps += rt.engine.stats.steps;
    const lanTransport = this.lan.transport(node);
    const transport = this.opts.transport?.(node, lanTransport, this.scheduler) ?? lanTransport;
    const engine = new NodeEngine({
      config: rt.config,
      node,
      scheduler: this.opts.engineScheduler?.(node, this.scheduler) ?? this.scheduler,
      journal: rt.journal,
      transport,
      codec: this.opts.codec,
      machines: this.opts.machines,
      primaryAddress: (ifname, family) => rt.addresses.get(ifname)?.[family],
      wallClock: () => this.scheduler.now(),
      fastPath: this.opts.fastPath !== false,
      ...(this.opts.summarize === false ? {} : { summarizer: createEngineSummarizer() }),
      ...(this.opts.afterStep ? { afterStep: () => this.opts.afterStep!(this, node) } : {}),
    });
    rt.engine = engine;
    rt.sender = new AdvertSender(engine, transport, this.opts.codec, rt.config.globalDefs, { cacheEncoded: this.opts.fastPath !== false });
    engine.effects$.subscribe((e) => this.onEffect(rt, e));
    engine.start();
    // A link that is down stays down across a restart: tell the new engine.
    for (const ifname of rt.addresses.keys()) if (!this.lan.isInterfaceUp(node, ifname)) engine.setInterface(ifname, false);
  }

  stopNode(node: string): void {
    const rt = this.runtime(node);
    rt.engine?.stop();
    rt.sender?.close();
  }

  crashNode(node: string): void {
    const rt = this.runtime(node);
    rt.engine?.crash();
    rt.sender?.close();
  }

  setLink(node: string, ifname: string, up: boolean): void {
    this.lan.setInterfaceUp(node, ifname, up);
    this.runtime(node).engine?.setInterface(ifname, up);
  }

  private onEffect(rt: SimNodeRuntime, e: EngineEffect): void {
    const a = e.action;
    if (a.type === 'addVips') for (const v of a.addresses) rt.vips.add(v);
    else if (a.type === 'removeVips') for (const v of a.addresses) rt.vips.delete(v);
    else if (a.type === 'sendGarp') {
      rt.garps++;
      rt.garpLog.push({ at: e.at, addresses: a.addresses });
    }
  }

  /** Run until virtual time `until` (ms). */
  runUntil(until: number): void {
    this.scheduler.runUntil(until);
  }

  /** State of every instance of every node now; a node that is not running shows undefined. */
  states(): Array<{ node: string; instance: string; vrid: number; state: VrrpState | undefined; priority?: number; address?: string }> {
    const out: Array<{ node: string; instance: string; vrid: number; state: VrrpState | undefined; priority?: number; address?: string }> = [];
    for (const rt of this.nodes.values()) {
      for (const inst of rt.config.vrrpInstances) {
        const running = rt.engine?.isRunning === true;
        const view = running ? rt.engine!.view(inst.name) : undefined;
        out.push({
          node: rt.name,
          instance: inst.name,
          vrid: inst.virtualRouterId,
          state: running ? rt.engine!.state(inst.name) : undefined,
          ...(view ? { priority: view.effectivePriority } : {}),
          ...(rt.engine ? { address: rt.engine.primaryAddressOf(inst.name)! } : {}),
        });
      }
    }
    return out;
  }

  timeline(): TimelineEntry[] {
    return [...this.timelineEntries].sort((a, b) => a.at - b.at);
  }

  /** Malformed packets per node, instance and reason. */
  malformed(): Record<string, Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, Record<string, number>>> = {};
    for (const rt of this.nodes.values()) {
      const m = rt.engine?.malformed();
      if (m && Object.keys(m).length > 0) out[rt.name] = m;
    }
    return out;
  }

  /** Machine steps over all nodes (engines since their last start). */
  steps(): number {
    let n = 0;
    for (const rt of this.nodes.values()) n += rt.pastSteps + (rt.engine?.stats.steps ?? 0);
    return n;
  }
}

function faultTime(f: Fault): number {
  return f.kind === 'partition' || f.kind === 'linkDown' ? f.from : f.at;
}
