import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventLog } from '../../src/store/event-log.js';
import { EVENT_SCHEMA_VERSION, type EventRecord } from '../../src/store/schema.js';
import { BLOCK_SIZE } from '../../src/store/keys.js';
import { advert, collect, tempDirs } from './helpers.js';

const tmp = tempDirs('kts-store-log-');
afterAll(() => tmp.cleanup());

describe('EventLog: append, commit, read', () => {
  it('assigns contiguous seqs synchronously and emits committed records in seq order', async () => {
    const log = await EventLog.open(tmp.make(), { node: 'lb1', commitBudgetMs: 1000 });
    const seen: EventRecord[] = [];
    log.committed$.subscribe((r) => seen.push(r));
    const a = log.append([advert(1), advert(2)]);
    const b = log.append([advert(3)]);
    expect(a.map((r) => r.seq)).toEqual([1, 2]);
    expect(b.map((r) => r.seq)).toEqual([3]);
    expect(a[0]).toMatchObject({ v: EVENT_SCHEMA_VERSION, node: 'lb1', actor: 'vrrp/VI_1', kind: 'input', type: 'advert' });
    // Nothing is released before it is written (the budget here is generous).
    expect(seen).toEqual([]);
    await log.flush();
    expect(seen.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(seen.every((r) => r.late === undefined)).toBe(true);
    const stored = await collect(log.read());
    expect(stored).toEqual([...a, ...b]);
    expect(log.stats()).toMatchObject({ appended: 3, written: 3, late: 0, writeErrors: 0, backlog: 0, failing: false });
    await log.close();
  });

  it('keeps the cause of a transition', async () => {
    const log = await EventLog.open(tmp.make(), { node: 'lb1' });
    const [input] = log.append([advert(1)]);
    log.append([{ ...advert(2), kind: 'transition', type: 'state', cause: input!.seq, data: { from: 'BACKUP', to: 'MASTER' } }]);
    await log.flush();
    const [, tr] = await collect(log.read());
    expect(tr).toMatchObject({ seq: 2, kind: 'transition', cause: 1 });
    await log.close();
  });

  it('continues the seqs after a reopen', async () => {
    const dir = tmp.make();
    let log = await EventLog.open(dir, { node: 'lb1' });
    log.append(Array.from({ length: 10 }, (_, i) => advert(i)));
    await log.close();
    log = await EventLog.open(dir, { node: 'lb1' });
    expect(log.lastSeq).toBe(10);
    expect(log.append([advert(11)])[0]!.seq).toBe(11);
    await log.close();
    log = await EventLog.open(dir, { node: 'lb1' });
    const seqs = (await collect(log.read())).map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    await log.close();
  });

  it('reads by seq range, actor and wall-time range (across blocks of the time index)', async () => {
    const log = await EventLog.open(tmp.make(), { node: 'lb1' });
    const n = BLOCK_SIZE * 4 + 17;
    const all = log.append(Array.from({ length: n }, (_, i) => advert(i, { actor: i % 3 === 0 ? 'vrrp/VI_2' : 'vrrp/VI_1' })));
    await log.flush();
    expect((await collect(log.read({ fromSeq: 100, toSeq: 199 }))).map((r) => r.seq)).toEqual(all.slice(99, 199).map((r) => r.seq));
    expect(await collect(log.read({ actor: 'vrrp/VI_2' }))).toEqual(all.filter((r) => r.actor === 'vrrp/VI_2'));
    const since = all[1500]!.wallTime;
    const until = all[2600]!.wallTime;
    expect(await collect(log.read({ since, until }))).toEqual(all.filter((r) => r.wallTime >= since && r.wallTime <= until));
    expect(await collect(log.read({ since, until, actor: 'vrrp/VI_2', toSeq: 2000 }))).toEqual(
      all.filter((r) => r.wallTime >= since && r.wallTime <= until && r.actor === 'vrrp/VI_2' && r.seq <= 2000),
    );
    expect(await collect(log.read({ since: all.at(-1)!.wallTime + 1 }))).toEqual([]);
    expect(await collect(log.read({ fromSeq: 10, toSeq: 5 }))).toEqual([]);
    await log.close();
  });

  it('time-range reads stay right when the wall clock steps back', async () => {
    const log = await EventLog.open(tmp.make(), { node: 'lb1' });
    // Two blocks written an hour "later", then the clock is set back.
    const late = log.append(Array.from({ length: BLOCK_SIZE * 2 }, (_, i) => advert(i, { wallTime: 1_700_003_600_000 + i })));
    const early = log.append(Array.from({ length: 10 }, (_, i) => advert(i, { wallTime: 1_700_000_000_000 + i })));
    await log.flush();
    expect(await collect(log.read({ until: 1_700_000_000_100 }))).toEqual(early);
    expect((await collect(log.read({ since: 1_700_003_600_000 }))).length).toBe(late.length);
    await log.close();
  });

  it('writes the configuration record and finds the one in force at a seq', async () => {
    const clock = { wallTime: () => 1_700_000_000_000, monoTime: () => 5 };
    const log = await EventLog.open(tmp.make(), { node: 'lb1', clock });
    log.append([advert(1)]);
    const c1 = log.writeConfig({ vrrp_instance: { VI_1: { priority: 100 } } }, '0.1.0');
    log.append([advert(2)]);
    const c2 = log.writeConfig({ vrrp_instance: { VI_1: { priority: 150 } } }, '0.1.1');
    await log.flush();
    expect(c1).toMatchObject({ seq: 2, kind: 'config', actor: 'engine', node: 'lb1', wallTime: 1_700_000_000_000, monoTime: 5 });
    expect(c1.data).toEqual({ config: { vrrp_instance: { VI_1: { priority: 100 } } }, programVersion: '0.1.0', schema: EVENT_SCHEMA_VERSION });
    expect(await log.configAt(1)).toBeUndefined();
    expect(await log.configAt(3)).toEqual(c1);
    expect(await log.configAt(4)).toEqual(c2);
    await log.close();
  });

  it('opens read-only for replay without writing anything', async () => {
    const dir = tmp.make();
    const log = await EventLog.open(dir, { node: 'lb2' });
    const recs = log.append([advert(1), advert(2)]);
    await log.close();
    const reader = await EventLog.openReader(dir);
    expect(reader.node).toBe('lb2');
    expect(await reader.bounds()).toEqual({ first: 1, last: 2 });
    expect(await collect(reader.read())).toEqual(recs);
    await reader.close();
  });
});

describe('EventLog: awkward input', () => {
  it('stores data JSON cannot hold, and non-finite times, without throwing or losing the batch', async () => {
    const log = await EventLog.open(tmp.make(), { node: 'lb1' });
    const cyclic: Record<string, unknown> = { n: 5n };
    cyclic.self = cyclic;
    const [a, b] = log.append([advert(1, { data: cyclic }), { ...advert(2), wallTime: Number.NaN, monoTime: Infinity }]);
    await log.flush();
    const stored = await collect(log.read());
    expect(stored.map((r) => r.seq)).toEqual([a!.seq, b!.seq]);
    expect(stored[0]!.data).toEqual({ n: '5n', self: '[cycle]' });
    expect(stored[1]).toMatchObject({ wallTime: 0, monoTime: 0 });
    expect(log.stats().writeErrors).toBe(0);
    await log.close();
  });
});

describe('EventLog: a slow commit never holds back the failover path', () => {
  it('releases a record whose commit takes longer than 1 ms, marked late, and stores it marked late', async () => {
    const log = await EventLog.open(tmp.make(), { node: 'lb1', commitBudgetMs: 1 });
    const seen: { rec: EventRecord; writtenBefore: boolean }[] = [];
    let flushed = false;
    log.committed$.subscribe((rec) => seen.push({ rec, writtenBefore: flushed }));
    // A commit made slow for real: 8 MB of data in one record takes LevelDB well over 1 ms.
    const [big] = log.append([advert(1, { data: { blob: 'x'.repeat(8 * 1024 * 1024) } })]);
    const done = log.flush().then(() => (flushed = true));
    await new Promise((r) => setTimeout(r, 2));
    // Released before its write finished.
    expect(flushed).toBe(false);
    expect(seen.map((s) => s.rec.seq)).toEqual([big!.seq]);
    expect(seen[0]!.rec.late).toBe(true);
    await done;
    await log.flush(); // the rewrite of the late flag
    const [stored] = await collect(log.read());
    expect(stored!.late).toBe(true);
    expect(log.stats().late).toBe(1);
    await log.close();
  });

  it('keeps the seq order on committed$ when later records are written before earlier ones are released', async () => {
    const log = await EventLog.open(tmp.make(), { node: 'lb1', commitBudgetMs: 1 });
    const seen: EventRecord[] = [];
    log.committed$.subscribe((r) => seen.push(r));
    log.append([advert(1, { data: { blob: 'y'.repeat(4 * 1024 * 1024) } })]);
    await Promise.resolve();
    for (let i = 2; i <= 50; i++) log.append([advert(i)]);
    await log.flush();
    await log.flush();
    expect(seen.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // The ones released early are stored as late (late marks), the others not.
    expect(seen[0]!.late).toBe(true);
    const stored = await collect(log.read());
    expect(stored).toEqual(seen);
    expect(stored.filter((r) => r.late).length).toBe(log.stats().late);
    // A read of part of a late range still sees it.
    expect((await collect(log.read({ fromSeq: 1, toSeq: 1 })))[0]!.late).toBe(true);
    await log.close();
  });
});

describe('EventLog: a second daemon on the same directory', () => {
  it('is refused with a clear message', async () => {
    const dir = tmp.make();
    const log = await EventLog.open(dir, { node: 'lb1' });
    await expect(EventLog.open(dir, { node: 'lb1' })).rejects.toMatchObject({
      name: 'EventLogError',
      code: 'LOCKED',
      message: `event log ${dir} is in use by another keepalived-ts process`,
    });
    await expect(EventLog.openReader(dir)).rejects.toMatchObject({ code: 'LOCKED' });
    await log.close();
    // Released on close.
    const again = await EventLog.open(dir, { node: 'lb1' });
    await again.close();
  });
});

describe('EventLog: any append pattern', () => {
  it('property: committed$ emits every record once, in seq order, and the stored log is exactly what it emitted', async () => {
    const step = fc.oneof(
      fc.record({ append: fc.integer({ min: 0, max: 300 }), big: fc.boolean() }),
      fc.constant('flush' as const),
      fc.constant('tick' as const),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 12 }), fc.constantFrom(0, 1, 1000), async (steps, budget) => {
        const log = await EventLog.open(tmp.make(), { node: 'lb1', commitBudgetMs: budget, maxBatch: 128 });
        const seen: EventRecord[] = [];
        log.committed$.subscribe((r) => seen.push(r));
        let i = 0;
        for (const st of steps) {
          if (st === 'flush') await log.flush();
          else if (st === 'tick') await new Promise((r) => setTimeout(r, 1));
          else {
            const n = st.append;
            log.append(Array.from({ length: n }, () => advert(i++, st.big && i % 50 === 0 ? { data: { blob: 'z'.repeat(200_000) } } : {})));
          }
        }
        await log.flush();
        await log.flush();
        expect(seen.map((r) => r.seq)).toEqual(Array.from({ length: i }, (_, k) => k + 1));
        const stored = await collect(log.read());
        expect(stored).toEqual(seen);
        expect(log.stats()).toMatchObject({ appended: i, written: i, late: seen.filter((r) => r.late).length, lost: 0, writeErrors: 0 });
        await log.close();
      }),
      { numRuns: 25 },
    );
  });
});
