/**
 * Retention by age and by size. The log is cut only at its old end and only by whole blocks, so
 * what is kept stays contiguous from the first kept seq; the block holding the newest record is
 * never cut. The plan is pure; `applyRetention` does the deletes.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { lateRangesFrom, type LogDb } from './reader.js';
import { decodeBlock } from './codec.js';
import { classifyLevelError } from './errors.js';
import { BLOCK_PREFIX, BLOCK_SIZE, CONFIG_PREFIX, LATE_PREFIX, blockKey, blockOf, configKey, decodeKey, eventKey, lateKey, namespaceRange } from './keys.js';

export interface RetentionPolicy {
  /** Keep the directory under this many bytes (keepalived-ts global_defs event_log_max_mb). */
  maxBytes?: number;
  /** Drop records older than this (event_log_max_age). */
  maxAgeMs?: number;
}

export interface BlockInfo {
  block: number;
  minWall: number;
  maxWall: number;
}

export interface RetentionInput {
  blocks: BlockInfo[];
  first: number;
  last: number;
  nowWall: number;
  sizeBytes: number;
  policy: RetentionPolicy;
}

/** Size retention aims this far under the limit, so it does not run again at the next record. */
export const SIZE_TARGET = 0.8;

/** The last seq to delete (everything from the first record up to it), or undefined for nothing. */
export function planRetention(inp: RetentionInput): number | undefined {
  const { first, last, policy } = inp;
  if (last < first) return undefined;
  // Never cut into the block of the newest record: the log always keeps its tail.
  const limit = blockOf(last) * BLOCK_SIZE - 1;
  if (limit < first) return undefined;
  let upTo = first - 1;

  if (policy.maxAgeMs !== undefined) {
    const cutoff = inp.nowWall - policy.maxAgeMs;
    for (const b of [...inp.blocks].sort((x, y) => x.block - y.block)) {
      const end = (b.block + 1) * BLOCK_SIZE - 1;
      if (end > limit || b.maxWall >= cutoff) break;
      upTo = Math.max(upTo, end);
    }
  }

  if (policy.maxBytes !== undefined && inp.sizeBytes > policy.maxBytes) {
    const bytesPerRecord = inp.sizeBytes / (last - first + 1);
    const excess = inp.sizeBytes - policy.maxBytes * SIZE_TARGET;
    const n = Math.ceil(excess / bytesPerRecord);
    const end = (blockOf(first + n - 1) + 1) * BLOCK_SIZE - 1;
    upTo = Math.max(upTo, Math.min(end, limit));
  }

  return upTo >= first ? upTo : undefined;
}

/** Bytes of the files in the directory (what the disk actually holds, write-ahead log included). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const s = await stat(join(dir, name)).catch(() => undefined);
    if (s?.isFile()) total += s.size;
  }
  return total;
}

export async function readBlocks(db: LogDb, dir: string): Promise<BlockInfo[]> {
  try {
    const out: BlockInfo[] = [];
    for (const [key, value] of await db.iterator(namespaceRange(BLOCK_PREFIX)).all()) {
      const block = decodeKey(BLOCK_PREFIX, key);
      const span = decodeBlock(value);
      if (block !== undefined) out.push({ block, minWall: span?.minWall ?? Infinity, maxWall: span?.maxWall ?? Infinity });
    }
    return out;
  } catch (err) {
    throw classifyLevelError(err, dir, 'reading the time index');
  }
}

/**
 * Delete records first..upTo, their block index entries, and the config copies that a newer copy at
 * or before upTo supersedes (the configuration in force at upTo+1 is kept). Then compact the range
 * so the space really returns to the disk.
 */
export async function deleteThrough(db: LogDb, dir: string, upTo: number): Promise<void> {
  try {
    await db.clear({ gte: eventKey(0), lte: eventKey(upTo) });
    const lastWholeBlock = blockOf(upTo + 1) - 1;
    if (lastWholeBlock >= 0) await db.clear({ gte: blockKey(0), lte: blockKey(lastWholeBlock) });
    const configs = await db.keys({ gte: configKey(0), lte: configKey(upTo) }).all();
    const keep = configs.at(-1);
    const keepSeq = keep === undefined ? undefined : decodeKey(CONFIG_PREFIX, keep);
    if (keepSeq !== undefined && keepSeq > 0) await db.clear({ gte: configKey(0), lt: configKey(keepSeq) });
    // Late marks: those ending at or before upTo go (the kept config copy keeps its own); one
    // straddling upTo is cut to start at upTo+1.
    const keepLate = keepSeq !== undefined && (await lateRangesFrom(db, dir, keepSeq, keepSeq)).some(([a]) => a <= keepSeq);
    await db.clear({ gte: lateKey(0), lte: lateKey(upTo) });
    if (keepLate) await db.put(lateKey(keepSeq!), String(keepSeq));
    const straddling = (await db.iterator({ gte: lateKey(upTo + 1), lte: namespaceRange(LATE_PREFIX).lte, limit: 1 }).all())[0];
    if (straddling !== undefined && Number(straddling[1]) <= upTo) await db.put(straddling[0], String(upTo + 1));
    await db.compactRange(eventKey(0), eventKey(upTo + 1));
  } catch (err) {
    throw classifyLevelError(err, dir, 'retention');
  }
}
