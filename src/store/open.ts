/**
 * Opening a log directory: refuse what cannot be a log before LevelDB touches it, open LevelDB,
 * and check the header (magic, schema version, node).
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { EVENT_SCHEMA_VERSION } from './schema.js';
import { decodeHeader, type LogHeader } from './codec.js';
import { classifyLevelError, EventLogError, rootMessage } from './errors.js';
import { HEADER_KEY } from './keys.js';
import type { LogDb } from './reader.js';

const LEVELDB_FILE = /^(LOCK|LOG|LOG\.old|CURRENT|MANIFEST-\d+|\d+\.(ldb|sst|log))$/;

/** True when the directory is new (absent or empty). Refuses what cannot be a log before LevelDB
 *  touches it: LevelDB would happily create a fresh database over a log that lost its CURRENT. */
export async function inspectDirectory(dir: string, mayCreate: boolean): Promise<boolean> {
  const s = await stat(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err))).catch((err: unknown) => {
    throw new EventLogError('IO', dir, `event log ${dir} cannot be read: ${rootMessage(err)}`, { cause: err });
  });
  if (s === undefined) {
    if (!mayCreate) throw new EventLogError('NOT_A_LOG', dir, `event log ${dir} does not exist`);
    await mkdir(dir, { recursive: true }).catch((err: unknown) => {
      throw new EventLogError('IO', dir, `event log ${dir} cannot be created: ${rootMessage(err)}`, { cause: err });
    });
    return true;
  }
  if (!s.isDirectory()) throw new EventLogError('NOT_A_LOG', dir, `${dir} is not a keepalived-ts event log: it is not a directory`);
  const names = await readdir(dir).catch((err: unknown) => {
    throw new EventLogError('IO', dir, `event log ${dir} cannot be listed: ${rootMessage(err)}`, { cause: err });
  });
  if (names.length === 0) {
    if (!mayCreate) throw new EventLogError('NOT_A_LOG', dir, `${dir} is not a keepalived-ts event log: it is empty`);
    return true;
  }
  if (names.includes('CURRENT')) return false;
  const levelFiles = names.filter((n) => LEVELDB_FILE.test(n));
  if (levelFiles.some((n) => n !== 'LOCK' && n !== 'LOG' && n !== 'LOG.old')) {
    throw new EventLogError('DAMAGED', dir, `event log ${dir} is damaged: its CURRENT file is missing (truncated copy or partly deleted?); refusing to open it rather than start a new log over it`);
  }
  throw new EventLogError('NOT_A_LOG', dir, `${dir} is not a keepalived-ts event log: it holds other files (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''})`);
}

export function dbOptions(createIfMissing: boolean, maxMb: number | undefined, writeBufferBytes?: number) {
  // A small size limit needs a small write buffer: the write-ahead log alone may reach it.
  const forLimit = maxMb === undefined ? undefined : Math.max(64 * 1024, Math.min(4 * 1024 * 1024, Math.floor((maxMb * 1024 * 1024) / 8)));
  const writeBufferSize = forLimit === undefined ? writeBufferBytes : writeBufferBytes === undefined ? forLimit : Math.min(forLimit, writeBufferBytes);
  return {
    keyEncoding: 'buffer',
    valueEncoding: 'utf8',
    createIfMissing,
    errorIfExists: false,
    ...(writeBufferSize !== undefined ? { writeBufferSize } : {}),
  } as const;
}

export async function openDb(dir: string, fresh: boolean, maxMb: number | undefined, writeBufferBytes?: number): Promise<LogDb> {
  const db = new ClassicLevel<Buffer, string>(dir, dbOptions(fresh, maxMb, writeBufferBytes));
  try {
    await db.open();
  } catch (err) {
    throw classifyLevelError(err, dir, 'opening');
  }
  return db;
}

export async function readHeader(db: LogDb, dir: string, fresh: boolean): Promise<LogHeader | undefined> {
  let text: string | undefined;
  try {
    text = await db.get(HEADER_KEY);
  } catch (err) {
    throw classifyLevelError(err, dir, 'reading the header');
  }
  if (text === undefined) {
    if (fresh) return undefined;
    let any = false;
    try {
      any = (await db.keys({ limit: 1 }).all()).length > 0;
    } catch (err) {
      throw classifyLevelError(err, dir, 'reading the header');
    }
    if (any) throw new EventLogError('NOT_A_LOG', dir, `${dir} is not a keepalived-ts event log: it is a LevelDB database without the event log header`);
    return undefined;
  }
  const h = decodeHeader(text);
  if (!h.ok) throw new EventLogError('NOT_A_LOG', dir, `${dir} is not a keepalived-ts event log: ${h.reason}`);
  if (h.value.schema > EVENT_SCHEMA_VERSION) {
    throw new EventLogError(
      'NEWER_SCHEMA',
      dir,
      `event log ${dir} has schema version ${h.value.schema}, newer than this keepalived-ts reads (${EVENT_SCHEMA_VERSION}): use a newer keepalived-ts, or another event_log_dir`,
    );
  }
  return h.value;
}
