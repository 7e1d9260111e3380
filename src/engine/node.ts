import { Subject, type Observable, type Subscription } from 'rxjs';
import type { GlobalDefs, KeepalivedConfig, VrrpInstance, VrrpScript, VrrpSyncGroup } from '../config/types.js';
import type {
  Transition,
  VrrpAction,
  VrrpInput,
  VrrpInstanceView,
  VrrpState,
  VrrpStepper,
  VrrpStepResult,
  VrrpTimer,
} from '../machines/vrrp/contract.js';
import type { EventKind, EventRecord, Journal, NewEvent } from '../store/schema.js';
import type { SteadyStream } from '../store/summarizer.js';
import type { AdvertReceiveContext, ValidatedAdvert, VrrpCodec } from './codec.js';
import type { Scheduler, TimerHandle, TimerOptions } from './scheduler.js';
import {
  ADVERT_TIMER_KEY,
  SENT_ADVERT_KEY,
  advertInputFields,
  advertStreamKey,
  markForced,
  sentAdvertFields,
  type DropData,
} from './summary-keys.js';
import type { ReceivedVrrpPacket, SteadyAdvertRun, SteadyRun, VrrpTransport } from './transport.js';

/**
 * One node's engine: one actor per vrrp_instance, fed through its pure stepper.
 *
 * Every input (packet, timer expiry, link or script change) goes the same way:
 *   step → journal [input, transition (cause = the input's seq), effects (cause = same)] → adapters.
 * Adapters (the advert sender, VIPs, GARP, notify) subscribe to `effects$`, which follows the
 * journal's committed stream: they act on what the log has committed, never on an actor. Adverts
 * alone go at the append, ahead of the commit (see `commit`).
 * A sync group's members move in the same engine step: the member's transition and the `syncGroup`
 * inputs it causes in the others go into ONE journal batch.
 *
 * Timers belong to the engine: armTimer / cancelTimer actions are carried out here on the scheduler
 * (they are bookkeeping, not effects on the world, so they are not journaled; their expiries are).
 */

/** What the engine tells a stepper beyond the contract's (instance, globals). */
export interface EngineStepperOptions {
  primaryAddress?: string;
  /** The vrrp_script blocks (default weights, init_fail of a track_script). */
  vrrpScripts?: readonly VrrpScript[];
  /** The sync group the instance belongs to (its own tracking applies to members). */
  syncGroup?: VrrpSyncGroup;
}

export type StepperFactory = (instance: VrrpInstance, globals: GlobalDefs, opts?: EngineStepperOptions) => VrrpStepper<unknown>;

export type SyncGroupInputsFn = (
  group: VrrpSyncGroup,
  member: string,
  transition: Transition,
  at: number,
) => Array<{ instance: string; input: VrrpInput }>;

export interface VrrpMachineKit {
  createStepper: StepperFactory;
  syncGroupInputs: SyncGroupInputsFn;
}

/** The journal the engine writes: the contract plus the committed stream every journal exposes. */
export interface EngineJournal extends Journal {
  readonly committed$: Observable<EventRecord>;
  /** The seq the next append will get, when the journal can tell (lets causes be set before append). */
  readonly nextSeqNumber?: number;
  /** The last seq appended (the LevelDB event log tells this one). */
  readonly lastSeq?: number;
}

/** The summarizer's surface (src/store/summarizer.ts StreamSummarizer). */
export interface EventSummarizer {
  offer(e: NewEvent): NewEvent[];
  flush(monoNow: number, all?: boolean): NewEvent[];
  /** Folding a steady stream's events without an event object each (see NodeEngine.foldSteadyStep). */
  streamOf?(node: string, actor: string, key: string): SteadyStream | undefined;
  foldsSteady?(stream: SteadyStream, fields: unknown, monoTime: number): boolean;
  foldSteady?(stream: SteadyStream, monoTime: number, wallTime: number, data: unknown): void;
  /** Folding a run a transport's steady watch counted (see NodeEngine.onRun). */
  foldSteadyRun?(
    stream: SteadyStream,
    count: number,
    first: { monoTime: number; wallTime: number },
    last: { monoTime: number; wallTime: number },
    maxGapMs: number,
    data: unknown,
  ): void;
}

/** The summarizer with the steady-stream surface (StreamSummarizer has it). */
type SteadyFolder = Required<EventSummarizer>;

/** The streams a steady step of an instance folds into (NodeEngine.foldSteadyStep). */
interface SteadyStreams {
  /** BACKUP: adverts of this sender, validated into this very object (the engine's cached validation). */
  heard: { advert: ValidatedAdvert; src: string; stream: SteadyStream; fields: string } | undefined;
  /** MASTER: the advert timer's expiries and the adverts sent. */
  advertTimer: SteadyStream | undefined;
  sentAdvert: SteadyStream | undefined;
}

/**
 * An effect the adapters must carry out, once the journal has committed it (or its stream) — except
 * an advert, which goes as soon as its record is appended (see NodeEngine.commit).
 */
export interface EngineEffect {
  node: string;
  instance: string;
  action: Exclude<VrrpAction, { type: 'armTimer' } | { type: 'cancelTimer' }>;
  at: number;
  /**
   * The effect's own record, when it was logged as is (a repeat folded into a summary has none). An
   * advert has none either: it reaches the adapters before its record is appended.
   */
  seq?: number;
}

export interface NodeEngineOptions {
  config: KeepalivedConfig;
  /** Node name in the log; default global_defs router_id. */
  node?: string;
  scheduler: Scheduler;
  journal: EngineJournal;
  transport: VrrpTransport;
  codec: VrrpCodec;
  machines: VrrpMachineKit;
  /** Primary address of an interface (advert source, tie-break) unless unicast_src_ip is set. */
  primaryAddress: (ifname: string, family: 'ipv4' | 'ipv6') => string | undefined;
  /** Wall clock for records, ms since the epoch; default: the start's Date.now() + scheduler time. */
  wallClock?: () => number;
  /** Folds steady streams; omit to log every record as is. */
  summarizer?: EventSummarizer;
  /** How often open summaries are closed (ms of engine time); default 60 s. */
  summaryFlushMs?: number;
  /** Called after every engine step (one journal batch), e.g. to check invariants. */
  afterStep?: (engine: NodeEngine) => void;
  /**
   * Steady-state shortcuts (default on): a packet byte-identical to the last one accepted from the
   * same source, with the same destination, TTL and checks, reuses that packet's validation instead
   * of decoding it again. Off gives the plain path (tests compare the two).
   */
  fastPath?: boolean;
}

/**
 * The last advert an instance accepted, with everything its validation depended on: the payload
 * (a private copy: a transport may reuse its receive buffer), what the socket reported beside it and
 * the one receive check that changes at run time. Same inputs, same pure function, same result.
 */
interface AcceptedAdvert {
  payload: Uint8Array;
  src: string;
  dst: string;
  ttl: number | undefined;
  skipCheckAdvAddr: boolean;
  advert: ValidatedAdvert;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface NodeStats {
  /** Inputs fed to machines. */
  steps: number;
  /** Packets received that no instance of ours claims (other VRIDs on the LAN). */
  unmatchedPackets: number;
  /** Packets shorter than a VRRP header, on an interface (cannot even be demultiplexed). */
  runtPackets: number;
  /** Steady watches handed to the transport (see NodeEngine.watch). */
  watches: number;
  /** Adverts the transport's watches counted for us, and the runs they came in. */
  watchedAdverts: number;
  watchedRuns: number;
  /** Runs for an instance not watching (a watch left by a unit a reload replaced): ended at once. */
  strayRuns: number;
  /** Steady adverts handed to the transport (see NodeEngine.advertise), the adverts they sent and their runs. */
  steadyAdverts: number;
  steadySent: number;
  steadySentRuns: number;
  /** Steady adverts given straight back to the transport after another input of their instance (see resumeAdvert). */
  resumedAdverts: number;
  /** Master_Down_Timer expiries whose step had been worked out in their last few ms (TimerOptions.prepare). */
  preparedExpiries: number;
}

interface InstanceRuntime {
  name: string;
  actor: string;
  config: VrrpInstance;
  family: 'ipv4' | 'ipv6';
  primaryAddress: string;
  stepper: VrrpStepper<unknown>;
  snapshot: unknown;
  state: VrrpState;
  timers: Map<VrrpTimer, TimerHandle>;
  /** Pre-made expiry callbacks, one per timer, so re-arming allocates no closure. */
  fire: Map<VrrpTimer, () => void>;
  /**
   * Master_Down_Timer's expiry worked out in its last few ms (TimerOptions.prepare): the step for
   * that expiry at its deadline, valid while the snapshot and stepper it was computed from are the
   * instance's. The expiry then only acts: the takeover's first advert leaves without waiting for a
   * machine step that, run cold after a long quiet (a watched backup runs no JavaScript), took
   * 0.4–1.1 ms on the bench.
   */
  preparedExpiry: { snapshot: unknown; stepper: VrrpStepper<unknown>; input: VrrpInput; res: VrrpStepResult<unknown> } | undefined;
  /** The TimerOptions.prepare that fills `preparedExpiry`, made once (see expiryPreparer). */
  prepareExpiry: ((deadline: number) => void) | undefined;
  /**
   * The advert timer's deadline on its own grid (start + n × advert interval), and — while that
   * timer's expiry is being stepped — the deadline it had: a re-arm from its own expiry aims at the
   * next point of the grid, so a late loop turn does not push every later advert (see armTimer).
   */
  advertDue: number | undefined;
  advertFiredDue: number | undefined;
  rx: AdvertReceiveContext;
  syncGroup?: VrrpSyncGroup;
  malformed: Map<string, number>;
  /** skip_check_adv_addr configured: keepalived skips the VIP checks only for the master it follows. */
  skipCheckAdvAddr: boolean;
  /** The fast path's memory of the last accepted advert (undefined when off or none yet). */
  lastAccepted: AcceptedAdvert | undefined;
  /** The fast path's steady streams (see foldSteadyStep). */
  steady: SteadyStreams;
  /**
   * Set while the transport watches this BACKUP's master (VrrpTransport.watchSteady): the
   * transport then holds Master_Down_Timer (`expireMs` from the latest identical advert) and the
   * engine's own is not armed. `at`: the advert the watch began with. See NodeEngine.watch.
   */
  watched: { ifname: string; family: 'ipv4' | 'ipv6'; vrid: number; expireMs: number; at: number } | undefined;
  /**
   * Set while the transport sends this MASTER's steady advert (VrrpTransport.advertSteady): the
   * engine's advert timer is not armed meanwhile. See NodeEngine.advertise.
   */
  advertising: { ifname: string; family: 'ipv4' | 'ipv6'; vrid: number; intervalMs: number } | undefined;
}

/** One event under construction in a batch, with the input that caused it. */
interface Pending {
  ev: NewEvent;
  cause: Pending | undefined;
  /** Logged as is regardless of the summarizer (an input that caused a transition). */
  force: boolean;
  /** Position in the appended batch, once known (-1: folded into a summary). */
  index: number;
}

const MAX_CASCADE = 1024;

/**
 * How long before Master_Down_Timer would expire a steady watch hands the timer back (ms): longer
 * than the real-time scheduler's early wake-up for a precise timer (4 ms + 0.2 %), so the engine's
 * own timer runs the last stretch and the takeover is timed as without a watch.
 */
function watchHandoverMs(expireMs: number): number {
  return 10 + expireMs / 250;
}

/** Machine kits whose takeover step has run once in this process (NodeEngine.warmUpStepper). */
const warmedKits = new WeakSet<VrrpMachineKit>();

export class NodeEngine {
  readonly node: string;
  readonly stats: NodeStats = { steps: 0, unmatchedPackets: 0, runtPackets: 0, watches: 0, watchedAdverts: 0, watchedRuns: 0, strayRuns: 0, steadyAdverts: 0, steadySent: 0, steadySentRuns: 0, resumedAdverts: 0, preparedExpiries: 0 };
  private readonly opts: NodeEngineOptions;
  private readonly globals: GlobalDefs;
  private readonly instances = new Map<string, InstanceRuntime>();
  private readonly byActor = new Map<string, InstanceRuntime>();
  /** Receive demultiplexing: interface → (vrid + 256 for IPv6) → instance. */
  private readonly demux = new Map<string, Array<InstanceRuntime | undefined>>();
  private readonly wallClock: () => number;
  private readonly effectsSubject = new Subject<EngineEffect>();
  private readonly subscriptions: Subscription[] = [];
  private batch: Pending[] = [];
  /** The other batch array: the two swap at each commit, so a step allocates no array for it. */
  private spare: Pending[] = [];
  private inBatch = false;
  private trackedNextSeq = 1;
  private flushTimer: TimerHandle | undefined;
  private running = false;
  private stopped = false;
  private readonly fastPath: boolean;
  /** True during this engine's journal.append: what a synchronous journal commits then is held back. */
  private appending = false;
  /** Effects committed during the append, delivered after the batch's adverts. */
  private heldBack: EngineEffect[] | undefined;

  /** Effects to carry out, after the journal committed them (adapters subscribe here). */
  readonly effects$: Observable<EngineEffect> = this.effectsSubject.asObservable();

  constructor(opts: NodeEngineOptions) {
    this.opts = opts;
    this.fastPath = opts.fastPath !== false;
    this.globals = opts.config.globalDefs;
    this.node = opts.node ?? opts.config.globalDefs.routerId;
    const epoch = Date.now() - opts.scheduler.now();
    this.wallClock = opts.wallClock ?? (() => epoch + opts.scheduler.now());
    const groups = new Map<string, VrrpSyncGroup>();
    for (const g of opts.config.vrrpSyncGroups) for (const m of g.group) groups.set(m, g);
    for (const inst of opts.config.vrrpInstances) this.addInstance(inst, groups.get(inst.name));
  }

  private addInstance(config: VrrpInstance, syncGroup: VrrpSyncGroup | undefined): void {
    const family = config.family;
    const primaryAddress = config.unicastSrcIp ?? this.opts.primaryAddress(config.interface, family);
    if (primaryAddress === undefined) {
      throw new Error(`${this.node}: no ${family} address on ${config.interface} for vrrp_instance ${config.name}`);
    }
    const stepper = this.opts.machines.createStepper(config, this.globals, {
      primaryAddress,
      vrrpScripts: this.opts.config.vrrpScripts,
      ...(syncGroup !== undefined ? { syncGroup } : {}),
    });
    const inst: InstanceRuntime = {
      name: config.name,
      actor: `vrrp/${config.name}`,
      config,
      family,
      primaryAddress,
      stepper,
      snapshot: undefined,
      state: 'INIT',
      timers: new Map(),
      fire: new Map(),
      preparedExpiry: undefined,
      prepareExpiry: undefined,
      advertDue: undefined,
      advertFiredDue: undefined,
      rx: {
        version: config.version,
        vrid: config.virtualRouterId,
        family,
        advertIntCs: Math.round(config.advertIntMs / 10),
        vips: config.virtualIpaddress.map((v) => v.address),
        skipCheckAdvAddr: false,
        unicastPeers: config.unicastPeers.map((p) => p.address),
        multicastGroup: family === 'ipv4' ? this.globals.vrrpMcastGroup4 : this.globals.vrrpMcastGroup6,
        ttl: undefined,
        src: '',
        dst: '',
      },
      malformed: new Map(),
      skipCheckAdvAddr: config.skipCheckAdvAddr || this.globals.vrrpSkipCheckAdvAddr,
      lastAccepted: undefined,
      steady: { heard: undefined, advertTimer: undefined, sentAdvert: undefined },
      watched: undefined,
      advertising: undefined,
    };
    if (config.authentication !== undefined) inst.rx.auth = config.authentication;
    if (config.v3ChecksumAsV2) inst.rx.v3ChecksumAsV2 = true;
    const peerTtl: Record<string, { minTtl?: number; maxTtl?: number }> = {};
    let anyTtl = false;
    for (const p of config.unicastPeers) {
      if (p.minTtl === undefined && p.maxTtl === undefined) continue;
      anyTtl = true;
      peerTtl[p.address] = { ...(p.minTtl !== undefined ? { minTtl: p.minTtl } : {}), ...(p.maxTtl !== undefined ? { maxTtl: p.maxTtl } : {}) };
    }
    if (anyTtl) inst.rx.unicastPeerTtl = peerTtl;
    if (syncGroup !== undefined) inst.syncGroup = syncGroup;
    this.instances.set(inst.name, inst);
    this.byActor.set(inst.actor, inst);
    let table = this.demux.get(config.interface);
    if (table === undefined) this.demux.set(config.interface, (table = new Array(512).fill(undefined)));
    table[config.virtualRouterId + (family === 'ipv6' ? 256 : 0)] = inst;
  }

  /** Instance names, in config order. */
  instanceNames(): string[] {
    return [...this.instances.keys()];
  }

  instanceConfig(name: string): VrrpInstance | undefined {
    return this.instances.get(name)?.config;
  }

  /** The address the instance sends from and compares on ties. */
  primaryAddressOf(name: string): string | undefined {
    return this.instances.get(name)?.primaryAddress;
  }

  state(name: string): VrrpState | undefined {
    return this.instances.get(name)?.state;
  }

  view(name: string): VrrpInstanceView | undefined {
    const inst = this.instances.get(name);
    return inst && inst.snapshot !== undefined ? inst.stepper.view(inst.snapshot) : undefined;
  }

  views(): VrrpInstanceView[] {
    const out: VrrpInstanceView[] = [];
    for (const name of this.instances.keys()) {
      const v = this.view(name);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  /** Malformed packets per instance and drop reason. */
  malformed(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const inst of this.instances.values()) {
      if (inst.malformed.size > 0) out[inst.name] = Object.fromEntries(inst.malformed);
    }
    return out;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Start: a 'config' record, then every instance's init and `startup`, in one batch. Subscribes to
   * the transport and the journal's committed stream.
   */
  start(): void {
    if (this.running || this.stopped) throw new Error(`${this.node}: engine already started`);
    this.running = true;
    const at = this.opts.scheduler.now();
    this.subscriptions.push(
      this.opts.journal.committed$.subscribe((rec) => this.onCommitted(rec)),
      this.opts.transport.receive$.subscribe((pkt) => this.onPacket(pkt)),
    );
    this.begin();
    this.push({ ev: this.event('engine', 'config', 'start', at, this.configSummary()), cause: undefined, force: false, index: -1 });
    for (const inst of this.instances.values()) {
      const res = inst.stepper.init(at);
      inst.snapshot = res.snapshot;
      inst.state = inst.stepper.view(res.snapshot).state;
      this.handleResult(inst, res.actions, undefined, undefined, at);
    }
    for (const inst of this.instances.values()) this.stepOne(inst, { type: 'startup', at });
    this.commit();
    this.armSummaryFlush();
    this.warmUpStepper();
  }

  /**
   * Step a scratch copy of the first instance through a takeover and back, once per process and
   * machine kit, and throw the results away. A backup first takes over after minutes or days; until
   * then the code of that step has never run, and its first run (compilation included) took 0.45 ms
   * against 0.14 ms once run before — on the takeover's critical path. Pure: no journal, no timer,
   * no effect; a failure here is ignored (the real step would meet it in the log).
   */
  private warmUpStepper(): void {
    const kit = this.opts.machines;
    if (warmedKits.has(kit)) return;
    warmedKits.add(kit);
    const first = this.instances.values().next().value as InstanceRuntime | undefined;
    if (first === undefined) return;
    try {
      const c = first.config;
      const stepper = kit.createStepper(c, this.globals, { primaryAddress: first.primaryAddress, vrrpScripts: this.opts.config.vrrpScripts });
      let snapshot = stepper.init(0).snapshot;
      const step = (input: VrrpInput): void => {
        snapshot = stepper.step(snapshot, input).snapshot;
      };
      const peer = first.family === 'ipv4' ? '192.0.2.254' : 'fe80::fe';
      const advert = (at: number, priority: number): VrrpInput => ({ type: 'advert', at, src: peer, priority, maxAdverIntCs: first.rx.advertIntCs, addresses: first.rx.vips });
      step({ type: 'startup', at: 0 });
      step(advert(1, 254));
      step({ type: 'timer', at: 100_000, timer: 'masterDown' });
      step({ type: 'timer', at: 101_000, timer: 'advert' });
      step(advert(101_500, 254));
      step(advert(102_000, 0));
      step({ type: 'timer', at: 103_000, timer: 'masterDown' });
      step({ type: 'shutdown', at: 104_000 });
    } catch {
      // Only a warm-up.
    }
  }

  /** A tracked (or an instance's own) interface went up or down: one step for every instance concerned. */
  setInterface(name: string, up: boolean): void {
    if (!this.running) return;
    const concerned = [...this.instances.values()].filter((inst) => {
      const c = inst.config;
      return c.interface === name || c.trackInterface.some((t) => t.name === name) || inst.syncGroup?.trackInterface.some((t) => t.name === name);
    });
    for (const inst of concerned) this.settle(inst);
    const at = this.opts.scheduler.now();
    this.begin();
    for (const inst of concerned) this.stepOne(inst, { type: 'interface', at, name, up });
    this.commit();
  }

  /** A vrrp_script reached a new result (after rise/fall). */
  setScript(name: string, ok: boolean): void {
    if (!this.running) return;
    const concerned = [...this.instances.values()].filter(
      (inst) => inst.config.trackScript.some((t) => t.name === name) || inst.syncGroup?.trackScript.some((t) => t.name === name),
    );
    for (const inst of concerned) this.settle(inst);
    const at = this.opts.scheduler.now();
    this.begin();
    for (const inst of concerned) this.stepOne(inst, { type: 'script', at, name, ok });
    this.commit();
  }

  /** Feed one input to one instance (replay, tests). */
  feed(instance: string, input: VrrpInput): void {
    const inst = this.instances.get(instance);
    if (inst === undefined) throw new Error(`${this.node}: no vrrp_instance ${instance}`);
    if (!this.running) return;
    this.settle(inst);
    this.begin();
    this.stepOne(inst, input);
    this.commit();
  }

  /**
   * Graceful stop (SIGTERM): every instance gets `shutdown` in one step (a MASTER sends its
   * priority-0 advert), open summaries are closed, then the engine lets go of everything.
   */
  stop(): void {
    if (!this.running) return;
    for (const inst of this.instances.values()) this.settle(inst);
    const at = this.opts.scheduler.now();
    this.begin();
    for (const inst of this.instances.values()) this.stepOne(inst, { type: 'shutdown', at });
    this.commit();
    this.flushSummaries(true);
    this.detach();
  }

  /** A crash: no shutdown, no priority-0 advert, nothing more logged; timers and sockets vanish. */
  crash(): void {
    if (!this.running) return;
    this.detach();
  }

  private detach(): void {
    this.running = false;
    this.stopped = true;
    // Nobody would hear those adverts any more: the watches end (their runs find the engine stopped).
    for (const inst of this.instances.values()) {
      const w = inst.watched;
      inst.watched = undefined;
      if (w !== undefined) this.opts.transport.unwatchSteady?.(w.ifname, w.family, w.vrid);
      // A stopped (or crashed) engine's adverts stop with it.
      const a = inst.advertising;
      inst.advertising = undefined;
      if (a !== undefined) this.opts.transport.unadvertSteady?.(a.ifname, a.family, a.vrid);
    }
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions.length = 0;
    for (const inst of this.instances.values()) {
      for (const h of inst.timers.values()) this.opts.scheduler.cancel(h);
      inst.timers.clear();
    }
    if (this.flushTimer !== undefined) this.opts.scheduler.cancel(this.flushTimer);
    this.flushTimer = undefined;
    this.effectsSubject.complete();
  }

  // ---- receive path -------------------------------------------------------------------------

  private onPacket(pkt: ReceivedVrrpPacket): void {
    if (!this.running) return;
    const payload = pkt.payload;
    const table = this.demux.get(pkt.ifname);
    if (table === undefined) {
      this.stats.unmatchedPackets++;
      return;
    }
    if (payload.length < 8) {
      this.stats.runtPackets++;
      return;
    }
    // VRID demultiplexing comes before keepalived's vrrp_check_packet, as in keepalived.
    const inst = table[payload[1]! + (pkt.family === 'ipv6' ? 256 : 0)];
    if (inst === undefined) {
      this.stats.unmatchedPackets++;
      return;
    }
    if (pkt.run !== undefined) {
      this.onRun(inst, pkt, pkt.run);
      return;
    }
    // A watch sends what differs after its run; from elsewhere (another socket), end it first. A
    // MASTER sending from the transport takes its timer back before it hears anything.
    if (inst.watched !== undefined || inst.advertising !== undefined) this.settle(inst);
    const rx = inst.rx;
    rx.src = pkt.src;
    rx.dst = pkt.dst;
    rx.ttl = pkt.ttl;
    if (inst.skipCheckAdvAddr) rx.skipCheckAdvAddr = inst.stepper.view(inst.snapshot).masterAddress === pkt.src;
    const last = inst.lastAccepted;
    let adv: ValidatedAdvert;
    if (
      last !== undefined &&
      last.src === pkt.src &&
      last.dst === pkt.dst &&
      last.ttl === pkt.ttl &&
      last.skipCheckAdvAddr === rx.skipCheckAdvAddr &&
      sameBytes(last.payload, payload)
    ) {
      // The steady state: the master's advert again, byte for byte. validate is pure in exactly
      // these inputs (the rest of rx is the instance's configuration), so its answer is the same.
      adv = last.advert;
    } else {
      const res = this.opts.codec.validate(payload, rx);
      if (!res.ok) {
        inst.malformed.set(res.reason, (inst.malformed.get(res.reason) ?? 0) + 1);
        const drop: DropData = { type: 'drop', at: pkt.at, src: pkt.src, reason: res.reason };
        if (res.detail !== undefined) drop.detail = res.detail;
        this.begin();
        this.push({ ev: this.event(inst.actor, 'input', 'drop', pkt.at, drop), cause: undefined, force: false, index: -1 });
        this.commit();
        return;
      }
      adv = res.advert;
      if (this.fastPath) {
        inst.lastAccepted = { payload: new Uint8Array(payload), src: pkt.src, dst: pkt.dst, ttl: pkt.ttl, skipCheckAdvAddr: rx.skipCheckAdvAddr, advert: adv };
      }
    }
    const input: VrrpInput = {
      type: 'advert',
      at: pkt.at,
      src: pkt.src,
      priority: adv.priority,
      maxAdverIntCs: adv.maxAdverIntCs,
      addresses: adv.addresses,
    };
    if (this.inBatch) throw new Error('engine step re-entered');
    const res = inst.stepper.step(inst.snapshot, input);
    const heard = inst.steady.heard;
    if (heard !== undefined && heard.advert === adv && heard.src === input.src && this.foldSteadyStep(inst, input, res, heard.stream, heard.fields)) {
      if (inst.watched === undefined) this.watch(inst, pkt, res);
      return;
    }
    this.begin();
    this.record(inst, input, res, 0);
    this.commit();
    if (this.fastPath && res.transition === undefined) {
      const stream = this.steadyFolder()?.streamOf(this.node, inst.actor, advertStreamKey(input.src));
      inst.steady.heard = stream === undefined ? undefined : { advert: adv, src: input.src, stream, fields: advertInputFields(input) };
    }
  }

  // ---- steady watches ------------------------------------------------------------------------

  /**
   * A BACKUP heard its master's advert again and folded it as steady (no transition; the step only
   * re-armed Master_Down_Timer): the transport may count the identical ones from now on and hold
   * that timer (VrrpTransport.watchSteady), so the steady state costs no JavaScript per advert. The
   * machine still decides: anything else for the VRID ends the watch, its run first; any other
   * input of the instance ends it before the step (settle); a run is stepped as its last advert
   * (the machine's context keeps only the latest advert's time: stepping the others changes
   * nothing) and folded into the same summary the adverts one by one would have been. Sync-group
   * members are not watched: a member's step may move the others inside one batch.
   */
  private watch(inst: InstanceRuntime, pkt: ReceivedVrrpPacket, res: VrrpStepResult<unknown>): void {
    const transport = this.opts.transport;
    if (transport.watchSteady === undefined || !this.fastPath || inst.syncGroup !== undefined || !this.running) return;
    if (res.actions.length !== 1) return;
    const arm = res.actions[0]!;
    if (arm.type !== 'armTimer' || arm.timer !== 'masterDown') return;
    if (!transport.watchSteady({ packet: pkt, expireMs: arm.delayMs, handoverMs: watchHandoverMs(arm.delayMs) })) return;
    this.cancelTimer(inst, 'masterDown');
    inst.watched = { ifname: pkt.ifname, family: pkt.family, vrid: pkt.payload[1]!, expireMs: arm.delayMs, at: pkt.at };
    this.stats.watches++;
  }

  /**
   * End the instance's watch or steady advert before anything else reaches its machine: its run is
   * stepped first, and the engine's own timer is back.
   */
  private settle(inst: InstanceRuntime): void {
    const w = inst.watched;
    if (w !== undefined) {
      this.opts.transport.unwatchSteady?.(w.ifname, w.family, w.vrid);
      if (inst.watched !== undefined) {
        // The transport gave no run (its socket is gone): our own timer again, from the advert we know.
        inst.watched = undefined;
        this.armTimer(inst, 'masterDown', w.expireMs, w.at);
      }
    }
    const a = inst.advertising;
    if (a !== undefined) {
      this.opts.transport.unadvertSteady?.(a.ifname, a.family, a.vrid);
      if (inst.advertising !== undefined) {
        inst.advertising = undefined;
        this.armAdvertAt(inst, this.opts.scheduler.now() + a.intervalMs, a.intervalMs);
      }
    }
  }

  /**
   * A MASTER's advert timer step folded as steady (it sent the same advert and re-armed): the
   * transport may send that advert at each point of the timer's grid itself
   * (VrrpTransport.advertSteady), so a master's steady state costs no JavaScript per advert — at
   * 10 adverts a second, each of them ran cold (≈ 0.3 ms, measured). As for watches: any other
   * input of the instance takes it back first (settle); a run is stepped as its last expiry and
   * folded into the summaries the expiries one by one would have made. Not for sync-group members,
   * nor with unicast peers (one advert per peer).
   */
  private advertise(inst: InstanceRuntime, res: VrrpStepResult<unknown>): void {
    const transport = this.opts.transport;
    if (transport.advertSteady === undefined || !this.fastPath || inst.syncGroup !== undefined || inst.config.unicastPeers.length > 0 || !this.running) return;
    if (res.actions.length !== 2) return;
    const arm = res.actions.find((a) => a.type === 'armTimer');
    if (arm === undefined || arm.type !== 'armTimer' || arm.timer !== 'advert' || !res.actions.some((a) => a.type === 'sendAdvert')) return;
    const due = inst.advertDue;
    if (due === undefined) return;
    const req = { ifname: inst.config.interface, family: inst.family, vrid: inst.config.virtualRouterId, intervalMs: arm.delayMs };
    if (!transport.advertSteady({ ...req, nextDueAt: due, onRun: (run) => this.onAdvertRun(inst, run) })) return;
    this.cancelTimer(inst, 'advert');
    inst.advertising = req;
    this.stats.steadyAdverts++;
  }

  /**
   * After another input of a MASTER that was sending from the transport (a timer's: the
   * vrrp_garp_master_delay, a gratuitous ARP repeat), its steady advert goes straight back to the
   * transport when the next expiry is provably the same steady step: the machine is pure, so that
   * expiry is stepped ahead, at its time on the grid, and the answer thrown away (as a prepared
   * Master_Down_Timer expiry is). Otherwise the next advert went through JavaScript (timer, step,
   * send) before advertise() handed it back, and 50 instances that became MASTER together take
   * their garp-delay timers together: their next adverts then waited for one another's work, 20–40 ms
   * at 10 ms adverts (test/daemon/reload-big.test.ts), more than a backup's Master_Down_Interval
   * leaves.
   */
  private resumeAdvert(inst: InstanceRuntime, req: NonNullable<InstanceRuntime['advertising']>): void {
    const transport = this.opts.transport;
    if (transport.advertSteady === undefined || !this.running || inst.advertising !== undefined || inst.state !== 'MASTER') return;
    // Due already (the input came late, behind others of its herd): the transport sends it at once
    // and keeps the grid; a whole interval late is left to the engine's own timer.
    const due = inst.advertDue;
    if (due === undefined || due <= this.opts.scheduler.now() - req.intervalMs || !inst.timers.has('advert')) return;
    const st = inst.steady;
    const folder = this.steadyFolder();
    if (folder === undefined || st.advertTimer === undefined || st.sentAdvert === undefined) return;
    const res = inst.stepper.step(inst.snapshot, { type: 'timer', at: due, timer: 'advert' });
    if (res.transition !== undefined || res.actions.length !== 2) return;
    let advert: Extract<VrrpAction, { type: 'sendAdvert' }> | undefined;
    let rearms = false;
    for (const a of res.actions) {
      if (a.type === 'sendAdvert') advert = a;
      else if (a.type === 'armTimer' && a.timer === 'advert' && a.delayMs === req.intervalMs) rearms = true;
    }
    if (advert === undefined || !rearms) return;
    if (!folder.foldsSteady(st.advertTimer, null, due) || !folder.foldsSteady(st.sentAdvert, sentAdvertFields(advert), due)) return;
    if (!transport.advertSteady({ ...req, nextDueAt: due, onRun: (run) => this.onAdvertRun(inst, run) })) return;
    this.cancelTimer(inst, 'advert');
    inst.advertising = req;
    this.stats.resumedAdverts++;
  }

  /** A run of a steady advert (see advertise): the machine steps its last expiry; the summaries count them all. */
  private onAdvertRun(inst: InstanceRuntime, run: SteadyAdvertRun): void {
    const a = inst.advertising;
    if (a === undefined || !this.running) return;
    this.stats.steadySentRuns++;
    if (run.ended) inst.advertising = undefined;
    if (run.count > 0) {
      this.stats.steadySent += run.count;
      const input: VrrpInput = { type: 'timer', at: run.lastAt, timer: 'advert' };
      if (this.inBatch) throw new Error('engine step re-entered');
      const res = inst.stepper.step(inst.snapshot, input);
      const st = inst.steady;
      const folder = this.opts.summarizer?.foldSteadyRun !== undefined ? this.steadyFolder() : undefined;
      const advert = res.actions.find((x): x is Extract<VrrpAction, { type: 'sendAdvert' }> => x.type === 'sendAdvert');
      const timerStream = st.advertTimer;
      const sentStream = st.sentAdvert;
      const folds =
        folder !== undefined && timerStream !== undefined && sentStream !== undefined && res.transition === undefined && advert !== undefined &&
        res.actions.every((x) => x.type === 'sendAdvert' || x.type === 'armTimer') &&
        this.foldsNowOrAfterFlush(() => folder.foldsSteady(timerStream, null, run.firstAt) && folder.foldsSteady(sentStream, sentAdvertFields(advert), run.firstAt));
      if (folds) {
        this.stats.steps++;
        inst.snapshot = res.snapshot;
        const first = this.stamped(run.firstAt);
        const last = this.stamped(run.lastAt);
        folder.foldSteadyRun(timerStream, run.count, first, last, run.maxGapMs, { ...input, at: run.firstAt });
        folder.foldSteadyRun(sentStream, run.count, first, last, run.maxGapMs, advert);
      } else {
        // Not the steady step it was (never seen): logged as is. Its advert went already, so the
        // step's is not sent again; its timer action re-arms the advert timer, ours again.
        if (!run.ended) {
          inst.advertising = undefined;
          this.opts.transport.unadvertSteady?.(a.ifname, a.family, a.vrid);
        }
        this.begin();
        this.record(inst, input, { ...res, actions: res.actions.filter((x) => x.type !== 'sendAdvert') }, 0);
        this.commit();
      }
    }
    // Ours again: the advert timer on the grid where the transport left it.
    if (run.ended && this.running && inst.state === 'MASTER') this.armAdvertAt(inst, run.nextDueAt, a.intervalMs);
  }

  /**
   * The advert timer armed to fire at `due`, the next point of its grid (see armTimer) — at once
   * when that point is now or past (the transport was taken back at its deadline, before it sent).
   */
  private armAdvertAt(inst: InstanceRuntime, due: number, intervalMs: number): void {
    const now = this.opts.scheduler.now();
    if (due <= now) {
      this.armTimer(inst, 'advert', 0, now);
      inst.advertDue = due;
      return;
    }
    inst.advertFiredDue = due - intervalMs;
    this.armTimer(inst, 'advert', intervalMs, now);
    inst.advertFiredDue = undefined;
  }

  /** A run of a steady watch (see watch): the machine steps its last advert; the summary counts them all. */
  private onRun(inst: InstanceRuntime, pkt: ReceivedVrrpPacket, run: SteadyRun): void {
    const w = inst.watched;
    if (w === undefined) {
      // Not ours (a watch a replaced engine left): nobody would hold its timer, so it ends now.
      this.stats.strayRuns++;
      if (!run.ended) this.opts.transport.unwatchSteady?.(pkt.ifname, pkt.family, pkt.payload[1]!);
      return;
    }
    this.stats.watchedRuns++;
    if (run.ended) inst.watched = undefined;
    if (run.count === 0) {
      // No advert since the last run: the timer comes back as it stands, counted from the last one.
      if (run.ended) this.armTimer(inst, 'masterDown', w.expireMs, pkt.at);
      return;
    }
    this.stats.watchedAdverts += run.count;
    const heard = inst.steady.heard;
    const adv = heard?.advert ?? inst.lastAccepted?.advert;
    if (adv === undefined) return;
    const input: VrrpInput = { type: 'advert', at: pkt.at, src: pkt.src, priority: adv.priority, maxAdverIntCs: adv.maxAdverIntCs, addresses: adv.addresses };
    if (this.inBatch) throw new Error('engine step re-entered');
    const res = inst.stepper.step(inst.snapshot, input);
    const folder = this.opts.summarizer?.foldSteadyRun !== undefined ? this.steadyFolder() : undefined;
    if (folder !== undefined && heard !== undefined && res.transition === undefined && res.actions.every((a) => a.type === 'armTimer' || a.type === 'cancelTimer')) {
      if (this.foldsNowOrAfterFlush(() => folder.foldsSteady(heard.stream, heard.fields, run.firstAt))) {
        this.stats.steps++;
        inst.snapshot = res.snapshot;
        // While watched the transport holds Master_Down_Timer; at the end it is ours again.
        if (run.ended) {
          for (const a of res.actions) {
            if (a.type === 'armTimer') this.armTimer(inst, a.timer, a.delayMs, pkt.at);
            else if (a.type === 'cancelTimer') this.cancelTimer(inst, a.timer);
          }
        }
        folder.foldSteadyRun(heard.stream, run.count, this.stamped(run.firstAt), this.stamped(pkt.at), run.maxGapMs, { ...input, at: run.firstAt });
        this.opts.afterStep?.(this);
        return;
      }
    }
    // Not the steady step it was (never seen): the watch ends and the last advert takes the plain path.
    if (!run.ended) {
      inst.watched = undefined;
      this.opts.transport.unwatchSteady?.(w.ifname, w.family, w.vrid);
    }
    this.begin();
    this.record(inst, input, res, 0);
    this.commit();
  }

  /**
   * Whether a run folds into its summaries (`folds`); if not only because one is due to close (open
   * too long), they are closed now and the run opens the next ones.
   */
  private foldsNowOrAfterFlush(folds: () => boolean): boolean {
    if (folds()) return true;
    this.flushSummaries(false);
    return folds();
  }

  /** A past time on the engine's clock with the wall time it had (a run's adverts arrived earlier). */
  private stamped(monoTime: number): { monoTime: number; wallTime: number } {
    return { monoTime, wallTime: this.wallClock() - (this.opts.scheduler.now() - monoTime) };
  }

  /** The summarizer, when it can fold steady streams for the fast path. */
  private steadyFolder(): SteadyFolder | undefined {
    const s = this.opts.summarizer;
    return s?.streamOf !== undefined && s.foldsSteady !== undefined && s.foldSteady !== undefined ? (s as SteadyFolder) : undefined;
  }

  /**
   * The steady step without its journal batch: a step whose batch would be `input` alone (no
   * transition, only timer actions) or `input` and one advert sent, every one of which the
   * summarizer would fold (same stream, same fields, summary not aged). commit() would then append
   * nothing and emit only that advert, so this folds them straight into their streams, runs the
   * timer actions and emits the advert in commit's order, without building the batch's event
   * objects. Anything else returns false and the caller takes the plain path with the same `res`.
   * test/engine/fast-path.test.ts compares whole journals with and without it.
   */
  private foldSteadyStep(
    inst: InstanceRuntime,
    input: VrrpInput,
    res: VrrpStepResult<unknown>,
    stream: SteadyStream,
    fields: unknown,
    sent?: SteadyStream,
  ): boolean {
    const folder = this.steadyFolder();
    if (folder === undefined || res.transition !== undefined) return false;
    let advert: Extract<VrrpAction, { type: 'sendAdvert' }> | undefined;
    for (const a of res.actions) {
      if (a.type === 'armTimer' || a.type === 'cancelTimer') continue;
      if (a.type !== 'sendAdvert' || advert !== undefined || sent === undefined) return false;
      advert = a;
    }
    const at = input.at;
    if (!folder.foldsSteady(stream, fields, at)) return false;
    if (advert !== undefined && !folder.foldsSteady(sent!, sentAdvertFields(advert), at)) return false;
    this.stats.steps++;
    inst.snapshot = res.snapshot;
    // As the plain path: wall times taken in the batch's order, timers run by handleResult, then
    // the summarizer, the advert and the afterStep hook as commit() does them.
    const wallIn = this.wallClock();
    const wallAdvert = advert === undefined ? 0 : this.wallClock();
    for (const a of res.actions) {
      if (a.type === 'armTimer') this.armTimer(inst, a.timer, a.delayMs, at);
      else if (a.type === 'cancelTimer') this.cancelTimer(inst, a.timer);
    }
    folder.foldSteady(stream, at, wallIn, input);
    if (advert !== undefined) {
      folder.foldSteady(sent!, at, wallAdvert, advert);
      this.effectsSubject.next({ node: this.node, instance: inst.name, action: advert, at });
    }
    this.opts.afterStep?.(this);
    return true;
  }

  // ---- stepping -----------------------------------------------------------------------------

  private stepOne(inst: InstanceRuntime, input: VrrpInput, depth = 0): void {
    this.record(inst, input, inst.stepper.step(inst.snapshot, input), depth);
  }

  /** The rest of a step once the machine has answered: journal batch entries, timers, sync group. */
  private record(inst: InstanceRuntime, input: VrrpInput, res: VrrpStepResult<unknown>, depth: number): void {
    this.stats.steps++;
    inst.snapshot = res.snapshot;
    // The step's adverts go to the adapters now, ahead of their records (see commit()): the takeover's
    // first advert leaves ≈ 0.3 ms sooner than after the summarizer and the append.
    for (const a of res.actions) {
      if (a.type === 'sendAdvert') this.effectsSubject.next({ node: this.node, instance: inst.name, action: a, at: input.at });
    }
    const inputP: Pending = {
      ev: this.event(inst.actor, 'input', input.type, input.at, input),
      cause: undefined,
      force: res.transition !== undefined,
      index: -1,
    };
    this.push(inputP);
    this.handleResult(inst, res.actions, res.transition, inputP, input.at);
    const t = res.transition;
    if (t === undefined) return;
    inst.state = t.to;
    // Insurance: a transition is stepped only with no watch of ours on the VRID (settle ends it), so
    // the transport should have none either; if it still had one, it would swallow every advert of
    // that VRID — a MASTER deaf to a better master. Its run, if any, is a stray.
    if (inst.watched === undefined) this.opts.transport.unwatchSteady?.(inst.config.interface, inst.family, inst.config.virtualRouterId);
    // A sync group moves together: the other members get their `syncGroup` input in this same
    // step. A transition that was itself caused by the group does not echo back.
    if (inst.syncGroup !== undefined && input.type !== 'syncGroup' && depth < MAX_CASCADE) {
      for (const { instance, input: next } of this.opts.machines.syncGroupInputs(inst.syncGroup, inst.name, t, input.at)) {
        const other = this.instances.get(instance);
        if (other !== undefined && other !== inst) this.stepOne(other, next, depth + 1);
      }
    }
  }

  private handleResult(
    inst: InstanceRuntime,
    actions: VrrpAction[],
    transition: Transition | undefined,
    cause: Pending | undefined,
    at: number,
  ): void {
    if (transition !== undefined) {
      const priority = inst.snapshot === undefined ? undefined : inst.stepper.view(inst.snapshot).effectivePriority;
      this.push({
        ev: this.event(inst.actor, 'transition', transition.to, at, { ...transition, priority }),
        cause,
        force: false,
        index: -1,
      });
    }
    for (const action of actions) {
      switch (action.type) {
        case 'armTimer':
          this.armTimer(inst, action.timer, action.delayMs, at);
          break;
        case 'cancelTimer':
          this.cancelTimer(inst, action.timer);
          break;
        default:
          this.push({ ev: this.event(inst.actor, 'effect', action.type, at, action), cause, force: false, index: -1 });
      }
    }
  }

  /**
   * Arm `timer` to expire `delayMs` after now — and Master_Down_Timer `delayMs` after `at`, the time
   * the transport received the advert that armed it, as keepalived counts it from the packet's
   * arrival: handling a packet late (a busy loop turn, a batch of packets) must not push the
   * takeover's deadline. Only that timer, which is precise: a plain setTimeout truncates a
   * fractional delay, and an advert timer re-armed 0.05 ms short (the step's own time) fired a whole
   * ms early — 9 ms adverts at advert_int 0.01, measured on the wire.
   */
  private cancelTimer(inst: InstanceRuntime, timer: VrrpTimer): void {
    if (timer === 'masterDown') inst.preparedExpiry = undefined;
    const h = inst.timers.get(timer);
    if (h !== undefined) {
      this.opts.scheduler.cancel(h);
      inst.timers.delete(timer);
    }
  }

  /** The instance's TimerOptions.prepare for Master_Down_Timer (made once; see preparedExpiry). */
  private expiryPreparer(inst: InstanceRuntime): (deadline: number) => void {
    inst.prepareExpiry ??= (deadline) => {
      const input: VrrpInput = { type: 'timer', at: deadline, timer: 'masterDown' };
      inst.preparedExpiry = { snapshot: inst.snapshot, stepper: inst.stepper, input, res: inst.stepper.step(inst.snapshot, input) };
    };
    return inst.prepareExpiry;
  }

  private armTimer(inst: InstanceRuntime, timer: VrrpTimer, delayMs: number, at: number): void {
    const sched = this.opts.scheduler;
    const precise = timer === 'masterDown';
    // A prepared expiry belongs to the arming it was prepared in.
    if (precise) inst.preparedExpiry = undefined;
    const now = sched.now();
    let delay = precise && at < now ? delayMs - (now - at) : delayMs;
    if (timer === 'advert') {
      // A MASTER's adverts keep their rate: re-armed from its own expiry, the timer aims at the next
      // point of its grid, not at now + interval — re-arming from "now" added each turn's lateness
      // (≈ 0.25 ms at 10 ms adverts: 4,880 adverts/s where 5,000 were due). Rounded up to whole ms
      // (a setTimeout truncates a fraction and would fire early); the grid itself stays exact, so
      // the rounding never adds up. Behind by a whole interval (a stalled loop): a new grid, no burst.
      // On virtual time the expiry runs exactly at its deadline and this is now + interval, as before.
      const fired = inst.advertFiredDue;
      const due = fired !== undefined && fired !== now ? fired + delayMs : undefined;
      if (due !== undefined && due > now) {
        delay = sched.wholeMs === true ? Math.ceil(due - now - 1e-6) : due - now;
        inst.advertDue = due;
      } else inst.advertDue = now + delayMs;
    }
    const old = inst.timers.get(timer);
    if (old !== undefined) {
      // Re-arming (a backup's master-down timer at every advert) moves the timer in place.
      const moved = sched.rearm(old, delay);
      if (moved !== undefined) {
        if (moved !== old) inst.timers.set(timer, moved);
        return;
      }
    }
    let fire = inst.fire.get(timer);
    if (fire === undefined) {
      fire = () => {
        inst.timers.delete(timer);
        if (!this.running) return;
        // A watched BACKUP's other timers (its Master_Down_Timer is the transport's meanwhile), or a
        // MASTER's other timers while the transport sends its adverts.
        const advertising = inst.advertising;
        if (inst.watched !== undefined || inst.advertising !== undefined) this.settle(inst);
        if (timer === 'masterDown' && this.opts.transport.drain !== undefined) {
          // The master is down only if no advert came within the interval: one may be waiting
          // unread in the socket (a busy loop; a backlog read 64 at a time), received before this
          // expiry. Hear those first; an advert that re-armed the timer means it was not down — and
          // so does one the transport now watches (the timer is the watch's then: a backup starting
          // behind a backlog hears its master's second advert only here, and that one is steady).
          this.opts.transport.drain();
          if (!this.running || inst.timers.has(timer) || inst.watched !== undefined) return;
        }
        if (timer !== 'advert') {
          const prepared = inst.preparedExpiry;
          inst.preparedExpiry = undefined;
          this.begin();
          // Prepared for this very snapshot: the same pure step, done ahead, at the deadline.
          if (timer === 'masterDown' && prepared !== undefined && prepared.snapshot === inst.snapshot && prepared.stepper === inst.stepper) {
            this.stats.preparedExpiries++;
            this.record(inst, prepared.input, prepared.res, 0);
          } else this.stepOne(inst, { type: 'timer', at: sched.now(), timer });
          this.commit();
          if (advertising !== undefined) this.resumeAdvert(inst, advertising);
          return;
        }
        inst.advertFiredDue = inst.advertDue;
        const input: VrrpInput = { type: 'timer', at: sched.now(), timer };
        if (this.inBatch) throw new Error('engine step re-entered');
        const res = inst.stepper.step(inst.snapshot, input);
        const st = inst.steady;
        if (st.advertTimer !== undefined && this.foldSteadyStep(inst, input, res, st.advertTimer, null, st.sentAdvert)) {
          if (inst.advertising === undefined) this.advertise(inst, res);
        } else {
          this.begin();
          this.record(inst, input, res, 0);
          this.commit();
          const folder = this.fastPath && res.transition === undefined ? this.steadyFolder() : undefined;
          if (folder !== undefined) {
            st.advertTimer = folder.streamOf(this.node, inst.actor, ADVERT_TIMER_KEY);
            st.sentAdvert = folder.streamOf(this.node, inst.actor, SENT_ADVERT_KEY);
          }
        }
        inst.advertFiredDue = undefined;
      };
      inst.fire.set(timer, fire);
    }
    // The takeover waits on Master_Down_Timer (its skew time after a priority-0 advert too): it
    // fires at its deadline, not at the event loop's ms granularity.
    inst.timers.set(timer, sched.after(delay, fire, precise ? { precise: true, prepare: this.expiryPreparer(inst) } : undefined));
  }

  // ---- journaling ---------------------------------------------------------------------------

  private event(actor: string, kind: EventKind, type: string, at: number, data: unknown): NewEvent {
    return { wallTime: this.wallClock(), monoTime: at, node: this.node, actor, kind, type, data };
  }

  private begin(): void {
    if (this.inBatch) throw new Error('engine step re-entered');
    this.inBatch = true;
  }

  private push(p: Pending): void {
    this.batch.push(p);
    if (p.force) markForced(p.ev);
  }

  /**
   * One journal batch: every event offered to the summarizer (steady repeats fold away), causes
   * resolved to seq numbers, one append; then, in this order: the effects a synchronous journal
   * committed during the append, the other folded effects (their stream's first occurrence was
   * committed; they repeat it).
   *
   * Adverts are not among them: they went to the adapters at their step (record()), ahead of their
   * records (keepalived's vrrp_state_become_master too sends the advert before it adds a VIP). An
   * advert leaves nothing on the host that a restart would have to reconcile from the log, so the
   * log-is-the-truth rule has nothing to protect there, and a takeover must wait neither for the
   * disk (the unsynced write's 0.3–2 ms) nor for the summarizer and the append (≈ 0.3 ms measured):
   * an append only queues records in memory, so a crash loses the same records whether the advert
   * went before the append or after it. The advert's record is in the same batch as ever (seq order
   * and replay are unchanged). VIPs, GARPs and notifications still follow the committed log.
   */
  private commit(): void {
    const batch = this.batch;
    this.batch = this.spare;
    this.spare = batch;
    this.inBatch = false;
    if (batch.length === 0) return;
    const summarizer = this.opts.summarizer;
    const journal = this.opts.journal;
    // Allocated only when something is logged: a steady step folds away completely.
    let out: NewEvent[] | undefined;
    // Local: an adapter that feeds an input while this batch is emitted gets a batch of its own.
    let folded: EngineEffect[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      // An index for now, made a seq below; an input folded into a summary has none to give.
      if (p.cause !== undefined && p.cause.index >= 0) p.ev.cause = p.cause.index;
      const res = summarizer === undefined ? undefined : summarizer.offer(p.ev);
      if (res === undefined || (res.length > 0 && res[res.length - 1] === p.ev)) {
        out ??= [];
        if (res === undefined) out.push(p.ev);
        else for (let k = 0; k < res.length; k++) out.push(res[k]!);
        p.index = out.length - 1;
      } else {
        if (res.length > 0) {
          // Summaries closed by a folded event (its stream aged out) still go to the log.
          out ??= [];
          for (let k = 0; k < res.length; k++) out.push(res[k]!);
        }
        // Adverts went at the step (record()); a folded effect repeats its stream's committed first.
        if (p.ev.kind === 'effect' && p.ev.type !== 'sendAdvert') {
          (folded ??= []).push({ node: this.node, instance: this.instanceOf(p.ev.actor), action: p.ev.data as EngineEffect['action'], at: p.ev.monoTime });
        }
      }
    }
    // Emptied before anything is emitted: an adapter's re-entrant step swaps it in as its batch.
    batch.length = 0;
    let records: EventRecord[] | undefined;
    let committedDuringAppend: EngineEffect[] | undefined;
    if (out !== undefined) {
      const base = journal.nextSeqNumber ?? (journal.lastSeq !== undefined ? journal.lastSeq + 1 : this.trackedNextSeq);
      for (const ev of out) if (ev.cause !== undefined) ev.cause += base;
      // A synchronous journal commits inside append: those effects are held back to be emitted below.
      this.appending = true;
      try {
        records = journal.append(out);
      } finally {
        this.appending = false;
        committedDuringAppend = this.heldBack;
        this.heldBack = undefined;
      }
      if (records.length > 0) {
        this.trackedNextSeq = records[records.length - 1]!.seq + 1;
        if (records[0]!.seq !== base) {
          // Someone else appended in between: re-base the causes (the records are ours to fix).
          const shift = records[0]!.seq - base;
          for (const r of records) if (r.cause !== undefined) r.cause += shift;
        }
      }
    }
    if (committedDuringAppend !== undefined) {
      for (const c of committedDuringAppend) this.effectsSubject.next(c);
    }
    if (folded !== undefined) {
      for (const f of folded) this.effectsSubject.next(f);
    }
    this.opts.afterStep?.(this);
  }

  private instanceOf(actor: string): string {
    return this.byActor.get(actor)?.name ?? actor;
  }

  private onCommitted(rec: EventRecord): void {
    if (rec.kind !== 'effect' || rec.node !== this.node) return;
    // Adverts went to the adapters at their step (record()).
    if (rec.type === 'sendAdvert') return;
    const inst = this.byActor.get(rec.actor);
    if (inst === undefined) return;
    const e: EngineEffect = {
      node: this.node,
      instance: inst.name,
      action: rec.data as EngineEffect['action'],
      at: rec.monoTime,
      seq: rec.seq,
    };
    if (this.appending) (this.heldBack ??= []).push(e);
    else this.effectsSubject.next(e);
  }

  private armSummaryFlush(): void {
    if (this.opts.summarizer === undefined) return;
    const every = this.opts.summaryFlushMs ?? 60_000;
    const tick = (): void => {
      if (!this.running) return;
      // What the transport's watches counted belongs in those summaries.
      this.opts.transport.collectSteady?.();
      if (!this.running) return;
      this.flushSummaries(false);
      this.flushTimer = this.opts.scheduler.after(every, tick);
    };
    this.flushTimer = this.opts.scheduler.after(every, tick);
  }

  private flushSummaries(all: boolean): void {
    const s = this.opts.summarizer;
    if (s === undefined) return;
    const out = s.flush(this.opts.scheduler.now(), all);
    if (out.length > 0) {
      const records = this.opts.journal.append(out);
      if (records.length > 0) this.trackedNextSeq = records[records.length - 1]!.seq + 1;
    }
  }

  private configSummary(): unknown {
    return {
      routerId: this.globals.routerId,
      instances: [...this.instances.values()].map((i) => ({
        name: i.name,
        interface: i.config.interface,
        vrid: i.config.virtualRouterId,
        priority: i.config.priority,
        version: i.config.version,
        primaryAddress: i.primaryAddress,
      })),
      files: this.opts.config.files,
    };
  }
}
