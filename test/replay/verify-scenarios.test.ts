import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { eventKey } from '../../src/store/keys.js';
import type { EventRecord } from '../../src/store/schema.js';
import { closeLogs, openLogs } from '../../src/replay/load.js';
import { verifyLog, type VerifyResult } from '../../src/replay/verify.js';
import type { LabNode } from '../engine/lab.js';
import { recordScenario } from './scenarios.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

async function verifyAll(dirs: string[]): Promise<VerifyResult[]> {
  const logs = await openLogs(dirs);
  try {
    const out: VerifyResult[] = [];
    for (const l of logs) out.push(await verifyLog(l));
    return out;
  } finally {
    await closeLogs(logs);
  }
}

function expectClean(results: VerifyResult[]): void {
  for (const r of results) {
    expect(r.error, `${r.node}: ${r.error}`).toBeUndefined();
    expect(r.divergences, `${r.node}: first divergence ${JSON.stringify(r.first)}`).toBe(0);
    expect(r.inputs).toBeGreaterThan(0);
    expect(r.outputs).toBeGreaterThan(0);
  }
}

describe('replay --verify re-runs other failovers with 0 divergences', () => {
  it('a sync group moving together on a link failure, and a graceful stop', async () => {
    const member = (name: string, vrid: number, priority: number) => ({ name, vrid, priority });
    const a: LabNode = { routerId: 'a', syncGroups: [{ name: 'SG_1', members: ['VI_1', 'VI_2'] }], instances: [member('VI_1', 11, 150), { ...member('VI_2', 12, 150), iface: 'eth1' }] };
    const b: LabNode = { routerId: 'b', syncGroups: [{ name: 'SG_1', members: ['VI_1', 'VI_2'] }], instances: [member('VI_1', 11, 100), { ...member('VI_2', 12, 100), iface: 'eth1' }] };
    const rec = await recordScenario([a, b], [
      { kind: 'linkDown', node: 'a', ifname: 'eth1', from: 8000, to: 16_000 },
      { kind: 'stop', node: 'a', at: 25_000 },
    ], 32_000);
    roots.push(rec.root);
    const results = await verifyAll(rec.dirs);
    expectClean(results);

    // The members' syncGroup inputs are checked against the engine's rule, not only fed back.
    const copy = join(rec.root, 'a-tampered');
    cpSync(rec.dirs[0]!, copy, { recursive: true });
    const db = new ClassicLevel<Buffer, string>(copy, { keyEncoding: 'buffer', valueEncoding: 'utf8' });
    await db.open();
    let seq = 0;
    try {
      for await (const [key, value] of db.iterator({ gte: eventKey(1), lte: eventKey(2 ** 40) })) {
        const r = JSON.parse(value) as EventRecord;
        if (r.kind === 'input' && r.type === 'syncGroup') {
          seq = r.seq;
          (r.data as { from: string }).from = 'VI_9';
          await db.put(key, JSON.stringify(r));
          break;
        }
      }
    } finally {
      await db.close();
    }
    expect(seq).toBeGreaterThan(0);
    const [tampered] = await verifyAll([copy]);
    expect(tampered!.first?.seq).toBe(seq);
    expect(tampered!.first?.recorded).toContain('VI_9');
  });

  it('VRRPv3 with preempt_delay and nopreempt, unfolded (every record as is)', async () => {
    const a: LabNode = { routerId: 'a', instances: [{ name: 'VI_1', vrid: 7, priority: 200, version: 3, advertInt: 0.5, preemptDelay: 2 }] };
    const b: LabNode = { routerId: 'b', instances: [{ name: 'VI_1', vrid: 7, priority: 100, version: 3, advertInt: 0.5, nopreempt: true }] };
    const rec = await recordScenario([a, b], [
      { kind: 'kill', node: 'a', at: 5000 },
      { kind: 'start', node: 'a', at: 9000 },
    ], 20_000, { summarize: false });
    roots.push(rec.root);
    expectClean(await verifyAll(rec.dirs));
  });
});
