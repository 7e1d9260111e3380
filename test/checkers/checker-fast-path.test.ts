import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckerInput, CheckerTimer } from '../../src/machines/checker/contract.js';
import { createCheckerStepper } from '../../src/machines/checker/machine.js';
import { settings } from './fixtures.js';

const TIMERS: CheckerTimer[] = ['check', 'probeTimeout'];

const inputArb: fc.Arbitrary<(at: number) => CheckerInput> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TIMERS).map((timer) => (at: number): CheckerInput => ({ type: 'timer', at, timer })) },
  {
    weight: 6,
    arbitrary: fc
      .record({ ok: fc.boolean(), weight: fc.option(fc.constantFrom(0, 5, 10), { nil: undefined }), reason: fc.option(fc.constantFrom('status 503', 'refused'), { nil: undefined }) })
      .map((r) => (at: number): CheckerInput => ({ type: 'probeResult', at, ok: r.ok, durationMs: 3, ...(r.weight !== undefined ? { weight: r.weight } : {}), ...(r.reason !== undefined ? { reason: r.reason } : {}) })),
  },
  { weight: 1, arbitrary: fc.boolean().map((present) => (at: number): CheckerInput => ({ type: 'vsAddress', at, present })) },
  { weight: 1, arbitrary: fc.constant((at: number): CheckerInput => ({ type: 'shutdown', at })) },
);

const settingsArb = fc.record({
  alpha: fc.boolean(),
  retry: fc.constantFrom(0, 1, 3),
  delayLoopMs: fc.constantFrom(1000, 6000),
  delayBeforeRetryMs: fc.constantFrom(500, 1000),
});

describe('checker steady-state fast path', () => {
  it('gives exactly what the statechart gives, on random settings and input sequences', () => {
    fc.assert(
      fc.property(
        settingsArb,
        fc.boolean(),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), inputArb), { minLength: 1, maxLength: 80 }),
        (over, suspendedAtStart, steps) => {
          const s = settings(over);
          const fast = createCheckerStepper(s, { fastPath: true });
          const slow = createCheckerStepper(s, { fastPath: false });
          let a = fast.init(0).snapshot;
          let b = slow.init(0).snapshot;
          let at = 0;
          const inputs: CheckerInput[] = [{ type: 'startup', at: 0, warmupMs: 100, suspended: suspendedAtStart }];
          for (const [dt, make] of steps) inputs.push(make((at += dt)));
          for (const input of inputs) {
            const ra = fast.step(a, input);
            const rb = slow.step(b, input);
            expect(ra.actions).toEqual(rb.actions);
            expect(ra.transition).toEqual(rb.transition);
            expect(ra.snapshot.value).toEqual(rb.snapshot.value);
            expect(ra.snapshot.context).toEqual(rb.snapshot.context);
            a = ra.snapshot;
            b = rb.snapshot;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is taken for a steady check cycle (same chart nodes, only the context replaced)', () => {
    const st = createCheckerStepper(settings({ retry: 1, delayLoopMs: 1000 }));
    let snap = st.init(0).snapshot;
    snap = st.step(snap, { type: 'startup', at: 0, warmupMs: 0 }).snapshot;
    const before = snap;
    const tick = st.step(snap, { type: 'timer', at: 0, timer: 'check' });
    expect(tick.snapshot._nodes).toBe(before._nodes);
    expect(tick.actions).toEqual([
      { type: 'runProbe', attempt: 1 },
      { type: 'armTimer', timer: 'probeTimeout', delayMs: 4000 },
    ]);
    const ok = st.step(tick.snapshot, { type: 'probeResult', at: 5, ok: true, durationMs: 5 });
    expect(ok.snapshot._nodes).toBe(before._nodes);
    expect(ok.transition).toBeUndefined();
    expect(ok.actions).toEqual([{ type: 'cancelTimer', timer: 'probeTimeout' }, { type: 'armTimer', timer: 'check', delayMs: 1000 }]);
  });
});
