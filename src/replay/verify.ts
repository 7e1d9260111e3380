/**
 * `replay --verify`: a re-run of the recorded INPUTS, not a re-reading of the recorded transitions.
 *
 * For every run in a node's log (from one engine start to the next), fresh steppers are built from
 * the configuration recorded at that time (the full 'config' record before the start) with the
 * primary addresses the start record names; every recorded input — packets, timer expiries, link,
 * script and sync-group changes — goes through them in recorded order, and what they produce
 * (transitions and effects; timer arming is engine bookkeeping, not logged) is compared with what
 * the log recorded, including each record's cause.
 *
 * Summaries: a summary of inputs expands to its count of identical inputs (the fields the machine
 * reads are in its sample; their times are spread evenly from first to last), and a summary of
 * effects to its count of identical effects. The summarizer keeps the order of one actor's records
 * but not between two steady streams of the same actor (adverts sent vs GARP refreshes), so outputs
 * are compared per actor and per stream, each stream in order. Consecutive input summaries of one
 * actor are merged by time before they are fed.
 *
 * Sync groups: the `syncGroup` inputs the engine gave the other members are fed like any input, and
 * also checked: the re-run derives them from each member's transition (syncGroupInputs, as the
 * engine does) and compares them with the recorded ones.
 */
import type { KeepalivedConfig, VrrpSyncGroup } from '../config/types.js';
import { vrrpMachineKit } from '../engine/machines.js';
import type { EngineStepperOptions } from '../engine/node.js';
import type { VrrpAction, VrrpInput, VrrpStepper, VrrpStepResult } from '../machines/vrrp/contract.js';
import type { SummaryData } from '../store/summarizer.js';
import type { EventRecord } from '../store/schema.js';
import { forEachRecord, type OpenLog } from './load.js';
import { fullConfigOf, instanceOfActor, isRunStart, startedInstances } from './records.js';

export interface Divergence {
  node: string;
  /** The recorded record where the re-run and the log part (for a missing record: the input that produced it). */
  seq: number;
  actor: string;
  /** What the log holds there (undefined: nothing). */
  recorded?: string;
  /** What the re-run produced (undefined: nothing). */
  expected?: string;
}

export interface VerifyResult {
  dir: string;
  node: string;
  runs: number;
  /** Inputs fed to the machines (summaries expanded). */
  inputs: number;
  /** Transitions and effects compared (summaries expanded). */
  outputs: number;
  divergences: number;
  /** Effects of steady streams the re-run produced after the last record of a run that did not stop
   *  gracefully: they were in summaries still open when it ended (a crash loses them). */
  unclosed: number;
  first?: Divergence;
  /** A run could not be verified (no configuration recorded, unknown instance...). */
  error?: string;
}

interface Item {
  /** 'input': a sync group's input to a member, derived by the engine from another member's transition. */
  kind: 'transition' | 'effect' | 'input';
  type: string;
  data: unknown;
  /** As-is recorded item: its cause; expected item: the seq of the as-is input that produced it. */
  cause: number | undefined;
  /** Recorded: the record's seq; expected: the producing input's seq (or the summary's). */
  seq: number;
  count: number;
  /** A recorded record as is (its cause is compared); false for one expanded from a summary. */
  asIs: boolean;
}

class Fifo {
  items: Item[] = [];
  head = 0;
  get empty(): boolean {
    return this.head >= this.items.length;
  }
  peek(): Item {
    return this.items[this.head]!;
  }
  take(n: number): void {
    const it = this.items[this.head]!;
    it.count -= n;
    if (it.count <= 0) {
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    }
  }
  push(it: Item, merge: boolean): void {
    const tail = this.items.length > this.head ? this.items[this.items.length - 1] : undefined;
    if (merge && tail !== undefined && !tail.asIs && tail.cause === undefined && it.cause === undefined && tail.type === it.type && tail.kind === it.kind && sameData(tail.data, it.data)) {
      tail.count += it.count;
      return;
    }
    this.items.push(it);
  }
}

interface Stream {
  expected: Fifo;
  recorded: Fifo;
}

interface ActorRun {
  actor: string;
  name: string;
  syncGroup?: VrrpSyncGroup;
  stepper: VrrpStepper<unknown>;
  snapshot: unknown;
  pending: EventRecord<SummaryData>[];
  streams: Map<string, Stream>;
  /** The actor began a graceful stop (every summary is closed then; a crash loses the open ones). */
  stopping: boolean;
}

/** Deep equality of JSON-like data; a property set to undefined counts as absent (JSON drops it). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k in ao) if (ao[k] !== undefined && !sameData(ao[k], bo[k])) return false;
  for (const k in bo) if (bo[k] !== undefined && ao[k] === undefined) return false;
  return true;
}

function streamOf(kind: Item['kind'], type: string): string {
  if (kind === 'input') return 'syncGroup';
  return kind === 'effect' && (type === 'sendAdvert' || type === 'sendGarp') ? type : 'main';
}

function describe(it: Item): string {
  const n = it.count > 1 ? `${it.count} × ` : '';
  if (it.kind === 'transition') {
    const d = (typeof it.data === 'object' && it.data !== null ? it.data : {}) as { from?: string; to?: string; reason?: { code?: string } | null; priority?: number };
    return `${n}transition ${d.from} -> ${d.to} (${d.reason?.code ?? '?'}${d.priority !== undefined ? `, priority ${d.priority}` : ''})${it.asIs || it.cause !== undefined ? `, cause ${it.cause ?? 'none'}` : ''}`;
  }
  const text = String(JSON.stringify(it.data));
  if (it.kind === 'input') return `${n}sync group input ${text}`;
  return `${n}effect ${text.length > 160 ? `${text.slice(0, 157)}...` : text}${it.asIs || it.cause !== undefined ? `, cause ${it.cause ?? 'none'}` : ''}`;
}

export class LogVerifier {
  readonly result: VerifyResult;
  private config: KeepalivedConfig | undefined;
  private actors = new Map<string, ActorRun>();
  private runOpen = false;
  private runBroken = false;
  private lastSeq = 0;

  constructor(dir: string, node: string) {
    this.result = { dir, node, runs: 0, inputs: 0, outputs: 0, divergences: 0, unclosed: 0 };
  }

  add(r: EventRecord): void {
    this.lastSeq = r.seq;
    if (r.kind === 'config') {
      if (isRunStart(r)) this.startRun(r);
      else this.config = fullConfigOf(r) ?? this.config;
      return;
    }
    if (!this.runOpen || this.runBroken) return;
    const name = instanceOfActor(r.actor);
    if (name === undefined) return;
    const a = this.actors.get(r.actor);
    if (a === undefined) {
      this.fail(`record ${r.seq} is about ${r.actor}, which the configuration of this run does not have`);
      return;
    }
    switch (r.kind) {
      case 'input':
        if (r.type === 'drop') return;
        if (r.type === 'shutdown') a.stopping = true;
        // A sync group's input is also an output of the engine: compare it with what the re-run derives.
        if (r.type === 'syncGroup') this.record(a, { kind: 'input', type: 'syncGroup', data: r.data, cause: undefined, seq: r.seq, count: 1, asIs: false });
        this.flushPending(a);
        this.feed(a, r.data as VrrpInput, r.seq, r.seq);
        return;
      case 'summary': {
        const d = r.data as SummaryData;
        if (!readableSummary(d)) {
          this.diverge(a, r.seq, 'an unreadable summary', undefined);
          return;
        }
        if (d.kind === 'input') {
          if (r.type !== 'drop') a.pending.push(r as EventRecord<SummaryData>);
        } else if (d.kind === 'effect' && d.count > 0) {
          const type = r.type;
          this.record(a, { kind: 'effect', type, data: d.sample, cause: undefined, seq: r.seq, count: d.count, asIs: false });
        }
        return;
      }
      case 'transition':
      case 'effect':
        this.record(a, { kind: r.kind, type: r.type, data: r.data, cause: r.cause, seq: r.seq, count: 1, asIs: true });
        return;
      default:
        return;
    }
  }

  finish(): VerifyResult {
    this.endRun();
    return this.result;
  }

  private fail(message: string): void {
    this.runBroken = true;
    this.result.error ??= message;
  }

  /**
   * A start record begins a run of the instances it names. A simulated node or a restarted daemon
   * starts all its instances at once; a daemon that runs one engine per sync group / lone instance
   * (so a reload can restart one unit and leave the others alone) starts some of them, and the
   * others run on untouched.
   */
  private startRun(r: EventRecord): void {
    const config = this.config;
    if (config === undefined) {
      this.endRun();
      this.runOpen = true;
      this.result.runs++;
      this.fail(`no configuration recorded before the start at record ${r.seq}: the machines cannot be rebuilt (the log must hold a full 'config' record, as EventLog.writeConfig writes)`);
      return;
    }
    const started = new Map(startedInstances(r).map((i) => [i.name, i]));
    const instances = config.vrrpInstances.filter((inst) => started.has(inst.name));
    for (const name of started.keys()) {
      if (!instances.some((inst) => inst.name === name)) {
        this.fail(`the start at record ${r.seq} names vrrp_instance ${name}, which the configuration recorded before it does not have`);
        return;
      }
    }
    // Every instance starts again: the previous run ends as a whole (as it always did).
    if (instances.length === config.vrrpInstances.length || !this.runOpen) {
      this.endRun();
      this.actors.clear();
      this.runBroken = false;
    } else {
      for (const inst of instances) {
        const old = this.actors.get(`vrrp/${inst.name}`);
        if (old !== undefined) {
          if (!this.runBroken) this.endActor(old);
          this.actors.delete(old.actor);
        }
      }
    }
    this.result.runs++;
    this.runOpen = true;
    const groups = new Map<string, VrrpSyncGroup>();
    for (const g of config.vrrpSyncGroups) for (const m of g.group) groups.set(m, g);
    const at = r.monoTime;
    const inits: Array<[ActorRun, VrrpStepResult<unknown>]> = [];
    for (const inst of instances) {
      const s = started.get(inst.name)!;
      const g = groups.get(inst.name);
      const opts: EngineStepperOptions = { vrrpScripts: config.vrrpScripts, ...(g ? { syncGroup: g } : {}) };
      if (s.primaryAddress !== undefined) opts.primaryAddress = s.primaryAddress;
      let stepper: VrrpStepper<unknown>;
      let res: VrrpStepResult<unknown>;
      try {
        stepper = vrrpMachineKit.createStepper(inst, config.globalDefs, opts);
        res = stepper.init(at);
      } catch (err) {
        // A configuration record damaged or from another version: say so, do not crash.
        this.fail(`the configuration recorded before record ${r.seq} cannot build vrrp_instance ${String(inst.name)}: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      const a: ActorRun = { actor: `vrrp/${inst.name}`, name: inst.name, stepper, snapshot: res.snapshot, pending: [], streams: new Map(), stopping: false };
      if (g !== undefined) a.syncGroup = g;
      this.actors.set(a.actor, a);
      inits.push([a, res]);
    }
    for (const [a, res] of inits) this.expect(a, res, undefined, r.seq);
  }

  private endRun(): void {
    if (!this.runOpen) return;
    this.runOpen = false;
    if (this.runBroken) return;
    for (const a of this.actors.values()) this.endActor(a);
  }

  private endActor(a: ActorRun): void {
    {
      this.flushPending(a);
      for (const [key, s] of a.streams) {
        // A run that did not stop gracefully (crash, or the log ends while it runs) never closed its
        // open summaries: what the re-run adds to a summarised stream there is what they held.
        const lostTail = !a.stopping && key !== 'main';
        while (!s.expected.empty) {
          const e = s.expected.peek();
          if (lostTail) this.result.unclosed += e.count;
          else this.diverge(a, e.seq, undefined, describe(e));
          s.expected.take(e.count);
        }
        while (!s.recorded.empty) {
          const r = s.recorded.peek();
          this.diverge(a, r.seq, describe(r), undefined);
          s.recorded.take(r.count);
        }
      }
    }
  }

  private stream(a: ActorRun, key: string): Stream {
    let s = a.streams.get(key);
    if (s === undefined) a.streams.set(key, (s = { expected: new Fifo(), recorded: new Fifo() }));
    return s;
  }

  private feed(a: ActorRun, input: VrrpInput, cause: number | undefined, seq: number): void {
    let res: VrrpStepResult<unknown>;
    try {
      res = a.stepper.step(a.snapshot, input);
    } catch (err) {
      this.diverge(a, seq, undefined, `the machine refused input ${seq}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.result.inputs++;
    a.snapshot = res.snapshot;
    this.expect(a, res, cause, seq);
    // The engine moves the other members of a sync group in the same step (not on their own echo).
    if (res.transition !== undefined && a.syncGroup !== undefined && input.type !== 'syncGroup') {
      let derived: ReturnType<typeof vrrpMachineKit.syncGroupInputs>;
      try {
        derived = vrrpMachineKit.syncGroupInputs(a.syncGroup, a.name, res.transition, input.at);
      } catch {
        derived = [];
      }
      for (const { instance, input: next } of derived) {
        const other = this.actors.get(`vrrp/${instance}`);
        if (other !== undefined && other !== a) this.expected(other, { kind: 'input', type: 'syncGroup', data: next, cause: undefined, seq, count: 1, asIs: false });
      }
    }
  }

  /** What the engine would have logged for one step: the transition, then the effects. */
  private expect(a: ActorRun, res: VrrpStepResult<unknown>, cause: number | undefined, seq: number): void {
    if (res.transition !== undefined) {
      const priority = a.stepper.view(res.snapshot).effectivePriority;
      this.expected(a, { kind: 'transition', type: res.transition.to, data: { ...res.transition, priority }, cause, seq, count: 1, asIs: false });
    }
    for (const action of res.actions as VrrpAction[]) {
      if (action.type === 'armTimer' || action.type === 'cancelTimer') continue;
      this.expected(a, { kind: 'effect', type: action.type, data: action, cause, seq, count: 1, asIs: false });
    }
  }

  private expected(a: ActorRun, it: Item): void {
    const s = this.stream(a, streamOf(it.kind, it.type));
    s.expected.push(it, true);
    this.match(a, s);
  }

  private record(a: ActorRun, it: Item): void {
    const s = this.stream(a, streamOf(it.kind, it.type));
    s.recorded.push(it, false);
    this.match(a, s);
  }

  private match(a: ActorRun, s: Stream): void {
    while (!s.expected.empty && !s.recorded.empty) {
      const e = s.expected.peek();
      const r = s.recorded.peek();
      const same = e.kind === r.kind && e.type === r.type && (!r.asIs || e.cause === r.cause) && sameData(e.data, r.data);
      const n = same ? Math.min(e.count, r.count) : 1;
      if (same) this.result.outputs += n;
      else this.diverge(a, r.seq, describe({ ...r, count: 1 }), describe({ ...e, count: 1 }));
      s.expected.take(n);
      s.recorded.take(n);
    }
  }

  /** Feed the buffered input summaries of an actor, merged by time. */
  private flushPending(a: ActorRun): void {
    if (a.pending.length === 0) return;
    const list = a.pending;
    a.pending = [];
    if (list.length === 1) {
      const s = list[0]!;
      const d = s.data;
      for (let k = 0; k < d.count; k++) this.feed(a, { ...(d.sample as VrrpInput), at: spread(d, k) }, undefined, s.seq);
      return;
    }
    const all: Array<{ at: number; input: VrrpInput; seq: number }> = [];
    for (const s of list) {
      const d = s.data;
      for (let k = 0; k < d.count; k++) all.push({ at: spread(d, k), input: d.sample as VrrpInput, seq: s.seq });
    }
    all.sort((x, y) => x.at - y.at);
    for (const x of all) this.feed(a, { ...x.input, at: x.at }, undefined, x.seq);
  }

  private diverge(a: ActorRun, seq: number, recorded: string | undefined, expected: string | undefined): void {
    this.result.divergences++;
    const d: Divergence = { node: this.result.node, seq, actor: a.actor };
    if (recorded !== undefined) d.recorded = recorded;
    if (expected !== undefined) d.expected = expected;
    if (this.result.first === undefined || seq < this.result.first.seq) this.result.first = d;
  }
}

/** Most events one summary may stand for: more is a damaged record, not a steady stream. */
const MAX_SUMMARY_COUNT = 1e9;

function readableSummary(d: SummaryData | null): d is SummaryData {
  if (d === null || typeof d !== 'object') return false;
  if (typeof d.count !== 'number' || !Number.isInteger(d.count) || d.count < 0 || d.count > MAX_SUMMARY_COUNT) return false;
  if (typeof d.first !== 'object' || d.first === null || typeof d.last !== 'object' || d.last === null) return false;
  if (!Number.isFinite(d.first.monoTime) || !Number.isFinite(d.last.monoTime)) return false;
  return typeof d.sample === 'object' && d.sample !== null;
}

/** Time of the k-th of a summary's events: spread evenly from first to last. */
function spread(d: SummaryData, k: number): number {
  if (d.count <= 1) return d.last.monoTime;
  return d.first.monoTime + ((d.last.monoTime - d.first.monoTime) * k) / (d.count - 1);
}

export async function verifyLog(log: OpenLog): Promise<VerifyResult> {
  const v = new LogVerifier(log.dir, log.node);
  await forEachRecord(log, (r) => v.add(r));
  return v.finish();
}

export function formatVerify(results: readonly VerifyResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const unclosed = r.unclosed > 0 ? ` (${r.unclosed} steady effect(s) of summaries left open by a crash)` : '';
    const head = `verify ${r.node} (${r.dir}): ${r.runs} run(s), ${r.inputs} input(s) re-run, ${r.outputs} transition(s)/effect(s) matched${unclosed}, ${r.divergences} divergence(s)`;
    lines.push(head);
    if (r.error !== undefined) lines.push(`  cannot verify: ${r.error}`);
    if (r.first !== undefined) {
      lines.push(`  first divergence at record ${r.first.seq} (${r.first.actor}):`);
      lines.push(`    log:    ${r.first.recorded ?? '(nothing)'}`);
      lines.push(`    re-run: ${r.first.expected ?? '(nothing)'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
