/**
 * The effects' SerialQueue (src/daemon/linux-effects.ts): jobs run strictly in order, and a long run
 * of synchronous jobs (a GARP burst of many instances) lets the event loop turn every few ms, so
 * what waits on the loop (a socket, the addon's steady adverts) is not held up for the whole burst.
 */
import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../src/daemon/linux-effects.js';
import { busy } from '../helpers/busy.js';

describe('SerialQueue', () => {
  it('runs jobs in order, synchronous and asynchronous alike', async () => {
    const q = new SerialQueue();
    const order: number[] = [];
    q.run(() => void order.push(1));
    q.run(async () => {
      await new Promise((r) => setTimeout(r, 5));
      order.push(2);
    });
    q.run(() => void order.push(3));
    q.run(() => {
      throw new Error('a failed job does not stop the queue');
    });
    q.run(() => void order.push(4));
    expect(q.size).toBe(5);
    await q.idle();
    expect(order).toEqual([1, 2, 3, 4]);
    expect(q.size).toBe(0);
  });

  it('lets the event loop turn during a long run of synchronous jobs', async () => {
    const q = new SerialQueue();
    let done = 0;
    // 40 jobs of 0.5 ms: 20 ms in microtasks without the turns.
    for (let i = 0; i < 40; i++) q.run(() => (busy(0.5), void done++));
    const turns: number[] = [];
    const tick = (): void => {
      turns.push(done);
      if (done < 40) setImmediate(tick);
    };
    setImmediate(tick);
    await q.idle();
    // The loop ran while jobs were still waiting, many times over, each after a few ms of jobs.
    const during = turns.filter((d) => d > 0 && d < 40);
    expect(during.length).toBeGreaterThanOrEqual(4);
    expect(q.yields).toBeGreaterThanOrEqual(4);
    const steps = during.map((d, i) => d - (i === 0 ? 0 : during[i - 1]!));
    expect(Math.max(...steps)).toBeLessThanOrEqual(10);
  });

  it('does not hold back a job queued on its own', async () => {
    const q = new SerialQueue();
    let ran = false;
    q.run(() => void (ran = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(ran).toBe(true);
    expect(q.yields).toBe(0);
  });
});
