import { afterAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/store/event-log.js';
import { BLOCK_SIZE } from '../../src/store/keys.js';
import { directoryBytes, planRetention } from '../../src/store/retention.js';
import { advert, collect, tempDirs } from './helpers.js';

const tmp = tempDirs('kts-store-ret-');
afterAll(() => tmp.cleanup());

const DAY = 86_400_000;
const NOW = 1_750_000_000_000;

describe('planRetention', () => {
  const blocks = [0, 1, 2, 3].map((block) => ({ block, minWall: block * 100, maxWall: block * 100 + 99 }));
  const base = { blocks, first: 1, last: 4 * BLOCK_SIZE - 1, nowWall: 1000, sizeBytes: 0 };

  it('cuts whole blocks older than the age limit, from the oldest, and stops at the first young one', () => {
    expect(planRetention({ ...base, policy: { maxAgeMs: 1000 - 250 } })).toBe(2 * BLOCK_SIZE - 1);
    expect(planRetention({ ...base, policy: { maxAgeMs: 2000 } })).toBeUndefined();
  });

  it('never cuts the block of the newest record', () => {
    expect(planRetention({ ...base, policy: { maxAgeMs: 0 } })).toBe(3 * BLOCK_SIZE - 1);
    expect(planRetention({ ...base, last: 10, policy: { maxAgeMs: 0, maxBytes: 1 }, sizeBytes: 1e9 })).toBeUndefined();
  });

  it('cuts enough blocks to bring the size under 80% of the limit', () => {
    // 4 MB for ~4096 records, limit 2 MB: drop ~2.4 MB worth = 2458 records, rounded up to a block.
    const upTo = planRetention({ ...base, sizeBytes: 4 * 1024 * 1024, policy: { maxBytes: 2 * 1024 * 1024 } });
    expect(upTo).toBe(3 * BLOCK_SIZE - 1);
    expect(planRetention({ ...base, sizeBytes: 1024, policy: { maxBytes: 2048 } })).toBeUndefined();
  });
});

describe('EventLog retention', () => {
  it('by age: deletes the old blocks, keeps the rest contiguous and the configuration in force', async () => {
    const dir = tmp.make();
    let wall = NOW - 2 * DAY;
    const clock = { wallTime: () => wall, monoTime: () => 0 };
    const log = await EventLog.open(dir, { node: 'lb1', clock, maxAgeMs: DAY });
    const config = log.writeConfig({ global_defs: { router_id: 'lb1' } }, '0.1.0');
    wall = NOW;
    const old = 3 * BLOCK_SIZE - 1; // with the config record: seqs 1..3072
    log.append(Array.from({ length: old }, (_, i) => advert(i, { wallTime: NOW - 2 * DAY + i })));
    log.append(Array.from({ length: 1500 }, (_, i) => advert(i, { wallTime: NOW - 1000 + i })));
    await log.flush();
    await log.applyRetention();
    const kept = await collect(log.read());
    // Blocks 0..2 (seqs 1..3071) were entirely older than a day; block 3 holds the young records.
    expect(kept[0]!.seq).toBe(3 * BLOCK_SIZE);
    expect(kept.map((r) => r.seq)).toEqual(Array.from({ length: 4573 - 3072 }, (_, i) => 3072 + i));
    expect(log.stats().retentionDeleted).toBe(3071);
    // The configuration in force at the first kept record is still known.
    expect(await log.configAt(kept[0]!.seq)).toEqual(config);
    await log.close();
    // After a reopen the seqs go on from the last one.
    const again = await EventLog.open(dir, { node: 'lb1', clock, maxAgeMs: DAY });
    expect(again.append([advert(0, { wallTime: NOW })])[0]!.seq).toBe(4573);
    await again.close();
  });

  it('by size: keeps the directory under the limit, and the newest records contiguous', async () => {
    const dir = tmp.make();
    const log = await EventLog.open(dir, { node: 'lb1', maxMb: 1 });
    const n = 30_000;
    for (let i = 0; i < n; i += 1000) {
      // Varied payloads: snappy must not squeeze them to nothing.
      log.append(Array.from({ length: 1000 }, (_, k) => advert(i + k, { data: { i: i + k, r: Math.random().toString(36).repeat(4) } })));
      await log.flush();
    }
    expect(await directoryBytes(dir)).toBeGreaterThan(1024 * 1024);
    await log.applyRetention();
    const size = await directoryBytes(dir);
    expect(size).toBeLessThanOrEqual(1024 * 1024);
    const kept = await collect(log.read());
    expect(kept.at(-1)!.seq).toBe(n);
    expect(kept[0]!.seq).toBeGreaterThan(1);
    expect(kept[0]!.seq % BLOCK_SIZE).toBe(0);
    expect(kept.map((r) => r.seq)).toEqual(Array.from({ length: kept.length }, (_, i) => kept[0]!.seq + i));
    await log.close();
  });
});
