import { Subject, type Observable, type Subscription } from 'rxjs';
import type { Checker, KeepalivedConfig, RealServer, VirtualServer } from '../config/types.js';
import { ProbeCancel } from '../adapters/probes/cancel.js';
import type { Probe, ProbeResult, ProbeTarget } from '../adapters/probes/types.js';
import type { IpvsAdapter, IpvsEffect, IpvsResult } from '../adapters/ipvs-types.js';
import type { CheckerAction, CheckerCarried, CheckerInput, CheckerState, CheckerTimer, CheckerView } from '../machines/checker/contract.js';
import { createCheckerStepper, type CheckerSnapshot } from '../machines/checker/machine.js';
import { resolveCheckerSettings } from '../machines/checker/settings.js';
import type { CheckerSettings, CheckerStepper } from '../machines/checker/contract.js';
import type { VsAction, VsInput, VsView } from '../machines/virtual-server/contract.js';
import { createVirtualServer, type VirtualServerActor, type VsState } from '../machines/virtual-server/machine.js';
import { rsName } from '../machines/virtual-server/format.js';
import { haSuspendAddresses } from '../machines/virtual-server/ha-suspend.js';
import type { EventKind, EventRecord, NewEvent } from '../store/schema.js';
import { markCheckerForced } from './checker-summary.js';
import type { EngineJournal, EventSummarizer } from './node.js';
import type { Scheduler, TimerHandle } from './scheduler.js';

/**
 * The checkers' engine (keepalived's checker process): one checker actor per real server ×
 * checker block, one virtual-server actor per virtual_server, on one Scheduler.
 *
 * Every input goes the same way as in the VRRP engine:
 *   step → journal [input, transition (cause = the input's seq), effects (cause = same)] → adapters.
 * A checker's verdict (up / down / a misc_dynamic weight) becomes an input of its virtual server in
 * the same journal batch, with the checker's input as its cause, so replay can say "RS
 * 192.0.2.21:80 left VS 192.0.2.10:80 because HTTP_GET failed 2 times: status 503".
 *
 * Bookkeeping is not journaled: arming and cancelling timers, starting and aborting probes (their
 * expiries and results are, as inputs). The world's effects — IPVS changes, notify scripts, fifo
 * lines — are journaled, and adapters act on them from the journal's committed stream (`effects$`).
 *
 * Actor names: `vs/192.0.2.10:80` (virtual server and its quorum), `rs/192.0.2.10:80/192.0.2.21:80`
 * (a real server's health as the VS sees it), `rs/192.0.2.10:80/192.0.2.21:80#0` (its first checker).
 */

export interface CheckerEngineOptions {
  config: Pick<KeepalivedConfig, 'virtualServers' | 'globalDefs'> & Partial<Pick<KeepalivedConfig, 'files' | 'virtualServerGroups'>>;
  /** Node name in the log; default global_defs router_id. */
  node?: string;
  scheduler: Scheduler;
  journal: EngineJournal;
  /** The probe runner: src/adapters/probes runProbe in the daemon, a scripted one in tests. */
  runProbe: Probe;
  /** Draws the warmup jitter, in [0, 1); default Math.random (keepalived: rand()). */
  random?: () => number;
  /** Wall clock for records, ms since the epoch; default: the start's Date.now() + scheduler time. */
  wallClock?: () => number;
  /** Folds steady streams (createCheckerSummarizer); omit to log every record as is. */
  summarizer?: EventSummarizer;
  /**
   * A reload: the state of the engine this one replaces (its carryState()). A checker whose actor
   * and fingerprint match starts in the state it had; a virtual server's quorum notifier does not
   * run again for a state it already had.
   */
  carried?: CarriedCheckerState;
  /** How often open summaries are closed (ms of engine time); default 60 s. */
  summaryFlushMs?: number;
  /**
   * ha_suspend: whether a virtual server's address is on this host at start (the address
   * monitor's first dump). Asked only for virtual servers ha_suspend applies to; default: present.
   */
  vsAddressPresent?: (vs: VirtualServer) => boolean;
}

/** What a reload carries from the running checker engine to the new one (keepalived migrate_checkers). */
export interface CarriedCheckerState {
  checkers: ReadonlyMap<string, { fingerprint: string; state: CheckerCarried }>;
  /** Quorum state of each virtual server (true: up). */
  virtualServers: ReadonlyMap<string, boolean>;
}

/** An effect the adapters must carry out, once the journal has committed it. */
export interface CheckerEngineEffect {
  node: string;
  /** The virtual server's actor name (`vs/...`). */
  actor: string;
  action: VsAction;
  at: number;
  seq: number;
}

interface VsRuntime {
  actor: string;
  machine: VirtualServerActor;
  state: VsState;
  /** Actor name of each real server's health record. */
  rsActors: string[];
  checkers: CheckerRuntime[];
  /** ha_suspend applies (set, and not a fwmark service): its checkers follow the address. */
  haSuspend: boolean;
  /** ha_suspend: the virtual server's address is on this host, as last told. */
  addressPresent: boolean;
}

interface CheckerRuntime {
  actor: string;
  vs: VsRuntime;
  rs: number;
  index: number;
  checker: Checker;
  settings: CheckerSettings;
  target: ProbeTarget;
  stepper: CheckerStepper<CheckerSnapshot>;
  snapshot: CheckerSnapshot;
  state: CheckerState;
  /**
   * The armed timers, one field each (a Map re-keyed twice per check churns its hash table), and
   * their expiry callbacks, made once per checker rather than once per arming.
   */
  timers: Record<CheckerTimer, TimerHandle | undefined>;
  fire: Record<CheckerTimer, () => void>;
  /** The probe in flight: its cancellation, which is also its identity (a late answer of another is stale). */
  probe?: ProbeCancel;
}

/** One event of a batch under construction, with the event that caused it. */
interface Pending {
  ev: NewEvent;
  cause?: Pending;
  /** Position in the appended batch, once known (-1: folded into a summary). */
  index: number;
}

export class CheckerEngine {
  readonly node: string;
  private readonly opts: CheckerEngineOptions;
  private readonly vss: VsRuntime[] = [];
  private readonly byActor = new Map<string, CheckerRuntime>();
  private readonly vsByActor = new Map<string, VsRuntime>();
  private readonly wallClock: () => number;
  private readonly random: () => number;
  private readonly effectsSubject = new Subject<CheckerEngineEffect>();
  private readonly subscriptions: Subscription[] = [];
  private batch: Pending[] = [];
  /** The probes the current batch started, with their cancellation: launched at commit. */
  private probesDue: Array<{ ck: CheckerRuntime; cancel: ProbeCancel }> = [];
  private inBatch = false;
  private trackedNextSeq = 1;
  private running = false;
  private stopped = false;
  private flushTimer: TimerHandle | undefined;

  /** Effects to carry out, after the journal committed them (adapters subscribe here). */
  readonly effects$: Observable<CheckerEngineEffect> = this.effectsSubject.asObservable();

  constructor(opts: CheckerEngineOptions) {
    this.opts = opts;
    this.node = opts.node ?? opts.config.globalDefs.routerId;
    const epoch = Date.now() - opts.scheduler.now();
    this.wallClock = opts.wallClock ?? (() => epoch + opts.scheduler.now());
    this.random = opts.random ?? Math.random;
    for (const vs of opts.config.virtualServers) this.addVirtualServer(vs);
  }

  private addVirtualServer(config: VirtualServer): void {
    const machine = createVirtualServer(config);
    const actor = `vs/${machine.name}`;
    if (this.vsByActor.has(actor)) return; // a duplicate virtual_server: the config layer warns
    const vs: VsRuntime = {
      actor,
      machine,
      state: machine.init(),
      rsActors: config.realServers.map((rs) => `rs/${machine.name}/${rsName(rs)}`),
      checkers: [],
      haSuspend: haSuspendAddresses(config, this.opts.config.virtualServerGroups) !== undefined,
      addressPresent: true,
    };
    config.realServers.forEach((rs, r) => {
      rs.checkers.forEach((checker, c) => {
        const settings = resolveCheckerSettings(config, rs, checker);
        const stepper = createCheckerStepper(settings);
        const ck: CheckerRuntime = {
          settings,
          actor: `${vs.rsActors[r]}#${c}`,
          vs,
          rs: r,
          index: c,
          checker,
          target: probeTarget(config, rs, checker),
          stepper,
          snapshot: undefined as unknown as CheckerSnapshot,
          state: 'idle',
          timers: { check: undefined, probeTimeout: undefined },
          fire: undefined as unknown as Record<CheckerTimer, () => void>,
        };
        ck.fire = { check: () => this.timerFired(ck, 'check'), probeTimeout: () => this.timerFired(ck, 'probeTimeout') };
        vs.checkers.push(ck);
        this.byActor.set(ck.actor, ck);
      });
    });
    this.vss.push(vs);
    this.vsByActor.set(actor, vs);
  }

  // ---- views -------------------------------------------------------------------------------

  /** Checker actor names, in config order. */
  checkerActors(): string[] {
    return [...this.byActor.keys()];
  }

  virtualServerActors(): string[] {
    return this.vss.map((v) => v.actor);
  }

  checkerView(actor: string): CheckerView | undefined {
    const ck = this.byActor.get(actor);
    return ck && ck.snapshot !== undefined ? ck.stepper.view(ck.snapshot) : undefined;
  }

  virtualServerView(actor: string): VsView | undefined {
    const vs = this.vsByActor.get(actor);
    return vs ? vs.machine.view(vs.state) : undefined;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * What a reload's new engine carries over from this one (take it before stop()): each running
   * checker's state under a fingerprint of its settings and target, and each virtual server's
   * quorum state.
   */
  carryState(): CarriedCheckerState {
    const checkers = new Map<string, { fingerprint: string; state: CheckerCarried }>();
    for (const ck of this.byActor.values()) {
      if (ck.snapshot === undefined || (ck.state !== 'up' && ck.state !== 'down')) continue;
      const v = ck.stepper.view(ck.snapshot);
      checkers.set(ck.actor, {
        fingerprint: checkerFingerprint(ck),
        state: { up: ck.state === 'up', hasRun: v.hasRun, retryIt: v.retryIt, failures: v.failures },
      });
    }
    const virtualServers = new Map<string, boolean>();
    for (const vs of this.vss) {
      const q = vs.machine.view(vs.state).quorum;
      if (q === 'UP' || q === 'DOWN') virtualServers.set(vs.actor, q === 'UP');
    }
    return { checkers, virtualServers };
  }

  // ---- life cycle --------------------------------------------------------------------------

  /** Start: a 'config' record, every checker's init and startup, then every virtual server's startup. */
  start(): void {
    if (this.running || this.stopped) throw new Error(`${this.node}: checker engine already started`);
    this.running = true;
    this.subscriptions.push(this.opts.journal.committed$.subscribe((rec) => this.onCommitted(rec)));
    const at = this.opts.scheduler.now();
    this.begin();
    this.push({ ev: this.event('engine', 'config', 'checkers', at, this.configSummary()), index: -1 });
    for (const vs of this.vss) {
      // keepalived: a checker of an ha_suspend service starts enabled only if its address is here.
      if (vs.haSuspend) vs.addressPresent = this.opts.vsAddressPresent?.(vs.machine.config) ?? true;
      for (const ck of vs.checkers) {
        const res = ck.stepper.init(at);
        ck.snapshot = res.snapshot;
        ck.state = 'idle';
        // keepalived: a random start in [0, warmup] spreads simultaneous checks of one server.
        const input: CheckerInput = { type: 'startup', at, warmupMs: this.random() * ck.settings.warmupMs };
        if (!vs.addressPresent) input.suspended = true;
        const carried = this.opts.carried?.checkers.get(ck.actor);
        if (carried !== undefined && carried.fingerprint === checkerFingerprint(ck)) input.carried = carried.state;
        this.stepChecker(ck, input);
      }
      const checkersUp = vs.machine.config.realServers.map((_rs, r) =>
        vs.checkers.filter((c) => c.rs === r).map((c) => c.state === 'up'),
      );
      const vsInput: VsInput = { type: 'startup', at, checkersUp };
      const quorumUp = this.opts.carried?.virtualServers.get(vs.actor);
      if (quorumUp !== undefined) vsInput.quorumUp = quorumUp;
      this.stepVs(vs, vsInput, undefined);
    }
    this.commit();
    this.armSummaryFlush();
  }

  /**
   * Graceful stop: every checker gets `shutdown` (timers cancelled, probes aborted), then every
   * virtual server (its destinations and service leave the table; omega runs the down notifiers).
   * Resolves once the journal has committed it all and the adapters have been handed the effects.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    const at = this.opts.scheduler.now();
    this.begin();
    for (const vs of this.vss) {
      for (const ck of vs.checkers) this.stepChecker(ck, { type: 'shutdown', at });
      this.stepVs(vs, { type: 'shutdown', at }, undefined);
    }
    this.commit();
    this.flushSummaries(true);
    this.halt();
    // The last effects reach the adapters through the committed stream: keep listening until then.
    await this.opts.journal.flush();
    this.detach();
  }

  /** A crash: nothing more is logged; timers and probes vanish. */
  crash(): void {
    if (!this.running) return;
    this.halt();
    this.detach();
  }

  /**
   * ha_suspend: the virtual server's address appeared on this host (`present`) or left it. Every
   * checker of the virtual server gets a `vsAddress` input, in one journal batch; they suspend
   * (no probes, state kept) or resume. Nothing happens for a virtual server without ha_suspend, or
   * when presence did not change. Returns whether the checkers were told.
   */
  setVsAddressPresent(vsActor: string, present: boolean, address?: string): boolean {
    const vs = this.vsByActor.get(vsActor);
    if (vs === undefined) throw new Error(`${this.node}: no virtual server ${vsActor}`);
    if (!this.running || !vs.haSuspend || vs.addressPresent === present) return false;
    vs.addressPresent = present;
    const at = this.opts.scheduler.now();
    this.begin();
    for (const ck of vs.checkers) {
      const input: CheckerInput = { type: 'vsAddress', at, present };
      if (address !== undefined) input.address = address;
      this.stepChecker(ck, input);
    }
    this.commit();
    return true;
  }

  /** ha_suspend applies to this virtual server (its checkers follow its address). */
  hasHaSuspend(vsActor: string): boolean {
    return this.vsByActor.get(vsActor)?.haSuspend === true;
  }

  /** Feed one input to one checker (replay, tests). */
  feed(actor: string, input: CheckerInput): void {
    const ck = this.byActor.get(actor);
    if (ck === undefined) throw new Error(`${this.node}: no checker ${actor}`);
    if (!this.running) return;
    this.begin();
    this.stepChecker(ck, input);
    this.commit();
  }

  /**
   * Carry out the IPVS effects on an adapter, in log order, one at a time. A refusal is recorded
   * in the log as a 'meta' record naming the service and the effect (the netlink adapter's retry
   * and reconcile sit behind the adapter).
   */
  attachIpvs(adapter: IpvsAdapter): Subscription {
    let chain: Promise<void> = Promise.resolve();
    return this.effects$.subscribe((e) => {
      if (!isIpvsEffect(e.action)) return;
      const effect = e.action;
      chain = chain.then(async () => {
        let result: IpvsResult;
        try {
          result = await adapter.apply(effect);
        } catch (err) {
          result = { ok: false, errno: 'EIO', message: String(err) };
        }
        if (!result.ok && !this.stopped) {
          this.opts.journal.append([
            { ...this.event(e.actor, 'meta', 'ipvsError', this.opts.scheduler.now(), { effect, result }), cause: e.seq },
          ]);
        }
      });
    });
  }

  /** No more inputs: timers cancelled, probes aborted. */
  private halt(): void {
    this.running = false;
    this.stopped = true;
    for (const ck of this.byActor.values()) {
      for (const t of CHECKER_TIMERS) {
        const h = ck.timers[t];
        if (h !== undefined) this.opts.scheduler.cancel(h);
        ck.timers[t] = undefined;
      }
      if (ck.probe) ck.probe.abort();
      ck.probe = undefined;
    }
    if (this.flushTimer !== undefined) this.opts.scheduler.cancel(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Let go of the journal and the adapters. */
  private detach(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions.length = 0;
    this.effectsSubject.complete();
  }

  // ---- stepping ----------------------------------------------------------------------------

  private stepChecker(ck: CheckerRuntime, input: CheckerInput, cause?: Pending): void {
    const res = ck.stepper.step(ck.snapshot, input);
    ck.snapshot = res.snapshot;
    const inputP: Pending = { ev: this.event(ck.actor, 'input', input.type, input.at, input), index: -1 };
    if (cause) inputP.cause = cause;
    this.push(inputP);
    // An input that moved something is logged as is: what it caused names it as its cause.
    if (res.transition !== undefined || res.actions.some((a) => a.type === 'up' || a.type === 'down' || a.type === 'setWeight')) {
      markCheckerForced(inputP.ev);
    }
    if (res.transition !== undefined) {
      ck.state = res.transition.to;
      this.push({ ev: this.event(ck.actor, 'transition', res.transition.to, input.at, res.transition), cause: inputP, index: -1 });
    }
    for (const a of res.actions) this.handleCheckerAction(ck, a, inputP, input.at);
  }

  private handleCheckerAction(ck: CheckerRuntime, a: CheckerAction, cause: Pending, at: number): void {
    switch (a.type) {
      case 'armTimer':
        this.armTimer(ck, a.timer, a.delayMs);
        return;
      case 'cancelTimer': {
        const h = ck.timers[a.timer];
        if (h !== undefined) {
          this.opts.scheduler.cancel(h);
          ck.timers[a.timer] = undefined;
        }
        return;
      }
      case 'runProbe':
        this.startProbe(ck);
        return;
      case 'abortProbe':
        if (ck.probe) ck.probe.abort();
        ck.probe = undefined;
        return;
      case 'up':
      case 'down': {
        const input: VsInput = { type: 'checker', at, rs: ck.rs, checker: ck.index, up: a.type === 'up' };
        if (a.type === 'down' && a.firstCheck) input.firstCheck = true;
        this.stepVs(ck.vs, input, cause);
        return;
      }
      case 'setWeight':
        this.stepVs(ck.vs, { type: 'weight', at, rs: ck.rs, checker: ck.index, weight: a.weight }, cause);
        return;
    }
  }

  private stepVs(vs: VsRuntime, input: VsInput, cause: Pending | undefined): void {
    const res = vs.machine.step(vs.state, input);
    vs.state = res.state;
    const inputP: Pending = { ev: this.event(vs.actor, 'input', input.type, input.at, input), index: -1 };
    if (cause) inputP.cause = cause;
    this.push(inputP);
    if (res.transition !== undefined) {
      this.push({ ev: this.event(vs.actor, 'transition', res.transition.to, input.at, res.transition), cause: inputP, index: -1 });
    }
    for (const ch of res.rsChanges) {
      const type = ch.alive ? 'UP' : 'DOWN';
      this.push({ ev: this.event(vs.rsActors[ch.rs]!, 'transition', type, input.at, ch), cause: inputP, index: -1 });
    }
    for (const a of res.actions) {
      this.push({ ev: this.event(vs.actor, 'effect', a.type, input.at, a), cause: inputP, index: -1 });
    }
  }

  private armTimer(ck: CheckerRuntime, timer: CheckerTimer, delayMs: number): void {
    const sched = this.opts.scheduler;
    const old = ck.timers[timer];
    if (old !== undefined) sched.cancel(old);
    ck.timers[timer] = sched.after(delayMs, ck.fire[timer]);
  }

  private timerFired(ck: CheckerRuntime, timer: CheckerTimer): void {
    ck.timers[timer] = undefined;
    if (!this.running) return;
    this.begin();
    this.stepChecker(ck, { type: 'timer', at: this.opts.scheduler.now(), timer });
    this.commit();
  }

  /** A probe is due: it starts once the batch that asked for it has been appended (commit). */
  private startProbe(ck: CheckerRuntime): void {
    if (ck.probe) ck.probe.abort();
    const cancel = new ProbeCancel();
    ck.probe = cancel;
    this.probesDue.push({ ck, cancel });
  }

  private launchProbe(ck: CheckerRuntime, cancel: ProbeCancel): void {
    const done = (r: ProbeResult): void => this.probeDone(ck, cancel, r);
    let p: Promise<ProbeResult>;
    try {
      p = this.opts.runProbe(ck.target, cancel);
    } catch (err) {
      p = Promise.resolve({ ok: false, reason: `probe threw: ${String(err)}`, durationMs: 0 });
    }
    p.then(done, (err: unknown) => done({ ok: false, reason: `probe threw: ${String(err)}`, durationMs: 0 }));
  }

  private probeDone(ck: CheckerRuntime, cancel: ProbeCancel, r: ProbeResult): void {
    if (ck.probe !== cancel || !this.running) return; // aborted, timed out, or stopped: stale
    ck.probe = undefined;
    const input: CheckerInput = { type: 'probeResult', at: this.opts.scheduler.now(), ok: r.ok, durationMs: r.durationMs };
    if (r.reason !== undefined) input.reason = r.reason;
    if (r.weight !== undefined) input.weight = r.weight;
    this.begin();
    this.stepChecker(ck, input);
    this.commit();
  }

  // ---- journaling --------------------------------------------------------------------------

  private event(actor: string, kind: EventKind, type: string, at: number, data: unknown): NewEvent {
    return { wallTime: this.wallClock(), monoTime: at, node: this.node, actor, kind, type, data };
  }

  private begin(): void {
    if (this.inBatch) throw new Error('checker engine step re-entered');
    this.inBatch = true;
  }

  private push(p: Pending): void {
    this.batch.push(p);
  }

  /**
   * One journal batch: every event offered to the summarizer (steady repeats fold away), causes
   * resolved to seq numbers, one append.
   */
  private commit(): void {
    this.append();
    // The probes this batch asked for start now that it is in the journal.
    if (this.probesDue.length > 0) {
      const due = this.probesDue;
      this.probesDue = [];
      // Aborted or replaced within the same batch: not started at all.
      for (const { ck, cancel } of due) if (ck.probe === cancel) this.launchProbe(ck, cancel);
    }
  }

  private append(): void {
    const batch = this.batch;
    this.batch = [];
    this.inBatch = false;
    if (batch.length === 0) return;
    const journal = this.opts.journal;
    const summarizer = this.opts.summarizer;
    const out: NewEvent[] = [];
    for (const p of batch) {
      // An index into `out` for now, made a seq below; a cause folded into a summary has none.
      if (p.cause !== undefined && p.cause.index >= 0) p.ev.cause = p.cause.index;
      if (summarizer === undefined) {
        out.push(p.ev);
        p.index = out.length - 1;
        continue;
      }
      const res = summarizer.offer(p.ev);
      for (const r of res) out.push(r);
      p.index = res.length > 0 && res[res.length - 1] === p.ev ? out.length - 1 : -1;
    }
    if (out.length === 0) return;
    const base = journal.nextSeqNumber ?? (journal.lastSeq !== undefined ? journal.lastSeq + 1 : this.trackedNextSeq);
    for (const ev of out) if (ev.cause !== undefined) ev.cause += base;
    const records = journal.append(out);
    if (records.length > 0) {
      const first = records[0]!.seq;
      this.trackedNextSeq = records[records.length - 1]!.seq + 1;
      // Someone else appended in between: re-base the causes (the records are ours to fix).
      if (first !== base) for (const r of records) if (r.cause !== undefined) r.cause += first - base;
    }
  }

  private armSummaryFlush(): void {
    if (this.opts.summarizer === undefined) return;
    const every = this.opts.summaryFlushMs ?? 60_000;
    const tick = (): void => {
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

  private onCommitted(rec: EventRecord): void {
    if (rec.kind !== 'effect' || rec.node !== this.node || !this.vsByActor.has(rec.actor)) return;
    this.effectsSubject.next({ node: this.node, actor: rec.actor, action: rec.data as VsAction, at: rec.monoTime, seq: rec.seq });
  }

  private configSummary(): unknown {
    return {
      virtualServers: this.vss.map((v) => ({
        actor: v.actor,
        quorum: v.machine.config.quorum,
        hysteresis: v.machine.config.hysteresis,
        realServers: v.rsActors,
        checkers: v.checkers.map((c) => ({ actor: c.actor, type: c.checker.type })),
      })),
      files: this.opts.config.files ?? [],
    };
  }
}

function probeTarget(vs: VirtualServer, rs: RealServer, checker: Checker): ProbeTarget {
  const t: ProbeTarget = { address: rs.address, port: rs.port, checker, delayLoopMs: checker.delayLoopMs ?? rs.delayLoopMs ?? vs.delayLoopMs };
  if (vs.virtualhost !== undefined) t.virtualhost = vs.virtualhost;
  return t;
}

const CHECKER_TIMERS: readonly CheckerTimer[] = ['check', 'probeTimeout'];

/**
 * A checker's identity for a reload: its resolved settings and its probe target (checker block
 * included), without source positions — the same checker moved to other lines is the same checker;
 * one with another port, url or timeout starts afresh (keepalived compares checkers the same way).
 */
function checkerFingerprint(ck: CheckerRuntime): string {
  return JSON.stringify({ settings: ck.settings, target: ck.target }, (k, v: unknown) => (k === 'pos' ? undefined : v));
}

const IPVS_TYPES = new Set<string>(['ipvsAddService', 'ipvsDelService', 'ipvsAddDest', 'ipvsDelDest', 'ipvsEditDest']);

export function isIpvsEffect(a: VsAction): a is IpvsEffect {
  return IPVS_TYPES.has(a.type);
}
