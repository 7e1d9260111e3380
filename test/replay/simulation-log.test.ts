import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { EventLog } from '../../src/store/event-log.js';
import type { EventRecord } from '../../src/store/schema.js';
import type { SummaryData } from '../../src/store/summarizer.js';
import { closeLogs, openLogs } from '../../src/replay/load.js';
import { verifyLog } from '../../src/replay/verify.js';
import { EPOCH, recordFailover, type Recorded } from './fixture.js';

let rec: Recorded | undefined;
afterAll(() => {
  if (rec) rmSync(rec.root, { recursive: true, force: true });
});

async function records(dir: string): Promise<EventRecord[]> {
  const r = await EventLog.openReader(dir);
  const out: EventRecord[] = [];
  try {
    for await (const x of r.read()) out.push(x);
  } finally {
    await r.close();
  }
  return out;
}

describe('simulate writes the event log: SimulationLogs', () => {
  it('records the full configuration before each start, wall times on the node clock, causes that point at their inputs — also when appending to an existing log', async () => {
    rec = await recordFailover({ clockOffsetMs: { lb1: 250 }, untilMs: 12_000 });
    const first = (await records(rec.dirs.lb1)).length;
    // A second simulated run appends to the same logs: seqs go on, causes must follow.
    await recordFailover({ root: rec.root, clockOffsetMs: { lb1: 250 }, untilMs: 12_000 });
    const all = await records(rec.dirs.lb1);
    expect(all.length).toBeGreaterThan(first);
    expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => i + 1));

    const starts = all.filter((r) => r.kind === 'config' && r.type === 'start');
    expect(starts.length).toBe(2);
    for (const s of starts) {
      const before = all[s.seq - 2]!;
      expect(before.kind).toBe('config');
      expect(before.type).toBe('config');
      expect((before.data as { config: { globalDefs: { routerId: string } } }).config.globalDefs.routerId).toBe('lb1');
    }
    const bySeq = new Map(all.map((r) => [r.seq, r]));
    for (const r of all) {
      if (r.cause === undefined) continue;
      const c = bySeq.get(r.cause)!;
      expect(c.kind, `cause of ${r.seq}`).toBe('input');
      expect(c.actor).toBe(r.actor);
      expect(c.monoTime).toBe(r.monoTime);
    }
    for (const r of all) {
      expect(r.wallTime - r.monoTime).toBeCloseTo(EPOCH + 250, 3);
      if (r.kind === 'summary') {
        const d = r.data as SummaryData;
        expect(d.first.wallTime - d.first.monoTime).toBeCloseTo(EPOCH + 250, 3);
        expect(d.last.wallTime - d.last.monoTime).toBeCloseTo(EPOCH + 250, 3);
      }
    }
    const logs = await openLogs([rec.dirs.lb1, rec.dirs.lb2]);
    try {
      for (const l of logs) {
        const v = await verifyLog(l);
        expect(v.runs).toBe(2);
        expect(v.divergences, JSON.stringify(v.first)).toBe(0);
      }
    } finally {
      await closeLogs(logs);
    }
  });
});
