import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { main } from '../../src/cli/replay.js';
import { eventKey, HEADER_KEY } from '../../src/store/keys.js';
import type { EventRecord } from '../../src/store/schema.js';
import { nodeConfigText } from '../engine/lab.js';
import { EPOCH, LB1, LB2, recordFailover, type Recorded } from './fixture.js';

/** lb2's wall clock runs this far ahead of lb1's: alignment must recover it. */
const LB2_OFFSET_MS = 12_345.678;

let rec: Recorded;

beforeAll(async () => {
  rec = await recordFailover({ clockOffsetMs: { lb2: LB2_OFFSET_MS } });
});
afterAll(() => {
  if (rec) rmSync(rec.root, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** Rewrite one stored record of a closed log. */
async function tamper(dir: string, seq: number, change: (r: EventRecord) => void): Promise<void> {
  const db = new ClassicLevel<Buffer, string>(dir, { keyEncoding: 'buffer', valueEncoding: 'utf8' });
  await db.open();
  try {
    const r = JSON.parse((await db.get(eventKey(seq)))!) as EventRecord;
    change(r);
    await db.put(eventKey(seq), JSON.stringify(r));
  } finally {
    await db.close();
  }
}

/** The seq of the first stored record matching `pred`. */
async function findSeq(dir: string, pred: (r: EventRecord) => boolean): Promise<number> {
  const db = new ClassicLevel<Buffer, string>(dir, { keyEncoding: 'buffer', valueEncoding: 'utf8' });
  await db.open();
  try {
    for await (const [key, value] of db.iterator({ gte: eventKey(1), lte: eventKey(2 ** 40) })) {
      const r = JSON.parse(value) as EventRecord;
      if (pred(r)) return key.readUIntBE(1, 6);
    }
  } finally {
    await db.close();
  }
  throw new Error('no such record');
}

function copyLog(dir: string, name: string): string {
  const to = join(rec.root, name);
  cpSync(dir, to, { recursive: true });
  return to;
}

describe('replay timeline: each transition with its cause in words', () => {
  it('explains the crash takeover, the preemption and the track_script weight drop', async () => {
    const { code, out, err } = await run([rec.dirs.lb1, rec.dirs.lb2]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.split('\n');
    const line = (re: RegExp): string => {
      const l = lines.find((x) => re.test(x));
      expect(l, `a line matching ${re}`).toBeDefined();
      return l!;
    };
    // lb2 (192.0.2.11) crashed at 30 s: lb1 took over after its master-down interval (3 × 1 s + skew (256−100)/256).
    expect(line(/lb1\s+VI_1\s+BACKUP -> MASTER\s+no advert from/)).toContain('no advert from 192.0.2.11 for 3.609 s (master-down interval)');
    // lb2 back with 150: lb1 gives way.
    expect(line(/03:10:43\.4\d\d\s+lb1\s+VI_1\s+MASTER -> BACKUP/)).toContain('advert from 192.0.2.11, priority 150 > ours 100');
    // chk_nginx failed on lb2: a weight drop that changed no state by itself.
    expect(line(/03:10:10\.000\s+lb2\s+VI_1\s+priority/)).toContain('track_script chk_nginx failed: weight -60 → priority 90 (was 150)');
    // ... which let lb1 (100) take over, and lb2 heard it.
    expect(line(/03:10:13\.0\d\d\s+lb2\s+VI_1\s+MASTER -> BACKUP/)).toContain('advert from 192.0.2.10, priority 100 > ours 90');
    expect(line(/lb2\s+\*\s+crash/)).toContain('run ended without a stop');
  });

  it('merges both nodes on one clock and shows the recovered offset', async () => {
    const { code, out } = await run([rec.dirs.lb1, rec.dirs.lb2, '--json']);
    expect(code).toBe(0);
    const j = JSON.parse(out) as {
      clocks: { reference: string; offsets: Array<{ node: string; offsetMs: number; lowMs: number; highMs: number }> };
      entries: Array<{ node: string; time: number; wallTime: number; kind: string; to?: string; text: string }>;
    };
    expect(j.clocks.reference).toBe('lb1');
    const lb2 = j.clocks.offsets.find((o) => o.node === 'lb2')!;
    // The sim LAN's one-way delay is 0.1 ms each way: the estimate is within half the round trip.
    expect(Math.abs(lb2.offsetMs - LB2_OFFSET_MS)).toBeLessThanOrEqual(0.2);
    expect(lb2.lowMs).toBeLessThanOrEqual(LB2_OFFSET_MS);
    expect(lb2.highMs).toBeGreaterThanOrEqual(LB2_OFFSET_MS);
    // On the merged clock, lb1's takeover after lb2's weight drop comes before lb2 hears of it,
    // though lb2's own clock reads 12 s later.
    const lb1Master = j.entries.find((e) => e.node === 'lb1' && e.to === 'MASTER')!;
    const lb2Backup = j.entries.find((e) => e.node === 'lb2' && e.kind === 'transition' && e.to === 'BACKUP' && e.text.startsWith('advert from'))!;
    expect(lb2Backup.wallTime - lb1Master.wallTime).toBeGreaterThan(12_000);
    expect(lb2Backup.time - lb1Master.time).toBeGreaterThanOrEqual(0);
    expect(lb2Backup.time - lb1Master.time).toBeLessThan(1);
    const times = j.entries.map((e) => e.time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(out.includes('"node": "lb1"') && out.includes('"node": "lb2"')).toBe(true);
  });

  it('filters by --instance, --since and --until', async () => {
    const since = new Date(EPOCH + 25_000).toISOString();
    const until = new Date(EPOCH + 35_000).toISOString();
    const { code, out } = await run([rec.dirs.lb1, rec.dirs.lb2, '--instance', 'VI_1', '--since', since, '--until', until]);
    expect(code).toBe(0);
    const entries = out.split('\n').filter((l) => /^2026-/.test(l));
    expect(entries.length).toBe(2);
    expect(entries[0]).toMatch(/lb2\s+\*\s+crash/);
    expect(entries[1]).toContain('no advert from 192.0.2.11');
    const none = await run([rec.dirs.lb1, '--instance', 'VI_9']);
    expect(none.code).toBe(1);
    expect(none.err).toContain('no vrrp_instance VI_9');
  });
});

describe('replay of a log whose beginning retention deleted', () => {
  it('still knows the configuration and the start of the run in progress', async () => {
    const dir = copyLog(rec.dirs.lb2, 'retained');
    const db = new ClassicLevel<Buffer, string>(dir, { keyEncoding: 'buffer', valueEncoding: 'utf8' });
    await db.open();
    for (let seq = 1; seq <= 10; seq++) await db.del(eventKey(seq));
    await db.close();
    const { code, out } = await run([dir]);
    expect(code).toBe(0);
    expect(out).toMatch(/lb2\s+\*\s+start\s+started keepalived-ts test: VI_1 \(vrid 51, priority 150, 192\.0\.2\.11\) \(seq 2\)/);
    expect(out).toContain('track_script chk_nginx failed: weight -60 → priority 90 (was 150)');
  });
});

describe('replay --verify: a re-run of the recorded inputs', () => {
  it('finds no divergence in the recorded failover', async () => {
    const { code, out } = await run([rec.dirs.lb1, rec.dirs.lb2, '--verify']);
    expect(out).toMatch(/verify lb1 .*: 1 run\(s\), \d+ input\(s\) re-run, \d+ transition\(s\)\/effect\(s\) matched, 0 divergence\(s\)/);
    expect(out).toMatch(/verify lb2 .*: 2 run\(s\), .* 0 divergence\(s\)/);
    expect(code).toBe(0);
    const j = JSON.parse((await run([rec.dirs.lb1, '--verify', '--json'])).out) as { verify: Array<{ inputs: number; outputs: number; divergences: number }> };
    expect(j.verify[0]!.inputs).toBeGreaterThan(20);
    expect(j.verify[0]!.outputs).toBeGreaterThan(20);
  });

  it('reports a tampered transition at its seq', async () => {
    const dir = copyLog(rec.dirs.lb1, 'tampered-transition');
    const seq = await findSeq(dir, (r) => r.kind === 'transition' && (r.data as { to: string }).to === 'MASTER');
    await tamper(dir, seq, (r) => {
      (r.data as { reason: { masterDownIntervalMs?: number } }).reason.masterDownIntervalMs = 1234;
    });
    const { code, out } = await run([dir, '--verify']);
    expect(code).toBe(1);
    expect(out).toContain(`first divergence at record ${seq} (vrrp/VI_1)`);
    expect(out).toMatch(/1 divergence\(s\)/);
  });

  it('reports a tampered effect at its seq, and a changed cause', async () => {
    const dir = copyLog(rec.dirs.lb2, 'tampered-effect');
    const seq = await findSeq(dir, (r) => r.kind === 'effect' && r.type === 'addVips');
    await tamper(dir, seq, (r) => {
      (r.data as { addresses: string[] }).addresses = ['198.51.100.99'];
    });
    let res = await run([dir, '--verify']);
    expect(res.code).toBe(1);
    expect(res.out).toContain(`first divergence at record ${seq}`);
    expect(res.out).toContain('198.51.100.99');

    const dir2 = copyLog(rec.dirs.lb2, 'tampered-cause');
    const seq2 = await findSeq(dir2, (r) => r.kind === 'effect' && r.type === 'notify' && (r.data as { state: string }).state === 'MASTER');
    await tamper(dir2, seq2, (r) => {
      r.cause = 1;
    });
    res = await run([dir2, '--verify']);
    expect(res.code).toBe(1);
    expect(res.out).toContain(`first divergence at record ${seq2}`);
  });
});

describe('replay --what-if: the same external inputs, another configuration', () => {
  it('a higher priority on lb1 keeps it MASTER throughout', async () => {
    const conf = join(rec.root, 'lb1-priority-200.conf');
    writeFileSync(conf, nodeConfigText({ ...LB1, instances: [{ ...LB1.instances[0]!, priority: 200 }] }));
    const { code, out, err } = await run([rec.dirs.lb1, rec.dirs.lb2, '--what-if', conf]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/10\.000 s\s+lb2\s+vrrp_script chk_nginx failed/);
    expect(out).toMatch(/29\.4\d\d s\s+lb2\s+crashed/);
    expect(out).toMatch(/40\.000 s\s+lb2\s+started/);
    // The baseline tells the recorded story again; the what-if does not.
    expect(out).toMatch(/re-simulated as recorded: 0\.000 s none, 3\.414 s lb2, 13\.02\d s lb1, 22\.43\d s lb2, 29\.4\d\d s none, 33\.04\d s lb1, 43\.414 s lb2/);
    expect(out).toMatch(/what-if:\s+0\.000 s none, 3\.219 s lb1\n/);
    expect(out).toContain('final: recorded lb1 BACKUP, lb2 MASTER; what-if lb1 MASTER, lb2 BACKUP');
    expect(out).toContain('the outcome CHANGES');
  });

  it('a preempt_delay on lb2 delays its preemptions by 5 s', async () => {
    const conf = join(rec.root, 'lb2.conf');
    writeFileSync(conf, nodeConfigText({ ...LB2, instances: [{ ...LB2.instances[0]!, preemptDelay: 5 }] }));
    const { code, out } = await run([rec.dirs.lb1, rec.dirs.lb2, '--json', '--what-if', conf]);
    expect(code).toBe(0);
    const j = JSON.parse(out) as { whatIf: { instances: Array<{ baseline: Array<{ at: number; masters: string[] }>; whatIf: Array<{ at: number; masters: string[] }>; changed: boolean }> } };
    const vi = j.whatIf.instances[0]!;
    expect(vi.changed).toBe(true);
    const back = (list: Array<{ at: number; masters: string[] }>, after: number): number => list.find((c) => c.at > after && c.masters.join() === 'lb2')!.at;
    expect(back(vi.whatIf, 20_000) - back(vi.baseline, 20_000)).toBeCloseTo(5000, -1);
    expect(back(vi.whatIf, 40_000) - back(vi.baseline, 40_000)).toBeGreaterThan(3000);
  });

  it('refuses a configuration that matches no node, or has errors', async () => {
    const conf = join(rec.root, 'other.conf');
    writeFileSync(conf, nodeConfigText({ ...LB1, routerId: 'lb9' }));
    let res = await run([rec.dirs.lb1, rec.dirs.lb2, '--what-if', conf]);
    expect(res.code).toBe(1);
    expect(res.err).toContain('router_id "lb9" is none of the logged nodes (lb1, lb2)');
    const bad = join(rec.root, 'bad.conf');
    writeFileSync(bad, 'vrrp_instance VI_1 {\n  virtual_router_id 999\n}\n');
    res = await run([rec.dirs.lb1, '--what-if', bad]);
    expect(res.code).toBe(1);
    expect(res.err).toContain('bad.conf: configuration has errors');
  });
});

describe('replay on bad input: a clear error naming the problem, exit 1, never a stack trace', () => {
  const expectClean = (res: { code: number; err: string }, words: RegExp): void => {
    expect(res.code).toBe(1);
    expect(res.err).toMatch(words);
    expect(res.err).not.toMatch(/\n\s+at /);
    expect(res.err.trim().split('\n').length).toBe(1);
  };

  it('a directory that does not exist, is empty, or is not a log', async () => {
    expectClean(await run([join(rec.root, 'nope')]), /nope does not exist/);
    const empty = join(rec.root, 'empty');
    mkdirSync(empty);
    expectClean(await run([empty]), /is not a keepalived-ts event log: it is empty/);
    const other = join(rec.root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'hello');
    expectClean(await run([other]), /is not a keepalived-ts event log: it holds other files/);
  });

  it('a truncated copy, a corrupted record, a newer schema', async () => {
    const truncated = copyLog(rec.dirs.lb1, 'truncated');
    rmSync(join(truncated, 'CURRENT'));
    expectClean(await run([truncated]), /is damaged: its CURRENT file is missing/);

    const corrupt = copyLog(rec.dirs.lb1, 'corrupt');
    const db = new ClassicLevel<Buffer, string>(corrupt, { keyEncoding: 'buffer', valueEncoding: 'utf8' });
    await db.open();
    await db.put(eventKey(5), '{"seq": 5, garbage');
    await db.close();
    expectClean(await run([corrupt]), /is corrupted: record (5|after 4) is unreadable/);

    const newer = copyLog(rec.dirs.lb1, 'newer');
    const db2 = new ClassicLevel<Buffer, string>(newer, { keyEncoding: 'buffer', valueEncoding: 'utf8' });
    await db2.open();
    const header = JSON.parse((await db2.get(HEADER_KEY))!) as { schema: number };
    header.schema = 99;
    await db2.put(HEADER_KEY, JSON.stringify(header));
    await db2.close();
    expectClean(await run([newer]), /has schema version 99, newer than this keepalived-ts reads/);
  });

  it('usage errors exit 2', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run([rec.dirs.lb1, '--since', 'yesterday'])).code).toBe(2);
    expect((await run([rec.dirs.lb1, '--what-if'])).code).toBe(2);
  });

  it('the same node twice is refused', async () => {
    const twin = copyLog(rec.dirs.lb1, 'twin');
    expectClean(await run([rec.dirs.lb1, twin]), /are both logs of node "lb1"/);
  });
});
