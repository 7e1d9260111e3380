/**
 * The children's memory budget after their start (src/daemon/memory-budget.ts): when the start's
 * work is over, and V8's memory reducer asked for then (the addon's memoryPressure), which collects
 * and shrinks the heap without waiting the 8 s or more V8's own reducer waits.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startWorkOverMs } from '../../src/daemon/memory-budget.js';

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
  it('waits for the first elections, then for the new masters\' delayed gratuitous ARPs', () => {
    // v3 at 0.1 s, garp_master_delay 5 s: Master_Down_Interval < 400 ms, plus 1 s for the effects.
    expect(startWorkOverMs([{ advertIntMs: 100, garpMasterDelayMs: 5000 }])).toEqual([1400, 6400]);
    // The slowest instance decides: v2 at 1 s.
    expect(startWorkOverMs([{ advertIntMs: 100, garpMasterDelayMs: 5000 }, { advertIntMs: 1000, garpMasterDelayMs: 2000 }])).toEqual([5000, 10000]);
    // No delayed round: one point.
    expect(startWorkOverMs([{ advertIntMs: 1000, garpMasterDelayMs: 0 }])).toEqual([5000]);
    expect(startWorkOverMs([])).toEqual([1000]);
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
