/**
 * Property (e), issue 3 part 6: in a steady network nothing changes. A few routers and VRIDs with
 * random priorities, versions and advert intervals run for one hour of virtual time; after the first
 * election no instance changes state. Advert intervals of 3–10 s keep 200 virtual hours affordable.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { lab, masterDownMs } from './sim-lab.js';

const HOUR = 3_600_000;

describe('steady network', () => {
  test.prop(
    {
      routers: fc.integer({ min: 2, max: 3 }).chain((n) =>
        fc.array(fc.array(fc.integer({ min: 1, max: 254 }), { minLength: 2, maxLength: 2 }), { minLength: n, maxLength: n }),
      ),
      advertS: fc.array(fc.integer({ min: 3, max: 10 }), { minLength: 2, maxLength: 2 }),
      version: fc.constantFrom<2 | 3>(2, 3),
      jitterMs: fc.double({ min: 0, max: 2, noNaN: true }),
      seed: fc.integer(),
    },
    { numRuns: 200 },
  )('(e) no state changes over an hour of virtual time once the election is over', (p) => {
    const sim = lab(
      p.routers.map((row) => ({ instances: row.map((priority, k) => ({ priority, version: p.version, advertInt: p.advertS[k]! })) })),
      { seed: p.seed, link: { jitterMs: p.jitterMs } },
    );
    // The election: every backup's master-down interval, twice over (a preemption can follow it).
    const settled = 2 * Math.max(...p.advertS.map((a) => masterDownMs(1, a * 1000))) + 1000;
    sim.runUntil(settled);
    const before = sim.timeline().length;
    const masters = sim.states().filter((s) => s.state === 'MASTER').length;
    expect(masters).toBe(2);
    sim.runUntil(HOUR);
    expect(sim.timeline().slice(before)).toEqual([]);
    expect(sim.malformed()).toEqual({});
  });
});
