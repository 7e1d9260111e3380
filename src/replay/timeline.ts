/**
 * The timeline of one node's log: transitions with their cause in words, priority changes from
 * tracked scripts and interfaces, starts, stops, crashes (a run that ends without a stop) and the
 * log's own notes. Built in one streaming pass (a month of log is read once), collecting on the way
 * the adverts sent and received that align the nodes' clocks (align.ts). Several nodes' timelines
 * merge on the aligned clock (merge.ts).
 */
import type { KeepalivedConfig } from '../config/types.js';
import type { TransitionReason, VrrpState } from '../machines/vrrp/contract.js';
import type { EventRecord } from '../store/schema.js';
import type { AdvertPoint } from './align.js';
import { explainReason } from './explain.js';
import { PriorityTracker } from './priority-track.js';
import { advertFields, fullConfigOf, reasonText, instanceOfActor, isRunStart, programVersionOf, startedInstances, transitionData, type StartedInstance } from './records.js';

export type TimelineKind =
  /** An instance changed state. */
  | 'transition'
  /** A tracked script or interface changed an instance's effective priority. */
  | 'priority'
  /** The engine started (daemon start, or simulate's node start). */
  | 'start'
  /** A graceful stop began. */
  | 'stop'
  /** The previous run ended without a stop: crash, kill -9, power loss. */
  | 'crash'
  /** The event log's own notes (write failures, lost records). */
  | 'log';

export interface TimelineEntry {
  node: string;
  seq: number;
  kind: TimelineKind;
  /** The node's own wall clock, ms since the epoch. */
  wallTime: number;
  /** On the reference node's clock (wallTime − the node's offset); = wallTime until merged. */
  time: number;
  monoTime: number;
  /** The vrrp_instance; for another actor (a checker, a virtual server) its actor id. */
  instance?: string;
  /** States: a VRRP state (VrrpState) for an instance, the actor's own for another. */
  from?: string;
  to?: string;
  /** Effective priority after the entry. */
  priority?: number;
  /** The cause in words. */
  text: string;
  reason?: TransitionReason;
  /** The input that caused it, when the log kept it. */
  cause?: { seq: number; type: string };
}

/** One run of the engine in a log: from a start to its stop, its crash, or the end of the log. */
export interface RunInfo {
  startSeq: number;
  startWall: number;
  startMono: number;
  /** Last record of the run. */
  endSeq: number;
  endWall: number;
  endMono: number;
  /** 'stop' (graceful), 'crash' (the log goes on with another start), 'open' (the log ends). */
  end: 'stop' | 'crash' | 'open';
  instances: StartedInstance[];
  config?: KeepalivedConfig;
}

export interface NodeScan {
  node: string;
  entries: TimelineEntry[];
  runs: RunInfo[];
  /** Adverts this node sent / received, as the log kept them (align.ts). */
  sends: AdvertPoint[];
  receives: AdvertPoint[];
  /** Every input of a script or interface change, for what-if (wall time, instance, data). */
  externals: Array<{ seq: number; wall: number; mono: number; instance: string; type: 'script' | 'interface'; name: string; ok: boolean }>;
  /** Latest moments this node knew another was sending (what-if dates a crash from them). */
  heard: Array<{ src: string; wall: number }>;
  records: number;
  firstWall?: number;
  lastWall?: number;
}

export interface ScanOptions {
  /** Only this vrrp_instance (node-level entries are kept). */
  instance?: string;
}

const RECENT_INPUTS = 4096;
/** Advert points kept per node for clock alignment (stream starts only; see keepPoint). */
const MAX_ADVERT_POINTS = 4000;

export class NodeScanner {
  private readonly scan: NodeScan;
  private config: KeepalivedConfig | undefined;
  private programVersion: string | undefined;
  private run: RunInfo | undefined;
  private tracker: PriorityTracker | undefined;
  private instances = new Map<string, StartedInstance>();
  private stopping = false;
  /** The latest inputs' seq and type, by seq modulo RECENT_INPUTS: what a transition's cause names. */
  private readonly recentSeq = new Float64Array(RECENT_INPUTS).fill(-1);
  private readonly recentType: string[] = new Array<string>(RECENT_INPUTS).fill('');
  /** Last advert point per stream (actor + sender): fields and time. */
  private readonly lastPoint = new Map<string, Map<string, PointState>>();
  /** Index in scan.heard of the latest point per sender. */
  private readonly lastHeard = new Map<string, number>();

  constructor(
    node: string,
    private readonly opts: ScanOptions = {},
  ) {
    this.scan = { node, entries: [], runs: [], sends: [], receives: [], externals: [], heard: [], records: 0 };
  }

  add(r: EventRecord): void {
    const s = this.scan;
    s.records++;
    s.firstWall ??= r.wallTime;
    s.lastWall = r.wallTime;
    // A configuration record belongs to the run it precedes (it is written just before the start).
    if (this.run !== undefined && r.kind !== 'config') {
      this.run.endSeq = r.seq;
      this.run.endWall = r.wallTime;
      this.run.endMono = r.monoTime;
    }
    switch (r.kind) {
      case 'config':
        if (isRunStart(r)) this.onStart(r);
        else {
          const c = fullConfigOf(r);
          if (c !== undefined) this.config = c;
          this.programVersion = programVersionOf(r) ?? this.programVersion;
        }
        return;
      case 'input':
        this.onInput(r);
        return;
      case 'transition':
        this.onTransition(r);
        return;
      case 'effect':
        if (r.type === 'sendAdvert') this.onSendAdvert(r);
        return;
      case 'meta':
        this.push(r, { kind: 'log', text: metaText(r) });
        return;
      case 'summary':
        this.onSummary(r);
        return;
      default:
        return;
    }
  }

  finish(): NodeScan {
    if (this.run !== undefined) this.run.end = this.stopping ? 'stop' : 'open';
    return this.scan;
  }

  private wanted(instance: string | undefined): boolean {
    return this.opts.instance === undefined || instance === undefined || instance === this.opts.instance;
  }

  private push(r: EventRecord, e: Omit<TimelineEntry, 'node' | 'seq' | 'wallTime' | 'time' | 'monoTime'>): void {
    if (!this.wanted(e.instance)) return;
    this.scan.entries.push({ node: this.scan.node, seq: r.seq, wallTime: r.wallTime, time: r.wallTime, monoTime: r.monoTime, ...e });
  }

  private onStart(r: EventRecord): void {
    const prev = this.run;
    if (prev !== undefined) {
      prev.end = this.stopping ? 'stop' : 'crash';
      if (!this.stopping) {
        this.scan.entries.push({
          node: this.scan.node,
          seq: prev.endSeq,
          kind: 'crash',
          wallTime: prev.endWall,
          time: prev.endWall,
          monoTime: prev.endMono,
          text: `run ended without a stop (crash, kill or power loss) after record ${prev.endSeq}`,
        });
      }
    }
    const instances = startedInstances(r);
    this.instances = new Map(instances.map((i) => [i.name, i]));
    this.tracker = this.config ? trackerFor(this.config) : undefined;
    this.stopping = false;
    this.recentSeq.fill(-1);
    const run: RunInfo = { startSeq: r.seq, startWall: r.wallTime, startMono: r.monoTime, endSeq: r.seq, endWall: r.wallTime, endMono: r.monoTime, end: 'open', instances };
    if (this.config) run.config = this.config;
    this.run = run;
    this.scan.runs.push(run);
    const list = instances
      .filter((i) => this.wanted(i.name))
      .map((i) => `${i.name} (vrid ${i.vrid ?? '?'}, priority ${this.tracker?.priorityOf(i.name) ?? i.priority ?? '?'}${i.primaryAddress ? `, ${i.primaryAddress}` : ''})`);
    const version = this.programVersion ? ` ${this.programVersion}` : '';
    this.push(r, { kind: 'start', text: `started${version}: ${list.join(', ') || 'no vrrp_instance'}` });
  }

  private remember(r: EventRecord): void {
    const i = r.seq % RECENT_INPUTS;
    this.recentSeq[i] = r.seq;
    this.recentType[i] = r.type;
  }

  private onInput(r: EventRecord): void {
    const instance = instanceOfActor(r.actor);
    if (instance === undefined) {
      this.remember(r);
      return;
    }
    const d = r.data as Record<string, unknown> | null;
    if (d === null || typeof d !== 'object') return;
    this.remember(r);
    switch (r.type) {
      case 'advert': {
        if (typeof d.src !== 'string') return;
        this.hear(d.src, r.wallTime);
        const vrid = this.instances.get(instance)?.vrid;
        if (vrid !== undefined && this.keepPoint(r.actor, d.src, d, r.wallTime, this.scan.receives.length)) {
          const fields = advertFields(d);
          if (fields !== undefined) this.scan.receives.push({ node: this.scan.node, vrid, src: d.src, fields, wall: r.wallTime, seq: r.seq });
        }
        return;
      }
      case 'script':
      case 'interface': {
        const ok = r.type === 'script' ? d.ok : d.up;
        if (typeof d.name !== 'string' || typeof ok !== 'boolean') return;
        this.scan.externals.push({ seq: r.seq, wall: r.wallTime, mono: r.monoTime, instance, type: r.type, name: d.name, ok });
        const change = this.tracker?.apply(instance, r.type, d.name, ok);
        if (change !== undefined) {
          this.push(r, { kind: 'priority', instance, priority: change.to, text: explainReason({ code: 'priorityChange', ...change }) });
        }
        return;
      }
      case 'shutdown':
        if (!this.stopping) {
          this.stopping = true;
          this.push(r, { kind: 'stop', text: 'stopping (graceful: SIGTERM, or a reload that removed the instances)' });
        }
        return;
      default:
        return;
    }
  }

  private onTransition(r: EventRecord): void {
    const instance = instanceOfActor(r.actor);
    if (instance === undefined) {
      this.onOtherTransition(r);
      return;
    }
    const t = transitionData(r);
    if (t === undefined) {
      this.push(r, { kind: 'log', text: `unreadable transition record of ${r.actor}` });
      return;
    }
    const e: Omit<TimelineEntry, 'node' | 'seq' | 'wallTime' | 'time' | 'monoTime'> = { kind: 'transition', instance, from: t.from, to: t.to, reason: t.reason, text: reasonText(t.reason) };
    if (t.priority !== undefined) e.priority = t.priority;
    // The master went silent one master-down interval before this: when it was last heard.
    if (t.reason.code === 'masterDownTimeout' && t.reason.lastMaster !== undefined) {
      this.hear(t.reason.lastMaster, r.wallTime - t.reason.masterDownIntervalMs);
    }
    if (r.cause !== undefined) {
      const i = r.cause % RECENT_INPUTS;
      e.cause = { seq: r.cause, type: this.recentSeq[i] === r.cause ? this.recentType[i]! : 'input' };
    }
    this.push(r, e);
  }

  /**
   * Alignment pairs the first advert of each steady stream on both sides (align.ts): a log that
   * folds steady streams keeps only those as is, but a log that does not (or a long one) would give
   * a point per advert. Keep an advert when its fields changed or its stream had paused (more than
   * 1.5 advert intervals), and at most MAX_ADVERT_POINTS per node.
   */
  private keepPoint(actor: string, src: string, d: Record<string, unknown>, wall: number, kept: number): boolean {
    let byActor = this.lastPoint.get(actor);
    if (byActor === undefined) this.lastPoint.set(actor, (byActor = new Map()));
    const last = byActor.get(src);
    const { priority, maxAdverIntCs, addresses } = d;
    if (last !== undefined && last.priority === priority && last.interval === maxAdverIntCs && sameList(last.addresses, addresses)) {
      const paused = wall - last.wall > 1.5 * (typeof maxAdverIntCs === 'number' && maxAdverIntCs > 0 ? maxAdverIntCs * 10 : 1000);
      last.wall = wall;
      return paused && kept < MAX_ADVERT_POINTS;
    }
    byActor.set(src, { priority, interval: maxAdverIntCs, addresses, wall });
    return kept < MAX_ADVERT_POINTS;
  }

  /**
   * A transition of another actor (a real-server checker, a virtual server): its states and the
   * reason's code and fields, until replay has words for those reasons too.
   */
  private onOtherTransition(r: EventRecord): void {
    const d = (typeof r.data === 'object' && r.data !== null ? r.data : {}) as Record<string, unknown>;
    const reason = (typeof d.reason === 'object' && d.reason !== null ? d.reason : {}) as Record<string, unknown>;
    const fields = Object.entries(reason)
      .filter(([k]) => k !== 'code')
      .map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ');
    const code = typeof reason.code === 'string' ? reason.code : r.type;
    const e: Omit<TimelineEntry, 'node' | 'seq' | 'wallTime' | 'time' | 'monoTime'> = { kind: 'transition', instance: r.actor, text: fields ? `${code}: ${fields}` : code };
    if (typeof d.from === 'string') e.from = d.from;
    if (typeof d.to === 'string') e.to = d.to;
    if (r.cause !== undefined) {
      const i = r.cause % RECENT_INPUTS;
      e.cause = { seq: r.cause, type: this.recentSeq[i] === r.cause ? this.recentType[i]! : 'input' };
    }
    this.push(r, e);
  }

  /** A sign of life of `src`; a steady stream of them is one point that moves forward. */
  private hear(src: string, wall: number): void {
    const i = this.lastHeard.get(src);
    const last = i === undefined ? undefined : this.scan.heard[i];
    if (last !== undefined && wall >= last.wall && wall - last.wall <= 1500) {
      last.wall = wall;
      return;
    }
    this.lastHeard.set(src, this.scan.heard.length);
    this.scan.heard.push({ src, wall });
  }

  private onSummary(r: EventRecord): void {
    if (r.type !== 'advert') return;
    const d = r.data as { kind?: unknown; sample?: { src?: unknown } | null; last?: { wallTime?: unknown } | null } | null;
    if (d === null || typeof d !== 'object' || d.kind !== 'input') return;
    const src = d.sample?.src;
    const wall = d.last?.wallTime;
    if (typeof src === 'string' && typeof wall === 'number') this.hear(src, wall);
  }

  private onSendAdvert(r: EventRecord): void {
    const instance = instanceOfActor(r.actor);
    if (instance === undefined) return;
    const inst = this.instances.get(instance);
    const d = r.data as Record<string, unknown> | null;
    if (inst?.vrid === undefined || inst.primaryAddress === undefined || d === null || typeof d !== 'object') return;
    if (!this.keepPoint(r.actor, '', d, r.wallTime, this.scan.sends.length)) return;
    const fields = advertFields(d);
    if (fields !== undefined) this.scan.sends.push({ node: this.scan.node, vrid: inst.vrid, src: inst.primaryAddress, fields, wall: r.wallTime, seq: r.seq });
  }
}

/** A tracker for the recorded configuration, unless the record is damaged (then no priorities). */
function trackerFor(config: KeepalivedConfig): PriorityTracker | undefined {
  try {
    return new PriorityTracker(config);
  } catch {
    return undefined;
  }
}

interface PointState {
  priority: unknown;
  interval: unknown;
  addresses: unknown;
  wall: number;
}

function sameList(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function metaText(r: EventRecord): string {
  const d = (r.data ?? {}) as { failedForMs?: unknown; lastError?: unknown; lost?: unknown };
  if (r.type === 'writeResumed') {
    const lost = typeof d.lost === 'number' && d.lost > 0 ? `; ${d.lost} record(s) lost` : '';
    return `event log: writes failed for ${typeof d.failedForMs === 'number' ? `${d.failedForMs} ms` : 'a while'} (${String(d.lastError ?? 'error')}), then resumed${lost}`;
  }
  if (r.type === 'recordsLost') return `event log: ${String(d.lost ?? 'some')} record(s) lost (backlog full)`;
  return `event log: ${r.type}`;
}
