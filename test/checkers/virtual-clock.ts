import type { VirtualScheduler } from '../../src/engine/scheduler.js';

/** One turn of the event loop: probe promises and adapters settle. */
export const settle = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

/** Run the virtual clock to `until`, letting probe promises and adapters settle between timers. */
export async function runUntil(sched: VirtualScheduler, until: number): Promise<void> {
  for (;;) {
    await settle();
    if (!sched.runNext(until)) break;
  }
  await settle();
  sched.runUntil(until);
}
