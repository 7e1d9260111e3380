import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import type { KeepalivedConfig } from '../../src/config/types.js';
import { vrrpMachineKit } from '../../src/engine/machines.js';
import type { VrrpMachineKit } from '../../src/engine/node.js';
import { protocolCodec } from '../../src/engine/protocol-codec.js';
import { Simulation, type Fault, type SimulationOptions } from '../../src/engine/simulation.js';
import { createVrrpStepper } from '../../src/machines/vrrp/machine.js';
import type { LinkProps } from '../../src/adapters/sim-lan.js';
import { nodeConfigText, type LabNode } from './lab.js';

/**
 * The steady-state shortcuts end to end (engine: reuse of a byte-identical advert's validation;
 * advert sender: reuse of the encoded bytes; machine: steadyStep; journal folding) against the
 * plain path: the same scenario, with faults that change every field those shortcuts remember,
 * must give the same journals record for record, the same timeline and the same packets.
 */

function load(node: LabNode): KeepalivedConfig {
  const res = loadConfigText(nodeConfigText(node), `${node.routerId}.conf`);
  if (!res.config) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  return res.config;
}

/** The plain machines: every input through the statechart. */
const slowMachines: VrrpMachineKit = {
  syncGroupInputs: vrrpMachineKit.syncGroupInputs,
  createStepper: (i, g, o) => createVrrpStepper(i, g, { ...o, fastPath: false }),
};

function lab(r: number): LabNode {
  const n = r + 1;
  return {
    routerId: `lb${n}`,
    scripts: [{ name: 'chk', weight: -60 }],
    syncGroups: [{ name: 'G', members: ['SG_A', 'SG_B'] }],
    instances: [
      // v2 multicast, masters spread, one with a weighted script that drops it below a peer.
      ...Array.from({ length: 6 }, (_, k) => ({
        name: `VI_${k + 1}`,
        vrid: k + 1,
        priority: 100 + ((k + r) % 3) * 20,
        ...(k === 0 ? { trackScript: [{ name: 'chk' }] } : {}),
      })),
      // v3 (learns the master's interval), different advert intervals per router.
      { name: 'V3', vrid: 20, priority: 100 + r * 10, version: 3 as const, advertInt: r === 0 ? 1 : 2 },
      // v2 PASS authentication, nopreempt, preempt_delay.
      { name: 'AUTH', vrid: 21, priority: 90 + r * 5, authPass: 'secret' },
      { name: 'NOPRE', vrid: 22, priority: 150 - r * 20, nopreempt: true },
      { name: 'PDELAY', vrid: 23, priority: 110 + r * 10, preemptDelay: 2 },
      // Unicast peers (one copy per peer) and skip_check_adv_addr (a receive check that depends
      // on the master the instance follows).
      {
        name: 'UNI',
        vrid: 24,
        priority: 100 + r * 10,
        unicastSrc: `192.0.2.${10 + r}`,
        unicastPeers: [0, 1, 2].filter((x) => x !== r).map((x) => `192.0.2.${10 + x}`),
        extra: ['skip_check_adv_addr'],
      },
      { name: 'SG_A', vrid: 30, priority: 100 + r * 10 },
      { name: 'SG_B', vrid: 31, priority: 100 + r * 10 },
    ],
  };
}

const faults: Fault[] = [
  { kind: 'script', node: 'lb1', script: 'chk', ok: false, at: 20_000 },
  { kind: 'script', node: 'lb1', script: 'chk', ok: true, at: 35_000 },
  { kind: 'partition', a: ['lb1'], b: ['lb2', 'lb3'], from: 40_000, to: 55_000 },
  { kind: 'linkDown', node: 'lb2', ifname: 'eth0', from: 60_000, to: 68_000 },
  { kind: 'kill', node: 'lb3', at: 75_000 },
  { kind: 'start', node: 'lb3', at: 85_000 },
  { kind: 'stop', node: 'lb1', at: 100_000 },
  { kind: 'start', node: 'lb1', at: 104_000 },
];

function run(fast: boolean, link: Partial<LinkProps>): Simulation {
  const opts: SimulationOptions = {
    nodes: [0, 1, 2].map((r) => ({ name: `lb${r + 1}`, config: load(lab(r)) })),
    machines: fast ? vrrpMachineKit : slowMachines,
    codec: protocolCodec,
    seed: 7,
    link,
    faults,
    fastPath: fast,
  };
  const sim = new Simulation(opts);
  sim.runUntil(130_000);
  return sim;
}

function compare(link: Partial<LinkProps>): { records: number; folded: number } {
  const fast = run(true, link);
  const slow = run(false, link);
  let records = 0;
  let folded = 0;
  for (const [name, rt] of slow.nodes) {
    const a = fast.nodes.get(name)!.journal.events();
    const b = rt.journal.events();
    // Record for record, every field (seq, cause, data): JSON, since records share no identity.
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    records += b.length;
    for (const r of b) if (r.kind === 'summary') folded += (r.data as { count: number }).count;
  }
  expect(fast.timeline()).toEqual(slow.timeline());
  expect(fast.states()).toEqual(slow.states());
  expect(fast.lan.stats).toEqual(slow.lan.stats);
  expect(fast.steps()).toBe(slow.steps());
  expect(fast.malformed()).toEqual(slow.malformed());
  return { records, folded };
}

describe('steady-state fast paths end to end', () => {
  it('give the same journals, timeline and packets as the plain path on a clean LAN', () => {
    const { records, folded } = compare({});
    // The scenario is mostly steady: most inputs fold into summaries, so the shortcuts are taken.
    expect(folded).toBeGreaterThan(records);
  });

  it('give the same journals, timeline and packets with loss, duplication, reordering and jitter', () => {
    compare({ loss: 0.05, duplicate: 0.05, reorder: 0.05, jitterMs: 2 });
  });
});
