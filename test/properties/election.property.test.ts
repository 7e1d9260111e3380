/**
 * Election invariants (issue 3 part 6 a–d, f) over random routers, priorities, addresses, start
 * times, losses and partitions, on the simulated LAN with the real machines, codec and engine.
 * fast-check prints the seed and the counterexample on failure; replay it with { seed, path }.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { Fault } from '../../src/engine/simulation.js';
import { addressOf, lab, masterDownMs, mastersByVrid, skewMs, type LabRouter } from './sim-lab.js';

const RUNS = 200;
const ADVERT_MS = 1000;
const prio = fc.integer({ min: 1, max: 254 });
const version = fc.constantFrom<2 | 3>(2, 3);

/** Routers × VRIDs priorities: 2..3 routers, 1..2 VRIDs. */
const prioMatrix = fc
  .tuple(fc.integer({ min: 2, max: 3 }), fc.integer({ min: 1, max: 2 }))
  .chain(([n, m]) => fc.array(fc.array(prio, { minLength: m, maxLength: m }), { minLength: n, maxLength: n }));

/**
 * Who may be master of VRID k: the routers with the highest priority. Among equals the higher address
 * wins when they contend (both MASTER at once, e.g. started together); a BACKUP never preempts a
 * master of EQUAL priority (RFC 5798 §6.4.2: it resets its timer when priority ≥ its own; keepalived
 * alike), so a tied router that started later leaves the first one master.
 */
function expectedMasters(prios: number[][], starts: number[], k: number): string[] {
  const top = Math.max(...prios.map((row) => row[k]!));
  const tied = prios.map((row, i) => ({ i, p: row[k]! })).filter((x) => x.p === top).map((x) => x.i);
  if (tied.every((i) => starts[i] === starts[tied[0]!])) {
    const best = tied.reduce((a, b) => (addressOf(b) > addressOf(a) ? b : a));
    return [`r${best + 1}`];
  }
  return tied.map((i) => `r${i + 1}`);
}

describe('election properties', () => {
  test.prop(
    {
      prios: prioMatrix,
      version,
      preemptDelay: fc.constantFrom(0, 0, 1, 2),
      starts: fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 3, maxLength: 3 }),
      loss: fc.double({ min: 0, max: 0.6, noNaN: true }),
      cut: fc.option(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 8000 })), { nil: undefined }),
      healAt: fc.integer({ min: 5000, max: 15_000 }),
      seed: fc.integer(),
    },
    { numRuns: RUNS },
  )('(a) once healed and quiet, exactly one MASTER per VRID within max master-down + preempt_delay + one advert', (p) => {
    const n = p.prios.length;
    const routers: LabRouter[] = p.prios.map((row) => ({
      instances: row.map((priority) => ({ priority, version: p.version, ...(p.preemptDelay > 0 ? { preemptDelay: p.preemptDelay } : {}) })),
    }));
    const faults: Fault[] = [];
    for (let i = 0; i < n; i++) if (p.starts[i]! > 0) faults.push({ kind: 'start', node: `r${i + 1}`, at: p.starts[i]! });
    if (p.cut !== undefined) {
      const alone = `r${(p.cut[0] % n) + 1}`;
      const others = Array.from({ length: n }, (_, i) => `r${i + 1}`).filter((r) => r !== alone);
      faults.push({ kind: 'partition', a: [alone], b: others, from: Math.min(p.cut[1], p.healAt) });
    }
    const sim = lab(routers, { seed: p.seed, link: { loss: p.loss, jitterMs: 1 }, faults });
    sim.runUntil(p.healAt);
    sim.lan.heal();
    sim.lan.setDefaults({ loss: 0 });
    const worstMdi = Math.max(...p.prios.flat().map((x) => masterDownMs(x, ADVERT_MS)));
    const bound = worstMdi + p.preemptDelay * 1000 + ADVERT_MS + 5; // + link delays (≤ 1.1 ms each)
    sim.runUntil(p.healAt + bound);
    for (const [vrid, masters] of mastersByVrid(sim)) expect(masters, `VRID ${vrid} at heal + ${bound} ms`).toHaveLength(1);
    // and it stays so
    sim.runUntil(p.healAt + bound + 20_000);
    for (const [vrid, masters] of mastersByVrid(sim)) expect(masters, `VRID ${vrid} later`).toHaveLength(1);
  });

  test.prop(
    { prios: prioMatrix, version, starts: fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 3, maxLength: 3 }) },
    { numRuns: RUNS },
  )('(b) when every router preempts, the master has the highest priority, contended ties to the highest address', (p) => {
    const n = p.prios.length;
    const faults: Fault[] = [];
    for (let i = 0; i < n; i++) if (p.starts[i]! > 0) faults.push({ kind: 'start', node: `r${i + 1}`, at: p.starts[i]! });
    const sim = lab(p.prios.map((row) => ({ instances: row.map((priority) => ({ priority, version: p.version })) })), { faults });
    sim.runUntil(Math.max(...p.starts) + 2 * masterDownMs(1, ADVERT_MS) + 2 * ADVERT_MS);
    const masters = mastersByVrid(sim);
    for (let k = 0; k < p.prios[0]!.length; k++) {
      const m = masters.get(k + 1)!;
      expect(m, `VRID ${k + 1}`).toHaveLength(1);
      expect(expectedMasters(p.prios, p.starts.slice(0, n), k), `VRID ${k + 1}`).toContain(m[0]);
    }
  });

  test.prop(
    {
      first: prio,
      others: fc.array(fc.tuple(prio, fc.integer({ min: 5000, max: 30_000 })), { minLength: 1, maxLength: 2 }),
      version,
    },
    { numRuns: RUNS },
  )('(c) with nopreempt on every backup, a healthy master is never displaced', (p) => {
    const prios = [p.first, ...p.others.map((o) => o[0])];
    const faults: Fault[] = p.others.map((o, i) => ({ kind: 'start', node: `r${i + 2}`, at: o[1] }));
    const sim = lab(prios.map((priority) => ({ instances: [{ priority, version: p.version, nopreempt: true }] })), { faults });
    sim.runUntil(60_000);
    const masters = sim.timeline().filter((e) => e.to === 'MASTER');
    expect(masters.map((e) => e.node)).toEqual(['r1']);
    expect(sim.timeline().filter((e) => e.node === 'r1' && e.from === 'MASTER')).toEqual([]);
  });

  test.prop(
    { prios: prioMatrix, version, delayMs: fc.double({ min: 0.01, max: 2, noNaN: true }) },
    { numRuns: RUNS },
  )('(d) after a priority-0 stop whose advert is delivered, a backup is master within its skew time + 1 ms', (p) => {
    const sim = lab(p.prios.map((row) => ({ instances: row.map((priority) => ({ priority, version: p.version })) })), {
      link: { delayMs: p.delayMs },
    });
    sim.runUntil(10_000);
    const stopAt = 10_000;
    // the master of VRID 1 stops gracefully
    const master = sim.states().find((s) => s.vrid === 1 && s.state === 'MASTER')!;
    expect(master).toBeDefined();
    sim.stopNode(master.node);
    sim.runUntil(stopAt + 5000);
    const takeover = sim.timeline().find((e) => e.at >= stopAt && e.instance === 'VI_1' && e.to === 'MASTER');
    expect(takeover).toBeDefined();
    const newPrio = sim.states().find((s) => s.node === takeover!.node && s.vrid === 1)!.priority!;
    expect(takeover!.reason?.code).toBe('masterStopped');
    expect(takeover!.at).toBeLessThanOrEqual(stopAt + p.delayMs + skewMs(newPrio, ADVERT_MS) + 1);
  });

  test.prop(
    {
      prios: fc.array(fc.tuple(prio, prio), { minLength: 2, maxLength: 2 }),
      events: fc.array(
        fc.record({
          at: fc.integer({ min: 1000, max: 30_000 }),
          node: fc.integer({ min: 0, max: 1 }),
          what: fc.constantFrom('scriptFail', 'scriptOk', 'linkDown', 'linkUp', 'kill', 'start', 'stop'),
        }),
        { maxLength: 6 },
      ),
    },
    { numRuns: RUNS },
  )('(f) after every engine step, the members of a sync group are in the same state', (p) => {
    const faults: Fault[] = [];
    for (const e of p.events) {
      const node = `r${e.node + 1}`;
      switch (e.what) {
        case 'scriptFail':
        case 'scriptOk':
          faults.push({ kind: 'script', node, script: 'chk', ok: e.what === 'scriptOk', at: e.at });
          break;
        case 'linkDown':
          faults.push({ kind: 'linkDown', node, ifname: 'eth0', from: e.at, to: e.at + 3000 });
          break;
        case 'linkUp':
          break;
        default:
          faults.push({ kind: e.what, node, at: e.at });
      }
    }
    // `start` as a node's first fault would hold it down from 0: keep both up at 0
    faults.push({ kind: 'start', node: 'r1', at: 0 }, { kind: 'start', node: 'r2', at: 0 });
    let steps = 0;
    const sim = lab(
      p.prios.map(([a, b]) => ({
        scripts: [{ name: 'chk' }],
        syncGroups: [{ name: 'SG_1', members: ['VI_1', 'VI_2'] }],
        instances: [{ priority: a, trackScript: [{ name: 'chk' }] }, { priority: b }],
      })),
      {
        faults,
        afterStep: (s, node) => {
          const e = s.nodes.get(node)!.engine!;
          steps++;
          expect(e.state('VI_1'), `${node} at ${s.scheduler.now()}`).toBe(e.state('VI_2'));
        },
      },
    );
    sim.runUntil(40_000);
    expect(steps).toBeGreaterThan(0);
  });

  test.prop(
    {
      prios: fc.tuple(prio, prio).filter(([a, b]) => a !== b),
      version,
      cutAt: fc.integer({ min: 5000, max: 8000 }),
      // the heal falls anywhere in the adverts' phases: either master's advert may cross first
      healAt: fc.integer({ min: 15_000, max: 25_000 }),
      delayMs: fc.double({ min: 0.01, max: 3, noNaN: true }),
    },
    { numRuns: RUNS },
  )('(h) split-brain heal: in either order of the first adverts, clients follow the winner within one advert interval', (p) => {
    const sim = lab(p.prios.map((priority) => ({ instances: [{ priority, version: p.version }] })), {
      link: { delayMs: p.delayMs },
      faults: [{ kind: 'partition', a: ['r1'], b: ['r2'], from: p.cutAt, to: p.healAt }],
    });
    sim.runUntil(p.healAt - 1);
    // both believe themselves master during the partition
    expect(sim.states().map((s) => s.state)).toEqual(['MASTER', 'MASTER']);
    const winner = p.prios[0]! > p.prios[1]! ? 'r1' : 'r2';
    const loser = winner === 'r1' ? 'r2' : 'r1';
    const deadline = p.healAt + ADVERT_MS + 2 * p.delayMs + 1;
    sim.runUntil(deadline);
    expect(sim.states().map((s) => `${s.node} ${s.state}`)).toEqual([`r1 ${winner === 'r1' ? 'MASTER' : 'BACKUP'}`, `r2 ${winner === 'r2' ? 'MASTER' : 'BACKUP'}`]);
    // A client's ARP cache follows the latest gratuitous ARP for the VIP: it must be the winner's.
    const bursts = [winner, loser].flatMap((node) => sim.nodes.get(node)!.garpLog.map((g) => ({ node, at: g.at })));
    const latest = bursts.filter((b) => b.at <= deadline).sort((a, b) => a.at - b.at).at(-1);
    expect(latest?.node).toBe(winner);
    expect(latest!.at).toBeGreaterThanOrEqual(p.healAt);
    expect(sim.nodes.get(loser)!.vips.size).toBe(0);
    // and the loser sends no GARP afterwards
    sim.runUntil(deadline + 10_000);
    expect(sim.nodes.get(loser)!.garpLog.filter((g) => g.at > deadline)).toEqual([]);
  });
});
