import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { EventLog } from '../../src/store/event-log.js';
import { EventLogError } from '../../src/store/errors.js';
import { HEADER_KEY, eventKey } from '../../src/store/keys.js';
import { advert, collect, tempDirs } from './helpers.js';

const tmp = tempDirs('kts-store-bad-');
afterAll(() => tmp.cleanup());

/** Open the log and read all of it: the records, or the error it gave (anything else is a crash). */
async function openAndRead(dir: string): Promise<{ records?: number[]; error?: EventLogError }> {
  let log: EventLog | undefined;
  try {
    log = await EventLog.open(dir, { node: 'lb1' });
    const records = (await collect(log.read())).map((r) => r.seq);
    return { records };
  } catch (err) {
    if (!(err instanceof EventLogError)) throw err;
    return { error: err };
  } finally {
    await log?.close();
  }
}

/** A log of n records, pushed into LevelDB table files (reopening turns the write-ahead log into a table). */
async function makeLog(n: number): Promise<string> {
  const dir = tmp.make();
  let log = await EventLog.open(dir, { node: 'lb1' });
  log.append(Array.from({ length: n }, (_, i) => advert(i)));
  await log.close();
  log = await EventLog.open(dir, { node: 'lb1' });
  await log.close();
  return dir;
}

const filesOf = (dir: string, re: RegExp): string[] => readdirSync(dir).filter((f) => re.test(f)).map((f) => join(dir, f));

function garble(file: string, at: number, length: number): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(length, 0xa5), 0, length, at);
  closeSync(fd);
}

describe('EventLog refuses what is not a usable log, with a clear error', () => {
  it('a regular file', async () => {
    const file = join(tmp.make(), 'events');
    writeFileSync(file, 'hello');
    await expect(EventLog.open(file, { node: 'lb1' })).rejects.toMatchObject({ code: 'NOT_A_LOG', message: `${file} is not a keepalived-ts event log: it is not a directory` });
  });

  it('a directory that does not exist, opened for reading (replay)', async () => {
    const dir = join(tmp.make(), 'nope');
    await expect(EventLog.openReader(dir)).rejects.toMatchObject({ code: 'NOT_A_LOG', message: `event log ${dir} does not exist` });
    const empty = tmp.make();
    await expect(EventLog.openReader(empty)).rejects.toMatchObject({ code: 'NOT_A_LOG', message: `${empty} is not a keepalived-ts event log: it is empty` });
  });

  it('a directory holding other files', async () => {
    const dir = tmp.make();
    writeFileSync(join(dir, 'notes.txt'), 'not a log');
    const { error } = await openAndRead(dir);
    expect(error).toMatchObject({ code: 'NOT_A_LOG', dir });
    expect(error!.message).toContain('holds other files (notes.txt)');
    // And it was left alone.
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });

  it('another program\'s LevelDB database', async () => {
    const dir = tmp.make();
    const db = new ClassicLevel(dir);
    await db.put('user:1', 'alice');
    await db.close();
    const { error } = await openAndRead(dir);
    expect(error).toMatchObject({ code: 'NOT_A_LOG' });
    expect(error!.message).toBe(`${dir} is not a keepalived-ts event log: it is a LevelDB database without the event log header`);
  });

  it('a header that is not ours', async () => {
    const dir = tmp.make();
    const db = new ClassicLevel<Buffer, string>(dir, { keyEncoding: 'buffer', valueEncoding: 'utf8' });
    await db.put(HEADER_KEY, '{"magic":"something else","schema":1}');
    await db.close();
    expect((await openAndRead(dir)).error).toMatchObject({ code: 'NOT_A_LOG', message: `${dir} is not a keepalived-ts event log: header has no keepalived-ts magic` });
  });

  it('a log of a newer schema version', async () => {
    const dir = await makeLog(3);
    const db = new ClassicLevel<Buffer, string>(dir, { keyEncoding: 'buffer', valueEncoding: 'utf8' });
    const header = JSON.parse((await db.get(HEADER_KEY))!) as Record<string, unknown>;
    await db.put(HEADER_KEY, JSON.stringify({ ...header, schema: 99 }));
    await db.close();
    const { error } = await openAndRead(dir);
    expect(error).toMatchObject({ code: 'NEWER_SCHEMA' });
    expect(error!.message).toContain('has schema version 99, newer than this keepalived-ts reads (1)');
    await expect(EventLog.openReader(dir)).rejects.toMatchObject({ code: 'NEWER_SCHEMA' });
  });

  it('a directory that lost its CURRENT file (truncated copy)', async () => {
    const dir = await makeLog(50);
    rmSync(join(dir, 'CURRENT'));
    const before = readdirSync(dir).sort();
    const { error } = await openAndRead(dir);
    expect(error).toMatchObject({ code: 'DAMAGED' });
    expect(error!.message).toContain('its CURRENT file is missing');
    // LevelDB was not allowed to start a new database over the old files.
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('a garbled MANIFEST', async () => {
    const dir = await makeLog(50);
    for (const m of filesOf(dir, /^MANIFEST-/)) garble(m, 0, Math.min(64, statSync(m).size));
    const { error } = await openAndRead(dir);
    expect(error).toMatchObject({ code: 'CORRUPTED' });
    expect(error!.message).toMatch(new RegExp(`^event log ${dir} is corrupted \\(opening\\): .*`));
  });

  it('a garbled table file', async () => {
    const dir = await makeLog(3000);
    const tables = filesOf(dir, /\.ldb$/);
    expect(tables.length).toBeGreaterThan(0);
    for (const t of tables) garble(t, 100, 4000);
    const { error } = await openAndRead(dir);
    expect(error).toMatchObject({ code: 'CORRUPTED' });
    expect(error!.message).toContain(`event log ${dir} is corrupted`);
  });

  it('a truncated table file', async () => {
    const dir = await makeLog(3000);
    for (const t of filesOf(dir, /\.ldb$/)) truncateSync(t, Math.floor(statSync(t).size / 3));
    const { error } = await openAndRead(dir);
    expect(error).toBeInstanceOf(EventLogError);
    expect(['CORRUPTED', 'DAMAGED']).toContain(error!.code);
    expect(error!.message).toContain(dir);
  });

  it('a deleted table file', async () => {
    const dir = await makeLog(3000);
    for (const t of filesOf(dir, /\.ldb$/)) rmSync(t);
    const { error } = await openAndRead(dir);
    expect(error).toBeInstanceOf(EventLogError);
    expect(['CORRUPTED', 'DAMAGED']).toContain(error!.code);
    expect(error!.message).toContain(dir);
  });

  it('a record that is not a record', async () => {
    const dir = await makeLog(5);
    const db = new ClassicLevel<Buffer, string>(dir, { keyEncoding: 'buffer', valueEncoding: 'utf8' });
    await db.put(eventKey(3), '{"seq":3,"garbage');
    await db.close();
    const { error } = await openAndRead(dir);
    expect(error).toMatchObject({ code: 'CORRUPTED', message: `event log ${dir} is corrupted: record after 2 is unreadable (not JSON)` });
  });

  it('a record stored under the wrong seq (duplicated or out of order)', async () => {
    const dir = await makeLog(5);
    const db = new ClassicLevel<Buffer, string>(dir, { keyEncoding: 'buffer', valueEncoding: 'utf8' });
    await db.put(eventKey(4), (await db.get(eventKey(2)))!);
    await db.close();
    const { error } = await openAndRead(dir);
    expect(error).toMatchObject({ code: 'CORRUPTED', message: `event log ${dir} is corrupted: record 2 is unreadable (seq 2 out of order)` });
  });

  it('a torn end of the write-ahead log loses only the torn tail', async () => {
    const dir = tmp.make();
    const log = await EventLog.open(dir, { node: 'lb1' });
    log.append(Array.from({ length: 200 }, (_, i) => advert(i)));
    await log.flush();
    log.append(Array.from({ length: 200 }, (_, i) => advert(200 + i)));
    await log.flush();
    // Keep a copy of the directory's write-ahead log while the log is open (as a crash would leave it).
    const wal = filesOf(dir, /^\d+\.log$/).sort().at(-1)!;
    const bytes = readFileSync(wal);
    await log.close();
    writeFileSync(wal, bytes.subarray(0, bytes.length - 100));
    appendFileSync(wal, Buffer.alloc(0));
    const { records, error } = await openAndRead(dir);
    expect(error).toBeUndefined();
    // A prefix: contiguous from 1, the torn batch gone as a whole.
    expect(records!.length).toBeGreaterThan(0);
    expect(records).toEqual(Array.from({ length: records!.length }, (_, i) => i + 1));
    expect([200, 400]).toContain(records!.length);
  });
});
