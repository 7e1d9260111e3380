import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import type { KeepalivedConfig } from '../../src/config/types.js';
import { vrrpMachineKit } from '../../src/engine/machines.js';
import { MemoryJournal } from '../../src/engine/memory-journal.js';
import { protocolCodec } from '../../src/engine/protocol-codec.js';
import { Simulation, type Fault } from '../../src/engine/simulation.js';
import { encodeVrrp } from '../../src/protocol/index.js';
import type { EventRecord, NewEvent } from '../../src/store/schema.js';
import { nodeConfigText, type LabNode } from './lab.js';

function load(node: LabNode): KeepalivedConfig {
  const res = loadConfigText(nodeConfigText(node), `${node.routerId}.conf`);
  if (!res.config) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  return res.config;
}

function twoNodes(faults: Fault[] = [], extra: Partial<LabNode['instances'][number]> = {}): Simulation {
  return new Simulation({
    nodes: [
      { name: 'lb1', config: load({ routerId: 'lb1', instances: [{ name: 'VI_1', vrid: 51, priority: 150, ...extra }] }) },
      { name: 'lb2', config: load({ routerId: 'lb2', instances: [{ name: 'VI_1', vrid: 51, priority: 100, ...extra }] }) },
    ],
    machines: vrrpMachineKit,
    codec: protocolCodec,
    faults,
  });
}

const transitions = (sim: Simulation) => sim.timeline().filter((e) => e.to !== undefined).map((e) => `${e.at} ${e.node} ${e.from}->${e.to} ${e.reason?.code}`);

// v2, advert_int 1 s: master down = 3 s + skew, skew = (256 - priority)/256 s, which keepalived
// computes in whole microseconds (truncated).
const skewMs = (prio: number): number => Math.floor(((256 - prio) / 256) * 1e6) / 1000;
const MDI_150 = 3000 + skewMs(150); // 3414.062
const MDI_100 = 3000 + skewMs(100); // 3609.375
const SKEW_100 = skewMs(100); // 609.375
const DELAY = 0.1; // the LAN's default one-way delay

describe('engine on the simulated LAN', () => {
  it('elects the higher priority of two nodes loaded from keepalived.conf, at its master-down interval', () => {
    const sim = twoNodes();
    sim.runUntil(20_000);
    const tl = transitions(sim);
    expect(tl.slice(0, 2)).toEqual(['0 lb1 INIT->BACKUP startup', '0 lb2 INIT->BACKUP startup']);
    expect(tl).toHaveLength(3);
    const master = sim.timeline().find((e) => e.to === 'MASTER')!;
    expect(master).toMatchObject({ node: 'lb1', from: 'BACKUP', reason: { code: 'masterDownTimeout' } });
    expect(master.at).toBeCloseTo(MDI_150, 6);
    expect(sim.states().map((s) => `${s.node} ${s.state}`)).toEqual(['lb1 MASTER', 'lb2 BACKUP']);
    expect([...sim.nodes.get('lb1')!.vips]).toEqual(['198.51.100.51']);
    expect(sim.nodes.get('lb2')!.vips.size).toBe(0);
    expect(sim.malformed()).toEqual({});
    // lb2 heard real, validated adverts from lb1's primary address
    expect(sim.nodes.get('lb2')!.engine!.view('VI_1')!.masterAddress).toBe('192.0.2.10');
  });

  it('journals input → transition with the cause, then effects, and folds the steady advert stream', () => {
    const sim = twoNodes();
    sim.runUntil(60_000);
    const log = sim.nodes.get('lb1')!.journal.events();
    const t = log.find((r) => r.kind === 'transition' && r.type === 'MASTER')!;
    const cause = log.find((r) => r.seq === t.cause)!;
    expect(cause).toMatchObject({ kind: 'input', type: 'timer', actor: 'vrrp/VI_1' });
    expect((cause.data as { timer: string }).timer).toBe('masterDown');
    const effects = log.filter((r) => r.kind === 'effect' && r.cause === t.cause).map((r) => r.type);
    expect(effects).toEqual(expect.arrayContaining(['sendAdvert', 'addVips', 'sendGarp', 'notify']));
    // ~56 adverts sent and received in steady state, but the logs hold a handful of records
    const lb2 = sim.nodes.get('lb2')!.journal.events();
    const adverts = lb2.filter((r) => r.kind === 'input' && r.type === 'advert');
    expect(adverts.length).toBe(1);
    const summaries = [...lb2, ...log].filter((r) => r.kind === 'summary');
    expect(summaries.length).toBeGreaterThan(0);
    expect(log.length).toBeLessThan(30);
    expect(lb2.length).toBeLessThan(30);
  });

  it('without a summarizer every advert is logged as is, with the same elections', () => {
    const sim = new Simulation({
      nodes: [
        { name: 'lb1', config: load({ routerId: 'lb1', instances: [{ name: 'VI_1', vrid: 51, priority: 150 }] }) },
        { name: 'lb2', config: load({ routerId: 'lb2', instances: [{ name: 'VI_1', vrid: 51, priority: 100 }] }) },
      ],
      machines: vrrpMachineKit,
      codec: protocolCodec,
      summarize: false,
    });
    sim.runUntil(10_000);
    const lb2 = sim.nodes.get('lb2')!.journal.events();
    // adverts from lb1 at MDI_150 + k s, k = 0..6, each arriving DELAY later
    expect(lb2.filter((r) => r.kind === 'input' && r.type === 'advert')).toHaveLength(7);
    expect(lb2.filter((r) => r.kind === 'summary')).toEqual([]);
    expect(sim.states().map((s) => `${s.node} ${s.state}`)).toEqual(['lb1 MASTER', 'lb2 BACKUP']);
  });

  it('a crashed master is replaced after the backup\'s master-down interval', () => {
    const sim = twoNodes([{ kind: 'kill', node: 'lb1', at: 10_000 }]);
    sim.runUntil(20_000);
    const last = sim.timeline().at(-1)!;
    // lb1's last advert went out at MDI_150 + 6 s (adverts every 1 s from MDI_150) and arrived DELAY later
    const lastAdvert = MDI_150 + 6000 + DELAY;
    expect(last).toMatchObject({ node: 'lb2', from: 'BACKUP', to: 'MASTER', reason: { code: 'masterDownTimeout' } });
    expect(last.at).toBeCloseTo(lastAdvert + MDI_100, 6);
  });

  it('a graceful stop hands over after the backup\'s skew time (priority-0 advert)', () => {
    const sim = twoNodes([{ kind: 'stop', node: 'lb1', at: 10_000 }]);
    sim.runUntil(20_000);
    const tl = sim.timeline().filter((e) => e.to !== undefined);
    const takeover = tl.find((e) => e.node === 'lb2' && e.to === 'MASTER')!;
    expect(takeover.reason?.code).toBe('masterStopped');
    expect(takeover.at).toBeCloseTo(10_000 + DELAY + SKEW_100, 6);
    expect(tl.find((e) => e.node === 'lb1' && e.to === 'STOP')).toBeDefined();
    expect(sim.nodes.get('lb1')!.vips.size).toBe(0);
  });

  it('the higher priority preempts back when it restarts', () => {
    const sim = twoNodes([
      { kind: 'kill', node: 'lb1', at: 10_000 },
      { kind: 'start', node: 'lb1', at: 30_000 },
    ]);
    sim.runUntil(60_000);
    expect(sim.states().map((s) => `${s.node} ${s.state}`)).toEqual(['lb1 MASTER', 'lb2 BACKUP']);
    const lb2 = sim.timeline().filter((e) => e.node === 'lb2' && e.to !== undefined).map((e) => `${e.from}->${e.to}`);
    expect(lb2).toEqual(['INIT->BACKUP', 'BACKUP->MASTER', 'MASTER->BACKUP']);
  });

  it('an interface down puts the instance in FAULT and the peer takes over; back up it returns', () => {
    const sim = twoNodes([{ kind: 'linkDown', node: 'lb1', ifname: 'eth0', from: 10_000, to: 30_000 }]);
    sim.runUntil(60_000);
    const lb1 = sim.timeline().filter((e) => e.node === 'lb1' && e.to !== undefined).map((e) => `${e.from}->${e.to}`);
    expect(lb1.slice(0, 3)).toEqual(['INIT->BACKUP', 'BACKUP->MASTER', 'MASTER->FAULT']);
    expect(lb1).toContain('FAULT->BACKUP');
    expect(sim.states().map((s) => `${s.node} ${s.state}`)).toEqual(['lb1 MASTER', 'lb2 BACKUP']);
  });

  it('moves a sync group in one journal batch and keeps its members in one state after every step', () => {
    const batches: EventRecord[][] = [];
    class BatchJournal extends MemoryJournal {
      override append(events: NewEvent[]): EventRecord[] {
        const r = super.append(events);
        batches.push(r);
        return r;
      }
    }
    const config = load({
      routerId: 'lb1',
      scripts: [{ name: 'chk' }],
      syncGroups: [{ name: 'SG_1', members: ['VI_1', 'VI_2'] }],
      instances: [
        { name: 'VI_1', vrid: 1, priority: 150, trackScript: [{ name: 'chk' }] },
        { name: 'VI_2', vrid: 2, priority: 150 },
      ],
    });
    let checks = 0;
    const sim = new Simulation({
      nodes: [{ name: 'lb1', config }],
      machines: vrrpMachineKit,
      codec: protocolCodec,
      journal: () => new BatchJournal(),
      faults: [
        { kind: 'script', node: 'lb1', script: 'chk', ok: false, at: 10_000 },
        { kind: 'script', node: 'lb1', script: 'chk', ok: true, at: 20_000 },
      ],
      afterStep: (s) => {
        const e = s.nodes.get('lb1')!.engine!;
        expect(e.state('VI_1')).toBe(e.state('VI_2'));
        checks++;
      },
    });
    sim.runUntil(30_000);
    expect(checks).toBeGreaterThan(10);
    const tl = sim.timeline().filter((e) => e.to !== undefined);
    const faults = tl.filter((e) => e.to === 'FAULT');
    expect(faults.map((e) => e.instance).sort()).toEqual(['VI_1', 'VI_2']);
    expect(faults[0]!.at).toBe(faults[1]!.at);
    // one batch: the script input and both FAULT transitions are in the same append
    const batch = batches.find((b) => b.some((r) => r.kind === 'transition' && r.type === 'FAULT'))!;
    expect(batch.filter((r) => r.kind === 'transition' && r.type === 'FAULT').map((r) => r.actor).sort()).toEqual(['vrrp/VI_1', 'vrrp/VI_2']);
    const script = batch.find((r) => r.kind === 'input' && r.type === 'script')!;
    expect(batch.find((r) => r.kind === 'transition' && r.actor === 'vrrp/VI_1')!.cause).toBe(script.seq);
  });

  it('unicast peers with PASS authentication: adverts go to the peer only; a wrong password is dropped and counted', () => {
    const inst = (prio: number, src: string, peer: string, pass: string) =>
      ({ name: 'VI_1', vrid: 7, priority: prio, unicastSrc: src, unicastPeers: [peer], authPass: pass });
    const sim = new Simulation({
      nodes: [
        { name: 'a', config: load({ routerId: 'a', instances: [inst(150, '203.0.113.1', '203.0.113.2', 'secret')] }) },
        { name: 'b', config: load({ routerId: 'b', instances: [inst(100, '203.0.113.2', '203.0.113.1', 'secret')] }) },
        { name: 'c', config: load({ routerId: 'c', instances: [inst(200, '203.0.113.3', '203.0.113.2', 'wrong')] }) },
      ],
      machines: vrrpMachineKit,
      codec: protocolCodec,
      faults: [{ kind: 'start', node: 'c', at: 20_000 }, { kind: 'kill', node: 'c', at: 25_000 }],
    });
    const seenByB: string[] = [];
    sim.lan.transport('b').receive$.subscribe((p) => seenByB.push(`${p.src}>${p.dst}`));
    sim.runUntil(30_000);
    expect(sim.states().filter((x) => x.node !== 'c').map((x) => `${x.node} ${x.state} ${x.address}`)).toEqual([
      'a MASTER 203.0.113.1',
      'b BACKUP 203.0.113.2',
    ]);
    expect(new Set(seenByB)).toEqual(new Set(['203.0.113.1>203.0.113.2', '203.0.113.3>203.0.113.2']));
    const dropped = sim.nodes.get('b')!.engine!.malformed();
    expect(Object.keys(dropped.VI_1 ?? {})).toEqual(['auth-pass']);
    expect(dropped.VI_1!['auth-pass']).toBeGreaterThan(0);
  });
});
