import { afterAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/store/event-log.js';
import type { EventRecord } from '../../src/store/schema.js';
import { advert, collect, tempDirs } from './helpers.js';

const tmp = tempDirs('kts-store-batches-');
afterAll(() => tmp.cleanup());

async function flat(it: AsyncIterable<EventRecord[]>): Promise<{ records: EventRecord[]; sizes: number[] }> {
  const records: EventRecord[] = [];
  const sizes: number[] = [];
  for await (const b of it) {
    sizes.push(b.length);
    records.push(...b);
  }
  return { records, sizes };
}

describe('EventLog: reading in batches', () => {
  it('gives the records read() gives, in seq order, in non-empty arrays of at most a thousand, with every filter', async () => {
    const log = await EventLog.open(tmp.make(), { node: 'lb1' });
    const n = 2_500;
    // Large records among small ones: a LevelDB read may end early on bytes, not on count.
    const all = log.append(
      Array.from({ length: n }, (_, i) => advert(i, { actor: i % 4 === 0 ? 'vrrp/VI_2' : 'vrrp/VI_1', data: i % 500 === 7 ? { pad: 'x'.repeat(40_000), i } : undefined })),
    );
    await log.flush();
    const whole = await flat(log.readBatches());
    expect(whole.records).toEqual(await collect(log.read()));
    expect(whole.records.map((r) => r.seq)).toEqual(all.map((r) => r.seq));
    expect(whole.sizes.every((s) => s > 0 && s <= 1000)).toBe(true);
    const since = all[300]!.wallTime;
    const until = all[2_100]!.wallTime;
    for (const q of [{ actor: 'vrrp/VI_2' }, { fromSeq: 999, toSeq: 1_001 }, { since, until }, { since, until, actor: 'vrrp/VI_1', toSeq: 2_000 }, { actor: 'none' }]) {
      const got = await flat(log.readBatches(q));
      expect(got.records).toEqual(await collect(log.read(q)));
      expect(got.sizes.every((s) => s > 0)).toBe(true);
    }
    await log.close();
  });

  it('a reader that stops after the first batch leaves the log closable and readable again', async () => {
    const dir = tmp.make();
    const log = await EventLog.open(dir, { node: 'lb1' });
    log.append(Array.from({ length: 3_000 }, (_, i) => advert(i)));
    await log.close();
    const reader = await EventLog.openReader(dir);
    for await (const b of reader.readBatches()) {
      expect(b[0]!.seq).toBe(1);
      break;
    }
    let count = 0;
    for await (const b of reader.readBatches({ fromSeq: 2_001 })) count += b.length;
    expect(count).toBe(1_000);
    await reader.close();
  });
});
