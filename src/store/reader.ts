/**
 * Reading the event log: by seq range, actor and wall-time range, in seq order, with `nextv`
 * (LevelDB hands over a thousand records per native call). Time-range reads consult the block
 * index first, so a question about one minute of a month-long log reads a few blocks.
 */
import type { ClassicLevel } from 'classic-level';
import type { EventRecord } from './schema.js';
import { decodeBlock, decodeRecord, recordProblem } from './codec.js';
import { classifyLevelError, EventLogError } from './errors.js';
import { BLOCK_PREFIX, BLOCK_SIZE, CONFIG_PREFIX, EVENT_PREFIX, LATE_PREFIX, blockKey, configKey, decodeKey, eventKey, lateKey, namespaceRange } from './keys.js';

export interface ReadQuery {
  /** First seq (inclusive). */
  fromSeq?: number;
  /** Last seq (inclusive). */
  toSeq?: number;
  /** Only this actor ('vrrp/VI_1'). */
  actor?: string;
  /** Wall time, ms since the epoch, inclusive: the record's own wallTime (a summary's is its last event's). */
  since?: number;
  until?: number;
}

export type LogDb = ClassicLevel<Buffer, string>;

const NEXTV = 1000;
/**
 * Bytes one `nextv` may gather. classic-level stops a `nextv` at 16 KiB by default: ~60 records of
 * ours, so a million records took 16,000 trips to LevelDB's thread pool. With room for NEXTV
 * records of up to 1 KiB each, every trip brings the full thousand.
 */
const NEXTV_BYTES = NEXTV * 1024;

/** Records in seq order, one by one. */
export async function* readRecords(db: LogDb, dir: string, q: ReadQuery = {}): AsyncGenerator<EventRecord> {
  for await (const batch of readRecordBatches(db, dir, q)) yield* batch;
}

/**
 * Records in seq order, in arrays of up to a thousand (one LevelDB `nextv` each): a reader of a
 * million records awaits a thousand times instead of a million (each await of an async generator
 * costs a promise and a trip through the microtask queue).
 */
export async function* readRecordBatches(db: LogDb, dir: string, q: ReadQuery = {}): AsyncGenerator<EventRecord[]> {
  const from = Math.max(1, Math.ceil(q.fromSeq ?? 1));
  const to = q.toSeq === undefined ? 2 ** 48 - 1 : Math.floor(q.toSeq);
  if (to < from) return;
  const ranges = q.since !== undefined || q.until !== undefined ? await timeRanges(db, dir, from, to, q.since ?? -Infinity, q.until ?? Infinity) : [[from, to] as const];
  const { actor, since, until } = q;
  for (const [lo, hi] of ranges) {
    // Values only: a key Buffer per record costs as much as LevelDB's own read. Each record holds
    // its seq, checked to rise within the range instead.
    const late = await lateRangesFrom(db, dir, lo, hi);
    let lateAt = 0;
    const it = db.values({ gte: eventKey(lo), lte: eventKey(hi), highWaterMarkBytes: NEXTV_BYTES });
    let prev = lo - 1;
    // The next read is asked for before this one is decoded: LevelDB's thread fetches while the
    // main thread parses (a wall-time gain; the rejection is observed when awaited).
    let pending: Promise<string[]> | undefined;
    try {
      pending = it.nextv(NEXTV);
      pending.catch(() => undefined);
      for (;;) {
        let values: string[];
        try {
          values = await pending;
        } catch (err) {
          throw classifyLevelError(err, dir, 'reading records');
        }
        pending = undefined;
        if (values.length === 0) break;
        // Even after a short read: a large record (a configuration) can end one early.
        pending = it.nextv(NEXTV);
        pending.catch(() => undefined);
        const out: EventRecord[] = [];
        for (const value of values) {
          // decodeRecord's steps without its result object per record.
          let parsed: unknown;
          let problem: string | undefined;
          try {
            parsed = JSON.parse(value);
            problem = recordProblem(parsed);
          } catch {
            problem = 'not JSON';
          }
          const r = parsed as EventRecord;
          if (problem !== undefined || r.seq <= prev || r.seq > hi) {
            const what = problem ?? `seq ${r.seq} out of order`;
            throw new EventLogError('CORRUPTED', dir, `event log ${dir} is corrupted: record ${problem === undefined ? r.seq : `after ${prev}`} is unreadable (${what})`);
          }
          prev = r.seq;
          if (lateAt < late.length) {
            while (lateAt < late.length && late[lateAt]![1] < r.seq) lateAt++;
            if (lateAt < late.length && late[lateAt]![0] <= r.seq) r.late = true;
          }
          if (actor !== undefined && r.actor !== actor) continue;
          if (since !== undefined && r.wallTime < since) continue;
          if (until !== undefined && r.wallTime > until) continue;
          out.push(r);
        }
        if (out.length > 0) yield out;
      }
    } finally {
      // A consumer that stops early leaves a read in flight: let it end before closing.
      if (pending !== undefined) await pending.catch(() => undefined);
      await it.close().catch(() => undefined);
    }
  }
}

/** Seq ranges of the blocks whose wall-time span meets [since, until], merged when adjacent. */
async function timeRanges(db: LogDb, dir: string, from: number, to: number, since: number, until: number): Promise<[number, number][]> {
  const out: [number, number][] = [];
  const it = db.iterator({ gte: blockKey(Math.floor(from / BLOCK_SIZE)), lte: blockKey(Math.floor(to / BLOCK_SIZE)) });
  try {
    for (;;) {
      let entries: [Buffer, string][];
      try {
        entries = await it.nextv(NEXTV);
      } catch (err) {
        throw classifyLevelError(err, dir, 'reading the time index');
      }
      if (entries.length === 0) break;
      for (const [key, value] of entries) {
        const block = decodeKey(BLOCK_PREFIX, key);
        if (block === undefined) continue;
        const span = decodeBlock(value);
        // An unreadable span is read in full rather than skipped: filtering happens per record anyway.
        if (span !== undefined && (span.maxWall < since || span.minWall > until)) continue;
        const lo = Math.max(from, block * BLOCK_SIZE);
        const hi = Math.min(to, (block + 1) * BLOCK_SIZE - 1);
        const last = out.at(-1);
        if (last !== undefined && last[1] + 1 === lo) last[1] = hi;
        else out.push([lo, hi]);
      }
    }
  } finally {
    await it.close().catch(() => undefined);
  }
  return out;
}

/** First and last seq stored (undefined when there is none). */
export async function seqBounds(db: LogDb, dir: string): Promise<{ first: number; last: number } | undefined> {
  const edge = async (reverse: boolean): Promise<number | undefined> => {
    try {
      const keys = await db.keys({ gte: eventKey(0), lte: eventKey(2 ** 48 - 1), reverse, limit: 1 }).all();
      return keys[0] === undefined ? undefined : decodeKey(EVENT_PREFIX, keys[0]);
    } catch (err) {
      throw classifyLevelError(err, dir, 'finding the last record');
    }
  };
  const first = await edge(false);
  const last = await edge(true);
  return first === undefined || last === undefined ? undefined : { first, last };
}

/** The late ranges [first, last] that meet [lo, hi], in order. */
export async function lateRangesFrom(db: LogDb, dir: string, lo: number, hi: number): Promise<[number, number][]> {
  const out: [number, number][] = [];
  const it = db.iterator({ gte: lateKey(lo), lte: namespaceRange(LATE_PREFIX).lte });
  try {
    for (;;) {
      let entries: [Buffer, string][];
      try {
        entries = await it.nextv(NEXTV);
      } catch (err) {
        throw classifyLevelError(err, dir, 'reading the late marks');
      }
      if (entries.length === 0) break;
      for (const [key, value] of entries) {
        const last = decodeKey(LATE_PREFIX, key);
        const first = Number(value);
        if (last === undefined || !Number.isInteger(first) || first > last) continue; // garbled mark: ignore it, the record is intact
        // Ranges are disjoint and ordered: once one starts after hi, all the rest do.
        if (first > hi) return out;
        out.push([first, last]);
      }
    }
  } finally {
    await it.close().catch(() => undefined);
  }
  return out;
}

/** A read-only handle on a log (replay, status). */
export class EventLogReader {
  constructor(
    readonly dir: string,
    private readonly db: LogDb,
    /** Node that created the log. */
    readonly node: string,
  ) {}

  read(q: ReadQuery = {}): AsyncIterable<EventRecord> {
    return readRecords(this.db, this.dir, q);
  }

  /** The same records as read(), in arrays (one per LevelDB read): for readers of whole logs. */
  readBatches(q: ReadQuery = {}): AsyncIterable<EventRecord[]> {
    return readRecordBatches(this.db, this.dir, q);
  }

  bounds(): Promise<{ first: number; last: number } | undefined> {
    return seqBounds(this.db, this.dir);
  }

  configAt(seq: number): Promise<EventRecord | undefined> {
    return configAtSeq(this.db, this.dir, seq);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** The newest 'config' record at or before `seq` (the copies under 'c' survive retention). */
export async function configAtSeq(db: LogDb, dir: string, seq: number): Promise<EventRecord | undefined> {
  let entry: [Buffer, string] | undefined;
  try {
    entry = (await db.iterator({ gte: configKey(0), lte: configKey(seq), reverse: true, limit: 1 }).all())[0];
  } catch (err) {
    throw classifyLevelError(err, dir, 'reading the configuration');
  }
  const at = entry === undefined ? undefined : decodeKey(CONFIG_PREFIX, entry[0]);
  if (entry === undefined || at === undefined) return undefined;
  const d = decodeRecord(entry[1], at);
  if (!d.ok) throw new EventLogError('CORRUPTED', dir, `event log ${dir} is corrupted: configuration record ${at} is unreadable (${d.reason})`);
  const [range] = await lateRangesFrom(db, dir, at, at);
  if (range !== undefined && range[0] <= at) d.value.late = true;
  return d.value;
}
