/**
 * How the daemon's children keep their memory small: keepalived's whole daemon is ≈ 13 MB of RSS;
 * ours is a C watchdog (≈ 2 MB) and a Node process per side. What a Node process holds beyond the
 * node binary's own pages is mostly room to grow, sized for throughput, not for a daemon:
 * - V8's young generation: two semi-spaces of up to 16 MB each by default, kept resident once a
 *   busy master (255 instances at 0.1 s: 2,550 adverts/s) has grown them — 32 MB of the VRRP
 *   child's 114 MB there. Objects of a step live for microseconds, so a small young generation
 *   costs a few more scavenges of almost nothing (bench/README.md, "Takeover and resources").
 * - LevelDB's write buffer (4 MB by default), filled by the event log's few kB/s before each flush.
 * - glibc's malloc arenas, one per thread that allocates (Node has about ten), each keeping its
 *   freed memory: two are plenty for a process whose allocations are V8's and LevelDB's.
 * - what V8's compiler and parser freed to malloc while the child loaded (it compiles everything at
 *   load: --no-lazy) or reloaded: malloc keeps it until trimmed (trimMalloc, after each).
 */
import { loadNative } from '../adapters/linux/native.js';

/** V8's largest semi-space, MB (the young generation is two of them). */
export const CHILD_MAX_SEMI_SPACE_MB = 2;

/**
 * Node options for a daemon child's memory (the watchdog's command line for it, watchdog.ts).
 * --expose-gc: collectStartupGarbage below.
 */
export const CHILD_MEMORY_NODE_OPTIONS: readonly string[] = [`--max-semi-space-size=${CHILD_MAX_SEMI_SPACE_MB}`, '--expose-gc'];

/**
 * Node options for the VRRP child: V8's own memory reducer off (--no-memory-reducer). It runs a
 * memory-reducing collection 8 s after a process's last full one once it allocates little — at a
 * moment nobody chooses: after the start's collections that was 15 s in, where the steady state
 * begins (two collections of ≈ 10 ms: a 1-instance backup at 0.6 % of a core instead of 0.02 % on
 * the bench's window), and it is pushed back 8 s by every full collection meanwhile. The VRRP child
 * asks for the same collection itself when its work is over (MemoryReducer below).
 */
export const VRRP_CHILD_MEMORY_NODE_OPTIONS: readonly string[] = [...CHILD_MEMORY_NODE_OPTIONS, '--no-memory-reducer'];
/** The children's event logs' LevelDB write buffer (event-log.ts: writeBufferBytes). */
export const CHILD_LOG_WRITE_BUFFER_BYTES = 1024 * 1024;

/**
 * The watchdog sets MALLOC_ARENA_MAX for a child it starts (native/watchdog.c) when the user had
 * not: glibc read it when the process started, and the scripts and loaders the child runs get the
 * user's environment, not ours.
 */
export function forgetMallocArenaSetting(env: NodeJS.ProcessEnv = process.env): void {
  if (env['KTS_MALLOC_ARENA_MAX_SET'] === undefined) return;
  delete env['MALLOC_ARENA_MAX'];
  delete env['KTS_MALLOC_ARENA_MAX_SET'];
}

/** Free malloc pages back to the kernel (native/memory.c); a no-op without the addon. */
export function trimMalloc(): void {
  const n = loadNative();
  if (n.ok) n.addon.mallocTrim();
}

/**
 * A full collection once the child has loaded its code and configuration, then malloc_trim. Why:
 * with a small young generation, what loading left behind is promoted to the old generation, which
 * then reaches its first limit a second or two later — in a backup's first takeovers, where the
 * incremental marking's steps (up to 3 ms each, seen with --trace-gc) made a 60.9 ms skew timer
 * fire 3–10 ms late on the bench. Collected at once, before any instance starts (so the pause of
 * ≈ 10 ms delays no timer), the old generation starts from what is really alive and its next
 * limit is far off.
 */
export function collectStartupGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
  trimMalloc();
}

/**
 * When the first elections are over, ms after the start: every instance has heard its master or
 * taken over once its Master_Down_Interval (3 × advert_int + skew, under 4 × advert_int) has
 * passed, plus a second for the takeovers' effects (VIPs, gratuitous ARPs, the event log).
 */
export function firstElectionsOverMs(advertIntervalsMs: readonly number[]): number {
  return 4 * Math.max(0, ...advertIntervalsMs) + 1000;
}

/**
 * V8's memory-reducing collection, now, then malloc_trim. Why: a burst of work (the start and its
 * elections, a mass takeover, a reload) leaves garbage in the old generation and a young
 * generation grown to its 4 MB (255 instances taking over at once: the VRRP child's RSS ≈ 10 MB
 * above its steady 72 MB, above the 80 MB budget), which only a memory-reducing collection gives
 * back — V8's memory reducer's (off in the VRRP child: VRRP_CHILD_MEMORY_NODE_OPTIONS), asked for
 * here by a moderate memory-pressure notification (addon). Incremental: the loop runs between the
 * marking's steps. A plain full collection would neither shrink the young generation nor return
 * its pages.
 */
export function reduceMemory(): void {
  const n = loadNative();
  if (!n.ok) return;
  n.addon.memoryPressure();
  // The collection finishes in the loop's idle time; then what it freed to malloc goes back.
  setTimeout(trimMalloc, 2000).unref();
}

/**
 * The VRRP child's own memory reducer: a memory-reducing collection (reduceMemory) once
 * the work it is told about (work(): the start, each committed transition, a reload) has been over
 * for `quietMs` — long enough for what follows a takeover by itself: the new master's second round
 * of gratuitous ARPs, garp_master_delay later. Nothing runs in a steady state.
 */
export class MemoryReducer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  constructor(
    private quietMs: number,
    private readonly reduce: () => void = reduceMemory,
  ) {}

  /** Work happened now: the collection comes `quietMs` after the last of it. */
  work(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reduce();
    }, this.quietMs);
    this.timer.unref();
  }

  /** A reload may change garp_master_delay. */
  setQuietMs(ms: number): void {
    this.quietMs = ms;
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** MemoryReducer's quiet time: the longest garp_master_delay and a second (2 s at least). */
export function quietAfterWorkMs(instances: readonly { garpMasterDelayMs: number }[]): number {
  return Math.max(2000, Math.max(0, ...instances.map((i) => i.garpMasterDelayMs)) + 1000);
}
