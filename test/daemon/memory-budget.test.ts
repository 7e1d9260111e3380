/**
 * The children's memory budget after their start (src/daemon/memory-budget.ts): when the first
 * elections are over, and V8's memory reducer asked for then (the addon's memoryPressure), which collects
 * and shrinks the heap without waiting the 8 s or more V8's own reducer waits.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { firstElectionsOverMs, MemoryReducer, quietAfterWorkMs } from '../../src/daemon/memory-budget.js';

const ADDON = join(__dirname, '..', '..', 'native', 'build', 'Release', 'kts_net.node');

/**
 * A fresh Node process (--max-semi-space-size=2, as the children) that grows its young generation
 * with short-lived objects, goes idle, asks for the memory reducer (or not), and reports the major
 * collections and the young generation's size over the next 1.5 s of idleness.
 */
function idleAfterGarbage(askReducer: boolean): { asked: boolean; majors: number; youngBefore: number; youngAfter: number } {
  const script = `
    const addon = require(${JSON.stringify(ADDON)});
    const { PerformanceObserver, constants } = require('node:perf_hooks');
    const v8 = require('node:v8');
    const young = () => v8.getHeapSpaceStatistics().filter((s) => s.space_name === 'new_space')[0].space_size;
    let majors = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }).observe({ entryTypes: ['gc'] });
    const kept = [];
    for (let i = 0; i < 3e6; i++) { const o = { i, s: 'garbage ' + i }; if (i % 50 === 0) kept.push(o); }
    setTimeout(() => {
      const youngBefore = young();
      majors = 0;
      const asked = ${askReducer} ? addon.memoryPressure() : false;
      setTimeout(() => {
        process.stdout.write(JSON.stringify({ asked, majors, youngBefore, youngAfter: young(), kept: kept.length }));
      }, 1500);
    }, 200);
  `;
  return JSON.parse(execFileSync(process.execPath, ['--max-semi-space-size=2', '-e', script], { encoding: 'utf8' }));
}

describe('memory budget after the start', () => {
  it('waits for the first elections: 4 advert intervals of the slowest instance and a second', () => {
    // v3 at 0.1 s: Master_Down_Interval < 400 ms, plus 1 s for the effects.
    expect(firstElectionsOverMs([100])).toBe(1400);
    // The slowest instance decides: v2 at 1 s.
    expect(firstElectionsOverMs([100, 1000, 10])).toBe(5000);
    expect(firstElectionsOverMs([])).toBe(1000);
  });

  it('reduces once the work has been over for the quiet time: long enough for the new masters\' delayed gratuitous ARPs', () => {
    expect(quietAfterWorkMs([{ garpMasterDelayMs: 5000 }, { garpMasterDelayMs: 1000 }])).toBe(6000);
    expect(quietAfterWorkMs([{ garpMasterDelayMs: 0 }])).toBe(2000);
    vi.useFakeTimers();
    try {
      let reductions = 0;
      const reducer = new MemoryReducer(6000, () => reductions++);
      reducer.work(); // the start
      vi.advanceTimersByTime(1000);
      reducer.work(); // a transition a second later
      vi.advanceTimersByTime(5999);
      expect(reductions).toBe(0);
      vi.advanceTimersByTime(1);
      expect(reductions).toBe(1);
      // A steady state: nothing more.
      vi.advanceTimersByTime(60_000);
      expect(reductions).toBe(1);
      // A reload shortens it; a stop cancels what is pending.
      reducer.setQuietMs(2000);
      reducer.work();
      vi.advanceTimersByTime(2000);
      expect(reductions).toBe(2);
      reducer.work();
      reducer.stop();
      vi.advanceTimersByTime(10_000);
      expect(reductions).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('memoryPressure runs a major collection in an idle process and shrinks its young generation; an idle process left alone does neither', () => {
    const asked = idleAfterGarbage(true);
    expect(asked.asked).toBe(true);
    expect(asked.majors).toBeGreaterThanOrEqual(1);
    expect(asked.youngAfter).toBeLessThan(asked.youngBefore);
    const alone = idleAfterGarbage(false);
    expect(alone.majors).toBe(0);
    expect(alone.youngAfter).toBe(alone.youngBefore);
  });
});
