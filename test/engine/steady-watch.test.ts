import { describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { loadConfigText } from '../../src/config/load.js';
import type { KeepalivedConfig } from '../../src/config/types.js';
import { SteadyWatchTransport } from '../../src/adapters/steady-watch-model.js';
import type { LinkProps } from '../../src/adapters/sim-lan.js';
import { vrrpMachineKit } from '../../src/engine/machines.js';
import { protocolCodec } from '../../src/engine/protocol-codec.js';
import { Simulation, type Fault } from '../../src/engine/simulation.js';
import type { EventRecord } from '../../src/store/schema.js';
import type { SummaryData } from '../../src/store/summarizer.js';
import { closeLogs, openLogs } from '../../src/replay/load.js';
import { verifyLog } from '../../src/replay/verify.js';
import { recordScenario } from '../replay/scenarios.js';
import { nodeConfigText, type LabNode } from './lab.js';

/**
 * The engine's steady watches and steady adverts (NodeEngine.watch / advertise;
 * VrrpTransport.watchSteady / advertSteady) against stepping every advert heard and every advert
 * timer: with the addon's part modelled over the simulated LAN (SteadyWatchTransport), the same
 * scenario with faults that end them every way (a master's advert changing, a script moving a
 * watched backup's or an advertising master's priority, an interface down, a master killed, a
 * graceful stop, the garp_master_delay timer of a new master) must give the same timeline, states
 * and packets, the same records apart from where a summary closes, and summaries that count the
 * same adverts; and its event logs must replay with 0 divergences.
 */

function load(node: LabNode): KeepalivedConfig {
  const res = loadConfigText(nodeConfigText(node), `${node.routerId}.conf`);
  if (!res.config) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  return res.config;
}

function lab(r: number): LabNode {
  const n = r + 1;
  return {
    routerId: `lb${n}`,
    scripts: [
      { name: 'chk', weight: -60 },
      { name: 'pre', weight: -60 },
    ],
    syncGroups: [{ name: 'G', members: ['SG_A', 'SG_B'] }],
    instances: [
      ...Array.from({ length: 5 }, (_, k) => ({
        name: `VI_${k + 1}`,
        vrid: k + 1,
        priority: 100 + ((k + r) % 3) * 20,
        ...(k === 0 ? { trackScript: [{ name: 'chk' }] } : {}),
      })),
      { name: 'V3', vrid: 20, priority: 100 + r * 10, version: 3 as const, advertInt: r === 0 ? 1 : 2 },
      { name: 'NOPRE', vrid: 22, priority: 150 - r * 20, nopreempt: true },
      { name: 'PDELAY', vrid: 23, priority: 110 + r * 10, preemptDelay: 2 },
      {
        name: 'UNI',
        vrid: 24,
        priority: 100 + r * 10,
        unicastSrc: `192.0.2.${10 + r}`,
        unicastPeers: [0, 1, 2].filter((x) => x !== r).map((x) => `192.0.2.${10 + x}`),
      },
      // lb2 (150) loses this to lb1 (130) when its script fails and, watched meanwhile, preempts
      // back when the script recovers: the step of that input must see the adverts the watch counted.
      { name: 'PRE', vrid: 25, priority: [130, 150, 110][r]!, ...(r === 1 ? { trackScript: [{ name: 'pre' }] } : {}) },
      { name: 'SG_A', vrid: 30, priority: 100 + r * 10 },
      { name: 'SG_B', vrid: 31, priority: 100 + r * 10 },
    ],
  };
}

const faults: Fault[] = [
  { kind: 'script', node: 'lb2', script: 'pre', ok: false, at: 5_000 },
  { kind: 'script', node: 'lb2', script: 'pre', ok: true, at: 15_000 },
  // lb2's VI_1 is a watched backup of lb1's or lb3's; a script moves lb1 (a master of some, a backup of others).
  { kind: 'script', node: 'lb1', script: 'chk', ok: false, at: 20_000 },
  { kind: 'script', node: 'lb2', script: 'chk', ok: false, at: 27_000 },
  { kind: 'script', node: 'lb1', script: 'chk', ok: true, at: 35_000 },
  { kind: 'partition', a: ['lb1'], b: ['lb2', 'lb3'], from: 40_000, to: 55_000 },
  { kind: 'linkDown', node: 'lb2', ifname: 'eth0', from: 60_000, to: 68_000 },
  { kind: 'kill', node: 'lb3', at: 75_000 },
  { kind: 'start', node: 'lb3', at: 85_000 },
  { kind: 'stop', node: 'lb1', at: 100_000 },
  { kind: 'start', node: 'lb1', at: 104_000 },
  { kind: 'script', node: 'lb2', script: 'chk', ok: true, at: 110_000 },
];

const watchModels = new Map<string, SteadyWatchTransport[]>();

function run(watch: boolean, link: Partial<LinkProps>, key: string): Simulation {
  const sim = new Simulation({
    nodes: [0, 1, 2].map((r) => ({ name: `lb${r + 1}`, config: load(lab(r)) })),
    machines: vrrpMachineKit,
    codec: protocolCodec,
    seed: 11,
    link,
    faults,
    ...(watch
      ? {
          transport: (_node, lan, scheduler) => {
            const t = new SteadyWatchTransport(lan, scheduler);
            watchModels.set(key, [...(watchModels.get(key) ?? []), t]);
            return t;
          },
        }
      : {}),
  });
  sim.runUntil(130_000);
  // A graceful stop closes every summary (and ends every watch first): all adverts are counted.
  for (const name of sim.nodes.keys()) sim.stopNode(name);
  sim.runUntil(131_000);
  return sim;
}

/** A record without its place in the log (seq, cause): summaries may close at other points. */
function essence(r: EventRecord): { monoTime: number } {
  return { monoTime: r.monoTime, actor: r.actor, kind: r.kind, type: r.type, data: r.data } as { monoTime: number };
}

/** In time order, and within one instant in a fixed order of their own. */
function byTime<T extends { at: number } | { monoTime: number }>(xs: T[]): string[] {
  const t = (x: T) => ('at' in x ? x.at : x.monoTime);
  return xs
    .map((x) => ({ t: t(x), s: JSON.stringify(x) }))
    .sort((p, q) => p.t - q.t || (p.s < q.s ? -1 : p.s > q.s ? 1 : 0))
    .map((x) => x.s);
}

function compare(link: Partial<LinkProps>, key: string): { watchedAdverts: number; folded: number; resumedAdverts: number } {
  watchModels.delete(key);
  const watched = run(true, link, key);
  const plain = run(false, link, key);
  // Timers of one deadline run in the order they were armed, and a watched backup's timer is armed
  // at its hand-over rather than at its last advert: events of the same instant may change places.
  expect(byTime(watched.timeline())).toEqual(byTime(plain.timeline()));
  expect(watched.states()).toEqual(plain.states());
  expect(watched.lan.stats).toEqual(plain.lan.stats);
  expect(watched.malformed()).toEqual(plain.malformed());
  let watchedAdverts = 0;
  let folded = 0;
  let resumedAdverts = 0;
  for (const [name, rt] of plain.nodes) {
    const a = watched.nodes.get(name)!.journal.events();
    const b = rt.journal.events();
    // Every record but the summaries, in order and with its data.
    expect(byTime(a.filter((r) => r.kind !== 'summary').map(essence))).toEqual(byTime(b.filter((r) => r.kind !== 'summary').map(essence)));
    // The summaries count the same adverts of each stream, over the same span.
    const counts = (rs: EventRecord[]) => {
      const m = new Map<string, { count: number; first: number; last: number; maxGap: number }>();
      for (const r of rs) {
        if (r.kind !== 'summary') continue;
        const d = r.data as SummaryData;
        const k = `${r.actor} ${d.key}`;
        const c = m.get(k) ?? { count: 0, first: d.first.monoTime, last: 0, maxGap: 0 };
        c.count += d.count;
        c.last = d.last.monoTime;
        c.maxGap = Math.max(c.maxGap, d.maxGapMs);
        m.set(k, c);
      }
      return m;
    };
    expect(counts(a)).toEqual(counts(b));
    // Adverts heard (not the MASTER's own advert timer and sent adverts, which fold too).
    for (const r of b) if (r.kind === 'summary' && r.type === 'advert') folded += (r.data as SummaryData).count;
    watchedAdverts += watched.nodes.get(name)!.engine!.stats.watchedAdverts;
    resumedAdverts += watched.nodes.get(name)!.engine!.stats.resumedAdverts;
  }
  return { watchedAdverts, folded, resumedAdverts };
}

describe('steady watches in the engine', () => {
  it('give the timeline, states, packets, records and summary counts of hearing every advert, on a clean LAN', () => {
    const { folded, resumedAdverts } = compare({}, 'clean');
    // The watches counted most of the adverts heard (so the watch path is what was compared); the
    // rest: the sync group's members (never watched), the advert each watch starts from, and
    // backups whose steady step does more than re-arm Master_Down_Timer (a running preempt_delay).
    const models = watchModels.get('clean')!;
    const counted = models.reduce((n, m) => n + m.watched, 0);
    expect(counted).toBeGreaterThan(folded / 2);
    // And most of the masters' adverts were sent by the transport's steady adverts.
    const sentSteady = models.reduce((n, m) => n + m.sentSteady, 0);
    expect(sentSteady).toBeGreaterThan(1_000);
    // Some went straight back to the transport after another timer of their master (its
    // garp_master_delay: NodeEngine.resumeAdvert), so that path was compared too.
    expect(resumedAdverts).toBeGreaterThan(0);
  });

  it('and with loss, duplication, reordering and jitter', () => {
    const { watchedAdverts } = compare({ loss: 0.05, duplicate: 0.05, reorder: 0.05, jitterMs: 2 }, 'lossy');
    expect(watchedAdverts).toBeGreaterThan(0);
  });

  it('write event logs that replay --verify re-runs with 0 divergences', async () => {
    const rec = await recordScenario([lab(0), lab(1), lab(2)], faults, 130_000, {
      transport: (_node, lan, scheduler) => new SteadyWatchTransport(lan, scheduler),
    });
    try {
      const logs = await openLogs(rec.dirs);
      try {
        for (const l of logs) {
          const v = await verifyLog(l);
          expect(v.divergences, JSON.stringify(v)).toBe(0);
          expect(v.inputs).toBeGreaterThan(100);
        }
      } finally {
        await closeLogs(logs);
      }
    } finally {
      rmSync(rec.root, { recursive: true, force: true });
    }
  });
});
