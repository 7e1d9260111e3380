/**
 * A full disk, for real: the log lives on a 2 MiB tmpfs that a filler file nearly fills. Appends
 * go on, committed$ keeps emitting, the failure is counted and logged; once the filler is deleted,
 * writing resumes and the log says so in a 'meta' record.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventLog } from '../../src/store/event-log.js';
import type { EventRecord } from '../../src/store/schema.js';
import { advert, collect, memoryLogger, tempDirs } from './helpers.js';

const tmp = tempDirs('kts-store-full-');
afterAll(() => tmp.cleanup());

let mnt: string;
beforeEach(() => {
  mnt = tmp.make();
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
});
afterEach(() => {
  execFileSync('umount', ['-l', mnt]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const payload = 'p'.repeat(1000);

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function fillUntilFailing(log: EventLog, seen: EventRecord[]): Promise<number> {
  let i = 0;
  while (log.stats().writeErrors === 0) {
    if (i > 5000) throw new Error('the tmpfs never filled up');
    log.append(Array.from({ length: 20 }, () => advert(i++, { data: { payload, i } })));
    await sleep(1);
  }
  // Appends go on while the disk is full, and committed$ does not wait for the disk.
  const before = seen.length;
  const during = log.append(Array.from({ length: 50 }, () => advert(i++, { data: { payload, i } })));
  expect(log.stats().failing).toBe(true);
  expect(seen.length).toBe(before + 50);
  expect(seen.slice(-50)).toEqual(during);
  expect(during.every((r) => r.late === true)).toBe(true);
  return i;
}

describe('EventLog on a full disk', () => {
  it('keeps going, counts and logs the failure, and resumes with a meta record when space returns', async () => {
    const filler = join(mnt, 'filler');
    writeFileSync(filler, Buffer.alloc(1536 * 1024));
    const dir = join(mnt, 'log');
    mkdirSync(dir);
    const logger = memoryLogger();
    const log = await EventLog.open(dir, { node: 'lb1', logger, retryMs: 10 });
    const seen: EventRecord[] = [];
    log.committed$.subscribe((r) => seen.push(r));

    await fillUntilFailing(log, seen);
    const stats = log.stats();
    expect(stats.writeErrors).toBeGreaterThan(0);
    expect(stats.lastError).toMatch(/No space left on device/i);
    expect(logger.errors[0]).toMatch(/^EVENT LOG WRITE FAILED in .*No space left on device/);
    // flush() does not hang on a broken disk.
    await log.flush();

    rmSync(filler);
    await until(() => !log.stats().failing, 15_000, 'writing to resume');
    await log.flush();
    const appended = log.lastSeq;
    expect(seen.map((r) => r.seq)).toEqual(Array.from({ length: appended }, (_, i) => i + 1));
    // Resumed on a reopened database (a fresh write-ahead log after the failed write).
    expect(log.stats().reopens).toBeGreaterThan(0);
    expect(logger.warnings.some((w) => /writing resumed after \d+ ms/.test(w))).toBe(true);
    await log.close();

    // Everything is on disk, contiguous, with the meta record after the records that waited.
    const reader = await EventLog.openReader(dir);
    const stored = await collect(reader.read());
    await reader.close();
    expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: appended }, (_, i) => i + 1));
    // Not torn, not duplicated: exactly what committed$ released (late flags included).
    expect(stored).toEqual(seen);
    const meta = stored.filter((r) => r.kind === 'meta');
    expect(meta).toHaveLength(1);
    expect(meta[0]).toMatchObject({ type: 'writeResumed', actor: 'engine', data: { lost: 0, lostSeqs: [] } });
    expect((meta[0]!.data as { lastError: string }).lastError).toMatch(/No space left on device/i);
    expect((meta[0]!.data as { failedForMs: number }).failedForMs).toBeGreaterThan(0);
  });

  it('drops the oldest of a full backlog and says which seqs were lost', async () => {
    const filler = join(mnt, 'filler');
    writeFileSync(filler, Buffer.alloc(1536 * 1024));
    const dir = join(mnt, 'log');
    mkdirSync(dir);
    const logger = memoryLogger();
    const log = await EventLog.open(dir, { node: 'lb1', logger, retryMs: 10, maxBacklog: 200 });
    const seen: EventRecord[] = [];
    log.committed$.subscribe((r) => seen.push(r));

    let i = await fillUntilFailing(log, seen);
    log.append(Array.from({ length: 500 }, () => advert(i++, { data: { payload, i } })));
    const lost = log.stats().lost;
    expect(lost).toBeGreaterThan(0);
    expect(log.stats().backlog).toBeLessThanOrEqual(200);
    expect(logger.errors.some((e) => e.startsWith('EVENT LOG BACKLOG FULL'))).toBe(true);

    rmSync(filler);
    await until(() => !log.stats().failing, 15_000, 'writing to resume');
    await log.flush();
    const appended = log.lastSeq;
    // Every record still reached committed$, lost or not.
    expect(seen.map((r) => r.seq)).toEqual(Array.from({ length: appended }, (_, k) => k + 1));
    await log.close();

    const reader = await EventLog.openReader(dir);
    const stored = await collect(reader.read());
    await reader.close();
    const meta = stored.find((r) => r.kind === 'meta' && r.type === 'writeResumed')!;
    const data = meta.data as { lost: number; lostSeqs: [number, number][] };
    expect(data.lost).toBe(lost);
    // The stored seqs and the lost ranges together cover the whole log exactly once.
    const lostSeqs = data.lostSeqs.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, k) => a + k));
    expect(lostSeqs).toHaveLength(lost);
    const all = [...stored.map((r) => r.seq), ...lostSeqs].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: appended }, (_, k) => k + 1));
    const lostSet = new Set(lostSeqs);
    expect(stored).toEqual(seen.filter((r) => !lostSet.has(r.seq)));
  });

  it('closes on a full disk without hanging, and says what was not written', async () => {
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(1536 * 1024));
    const dir = join(mnt, 'log');
    mkdirSync(dir);
    const logger = memoryLogger();
    const log = await EventLog.open(dir, { node: 'lb1', logger, retryMs: 10 });
    const seen: EventRecord[] = [];
    let completed = false;
    log.committed$.subscribe({ next: (r) => seen.push(r), complete: () => (completed = true) });
    await fillUntilFailing(log, seen);
    const started = Date.now();
    await log.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(completed).toBe(true);
    expect(seen.map((r) => r.seq)).toEqual(Array.from({ length: log.lastSeq }, (_, i) => i + 1));
    expect(logger.errors.some((e) => /closing with \d+ records not written/.test(e))).toBe(true);
    expect(() => log.append([advert(0)])).toThrow(/is closed/);
  });
});
