/**
 * The event log on LevelDB (classic-level): the durable Journal of a daemon.
 *
 * - `append` assigns contiguous seqs synchronously and queues the records; one unsynced batch is
 *   in flight at a time (LevelDB would otherwise be free to apply two batches out of order, and a
 *   crash could leave a hole), so the log on disk is always a prefix of what was appended.
 * - `committed$` emits every record in seq order once it is written. The failover path never
 *   waits longer than `commitBudgetMs` (1 ms): a record not written by then is released anyway
 *   with `late: true`, and the log records it too (a late range, applied by every read).
 * - A failing disk never stalls or throws into the caller: records still reach `committed$`, the
 *   error is logged and counted, the records wait in a bounded in-memory backlog, the database is
 *   reopened and writing resumes with a 'meta' record that says what happened (and which seqs
 *   were lost if the backlog overflowed).
 */
import { performance } from 'node:perf_hooks';
import { ClassicLevel } from 'classic-level';
import { Observable, Subject } from 'rxjs';
import { EVENT_SCHEMA_VERSION, type EventRecord, type Journal, type NewEvent } from './schema.js';
import { decodeBlock, encodeHeader, encodeRecord, LOG_MAGIC, type BlockSpan } from './codec.js';
import { classifyLevelError, EventLogError, rootMessage } from './errors.js';
import { BLOCK_SIZE, HEADER_KEY, blockKey, blockOf, configKey, eventKey, lateKey } from './keys.js';
import { configAtSeq, EventLogReader, readRecordBatches, readRecords, seqBounds, type LogDb, type ReadQuery } from './reader.js';
import { dbOptions, inspectDirectory, openDb, readHeader } from './open.js';
import { deleteThrough, directoryBytes, planRetention, readBlocks } from './retention.js';

export type { ReadQuery } from './reader.js';
export { EventLogReader } from './reader.js';

export interface EventLogLogger {
  error(message: string): void;
  warn(message: string): void;
}

export interface EventLogClock {
  /** ms since the epoch */
  wallTime(): number;
  /** monotonic ms of the run (the engine's clock) */
  monoTime(): number;
}

export interface EventLogOptions {
  /** global_defs router_id. */
  node: string;
  /** Retention by size: keep the directory under this many MiB (event_log_max_mb). */
  maxMb?: number;
  /** Retention by age (event_log_max_age, in ms here). */
  maxAgeMs?: number;
  /**
   * LevelDB's write buffer (its in-memory table before a flush to disk; LevelDB's default 4 MiB).
   * The daemon's children use a smaller one: a steady daemon writes a few kB/s, and the buffer
   * is resident memory of a process that should stay small.
   */
  writeBufferBytes?: number;
  /** Longest a record waits for its commit before committed$ releases it as late (default 1 ms). */
  commitBudgetMs?: number;
  /** Records kept in memory while writes fail; beyond it the oldest are dropped (default 100 000). */
  maxBacklog?: number;
  /** Most records in one LevelDB batch (default 10 000). */
  maxBatch?: number;
  /** How often retention runs (default 60 s). */
  retentionIntervalMs?: number;
  /** First retry after a failed write; doubles up to 5 s (default 50 ms). */
  retryMs?: number;
  logger?: EventLogLogger;
  /** Timestamps of the log's own 'config' and 'meta' records. */
  clock?: EventLogClock;
}

export interface EventLogStats {
  appended: number;
  written: number;
  /** Records released to committed$ before they were written. */
  late: number;
  batches: number;
  writeErrors: number;
  /** Records dropped from a full backlog: never written. */
  lost: number;
  /** Records waiting to be written. */
  backlog: number;
  failing: boolean;
  lastError: string | undefined;
  reopens: number;
  retentionDeleted: number;
}

interface Slot {
  rec: EventRecord;
  /** performance.now() after which committed$ releases it unwritten. */
  deadline: number;
  written: boolean;
  emitted: boolean;
  /** The record's JSON, made at append: what is stored is what was appended, even if the caller
   *  reuses its objects. Lateness is stored apart (late ranges), so this text never changes. */
  text: string;
}

const consoleLogger: EventLogLogger = {
  error: (m) => console.error(`keepalived-ts: ${m}`),
  warn: (m) => console.warn(`keepalived-ts: ${m}`),
};

const defaultClock: EventLogClock = { wallTime: () => Date.now(), monoTime: () => performance.now() };

const MAX_RETRY_MS = 5000;

export class EventLog implements Journal {
  readonly dir: string;
  readonly node: string;
  private db: LogDb;
  private readonly opts: Required<Omit<EventLogOptions, 'maxMb' | 'maxAgeMs' | 'writeBufferBytes'>> & Pick<EventLogOptions, 'maxMb' | 'maxAgeMs' | 'writeBufferBytes'>;
  private readonly subject = new Subject<EventRecord>();
  /** Records in seq order released to committed$. */
  readonly committed$: Observable<EventRecord> = this.subject.asObservable();

  private nextSeq: number;
  /** Appended, not yet released to committed$ (seq order); `emitHead` avoids O(n) shifts. */
  private unemitted: Slot[] = [];
  private emitHead = 0;
  /** Appended, not yet handed to LevelDB (seq order). */
  private toWrite: Slot[] = [];
  private inflight: Slot[] | undefined;
  /**
   * Seqs released to committed$ before they were written, not yet recorded: stored as ranges
   * under 'l' keys that readers apply to the records. Re-putting each late record would double the
   * writes exactly when the disk is slow (every record of a slow batch is late).
   */
  private lateRanges: [number, number][] = [];
  /** Wall-time span of each block touched since open (only the newest few stay). */
  private readonly spans = new Map<number, BlockSpan>();

  private writeScheduled = false;
  private emitTimer: NodeJS.Timeout | undefined;
  private emitTimerAt = Infinity;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private retentionTimer: NodeJS.Timeout | undefined;
  private retentionRunning: Promise<void> | undefined;
  private emitting = false;
  private reopening = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  private failingSince: number | undefined;
  private failureCount = 0;
  private lostRanges: [number, number][] = [];
  private lostCount = 0;
  private lastDropLog = -Infinity;
  private waiters: (() => void)[] = [];

  private readonly counters = {
    appended: 0,
    written: 0,
    late: 0,
    batches: 0,
    writeErrors: 0,
    lost: 0,
    reopens: 0,
    retentionDeleted: 0,
    lastError: undefined as string | undefined,
  };

  private constructor(dir: string, db: LogDb, node: string, nextSeq: number, opts: EventLog['opts']) {
    this.dir = dir;
    this.db = db;
    this.node = node;
    this.nextSeq = nextSeq;
    this.opts = opts;
    this.retryDelay = opts.retryMs;
  }

  /**
   * Open (or create) the log in `dir`. Refuses, with an EventLogError naming the problem, a
   * directory in use by another process, one that is not a log, a damaged or corrupted one, and a
   * log of a newer schema version.
   */
  static async open(dir: string, options: EventLogOptions): Promise<EventLog> {
    const opts: EventLog['opts'] = {
      node: options.node,
      maxMb: options.maxMb,
      maxAgeMs: options.maxAgeMs,
      writeBufferBytes: options.writeBufferBytes,
      commitBudgetMs: options.commitBudgetMs ?? 1,
      maxBacklog: options.maxBacklog ?? 100_000,
      maxBatch: options.maxBatch ?? 10_000,
      retentionIntervalMs: options.retentionIntervalMs ?? 60_000,
      retryMs: options.retryMs ?? 50,
      logger: options.logger ?? consoleLogger,
      clock: options.clock ?? defaultClock,
    };
    const fresh = await inspectDirectory(dir, true);
    const db = await openDb(dir, fresh, opts.maxMb, opts.writeBufferBytes);
    try {
      const header = await readHeader(db, dir, fresh);
      if (header === undefined) {
        await db.put(HEADER_KEY, encodeHeader({ magic: LOG_MAGIC, schema: EVENT_SCHEMA_VERSION, node: opts.node, created: opts.clock.wallTime() }), { sync: true });
      } else if (header.node !== opts.node) {
        opts.logger.warn(`event log ${dir} was created by node ${JSON.stringify(header.node)}; now written by ${JSON.stringify(opts.node)}`);
      }
      const bounds = await seqBounds(db, dir);
      const log = new EventLog(dir, db, opts.node, (bounds?.last ?? 0) + 1, opts);
      await log.loadSpan();
      if (opts.maxMb !== undefined || opts.maxAgeMs !== undefined) {
        await log.applyRetention();
        log.retentionTimer = setInterval(() => void log.applyRetention().catch(() => undefined), opts.retentionIntervalMs);
        log.retentionTimer.unref();
      }
      return log;
    } catch (err) {
      await db.close().catch(() => undefined);
      throw classifyLevelError(err, dir, 'opening');
    }
  }

  /**
   * Open a log only to read it (replay, status): no header is written, nothing is created, and
   * the same refusals as `open` apply. The returned reader holds the directory's lock until closed.
   */
  static async openReader(dir: string): Promise<EventLogReader> {
    await inspectDirectory(dir, false);
    const db = await openDb(dir, false, undefined);
    try {
      const header = await readHeader(db, dir, false);
      if (header === undefined) throw new EventLogError('NOT_A_LOG', dir, `${dir} is not a keepalived-ts event log: it is an empty LevelDB database`);
      return new EventLogReader(dir, db, header.node);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw classifyLevelError(err, dir, 'opening');
    }
  }

  append(events: NewEvent[]): EventRecord[] {
    if (this.closed) throw new EventLogError('CLOSED', this.dir, `event log ${this.dir} is closed`);
    const deadline = performance.now() + this.opts.commitBudgetMs;
    const out: EventRecord[] = [];
    for (const e of events) {
      const rec: EventRecord = {
        seq: this.nextSeq++,
        // JSON would store a non-finite time as null, and the record could not be read back.
        wallTime: Number.isFinite(e.wallTime) ? e.wallTime : 0,
        monoTime: Number.isFinite(e.monoTime) ? e.monoTime : 0,
        node: e.node,
        actor: e.actor,
        kind: e.kind,
        type: e.type,
        data: e.data,
        v: EVENT_SCHEMA_VERSION,
      };
      if (e.cause !== undefined) rec.cause = e.cause;
      const slot: Slot = { rec, deadline, written: false, emitted: false, text: encodeRecord(rec) };
      this.unemitted.push(slot);
      this.toWrite.push(slot);
      out.push(rec);
    }
    this.counters.appended += out.length;
    this.trimBacklog();
    this.scheduleWrite();
    this.armEmitTimer();
    // While the disk fails, nothing waits for it.
    if (this.failingSince !== undefined) this.pump();
    return out;
  }

  /** Record the normalized configuration in force and the program's version (start, reload). */
  writeConfig(normalizedConfig: unknown, programVersion: string): EventRecord {
    const [rec] = this.append([
      {
        wallTime: this.opts.clock.wallTime(),
        monoTime: this.opts.clock.monoTime(),
        node: this.node,
        actor: 'engine',
        kind: 'config',
        type: 'config',
        data: { config: normalizedConfig, programVersion, schema: EVENT_SCHEMA_VERSION },
      },
    ]);
    return rec!;
  }

  /** Resolves when everything appended so far is written, or failed and was reported. */
  flush(): Promise<void> {
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Records in seq order. Reads what is written: call flush() first to include the latest appends. */
  read(q: ReadQuery = {}): AsyncIterable<EventRecord> {
    return readRecords(this.db, this.dir, q);
  }

  /** The same records as read(), in arrays (one per LevelDB read): for readers of whole logs. */
  readBatches(q: ReadQuery = {}): AsyncIterable<EventRecord[]> {
    return readRecordBatches(this.db, this.dir, q);
  }

  /** The newest 'config' record at or before `seq` (kept through retention), if any. */
  async configAt(seq: number): Promise<EventRecord | undefined> {
    return configAtSeq(this.db, this.dir, seq);
  }

  /** Seq of the newest record appended (0 for an empty log). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  stats(): EventLogStats {
    return {
      ...this.counters,
      backlog: this.toWrite.length + (this.inflight?.length ?? 0),
      failing: this.failingSince !== undefined,
    };
  }

  /** Run retention now (it also runs at open and every retentionIntervalMs). */
  applyRetention(): Promise<void> {
    if (this.retentionRunning) return this.retentionRunning;
    const run = async (): Promise<void> => {
      if (this.closed || this.reopening) return;
      try {
        const bounds = await seqBounds(this.db, this.dir);
        if (bounds === undefined) return;
        const upTo = planRetention({
          blocks: await readBlocks(this.db, this.dir),
          first: bounds.first,
          last: bounds.last,
          nowWall: this.opts.clock.wallTime(),
          sizeBytes: this.opts.maxMb !== undefined ? await directoryBytes(this.dir) : 0,
          policy: { maxBytes: this.opts.maxMb !== undefined ? this.opts.maxMb * 1024 * 1024 : undefined, maxAgeMs: this.opts.maxAgeMs },
        });
        if (upTo === undefined || this.closed || this.reopening) return;
        await deleteThrough(this.db, this.dir, upTo);
        this.counters.retentionDeleted += upTo - bounds.first + 1;
        for (const b of this.spans.keys()) if ((b + 1) * BLOCK_SIZE - 1 <= upTo) this.spans.delete(b);
      } catch (err) {
        this.opts.logger.error(`event log ${this.dir}: retention failed: ${rootMessage(err)}`);
      }
    };
    this.retentionRunning = run().finally(() => (this.retentionRunning = undefined));
    return this.retentionRunning;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      if (this.retentionTimer) clearInterval(this.retentionTimer);
      await this.retentionRunning;
      // One last try for what is still queued, even if the disk was failing.
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        if (!this.reopening) void this.reopenAndResume();
      }
      this.scheduleWrite();
      await this.flush();
      while (this.reopening || this.inflight) await new Promise((r) => setTimeout(r, 5));
      this.closed = true;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      const unwritten = this.toWrite.length;
      if (unwritten > 0) {
        this.opts.logger.error(`event log ${this.dir}: closing with ${unwritten} records not written (seqs ${this.toWrite[0]!.rec.seq}..${this.toWrite.at(-1)!.rec.seq})`);
      }
      this.pump(true);
      if (this.emitTimer) clearTimeout(this.emitTimer);
      this.subject.complete();
      await this.db.close().catch((err: unknown) => this.opts.logger.error(`event log ${this.dir}: close failed: ${rootMessage(err)}`));
      for (const w of this.waiters.splice(0)) w();
    })();
    return this.closing;
  }

  // --- writing -------------------------------------------------------------------------------

  private scheduleWrite(): void {
    if (this.writeScheduled || this.inflight || this.reopening || this.retryTimer || this.closed) return;
    if (this.toWrite.length === 0 && this.lateRanges.length === 0) return;
    this.writeScheduled = true;
    // A microtask: every append of the current turn goes into the same batch.
    queueMicrotask(() => {
      this.writeScheduled = false;
      this.writeNext();
    });
  }

  private writeNext(): void {
    if (this.inflight || this.reopening || this.retryTimer || this.closed) return;
    if (this.toWrite.length === 0 && this.lateRanges.length === 0) return;
    const batch = this.toWrite.length <= this.opts.maxBatch ? this.toWrite : this.toWrite.slice(0, this.opts.maxBatch);
    this.toWrite = batch === this.toWrite ? [] : this.toWrite.slice(batch.length);
    const late = this.lateRanges;
    this.lateRanges = [];
    this.inflight = batch;

    // A chained batch: abstract-level's array form clones and re-validates every operation and
    // measured 2-4x slower here.
    let ops: ReturnType<LogDb['batch']>;
    try {
      ops = this.db.batch();
    } catch (err) {
      // The database is not open (a reopen that failed): the same path as a failed write.
      queueMicrotask(() => this.onWriteFailed(batch, late, err));
      return;
    }
    const touched = new Set<number>();
    for (const slot of batch) {
      const r = slot.rec;
      ops.put(eventKey(r.seq), slot.text);
      if (r.kind === 'config') ops.put(configKey(r.seq), slot.text);
      const b = blockOf(r.seq);
      const span = this.spans.get(b);
      if (span === undefined) this.spans.set(b, { minWall: r.wallTime, maxWall: r.wallTime });
      else {
        if (r.wallTime < span.minWall) span.minWall = r.wallTime;
        if (r.wallTime > span.maxWall) span.maxWall = r.wallTime;
      }
      touched.add(b);
    }
    for (const [from, to] of late) ops.put(lateKey(to), String(from));
    for (const b of touched) ops.put(blockKey(b), JSON.stringify(this.spans.get(b)));
    this.forgetOldSpans();

    ops.write({ sync: false }).then(
      () => this.onWritten(batch),
      (err: unknown) => this.onWriteFailed(batch, late, err),
    );
  }

  private onWritten(batch: Slot[]): void {
    this.inflight = undefined;
    this.counters.batches++;
    this.counters.written += batch.length;
    for (const slot of batch) slot.written = true;
    this.retryDelay = this.opts.retryMs;
    if (this.failingSince !== undefined || this.lostRanges.length > 0) this.noteResumed();
    this.pump();
    this.scheduleWrite();
    this.wakeWaiters();
  }

  private onWriteFailed(batch: Slot[], late: [number, number][], err: unknown): void {
    this.inflight = undefined;
    this.counters.writeErrors++;
    this.failureCount++;
    const msg = rootMessage(err);
    this.counters.lastError = msg;
    // Back to the front of the queue, in seq order.
    this.toWrite = batch.concat(this.toWrite);
    this.lateRanges = late.concat(this.lateRanges);
    if (this.failingSince === undefined) {
      this.failingSince = this.opts.clock.wallTime();
      this.opts.logger.error(
        `EVENT LOG WRITE FAILED in ${this.dir}: ${msg} — transitions and effects go on; ${this.toWrite.length} records kept in memory (up to ${this.opts.maxBacklog}) until the disk accepts them`,
      );
    } else if (isPowerOfTwo(this.failureCount)) {
      this.opts.logger.error(`event log ${this.dir} still failing (${this.failureCount} attempts): ${msg}; ${this.toWrite.length} records waiting`);
    }
    this.trimBacklog();
    this.pump();
    this.wakeWaiters();
    if (this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.reopenAndResume();
    }, this.retryDelay);
    this.retryDelay = Math.min(MAX_RETRY_MS, this.retryDelay * 2);
  }

  /**
   * After a failed write LevelDB may refuse every later write (a background error sticks until
   * reopen), and a half-written record may sit at the end of its write-ahead log: reopening
   * recovers the log into a table and starts a fresh one, so the next records do not follow a torn
   * one.
   */
  private async reopenAndResume(): Promise<void> {
    if (this.closed) return;
    this.reopening = true;
    try {
      await this.db.close().catch(() => undefined);
      const db = new ClassicLevel<Buffer, string>(this.dir, dbOptions(false, this.opts.maxMb, this.opts.writeBufferBytes));
      await db.open();
      this.db = db;
      this.counters.reopens++;
      this.reopening = false;
      this.scheduleWrite();
    } catch (err) {
      this.reopening = false;
      this.counters.writeErrors++;
      this.failureCount++;
      this.counters.lastError = rootMessage(err);
      if (isPowerOfTwo(this.failureCount)) this.opts.logger.error(`event log ${this.dir}: cannot reopen: ${rootMessage(err)}`);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.reopenAndResume();
      }, this.retryDelay);
      this.retryDelay = Math.min(MAX_RETRY_MS, this.retryDelay * 2);
      this.wakeWaiters();
    }
  }

  /** Writing works again: say so in the log itself, with what could not be kept. */
  private noteResumed(): void {
    const since = this.failingSince;
    const lost = this.lostRanges;
    const lostCount = this.lostCount;
    this.failingSince = undefined;
    this.failureCount = 0;
    this.lostRanges = [];
    this.lostCount = 0;
    const now = this.opts.clock.wallTime();
    if (since !== undefined) this.opts.logger.warn(`event log ${this.dir}: writing resumed after ${now - since} ms${lostCount ? `; ${lostCount} records lost` : ''}`);
    this.append([
      {
        wallTime: now,
        monoTime: this.opts.clock.monoTime(),
        node: this.node,
        actor: 'engine',
        kind: 'meta',
        type: since !== undefined ? 'writeResumed' : 'recordsLost',
        data: {
          failedSince: since,
          failedForMs: since !== undefined ? now - since : 0,
          lastError: this.counters.lastError,
          lost: lostCount,
          lostSeqs: lost,
        },
      },
    ]);
  }

  /** Bound the backlog: drop the oldest unwritten records (released to committed$ first). */
  private trimBacklog(): void {
    if (this.toWrite.length <= this.opts.maxBacklog) return;
    // Drop a tenth more than needed: trimming one record per append would copy the whole backlog
    // each time, and a stalled disk must not make append slow.
    const excess = Math.min(this.toWrite.length, this.toWrite.length - this.opts.maxBacklog + Math.floor(this.opts.maxBacklog / 10));
    const dropped = this.toWrite.slice(0, excess);
    this.toWrite = this.toWrite.slice(excess);
    this.pumpThrough(dropped.at(-1)!.rec.seq);
    for (const slot of dropped) {
      const seq = slot.rec.seq;
      const last = this.lostRanges.at(-1);
      if (last !== undefined && last[1] + 1 === seq) last[1] = seq;
      else this.lostRanges.push([seq, seq]);
    }
    this.lostCount += excess;
    this.counters.lost += excess;
    // Loud, but not a line per append while the disk cannot keep up.
    const now = performance.now();
    if (now - this.lastDropLog >= 10_000) {
      this.lastDropLog = now;
      this.opts.logger.error(`EVENT LOG BACKLOG FULL in ${this.dir}: dropping the oldest unwritten records (seq ${dropped[0]!.rec.seq} on; ${this.counters.lost} lost so far)`);
    }
  }

  private forgetOldSpans(): void {
    if (this.spans.size <= 4) return;
    const keep = blockOf(this.nextSeq - 1) - 3;
    for (const b of this.spans.keys()) if (b < keep) this.spans.delete(b);
  }

  private async loadSpan(): Promise<void> {
    const b = blockOf(Math.max(0, this.nextSeq - 1));
    const text = await this.db.get(blockKey(b));
    const span = text === undefined ? undefined : decodeBlock(text);
    if (span) this.spans.set(b, span);
  }

  // --- releasing to committed$ ------------------------------------------------------------------

  /** Release, in seq order, what is written or past its deadline (or everything, when failing). */
  private pump(all = false): void {
    if (this.emitting) return;
    this.emitting = true;
    try {
      const now = performance.now();
      const failing = this.failingSince !== undefined || this.closed;
      while (this.emitHead < this.unemitted.length) {
        const slot = this.unemitted[this.emitHead]!;
        if (!slot.written && !all && !failing && now < slot.deadline) break;
        this.emitSlot(slot);
      }
      this.compactQueue();
    } finally {
      this.emitting = false;
    }
    this.armEmitTimer();
  }

  /** Release every record up to `seq` now (the backlog is about to drop them). */
  private pumpThrough(seq: number): void {
    while (this.emitHead < this.unemitted.length && this.unemitted[this.emitHead]!.rec.seq <= seq) {
      this.emitSlot(this.unemitted[this.emitHead]!);
    }
    this.compactQueue();
  }

  private emitSlot(slot: Slot): void {
    this.emitHead++;
    slot.emitted = true;
    if (!slot.written) {
      slot.rec.late = true;
      this.counters.late++;
      const seq = slot.rec.seq;
      const last = this.lateRanges.at(-1);
      if (last !== undefined && last[1] + 1 === seq) last[1] = seq;
      else this.lateRanges.push([seq, seq]);
    }
    // rxjs catches a subscriber's throw and reports it asynchronously: the pump goes on.
    this.subject.next(slot.rec);
  }

  private compactQueue(): void {
    if (this.emitHead > 1024 && this.emitHead * 2 > this.unemitted.length) {
      this.unemitted = this.unemitted.slice(this.emitHead);
      this.emitHead = 0;
    } else if (this.emitHead === this.unemitted.length) {
      this.unemitted = [];
      this.emitHead = 0;
    }
  }

  private armEmitTimer(): void {
    const head = this.unemitted[this.emitHead];
    if (head === undefined) return;
    if (this.emitTimer && this.emitTimerAt <= head.deadline) return;
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.emitTimerAt = head.deadline;
    this.emitTimer = setTimeout(() => {
      this.emitTimer = undefined;
      this.emitTimerAt = Infinity;
      this.pump();
    }, Math.max(0, head.deadline - performance.now()));
  }

  private settled(): boolean {
    if (this.closed) return true;
    const idle = this.toWrite.length === 0 && this.lateRanges.length === 0 && this.inflight === undefined && !this.reopening;
    // Failed and reported counts as settled: flush never waits on a broken disk.
    return idle || (this.failingSince !== undefined && this.inflight === undefined);
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0 || !this.settled()) return;
    for (const w of this.waiters.splice(0)) w();
  }
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}
