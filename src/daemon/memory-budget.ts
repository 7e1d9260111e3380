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
 * When the start's work is over, ms after it: every instance has heard its master or taken over
 * once its Master_Down_Interval (3 × advert_int + skew, under 4 × advert_int) has passed, plus a
 * second for the takeovers' effects (VIPs, gratuitous ARPs, the event log); and, later, the new
 * masters' second round of gratuitous ARPs (garp_master_delay after the takeover), plus a second.
 */
export function startWorkOverMs(instances: readonly { advertIntMs: number; garpMasterDelayMs: number }[]): number[] {
  const elections = 4 * Math.max(0, ...instances.map((i) => i.advertIntMs)) + 1000;
  const garps = elections + Math.max(0, ...instances.map((i) => i.garpMasterDelayMs));
  return garps > elections ? [elections, garps] : [elections];
}

/**
 * V8's memory reducer, run when the start's work is over (startWorkOverMs), then malloc_trim. Why: starting and
 * electing leaves garbage in the old generation and a young generation grown to its 4 MB (255
 * instances: the VRRP child's RSS ≈ 10 MB above its steady 72 MB, above the 80 MB budget) that V8
 * releases by itself only when its memory reducer runs, 15–20 s after the start. The same
 * memory-reducing collection, asked for now (a moderate memory-pressure notification, addon):
 * incremental, so the loop runs between the marking's steps — a plain full collection would not
 * shrink the young generation nor give its pages back.
 */
export function collectElectionGarbage(): void {
  const n = loadNative();
  if (!n.ok) return;
  n.addon.memoryPressure();
  // The collection finishes in the loop's idle time; then what it freed to malloc goes back.
  setTimeout(trimMalloc, 2000).unref();
}
