import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VrrpInstance } from '../../src/config/types.js';
import type { VrrpInput, VrrpTimer } from '../../src/machines/vrrp/contract.js';
import { Driver, VIP } from './fixtures.js';

/**
 * The machine run the way the engine runs it — a timer input only for an armed timer, at its
 * deadline — under random configurations and random adverts / link / script / group inputs.
 * After every step the effects seen so far must agree with the state.
 */
type Ext = { kind: 'advert'; src: string; priority: number; cs: number } | { kind: 'iface'; name: string; up: boolean } | { kind: 'script'; ok: boolean } | { kind: 'sync'; state: 'MASTER' | 'BACKUP' | 'FAULT' } | { kind: 'garbage' } | { kind: 'shutdown' };

const extArb: fc.Arbitrary<Ext> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('advert' as const), src: fc.constantFrom('192.0.2.10', '192.0.2.20', '192.0.2.5', 'garbage'), priority: fc.constantFrom(0, 1, 50, 100, 150, 254, 255), cs: fc.constantFrom(0, 50, 100, 4095) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('iface' as const), name: fc.constantFrom('eth0', 'eth1', 'eth9'), up: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('script' as const), ok: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sync' as const), state: fc.constantFrom('MASTER' as const, 'BACKUP' as const, 'FAULT' as const) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'garbage' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'shutdown' as const }) },
);

const configArb: fc.Arbitrary<Partial<VrrpInstance>> = fc.record({
  version: fc.constantFrom(2 as const, 3 as const),
  priority: fc.constantFrom(1, 100, 200, 255),
  preempt: fc.boolean(),
  preemptDelayMs: fc.constantFrom(0, 1500),
  garpMasterDelayMs: fc.constantFrom(0, 5000),
  garpMasterRefreshMs: fc.constantFrom(0, 7000),
  garpLowerPrioDelayMs: fc.constantFrom(0, 2000),
  strictMode: fc.boolean(),
  trackInterface: fc.constantFrom([], [{ name: 'eth1', weight: -60, reverse: false }], [{ name: 'eth1', reverse: false }]),
  trackScript: fc.constantFrom([], [{ name: 'chk', weight: 0, reverse: true }], [{ name: 'chk', weight: 30, reverse: false }]),
});

describe('machine invariants under engine-like driving', () => {
  it('VIPs are installed exactly while MASTER, timers match the state, cancels only hit armed timers', () => {
    fc.assert(
      fc.property(configArb, fc.boolean(), fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), extArb, fc.boolean()), { maxLength: 80 }), (cfg, delayStart, steps) => {
        const d = new Driver(cfg, delayStart ? { vrrpStartupDelayMs: 1000 } : {});
        const armed = new Map<VrrpTimer, number>();
        let vips = false;
        let now = 0;
        const feed = (input: VrrpInput) => {
          const r = d.step(input);
          for (const a of r.actions) {
            if (a.type === 'armTimer') {
              expect(a.delayMs).toBeGreaterThanOrEqual(0);
              armed.set(a.timer, input.at + a.delayMs);
            } else if (a.type === 'cancelTimer') {
              expect(armed.has(a.timer), `cancel of unarmed ${a.timer}`).toBe(true);
              armed.delete(a.timer);
            } else if (a.type === 'addVips') vips = true;
            else if (a.type === 'removeVips') vips = false;
            else if (a.type === 'sendGarp') expect(d.state).toBe('MASTER');
          }
          if (r.transition && r.transition.to !== r.transition.from) {
            const notify = r.actions.filter((a) => a.type === 'notify');
            expect(notify.at(-1)).toMatchObject({ state: r.transition.to });
          }
          const s = d.state;
          expect(vips).toBe(s === 'MASTER');
          const set = [...armed.keys()];
          if (s === 'BACKUP') expect(set).toContain('masterDown');
          if (s === 'MASTER') expect(set).toContain('advert');
          if (s === 'FAULT' || s === 'STOP') expect(set).toEqual([]);
          if (s !== 'BACKUP') expect(set).not.toContain('masterDown');
          if (s !== 'MASTER') for (const t of ['advert', 'garpDelay', 'garpRefresh', 'garpLowerPrio'] as const) expect(set).not.toContain(t);
        };
        feed({ type: 'startup', at: 0 });
        for (const [dt, ext, fireFirst] of steps) {
          // Fire due timers in deadline order (the engine's scheduler), then the external input.
          const until = now + dt;
          for (;;) {
            const due = [...armed.entries()].filter(([, at]) => at <= until).sort((a, b) => a[1] - b[1])[0];
            if (!due || !fireFirst) break;
            armed.delete(due[0]);
            now = Math.max(now, due[1]);
            feed({ type: 'timer', at: now, timer: due[0] });
          }
          now = until;
          let input: VrrpInput;
          if (ext.kind === 'advert') input = { type: 'advert', at: now, src: ext.src, priority: ext.priority, maxAdverIntCs: ext.cs, addresses: VIP };
          else if (ext.kind === 'iface') input = { type: 'interface', at: now, name: ext.name, up: ext.up };
          else if (ext.kind === 'script') input = { type: 'script', at: now, name: 'chk', ok: ext.ok };
          else if (ext.kind === 'sync') input = { type: 'syncGroup', at: now, state: ext.state };
          else if (ext.kind === 'shutdown') input = { type: 'shutdown', at: now };
          else input = { type: 'nonsense', at: now } as unknown as VrrpInput;
          feed(input);
        }
      }),
      { numRuns: 200 },
    );
  });
});
