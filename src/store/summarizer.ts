/**
 * The stream summarizer: what repeats is summarised, not logged one by one (DESIGN.md).
 *
 * A steady stream is a run of events with the same summary key (e.g. actor + 'advert' + sender)
 * whose `fields` (what the machine reads: priority, interval, addresses) do not change. The first
 * event of a stream is appended as is; the following ones are folded into an open summary that
 * records first/last time, count, largest gap and the fields. A summary closes
 *  - when an event of its stream arrives with other fields (the summary, then that event),
 *  - when any event of the same actor is appended as is (so a transition, or the first advert of
 *    another sender, comes after the summary of what the actor saw before it: order in the log
 *    stays causal per actor),
 *  - when it has been open longer than `maxOpenMs` (bounded loss on a crash), at `flush`.
 *
 * Pure: no I/O and no clock of its own; time is the events' monoTime (or flush's `monoNow`).
 */
import type { NewEvent } from './schema.js';

/** The stream an event belongs to; undefined = never summarised (always appended as is). */
export interface SummaryKeyFn {
  (e: NewEvent): string | undefined;
}

/** Why a summary was closed. */
export type SummaryCloseReason =
  /** An event of the stream came with other fields. */
  | 'changed'
  /** Another event of the same actor was appended as is. */
  | 'break'
  /** Open longer than maxOpenMs. */
  | 'age'
  /** flush(..., all = true): stop or reload. */
  | 'stop';

/** `data` of a record of kind 'summary'; its `type` is the folded events' type. */
export interface SummaryData {
  /** The summary key of the stream. */
  key: string;
  /** Kind of the folded events (usually 'input'). */
  kind: NewEvent['kind'];
  /** Number of events folded into this summary (the stream's first event, logged as is, not counted). */
  count: number;
  first: { monoTime: number; wallTime: number };
  last: { monoTime: number; wallTime: number };
  /**
   * Largest interval (ms, monotonic) between two consecutive events of the stream, including the
   * one between the event before this summary (logged as is, or the previous summary's last) and
   * the first folded one: what a master-down timer would have had to survive.
   */
  maxGapMs: number;
  /** The fields every folded event had (the machine reads nothing else). */
  fields: unknown;
  /** `data` of the first folded event, so replay can re-feed the folded inputs on its own. */
  sample: unknown;
  reason: SummaryCloseReason;
}

export interface StreamSummarizerOptions {
  key: SummaryKeyFn;
  fields: (e: NewEvent) => unknown;
  /** A summary open longer than this is closed (at the next offer of its stream, or at flush). */
  maxOpenMs?: number;
}

interface OpenSummary {
  count: number;
  firstMono: number;
  firstWall: number;
  lastMono: number;
  lastWall: number;
  maxGapMs: number;
  sample: unknown;
  /** Order of opening, to close summaries of equal time in a stable order. */
  order: number;
}

interface Stream {
  key: string;
  owner: ActorState;
  kind: NewEvent['kind'];
  type: string;
  fields: unknown;
  /** Comparable form of `fields`: the value itself when primitive, else its canonical JSON. */
  fieldsCmp: FieldsCmp;
  /** monoTime of the stream's latest event (as is or folded). */
  lastMono: number;
  open: OpenSummary | undefined;
  /** Still the stream its key names (false once replaced by changed fields, or forgotten by flush). */
  current: boolean;
}

/**
 * A stream, held by a caller that folds its steady events itself (`foldsSteady`, `foldSteady`)
 * instead of offering each one. Opaque.
 */
export type SteadyStream = object;

/** Per node + actor (the unit of ordering): its streams and those with an open summary. */
interface ActorState {
  node: string;
  actor: string;
  streams: Map<string, Stream>;
  open: Set<Stream>;
}

type FieldsCmp = { primitive: true; value: unknown } | { primitive: false; text: string };

/**
 * offer's answer when an event folds and nothing closes: one shared, frozen empty array (the
 * steady state is nearly every event, and callers only read the answer).
 */
const NOTHING: NewEvent[] = Object.freeze([]) as unknown as NewEvent[];

export const DEFAULT_MAX_OPEN_MS = 60_000;

export class StreamSummarizer {
  private readonly keyOf: SummaryKeyFn;
  private readonly fieldsOf: (e: NewEvent) => unknown;
  private readonly maxOpenMs: number;
  /** node → actor → state. Nested maps: no key string is built per event on the steady path. */
  private readonly actors = new Map<string, Map<string, ActorState>>();
  private openTotal = 0;
  private openCounter = 0;

  constructor(opts: StreamSummarizerOptions) {
    this.keyOf = opts.key;
    this.fieldsOf = opts.fields;
    this.maxOpenMs = opts.maxOpenMs ?? DEFAULT_MAX_OPEN_MS;
  }

  /**
   * Returns what to append now: nothing while the stream is steady (a shared frozen empty array:
   * read it, do not keep or change it); else any summaries it closes, then e.
   */
  offer(e: NewEvent): NewEvent[] {
    const key = this.keyOf(e);
    if (key === undefined) {
      const owner = this.actors.get(e.node)?.get(e.actor);
      return owner === undefined || owner.open.size === 0 ? [e] : [...this.closeActor(owner, 'break'), e];
    }
    const owner = this.actorState(e.node, e.actor);
    const fields = this.fieldsOf(e);
    const stream = owner.streams.get(key);

    if (stream !== undefined && sameFields(stream.fieldsCmp, fields)) {
      // Bounded summaries even if nobody calls flush: an old one closes and a new one opens.
      const aged = stream.open !== undefined && e.monoTime - stream.open.firstMono >= this.maxOpenMs ? this.close(stream, 'age') : undefined;
      this.fold(stream, e);
      // The steady case allocates nothing: the shared empty answer.
      return aged === undefined ? NOTHING : [aged];
    }

    // A new stream, or the fields changed: e goes to the log as is, after everything its actor
    // saw before (this stream's summary included, closed as 'changed').
    const out: NewEvent[] = [];
    if (stream?.open !== undefined) out.push(this.close(stream, 'changed'));
    out.push(...this.closeActor(owner, 'break'));
    out.push(e);
    if (stream !== undefined) stream.current = false;
    owner.streams.set(key, {
      key,
      owner,
      kind: e.kind,
      type: e.type,
      fields,
      fieldsCmp: comparable(fields),
      lastMono: e.monoTime,
      open: undefined,
      current: true,
    });
    return out;
  }

  /**
   * The stream of `key` as it stands, for `foldsSteady` / `foldSteady`; undefined before its first
   * event. The caller keeps it as long as it likes: a stream that stopped being current (its fields
   * changed, or flush(…, true) forgot it) never folds again.
   */
  streamOf(node: string, actor: string, key: string): SteadyStream | undefined {
    return this.actors.get(node)?.get(actor)?.streams.get(key);
  }

  /**
   * Whether `offer` of an event of this stream (the caller vouches for its key and that it is not
   * forced), with these fields, at `monoTime`, would fold it and append nothing: the same tests as
   * offer's steady case. Changes nothing.
   */
  foldsSteady(handle: SteadyStream, fields: unknown, monoTime: number): boolean {
    const stream = handle as Stream;
    if (!stream.current || !sameFields(stream.fieldsCmp, fields)) return false;
    return stream.open === undefined || monoTime - stream.open.firstMono < this.maxOpenMs;
  }

  /**
   * Fold an event that `foldsSteady` said folds: exactly what `offer` does with it (no event object
   * needed, which is the point: a steady stream is nearly every event of a healthy network).
   */
  foldSteady(handle: SteadyStream, monoTime: number, wallTime: number, data: unknown): void {
    this.foldAt(handle as Stream, monoTime, wallTime, data);
  }

  /**
   * Fold a run of `count` (≥ 1) events of a steady stream that arrived together (a transport
   * counted them: VrrpTransport.watchSteady): the first at `first`, the last at `last`, the largest
   * gap between two of them `maxGapMs`. The same as folding them one by one, except that a run is
   * never split by maxOpenMs: the caller checks `foldsSteady` at the first one's time, and an open
   * summary may then reach past maxOpenMs by one run.
   */
  foldSteadyRun(
    handle: SteadyStream,
    count: number,
    first: { monoTime: number; wallTime: number },
    last: { monoTime: number; wallTime: number },
    maxGapMs: number,
    data: unknown,
  ): void {
    const stream = handle as Stream;
    this.foldAt(stream, first.monoTime, first.wallTime, data);
    if (count <= 1) return;
    const open = stream.open!;
    open.count += count - 1;
    open.lastMono = last.monoTime;
    open.lastWall = last.wallTime;
    stream.lastMono = last.monoTime;
    if (maxGapMs > open.maxGapMs) open.maxGapMs = maxGapMs;
  }

  /**
   * Close summaries open longer than maxOpenMs at `monoNow` (call at least every 60 s), or all of
   * them (at stop or reload; the streams are forgotten too, so the next event of each is logged as
   * is). Returned in time order.
   */
  flush(monoNow: number, all = false): NewEvent[] {
    const due: Stream[] = [];
    for (const byActor of this.actors.values()) {
      for (const owner of byActor.values()) {
        for (const s of owner.open) {
          if (all || monoNow - s.open!.firstMono >= this.maxOpenMs) due.push(s);
        }
      }
    }
    due.sort(byLastThenOrder);
    const out = due.map((s) => this.close(s, all ? 'stop' : 'age'));
    if (all) {
      for (const byActor of this.actors.values()) {
        for (const owner of byActor.values()) for (const s of owner.streams.values()) s.current = false;
      }
      this.actors.clear();
    }
    return out;
  }

  /** Number of summaries currently open (for status and tests). */
  get openCount(): number {
    return this.openTotal;
  }

  private actorState(node: string, actor: string): ActorState {
    let byActor = this.actors.get(node);
    if (byActor === undefined) this.actors.set(node, (byActor = new Map()));
    let owner = byActor.get(actor);
    if (owner === undefined) byActor.set(actor, (owner = { node, actor, streams: new Map(), open: new Set() }));
    return owner;
  }

  private fold(stream: Stream, e: NewEvent): void {
    this.foldAt(stream, e.monoTime, e.wallTime, e.data);
  }

  private foldAt(stream: Stream, monoTime: number, wallTime: number, data: unknown): void {
    const gap = Math.max(0, monoTime - stream.lastMono);
    stream.lastMono = monoTime;
    const open = stream.open;
    if (open === undefined) {
      stream.open = {
        count: 1,
        firstMono: monoTime,
        firstWall: wallTime,
        lastMono: monoTime,
        lastWall: wallTime,
        maxGapMs: gap,
        sample: data,
        order: this.openCounter++,
      };
      stream.owner.open.add(stream);
      this.openTotal++;
      return;
    }
    open.count++;
    open.lastMono = monoTime;
    open.lastWall = wallTime;
    if (gap > open.maxGapMs) open.maxGapMs = gap;
  }

  private closeActor(owner: ActorState, reason: SummaryCloseReason): NewEvent[] {
    if (owner.open.size === 0) return [];
    return [...owner.open].sort(byLastThenOrder).map((s) => this.close(s, reason));
  }

  private close(stream: Stream, reason: SummaryCloseReason): NewEvent<SummaryData> {
    const open = stream.open!;
    stream.open = undefined;
    if (stream.owner.open.delete(stream)) this.openTotal--;
    return {
      // The record stands at the time of the last event it folds: the latest fact it reports.
      wallTime: open.lastWall,
      monoTime: open.lastMono,
      node: stream.owner.node,
      actor: stream.owner.actor,
      kind: 'summary',
      type: stream.type,
      data: {
        key: stream.key,
        kind: stream.kind,
        count: open.count,
        first: { monoTime: open.firstMono, wallTime: open.firstWall },
        last: { monoTime: open.lastMono, wallTime: open.lastWall },
        maxGapMs: open.maxGapMs,
        fields: stream.fields,
        sample: open.sample,
        reason,
      },
    };
  }
}

function byLastThenOrder(a: Stream, b: Stream): number {
  return a.open!.lastMono - b.open!.lastMono || a.open!.order - b.open!.order;
}

const isPrimitive = (v: unknown): boolean => v === null || (typeof v !== 'object' && typeof v !== 'function');

/** Primitive fields (a string, as the engine uses) compare as themselves: no JSON on the steady path. */
function comparable(fields: unknown): FieldsCmp {
  return isPrimitive(fields) ? { primitive: true, value: fields } : { primitive: false, text: canonicalJson(fields) };
}

function sameFields(cmp: FieldsCmp, fields: unknown): boolean {
  if (cmp.primitive) return isPrimitive(fields) && Object.is(cmp.value, fields);
  return !isPrimitive(fields) && cmp.text === canonicalJson(fields);
}

/**
 * JSON with sorted object keys, so two field sets compare equal whatever order they were built in.
 * Total: bigint, undefined, functions, NaN and cycles get a stable text instead of a throw.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  const seen = new Set<object>();
  const walk = (v: unknown): string => {
    switch (typeof v) {
      case 'string':
        return JSON.stringify(v);
      case 'number':
        return Number.isFinite(v) ? String(v) : `"#${String(v)}"`;
      case 'boolean':
        return v ? 'true' : 'false';
      case 'bigint':
        return `"#${v.toString()}n"`;
      case 'undefined':
        return '"#undefined"';
      case 'function':
      case 'symbol':
        return `"#${typeof v}"`;
      default:
        break;
    }
    if (v === null) return 'null';
    const o = v as object;
    if (seen.has(o)) return '"#cycle"';
    seen.add(o);
    let text: string;
    if (Array.isArray(o)) {
      text = `[${o.map(walk).join(',')}]`;
    } else if (o instanceof Uint8Array) {
      text = `"#bytes:${Buffer.from(o.buffer, o.byteOffset, o.byteLength).toString('hex')}"`;
    } else {
      const keys = Object.keys(o).sort();
      text = `{${keys.map((k) => `${JSON.stringify(k)}:${walk((o as Record<string, unknown>)[k])}`).join(',')}}`;
    }
    seen.delete(o);
    return text;
  };
  return walk(value);
}
