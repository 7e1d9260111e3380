/**
 * The real-time scheduler's precise timers on the addon's kernel timer (MonoTimer, a timerfd):
 * the last few ms before a deadline are waited on the kernel, then in loop turns for SPIN_MS.
 * Real time: bounds are loose (never early; late by well under the old ≈ 5 ms spin's worst cases).
 */
import { describe, expect, it } from 'vitest';
import { kernelTimerFactory } from '../../src/adapters/linux/native.js';
import { RealTimeScheduler } from '../../src/engine/scheduler.js';

const factory = kernelTimerFactory();

describe.skipIf(factory === undefined)('precise timers on the kernel timer', () => {
  it('MonoTimer expires once per arm, after its delay (fractions count), and not when disarmed or closed', async () => {
    let fired = 0;
    const t = factory!(() => fired++);
    const t0 = performance.now();
    let at = 0;
    await new Promise<void>((resolve) => {
      const u = factory!(() => {
        at = performance.now() - t0;
        u.close();
        resolve();
      });
      u.arm(12.5);
    });
    expect(at).toBeGreaterThanOrEqual(12.5);
    expect(at).toBeLessThan(40);
    t.arm(5);
    t.disarm();
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toBe(0);
    t.arm(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toBe(1);
    t.close();
  });

  it('runs precise timers at their deadlines, never early, in deadline order; cancel and rearm work in the last stretch', async () => {
    const s = new RealTimeScheduler({ kernelTimer: factory! });
    const late: Record<string, number> = {};
    const order: string[] = [];
    const arm = (name: string, ms: number) => {
      const due = s.now() + ms;
      return s.after(ms, () => {
        late[name] = s.now() - due;
        order.push(name);
      }, { precise: true });
    };
    arm('b', 30.25);
    arm('a', 20.5);
    const c = arm('c', 25);
    const d = arm('d', 40);
    // Into the last stretch (within ≈ 4 ms of c's deadline), then cancelled there.
    await new Promise((r) => setTimeout(r, 22));
    expect(s.cancel(c)).toBe(true);
    expect(s.cancel(c)).toBe(false);
    const d2 = s.rearm(d, 15)!; // from ≥ 22 ms: after b (30.25)
    expect(d2).toBeDefined();
    await new Promise((r) => setTimeout(r, 40));
    expect(order).toEqual(['a', 'b', 'd']);
    for (const k of ['a', 'b']) {
      expect(late[k]).toBeGreaterThanOrEqual(0);
      expect(late[k]).toBeLessThan(5);
    }
    s.close();
  });
});
