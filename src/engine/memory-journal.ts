import { Subject, type Observable } from 'rxjs';
import { EVENT_SCHEMA_VERSION, type EventRecord, type Journal, type NewEvent } from '../store/schema.js';

export interface MemoryJournalOptions {
  /** Keep at most this many records in memory (oldest dropped first); default: all. */
  maxRecords?: number;
}

/**
 * The in-memory journal (simulate, tests, bench). Same contract as the LevelDB event log: `append`
 * assigns contiguous seq numbers synchronously, and `committed$` emits every record in seq order once
 * it is committed — here at once, since memory is the medium.
 *
 * Emission is never re-entrant: an observer that appends while handling a record (an adapter whose
 * effect produces a new input) gets its records queued behind the batch being emitted, so every
 * observer sees the whole log in seq order.
 */
export class MemoryJournal implements Journal {
  private readonly records: EventRecord[] = [];
  /** Index into `records` of the first record kept (records before it were trimmed). */
  private head = 0;
  private nextSeq = 1;
  private readonly queue: EventRecord[] = [];
  private emitting = false;
  private closed = false;
  private readonly maxRecords: number;
  private readonly subject = new Subject<EventRecord>();

  /** Every committed record, in seq order. */
  readonly committed$: Observable<EventRecord> = this.subject.asObservable();

  constructor(opts: MemoryJournalOptions = {}) {
    this.maxRecords = opts.maxRecords ?? Infinity;
  }

  append(events: NewEvent[]): EventRecord[] {
    if (this.closed) throw new Error('journal is closed');
    const out: EventRecord[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const rec = events[i] as EventRecord;
      // The NewEvent object becomes the record: no copy on the hot path. Callers hand it over.
      rec.seq = this.nextSeq++;
      rec.v = EVENT_SCHEMA_VERSION;
      out[i] = rec;
      this.records.push(rec);
      this.queue.push(rec);
    }
    this.trim();
    this.drain();
    return out;
  }

  /** Records kept, in seq order (a copy). */
  events(): EventRecord[] {
    return this.records.slice(this.head);
  }

  /** Number of records appended so far (including trimmed ones). */
  get size(): number {
    return this.nextSeq - 1;
  }

  /** The seq the next append will get. */
  get nextSeqNumber(): number {
    return this.nextSeq;
  }

  async flush(): Promise<void> {
    // Memory commits synchronously; nothing to wait for.
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subject.complete();
  }

  private trim(): void {
    const kept = this.records.length - this.head;
    if (kept <= this.maxRecords) return;
    this.head += kept - this.maxRecords;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 4096 && this.head > this.records.length / 2) {
      this.records.splice(0, this.head);
      this.head = 0;
    }
  }

  private drain(): void {
    if (this.emitting) return;
    this.emitting = true;
    try {
      const q = this.queue;
      for (let i = 0; i < q.length; i++) this.subject.next(q[i]!);
      q.length = 0;
    } finally {
      this.queue.length = 0;
      this.emitting = false;
    }
  }
}
