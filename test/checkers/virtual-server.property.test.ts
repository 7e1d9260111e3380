import { describe, expect } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { RecordingIpvs } from '../../src/adapters/ipvs-recording.js';
import type { VsInput } from '../../src/machines/virtual-server/contract.js';
import { createVirtualServer, realWeight } from '../../src/machines/virtual-server/machine.js';
import { isIpvsEffect } from '../../src/engine/checkers.js';
import { realServer, tcpCheck, virtualServer } from './fixtures.js';

const configArb = fc.record({
  weights: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 5 }),
  checkers: fc.integer({ min: 1, max: 2 }),
  inhibit: fc.boolean(),
  sorry: fc.boolean(),
  sorryInhibit: fc.boolean(),
  quorum: fc.integer({ min: 1, max: 8 }),
  hysteresis: fc.integer({ min: 0, max: 3 }),
  alpha: fc.boolean(),
});

const inputArb = fc.oneof(
  fc.record({ kind: fc.constant<'checker'>('checker'), rs: fc.nat(4), checker: fc.nat(1), up: fc.boolean() }),
  fc.record({ kind: fc.constant<'weight'>('weight'), rs: fc.nat(4), checker: fc.nat(1), weight: fc.integer({ min: 0, max: 6 }) }),
);

describe('virtual server: the IPVS table always says what the health says', () => {
  fcTest.prop([configArb, fc.array(inputArb, { maxLength: 40 })], { numRuns: 300 })(
    'every effect is one the kernel accepts, and after every step the table matches quorum, sorry server, inhibit and weights',
    (c, inputs) => {
      const vs = virtualServer(
        c.weights.map((w, i) => realServer(`192.0.2.${i + 1}`, { weight: w, checkers: Array.from({ length: c.checkers }, () => tcpCheck()) })),
        {
          quorum: c.quorum,
          hysteresis: Math.min(c.hysteresis, c.quorum - 1),
          inhibitOnFailure: c.inhibit,
          ...(c.sorry ? { sorryServer: { address: '192.0.2.99', port: 80 }, sorryServerInhibit: c.sorryInhibit } : {}),
        },
      );
      const actor = createVirtualServer(vs);
      const ipvs = new RecordingIpvs();
      let state = actor.init();
      const feed = (input: VsInput): void => {
        const r = actor.step(state, input);
        state = r.state;
        for (const a of r.actions) if (isIpvsEffect(a)) expect(ipvs.applySync(a), JSON.stringify(a)).toEqual({ ok: true });
        check();
      };
      const check = (): void => {
        const view = actor.view(state);
        if (view.quorum === 'STOPPED') {
          expect(ipvs.snapshot()).toEqual([]);
          return;
        }
        const table = new Map((ipvs.destsOf(actor.service) ?? []).map((d) => [d.address, d.weight] as const));
        const h = vs.hysteresis;
        if (view.quorum === 'UP') expect(view.weightSum > 0 && view.weightSum >= vs.quorum - h).toBe(true);
        if (view.quorum === 'DOWN') expect(view.weightSum < vs.quorum + h || view.weightSum === 0).toBe(true);
        const sorryIn = c.sorry && view.quorum === 'DOWN';
        expect(view.sorryServerActive).toBe(sorryIn);
        if (c.sorry) {
          if (sorryIn) expect(table.get('192.0.2.99')).toBe(1);
          else if (c.sorryInhibit) expect(table.get('192.0.2.99')).toBe(0);
          else expect(table.has('192.0.2.99')).toBe(false);
        }
        view.realServers.forEach((rs) => {
          const w = table.get(rs.address);
          expect(rs.alive).toBe(rs.failedCheckers === 0);
          if (rs.alive && !sorryIn) expect(w).toBe(realWeight(rs.effectiveWeight));
          else if (c.inhibit) expect(w).toBe(0);
          else expect(w).toBeUndefined();
        });
      };
      feed({ type: 'startup', at: 0, checkersUp: c.weights.map(() => Array.from({ length: c.checkers }, () => !c.alpha)) });
      for (const i of inputs) {
        if (i.kind === 'checker') feed({ type: 'checker', at: 1, rs: i.rs % c.weights.length, checker: i.checker % c.checkers, up: i.up });
        else feed({ type: 'weight', at: 1, rs: i.rs % c.weights.length, checker: i.checker % c.checkers, weight: i.weight });
      }
      feed({ type: 'shutdown', at: 2 });
    },
  );
});
