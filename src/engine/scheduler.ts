/**
 * The engine's clock and timers. Machines never read a clock: the engine stamps every input with
 * `now()` and fires the timers the machines arm. Two implementations share one interface:
 *
 * - `VirtualScheduler`: a discrete-event scheduler on virtual time (simulate, tests, replay). Time
 *   only moves when the next event is due, so an hour of virtual time costs what its events cost.
 * - `RealTimeScheduler`: the daemon's twin on a monotonic clock, one `setTimeout` per timer.
 *
 * Times are milliseconds (fractions allowed: a v3 skew time is not a whole number of ms).
 */

export interface Clock {
  /** Milliseconds since the run started (virtual or monotonic). */
  now(): number;
}

/** An armed timer; `cancel` takes it back, `rearm` moves it. Opaque to callers. */
export type TimerHandle = object;

/** How a timer is armed. */
export interface TimerOptions {
  /**
   * Fire at the deadline itself, neither before nor a few ms after (a real-time scheduler otherwise
   * inherits its event loop's granularity). For the timers a takeover waits on (Master_Down_Timer).
   */
  precise?: boolean;
  /**
   * A precise timer's expiry is near (its last few ms, `deadline` in this clock's time): the owner
   * may work out now what the expiry will do, so that the expiry itself only acts. Called at most
   * once per arming, and only by a scheduler whose expiries can come late (the real-time one).
   */
  prepare?: (deadline: number) => void;
}

export interface Scheduler extends Clock {
  /** Run `fn` at absolute time `deadline` (clamped to now). Same deadline: first armed, first run. */
  at(deadline: number, fn: () => void, opts?: TimerOptions): TimerHandle;
  /** Run `fn` after `delayMs` from now. */
  after(delayMs: number, fn: () => void, opts?: TimerOptions): TimerHandle;
  /** Cancel an armed timer; returns false if it already ran or was cancelled. */
  cancel(handle: TimerHandle): boolean;
  /**
   * Move an armed timer to `now + delayMs` with the same callback and options (as if cancelled and
   * armed anew, FIFO rank included); returns the handle to keep, or undefined if it had already run
   * or been cancelled (then nothing is armed).
   */
  rearm(handle: TimerHandle, delayMs: number): TimerHandle | undefined;
  /**
   * A plain (not precise) timer counts whole ms and may fire up to 1 ms before a fractional
   * deadline (setTimeout): a caller that must not be early rounds its delay up. Virtual time is exact.
   */
  readonly wholeMs?: boolean;
}

/** An armed timer. `fn` is cleared when the entry is cancelled or has run (lazy deletion). */
interface Entry {
  /** When the entry comes to the front: the deadline of the bucket it is in. */
  deadline: number;
  /** Arming order: breaks ties so equal deadlines run first-in first-out. */
  order: number;
  fn: (() => void) | undefined;
  /**
   * Set by `rearm` to a LATER deadline: the entry stays where it is and, when it comes to the
   * front, goes back in at `due` (with the rank of the re-arming). A master-down timer pushed
   * back by every advert then costs no heap operation and no allocation per advert.
   */
  due: number;
  dueOrder: number;
}

/**
 * Timers sharing one deadline, in arming order (`order` ascending from `head`). A simulation's timers
 * come in crowds at equal deadlines — every advert of a send goes out at the same instant and
 * arrives after the same link delay, instances started together keep their advert grids aligned —
 * so a crowd costs one place in the heap and its members run from an array.
 */
interface Bucket {
  deadline: number;
  entries: Entry[];
  /** Index of the next entry to run; the ones before it have run or been moved. */
  head: number;
}

/**
 * A binary min-heap of buckets on their deadline, a bucket per distinct deadline (found by a map
 * when arming). Cancelled entries stay in their bucket until they come to the front (lazy
 * deletion): re-arming a master-down timer on every advert is then O(1) with no search, and a
 * bucket holds at most a few dead entries per live timer.
 */
export class VirtualScheduler implements Scheduler {
  private heap: Bucket[] = [];
  private readonly buckets = new Map<number, Bucket>();
  private time: number;
  private nextOrder = 0;
  private live = 0;

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  at(deadline: number, fn: () => void): TimerHandle {
    const d = deadline < this.time ? this.time : deadline;
    const order = this.nextOrder++;
    const entry: Entry = { deadline: d, order, fn, due: d, dueOrder: order };
    this.insert(entry);
    this.live++;
    return entry;
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    return this.at(this.time + (delayMs > 0 ? delayMs : 0), fn);
  }

  cancel(handle: TimerHandle): boolean {
    const entry = handle as Entry;
    if (entry.fn === undefined) return false;
    entry.fn = undefined;
    this.live--;
    return true;
  }

  rearm(handle: TimerHandle, delayMs: number): TimerHandle | undefined {
    const entry = handle as Entry;
    const fn = entry.fn;
    if (fn === undefined) return undefined;
    const due = this.time + (delayMs > 0 ? delayMs : 0);
    if (due >= entry.deadline) {
      entry.due = due;
      entry.dueOrder = this.nextOrder++;
      return entry;
    }
    // Earlier than its place: it needs a new place.
    this.cancel(entry);
    return this.at(due, fn);
  }

  /** Number of armed (not cancelled, not yet run) timers. */
  pending(): number {
    return this.live;
  }

  /** Deadline of the next live timer, or undefined when none is armed. */
  nextDeadline(): number | undefined {
    return this.settleTop()?.deadline;
  }

  /**
   * Run the next due timer (advancing time to its deadline). Returns false when none is armed or
   * the next one lies beyond `limit`.
   */
  runNext(limit = Infinity): boolean {
    const top = this.settleTop();
    if (top === undefined || top.deadline > limit) return false;
    this.shift(this.heap[0]!);
    const fn = top.fn!;
    top.fn = undefined;
    this.live--;
    this.time = top.deadline;
    fn();
    return true;
  }

  /**
   * Run every timer due at or before `until` (including ones armed meanwhile), then set the time to
   * `until`. Returns how many ran.
   */
  runUntil(until: number): number {
    let n = 0;
    while (this.runNext(until)) n++;
    if (until > this.time) this.time = until;
    return n;
  }

  /** `runUntil(now + ms)`. */
  advance(ms: number): number {
    return this.runUntil(this.time + ms);
  }

  /**
   * The next entry to run, once cancelled entries are dropped from the front and pushed-back ones
   * (rearm to a later time) are moved to their real deadline and rank; undefined when none is left.
   */
  private settleTop(): Entry | undefined {
    const heap = this.heap;
    while (heap.length > 0) {
      const bucket = heap[0]!;
      const top = bucket.entries[bucket.head]!;
      if (top.fn === undefined) this.shift(bucket);
      else if (top.due > top.deadline || (top.due === top.deadline && top.dueOrder !== top.order)) {
        this.shift(bucket);
        top.deadline = top.due;
        top.order = top.dueOrder;
        this.insert(top);
      } else return top;
    }
    return undefined;
  }

  /** Put an entry in the bucket of its deadline, at its rank. */
  private insert(e: Entry): void {
    let bucket = this.buckets.get(e.deadline);
    if (bucket === undefined) {
      bucket = { deadline: e.deadline, entries: [e], head: 0 };
      this.buckets.set(e.deadline, bucket);
      this.pushBucket(bucket);
      return;
    }
    const entries = bucket.entries;
    // Newly armed: the latest rank, at the end. A pushed-back entry keeps the rank of its re-arming,
    // which later arrivals may already have passed: its place is found by binary search.
    if (entries[entries.length - 1]!.order < e.order) {
      entries.push(e);
      return;
    }
    let lo = bucket.head;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid]!.order < e.order) lo = mid + 1;
      else hi = mid;
    }
    entries.splice(lo, 0, e);
  }

  /** Take the front entry of the front bucket; an emptied bucket leaves the heap. */
  private shift(bucket: Bucket): void {
    bucket.head++;
    if (bucket.head < bucket.entries.length) return;
    this.buckets.delete(bucket.deadline);
    this.popBucket();
  }

  private pushBucket(b: Bucket): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(b);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.deadline <= b.deadline) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = b;
  }

  private popBucket(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    const n = heap.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]!.deadline < heap[l]!.deadline ? r : l;
      if (heap[c]!.deadline >= last.deadline) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
  }
}

interface RealEntry {
  deadline: number;
  timeout: ReturnType<typeof setTimeout> | undefined;
  /** A precise timer's last stretch: the loop turns it waits through (see RealTimeScheduler). */
  immediate: ReturnType<typeof setImmediate> | undefined;
  fn: (() => void) | undefined;
  precise: boolean;
  /** Waiting on the kernel timer for its last few ms (RealTimeScheduler's `stretch`). */
  inStretch: boolean;
  /** TimerOptions.prepare, and whether it has been called for this arming. */
  prepare: ((deadline: number) => void) | undefined;
  prepared: boolean;
  /** Due, waiting in the scheduler's queue for a loop turn of its own (see BURST_BUDGET_MS). */
  queued: boolean;
}

/**
 * A kernel timer the daemon can hand the real-time scheduler (the kts_net addon's MonoTimer: a
 * CLOCK_MONOTONIC timerfd on the main loop). One per scheduler; it calls back once per arm.
 */
export interface KernelTimer {
  /** Expire `delayMs` from now (fractions count; <= 0: on the next loop turn). */
  arm(delayMs: number): void;
  disarm(): void;
  close(): void;
}
export type KernelTimerFactory = (onExpire: () => void) => KernelTimer;

/**
 * How long due timers may run back to back (ms) before the rest wait for the next loop turn.
 *
 * Node runs every expired setTimeout in one go before it polls the sockets, and the engine's timers
 * come in herds: 50 instances that became MASTER together all fire their vrrp_garp_master_delay
 * timer 5 s later, within a few ms. Each of those takes its instance's steady advert back from the
 * addon, logs, sends its gratuitous ARPs and hands the advert back (≈ 0.5 ms); run back to back they
 * held the loop 20–40 ms, and whatever waits on the loop waited as long: received adverts, the
 * adverts of instances not on the steady path (unicast peers, sync groups) and, before the steady
 * adverts got a thread of their own (native/steady_sender.h), every MASTER's adverts — at 10 ms
 * adverts a backup's Master_Down_Interval is 36 ms (test/daemon/reload-big.test.ts saw gaps up to
 * 42 ms and takeovers). Past the budget, the remaining callbacks run from setImmediate, in order,
 * after a poll phase has let the sockets through; a timer deferred so runs at most a loop turn late,
 * as it would on a busier machine anyway. Precise timers (the Master_Down_Timer) are never deferred.
 */
const BURST_BUDGET_MS = 2;

/** How long a precise timer spins in loop turns once the kernel timer has woken it: its wake-up latency here. */
const SPIN_MS = 0.3;

/**
 * How early a precise timer's setTimeout is aimed, for `remaining` ms to go. Linux lets a poll /
 * epoll_wait sleep overrun by 0.1 % of its timeout (select_estimate_accuracy: 3.6 ms on a v2
 * 3609.375 ms Master_Down_Interval), Node counts timeouts in whole ms from a loop time that may be a
 * ms stale, and a loaded machine wakes a sleeping process late (up to 4 ms measured at load 2 on 2
 * cores): aim twice the slack plus 4 ms early, and cover the rest by loop turns.
 */
function earlyByMs(remaining: number): number {
  return remaining / 500 + 4;
}

/**
 * The daemon's scheduler: monotonic time (performance.now, immune to wall-clock steps) since
 * construction, and a setTimeout per timer. Node runs equal-deadline timeouts in arming order, so the
 * FIFO rule of the virtual scheduler holds here too (among timers of the same kind).
 *
 * A setTimeout fires anywhere from about 1 ms early (Node counts from the loop's cached ms time) to
 * 0.1 % of its delay + 1 ms late (the kernel's poll slack, a second ms hop for a fractional delay):
 * +0.5..3.6 ms on a 3.6 s Master_Down_Interval, measured. keepalived's timerfd is exact to ~0.1 ms.
 * A `precise` timer therefore sets its timeout a few ms early and waits out the last stretch by
 * loop turns (setImmediate): the loop keeps reading sockets meanwhile, so an advert that arrives
 * before the deadline still re-arms the timer, and the expiry runs at most one loop turn after the
 * deadline. The CPU it costs is that stretch (≈ 4 ms), once per expiry — a master-down timer
 * expires only at a takeover (an advert re-arms it long before).
 */
export class RealTimeScheduler implements Scheduler {
  readonly wholeMs = true;
  private readonly origin = performance.now();
  /** The kernel timer for precise timers' last stretch, when the daemon gave one. */
  private readonly kernelTimer: KernelTimer | undefined;
  /** Precise timers within `earlyByMs` of their deadline, waiting on the kernel timer. */
  private readonly stretch = new Set<RealEntry>();
  /** When the current run of back-to-back timer callbacks began (performance.now), if one is on. */
  private burstStart: number | undefined;
  /** Due timers past the burst's budget, in the order they came due (see BURST_BUDGET_MS). */
  private queue: RealEntry[] = [];
  private draining: ReturnType<typeof setImmediate> | undefined;

  /**
   * `kernelTimer`: a precise timer's last few ms (after the early setTimeout) are waited on this
   * kernel timer, aimed SPIN_MS before the deadline, then in loop turns. Without it they are all
   * loop turns: ≈ 5 ms of a spinning process at every takeover, and measured expiries came 0.2–2.9 ms
   * late on the wire bench when the spinning process lost the CPU (bench/README.md).
   */
  constructor(opts: { kernelTimer?: KernelTimerFactory } = {}) {
    this.kernelTimer = opts.kernelTimer?.(() => this.onKernelTimer());
  }

  now(): number {
    return performance.now() - this.origin;
  }

  at(deadline: number, fn: () => void, opts?: TimerOptions): TimerHandle {
    return this.after(deadline - this.now(), fn, opts);
  }

  after(delayMs: number, fn: () => void, opts?: TimerOptions): TimerHandle {
    const delay = delayMs > 0 ? delayMs : 0;
    const entry: RealEntry = { deadline: this.now() + delay, timeout: undefined, immediate: undefined, fn, precise: opts?.precise === true, inStretch: false, prepare: opts?.prepare, prepared: false, queued: false };
    if (entry.precise) this.wait(entry, true);
    else {
      entry.timeout = setTimeout(() => {
        entry.timeout = undefined;
        this.due(entry);
      }, delay);
    }
    return entry;
  }

  /** A timer came due: it runs now, or after the ones queued before it once the loop has turned. */
  private due(entry: RealEntry): void {
    const now = performance.now();
    if (this.burstStart === undefined) {
      this.burstStart = now;
      // Immediates run after the poll phase: the next timers phase is a new burst.
      setImmediate(() => (this.burstStart = undefined));
    }
    if (this.queue.length > 0 || now - this.burstStart > BURST_BUDGET_MS) {
      entry.queued = true;
      this.queue.push(entry);
      this.draining ??= setImmediate(() => this.drain());
      return;
    }
    entry.fn!();
  }

  /** The queued timers, in order, for one budget; the rest after another loop turn. */
  private drain(): void {
    this.draining = undefined;
    const start = performance.now();
    let i = 0;
    for (; i < this.queue.length; i++) {
      if (performance.now() - start > BURST_BUDGET_MS) break;
      const entry = this.queue[i]!;
      if (!entry.queued) continue; // cancelled meanwhile
      entry.queued = false;
      entry.fn!();
    }
    this.queue = this.queue.slice(i);
    if (this.queue.length > 0) this.draining = setImmediate(() => this.drain());
  }

  /**
   * A precise timer: a timeout aimed early while far from the deadline, then loop turns up to it.
   * Never runs `fn` inside after() itself (`arming`), even with the deadline already past: the
   * caller may be in the middle of a step (a Master_Down_Timer counted from an advert that waited in
   * the socket longer than the interval), and a timer callback is always a turn of its own.
   */
  private wait(entry: RealEntry, arming = false): void {
    const remaining = entry.deadline - this.now();
    if (remaining <= 0 && arming) {
      entry.timeout = undefined;
      entry.immediate = setImmediate(() => this.wait(entry));
      return;
    }
    if (remaining <= 0) {
      entry.timeout = undefined;
      entry.immediate = undefined;
      entry.fn!();
      return;
    }
    const early = earlyByMs(remaining);
    if (remaining <= early && entry.prepare !== undefined && !entry.prepared) {
      // The last stretch: a few ms of idle loop in which the expiry's own work can be done ahead
      // (pure work: a prepare never arms or cancels a timer).
      entry.prepared = true;
      try {
        entry.prepare(entry.deadline);
      } catch {
        // Then the expiry does all its work itself, as without a prepare.
      }
    }
    if (remaining > early) {
      entry.immediate = undefined;
      entry.timeout = setTimeout(() => this.wait(entry), Math.floor(remaining - early));
    } else if (this.kernelTimer !== undefined && remaining > SPIN_MS) {
      entry.timeout = undefined;
      entry.immediate = undefined;
      entry.inStretch = true;
      this.stretch.add(entry);
      this.armKernelTimer();
    } else {
      entry.timeout = undefined;
      entry.immediate = setImmediate(() => this.wait(entry));
    }
  }

  /** Aim the kernel timer SPIN_MS before the earliest deadline in the stretch. */
  private armKernelTimer(): void {
    let earliest = Infinity;
    for (const e of this.stretch) if (e.deadline < earliest) earliest = e.deadline;
    if (earliest === Infinity) this.kernelTimer!.disarm();
    else this.kernelTimer!.arm(earliest - SPIN_MS - this.now());
  }

  /** The kernel timer woke us: the timers within SPIN_MS of their deadline go on in loop turns. */
  private onKernelTimer(): void {
    const now = this.now();
    for (const e of [...this.stretch]) {
      if (e.deadline - now > SPIN_MS + 0.01) continue;
      this.stretch.delete(e);
      e.inStretch = false;
      this.wait(e);
    }
    if (this.stretch.size > 0) this.armKernelTimer();
  }

  cancel(handle: TimerHandle): boolean {
    const entry = handle as RealEntry;
    if (entry.inStretch) {
      // The kernel timer may stay aimed at it: its expiry then finds nothing to do.
      this.stretch.delete(entry);
      entry.inStretch = false;
      return true;
    }
    if (entry.queued) {
      // Due and queued: it never runs (drain skips it).
      entry.queued = false;
      return true;
    }
    if (entry.timeout === undefined && entry.immediate === undefined) return false;
    if (entry.timeout !== undefined) clearTimeout(entry.timeout);
    if (entry.immediate !== undefined) clearImmediate(entry.immediate);
    entry.timeout = undefined;
    entry.immediate = undefined;
    return true;
  }

  rearm(handle: TimerHandle, delayMs: number): TimerHandle | undefined {
    const entry = handle as RealEntry;
    if (!this.cancel(entry) || entry.fn === undefined) return undefined;
    return this.after(delayMs, entry.fn, { precise: entry.precise, ...(entry.prepare !== undefined ? { prepare: entry.prepare } : {}) });
  }

  /** Let go of the kernel timer (the scheduler's timers are the caller's to cancel). */
  close(): void {
    this.stretch.clear();
    for (const e of this.queue) e.queued = false;
    this.queue = [];
    if (this.draining !== undefined) clearImmediate(this.draining);
    this.draining = undefined;
    this.kernelTimer?.close();
  }
}
