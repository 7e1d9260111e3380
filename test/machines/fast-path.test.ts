import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VrrpInstance } from '../../src/config/types.js';
import type { VrrpInput, VrrpTimer } from '../../src/machines/vrrp/contract.js';
import { Driver, VIP } from './fixtures.js';

const TIMERS: VrrpTimer[] = ['masterDown', 'advert', 'preemptDelay', 'garpDelay', 'garpRefresh', 'garpLowerPrio', 'startupDelay'];

const inputArb: fc.Arbitrary<(at: number) => VrrpInput> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ src: fc.constantFrom('192.0.2.10', '192.0.2.20', '192.0.2.5'), priority: fc.constantFrom(0, 50, 100, 150, 200, 255), cs: fc.constantFrom(50, 100, 200) }).map((a) => (at: number): VrrpInput => ({ type: 'advert', at, src: a.src, priority: a.priority, maxAdverIntCs: a.cs, addresses: VIP })) },
  { weight: 6, arbitrary: fc.constantFrom(...TIMERS).map((t) => (at: number): VrrpInput => ({ type: 'timer', at, timer: t })) },
  { weight: 2, arbitrary: fc.record({ name: fc.constantFrom('eth0', 'eth1'), up: fc.boolean() }).map((i) => (at: number): VrrpInput => ({ type: 'interface', at, ...i })) },
  { weight: 1, arbitrary: fc.boolean().map((ok) => (at: number): VrrpInput => ({ type: 'script', at, name: 'chk', ok })) },
  { weight: 1, arbitrary: fc.constantFrom('MASTER', 'BACKUP', 'FAULT' as const).map((state) => (at: number): VrrpInput => ({ type: 'syncGroup', at, state })) },
);

const configArb: fc.Arbitrary<Partial<VrrpInstance>> = fc.record({
  version: fc.constantFrom(2 as const, 3 as const),
  priority: fc.constantFrom(50, 100, 150, 255),
  preempt: fc.boolean(),
  preemptDelayMs: fc.constantFrom(0, 0, 2000),
  trackInterface: fc.constantFrom([], [{ name: 'eth1', weight: -60, reverse: false }], [{ name: 'eth1', reverse: false }]),
  trackScript: fc.constantFrom([], [{ name: 'chk', weight: 30, reverse: false }]),
});

describe('steady-state fast path', () => {
  it('gives exactly what the statechart gives, on random configurations and input sequences', () => {
    fc.assert(
      fc.property(configArb, fc.array(fc.tuple(fc.integer({ min: 0, max: 1500 }), inputArb), { minLength: 1, maxLength: 60 }), (cfg, steps) => {
        const fast = new Driver(cfg, {}, { fastPath: true });
        const slow = new Driver(cfg, {}, { fastPath: false });
        let at = 0;
        const inputs: VrrpInput[] = [{ type: 'startup', at: 0 }];
        for (const [dt, make] of steps) inputs.push(make((at += dt)));
        for (const input of inputs) {
          const a = fast.step(input);
          const b = slow.step(input);
          expect(a.actions).toEqual(b.actions);
          expect(a.transition).toEqual(b.transition);
          expect(a.snapshot.value).toEqual(b.snapshot.value);
          expect(a.snapshot.context).toEqual(b.snapshot.context);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is taken in the steady state (BACKUP hearing its master, MASTER advert timer)', () => {
    // The same snapshot object comes back with only the context replaced: no xstate pass.
    const d = new Driver({}, {}, {});
    d.step({ type: 'startup', at: 0 });
    const before = d.snapshot;
    const r = d.step({ type: 'advert', at: 10, src: '192.0.2.20', priority: 150, maxAdverIntCs: 100, addresses: VIP });
    expect(r.snapshot._nodes).toBe(before._nodes);
    expect(r.actions).toEqual([{ type: 'armTimer', timer: 'masterDown', delayMs: 3609.375 }]);
  });
});
