import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RealTimeScheduler, VirtualScheduler } from '../../src/engine/scheduler.js';
import { MemoryJournal } from '../../src/engine/memory-journal.js';
import type { EventRecord, NewEvent } from '../../src/store/schema.js';

describe('VirtualScheduler', () => {
  it('runs timers in deadline order and moves virtual time to each deadline', () => {
    const s = new VirtualScheduler();
    const seen: Array<[string, number]> = [];
    s.after(30, () => seen.push(['c', s.now()]));
    s.after(10, () => seen.push(['a', s.now()]));
    s.after(20.5, () => seen.push(['b', s.now()]));
    expect(s.runUntil(100)).toBe(3);
    expect(seen).toEqual([['a', 10], ['b', 20.5], ['c', 30]]);
    expect(s.now()).toBe(100);
  });

  it('runs timers with the same deadline first-in first-out', () => {
    const s = new VirtualScheduler();
    const seen: number[] = [];
    for (let i = 0; i < 50; i++) s.at(5, () => seen.push(i));
    s.runUntil(5);
    expect(seen).toEqual([...Array(50).keys()]);
  });

  it('cancel takes a timer back, and a second cancel or a cancel after running reports false', () => {
    const s = new VirtualScheduler();
    const seen: string[] = [];
    const a = s.after(10, () => seen.push('a'));
    const b = s.after(10, () => seen.push('b'));
    expect(s.cancel(a)).toBe(true);
    expect(s.cancel(a)).toBe(false);
    expect(s.pending()).toBe(1);
    s.runUntil(20);
    expect(seen).toEqual(['b']);
    expect(s.cancel(b)).toBe(false);
    expect(s.pending()).toBe(0);
  });

  it('re-arming (cancel then arm) moves the deadline, as a master-down timer reset by each advert', () => {
    const s = new VirtualScheduler();
    const fired: number[] = [];
    let h = s.after(3609, () => fired.push(s.now()));
    for (let t = 1000; t <= 5000; t += 1000) {
      s.runUntil(t);
      s.cancel(h);
      h = s.after(3609, () => fired.push(s.now()));
    }
    s.runUntil(20_000);
    expect(fired).toEqual([5000 + 3609]);
  });

  it('rearm moves a timer later or earlier with its callback, and ranks it as armed anew among equal deadlines', () => {
    const s = new VirtualScheduler();
    const seen: Array<[string, number]> = [];
    let h = s.after(100, () => seen.push(['t', s.now()]));
    s.after(300, () => seen.push(['other', s.now()]));
    s.runUntil(50);
    h = s.rearm(h, 250)!; // later: now 50 + 250 = 300, after `other` (armed first)
    expect(h).toBeDefined();
    s.runUntil(299);
    expect(seen).toEqual([]);
    s.runUntil(300);
    expect(seen).toEqual([['other', 300], ['t', 300]]);
    // earlier than its place in the heap
    const e = s.after(1000, () => seen.push(['e', s.now()]));
    expect(s.rearm(e, 10)).toBeDefined();
    s.runUntil(400);
    expect(seen.at(-1)).toEqual(['e', 310]);
    expect(s.pending()).toBe(0);
    // a timer that ran (or was cancelled) cannot be re-armed
    expect(s.rearm(e, 10)).toBeUndefined();
    const c = s.after(5, () => undefined);
    s.cancel(c);
    expect(s.rearm(c, 5)).toBeUndefined();
    expect(s.pending()).toBe(0);
  });

  it('fires timers armed by a running timer in the same runUntil, and never goes back in time', () => {
    const s = new VirtualScheduler(100);
    const seen: number[] = [];
    s.after(1, () => {
      seen.push(s.now());
      s.at(50, () => seen.push(s.now())); // a deadline in the past runs now
      s.after(0, () => seen.push(s.now()));
    });
    s.runUntil(200);
    expect(seen).toEqual([101, 101, 101]);
    expect(s.nextDeadline()).toBeUndefined();
  });

  it('runNext stops at the limit and leaves later timers armed', () => {
    const s = new VirtualScheduler();
    s.after(10, () => undefined);
    s.after(20, () => undefined);
    expect(s.runNext(15)).toBe(true);
    expect(s.runNext(15)).toBe(false);
    expect(s.nextDeadline()).toBe(20);
  });
});

/**
 * The reference: every armed timer in a list, run in (deadline, arming rank) order; a rearm is a
 * cancel and a new arming with a fresh rank (what VirtualScheduler promises, however it stores them).
 */
class ReferenceScheduler {
  private time = 0;
  private rank = 0;
  private armed: Array<{ deadline: number; rank: number; id: number }> = [];
  now(): number {
    return this.time;
  }
  at(deadline: number, id: number): void {
    this.armed.push({ deadline: Math.max(deadline, this.time), rank: this.rank++, id });
  }
  cancel(id: number): boolean {
    const i = this.armed.findIndex((a) => a.id === id);
    if (i < 0) return false;
    this.armed.splice(i, 1);
    return true;
  }
  rearm(id: number, delay: number): boolean {
    if (!this.cancel(id)) return false;
    this.at(this.time + Math.max(0, delay), id);
    return true;
  }
  pending(): number {
    return this.armed.length;
  }
  advanceTo(t: number): void {
    if (t > this.time) this.time = t;
  }
  runNext(limit: number): number | undefined {
    if (this.armed.length === 0) return undefined;
    let best = 0;
    for (let i = 1; i < this.armed.length; i++) {
      const a = this.armed[i]!;
      const b = this.armed[best]!;
      if (a.deadline < b.deadline || (a.deadline === b.deadline && a.rank < b.rank)) best = i;
    }
    const next = this.armed[best]!;
    if (next.deadline > limit) return undefined;
    this.armed.splice(best, 1);
    this.time = next.deadline;
    return next.id;
  }
}

type SchedOp =
  | { op: 'at'; deadline: number }
  | { op: 'after'; delay: number }
  | { op: 'cancel'; pick: number }
  | { op: 'rearm'; pick: number; delay: number }
  | { op: 'run'; span: number }
  | { op: 'runUntil'; span: number };

describe('VirtualScheduler against a reference', () => {
  it('property: runs the same timers in the same order at the same times, whatever is armed, cancelled or re-armed', () => {
    // Few distinct times (multiples of 0.5 ms up to 20), so equal deadlines and ties are common.
    const time = fc.integer({ min: 0, max: 40 }).map((n) => n / 2);
    const op: fc.Arbitrary<SchedOp> = fc.oneof(
      fc.record({ op: fc.constant('at' as const), deadline: time }),
      fc.record({ op: fc.constant('after' as const), delay: time }),
      fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
      fc.record({ op: fc.constant('rearm' as const), pick: fc.nat(), delay: time }),
      fc.record({ op: fc.constant('run' as const), span: time }),
      fc.record({ op: fc.constant('runUntil' as const), span: time }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const s = new VirtualScheduler();
        const ref = new ReferenceScheduler();
        const seen: Array<[number, number]> = [];
        const refSeen: Array<[number, number]> = [];
        const handles = new Map<number, object>();
        let nextId = 0;
        const arm = (id: number, deadline: number): void => {
          handles.set(id, s.at(deadline, () => seen.push([id, s.now()])));
          ref.at(deadline, id);
        };
        for (const o of ops) {
          switch (o.op) {
            case 'at':
              arm(nextId++, s.now() + o.deadline - 5);
              break;
            case 'after': {
              const id = nextId++;
              handles.set(id, s.after(o.delay, () => seen.push([id, s.now()])));
              ref.at(ref.now() + o.delay, id);
              break;
            }
            case 'cancel': {
              if (nextId === 0) break;
              const id = o.pick % nextId;
              expect(s.cancel(handles.get(id)!)).toBe(ref.cancel(id));
              break;
            }
            case 'rearm': {
              if (nextId === 0) break;
              const id = o.pick % nextId;
              const h = s.rearm(handles.get(id)!, o.delay);
              expect(h !== undefined).toBe(ref.rearm(id, o.delay));
              if (h !== undefined) handles.set(id, h);
              break;
            }
            case 'run': {
              const limit = s.now() + o.span;
              const ran = s.runNext(limit);
              const id = ref.runNext(limit);
              expect(ran).toBe(id !== undefined);
              if (id !== undefined) refSeen.push([id, ref.now()]);
              break;
            }
            case 'runUntil': {
              const until = s.now() + o.span;
              s.runUntil(until);
              for (let id = ref.runNext(until); id !== undefined; id = ref.runNext(until)) refSeen.push([id, ref.now()]);
              ref.advanceTo(until);
              break;
            }
          }
          expect(seen).toEqual(refSeen);
          expect(s.pending()).toBe(ref.pending());
          expect(s.now()).toBe(ref.now());
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('RealTimeScheduler', () => {
  it('fires after the delay on a monotonic clock and can cancel', async () => {
    const s = new RealTimeScheduler();
    const t0 = s.now();
    const order: string[] = [];
    const cancelled = s.after(5, () => order.push('x'));
    expect(s.cancel(cancelled)).toBe(true);
    expect(s.rearm(cancelled, 1)).toBeUndefined();
    await new Promise<void>((resolve) => {
      s.after(10, () => order.push('a'));
      s.after(10, () => {
        order.push('b');
        resolve();
      });
    });
    expect(order).toEqual(['a', 'b']);
    expect(s.now() - t0).toBeGreaterThanOrEqual(9);
  });

  it('never runs a timer inside after() or rearm(), even a precise one whose deadline has passed', async () => {
    // A Master_Down_Timer counted from an advert that waited in the socket longer than the interval
    // is armed with its deadline behind: running it right there would re-enter the step arming it.
    const s = new RealTimeScheduler();
    const ran: string[] = [];
    s.after(-5, () => ran.push('past'), { precise: true });
    s.after(0, () => ran.push('zero'), { precise: true });
    const h = s.after(50, () => ran.push('moved'), { precise: true });
    s.rearm(h, -1);
    expect(ran).toEqual([]);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual(['past', 'zero', 'moved']);
  });
});

describe('MemoryJournal', () => {
  const ev = (type: string): NewEvent => ({ wallTime: 0, monoTime: 0, node: 'n', actor: 'a', kind: 'input', type, data: null });

  it('assigns contiguous seqs synchronously and emits committed records in seq order, re-entrant appends after', () => {
    const j = new MemoryJournal();
    const seen: number[] = [];
    j.committed$.subscribe((r: EventRecord) => {
      seen.push(r.seq);
      if (r.type === 'first') j.append([ev('nested')]);
    });
    const recs = j.append([ev('first'), ev('second')]);
    expect(recs.map((r) => r.seq)).toEqual([1, 2]);
    expect(seen).toEqual([1, 2, 3]);
    expect(j.events().map((r) => r.type)).toEqual(['first', 'second', 'nested']);
    expect(j.events()[0]!.v).toBe(1);
  });

  it('keeps at most maxRecords but keeps counting seqs', () => {
    const j = new MemoryJournal({ maxRecords: 3 });
    for (let i = 0; i < 10; i++) j.append([ev(`e${i}`)]);
    expect(j.events().map((r) => r.seq)).toEqual([8, 9, 10]);
    expect(j.size).toBe(10);
    expect(j.nextSeqNumber).toBe(11);
  });
});
