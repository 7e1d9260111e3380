/**
 * RealTimeScheduler's herds of due timers (BURST_BUDGET_MS in scheduler.ts): Node runs every
 * expired setTimeout before it polls the sockets again, so 50 instances' timers due together held
 * the loop — and the addon's steady adverts, sent from its poll phase — for as long as they all
 * took. Past a 2 ms budget, the rest of a herd waits for a loop turn, in order.
 */
import { describe, expect, it } from 'vitest';
import { RealTimeScheduler } from '../../src/engine/scheduler.js';
import { busy } from '../helpers/busy.js';

describe('RealTimeScheduler herds of due timers', () => {
  it('let the loop turn between the timers of a herd past the budget, and keep their order', async () => {
    const s = new RealTimeScheduler();
    const ran: string[] = [];
    const all = new Promise<void>((resolve) => {
      for (let i = 0; i < 10; i++) {
        s.after(5, () => {
          if (i === 0) setImmediate(() => ran.push('loop turned'));
          busy(1);
          ran.push(`timer ${i}`);
          if (i === 9) resolve();
        });
      }
    });
    await all;
    // In order, all ten; the loop turned before the last ones ran (10 ms of work, 2 ms at a time).
    expect(ran.filter((x) => x.startsWith('timer'))).toEqual(Array.from({ length: 10 }, (_, i) => `timer ${i}`));
    const turned = ran.indexOf('loop turned');
    expect(turned).toBeGreaterThan(0);
    expect(turned).toBeLessThan(ran.length - 1);
  });

  it('run a herd that fits the budget in one go', async () => {
    const s = new RealTimeScheduler();
    const ran: string[] = [];
    const started: number[] = [];
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 5; i++) {
        s.after(5, () => {
          started.push(performance.now());
          if (i === 0) setImmediate(() => ran.push('loop turned'));
          ran.push(`timer ${i}`);
          if (i === 4) setImmediate(resolve);
        });
      }
    });
    expect(ran.filter((x) => x !== 'loop turned')).toEqual(['timer 0', 'timer 1', 'timer 2', 'timer 3', 'timer 4']);
    // Five empty callbacks take microseconds: the loop turns after them all — unless the process
    // lost the CPU in the middle for longer than the budget (a loaded CI host), which is the one
    // case where the next timer may wait for a turn.
    const turned = ran.indexOf('loop turned');
    if (turned < 5) expect(started[turned]! - started[0]!, 'a herd split before its budget ran out').toBeGreaterThan(1.5);
    else expect(turned).toBe(5);
  });

  it('cancel a timer that waits in the queue: it never runs', async () => {
    const s = new RealTimeScheduler();
    const ran: number[] = [];
    const handles: ReturnType<RealTimeScheduler['after']>[] = [];
    let cancelled: boolean | undefined;
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 8; i++) {
        handles.push(
          s.after(5, () => {
            busy(1);
            ran.push(i);
            // Timer 7 is past the budget by now: queued, and cancelled by timer 3.
            if (i === 3) cancelled = s.cancel(handles[7]!);
            if (i === 6) setTimeout(resolve, 20);
          }),
        );
      }
    });
    expect(cancelled).toBe(true);
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});
