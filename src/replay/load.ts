/**
 * Opening the logs replay reads. Every refusal is a ReplayError whose message names the directory
 * and the problem (the store's typed errors already do: not a log, damaged, corrupted, newer
 * schema, in use); anything unexpected is wrapped so the command never shows a stack trace.
 */
import { EventLog, type EventLogReader } from '../store/event-log.js';
import { EventLogError, rootMessage } from '../store/errors.js';
import type { ReadQuery } from '../store/reader.js';
import type { EventRecord } from '../store/schema.js';
import { fullConfigOf, isRunStart } from './records.js';

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
  constructor(
    message: string,
    /** The store's code when the log refused ('NOT_A_LOG', 'CORRUPTED', ...). */
    readonly code?: string,
  ) {
    super(message);
  }
}

export function asReplayError(err: unknown, doing: string): ReplayError {
  if (err instanceof ReplayError) return err;
  if (err instanceof EventLogError) return new ReplayError(err.message, err.code);
  // Anything else is a bug of ours: still one line, but marked so it is reported, not mistaken for a
  // problem of the log.
  return new ReplayError(`${doing}: internal error (please report it): ${rootMessage(err)}`, 'INTERNAL');
}

/** One node's log, opened for reading. */
export interface OpenLog {
  dir: string;
  /** The node that created the log (router_id). */
  node: string;
  reader: EventLogReader;
}

export async function openLogs(dirs: readonly string[]): Promise<OpenLog[]> {
  const out: OpenLog[] = [];
  try {
    for (const dir of dirs) {
      let reader: EventLogReader;
      try {
        reader = await EventLog.openReader(dir);
      } catch (err) {
        throw asReplayError(err, `opening ${dir}`);
      }
      out.push({ dir, node: reader.node, reader });
    }
  } catch (err) {
    await closeLogs(out);
    throw err;
  }
  const seen = new Map<string, string>();
  for (const l of out) {
    const other = seen.get(l.node);
    if (other !== undefined) {
      // Two logs of one node would merge into one lane and confuse the clock alignment.
      await closeLogs(out);
      throw new ReplayError(`${other} and ${l.dir} are both logs of node ${JSON.stringify(l.node)}: give one directory per node`);
    }
    seen.set(l.node, l.dir);
  }
  return out;
}

export async function closeLogs(logs: readonly OpenLog[]): Promise<void> {
  for (const l of logs) await l.reader.close().catch(() => undefined);
}

/**
 * Hand every record of a log (in seq order) to `each`, with the store's errors made ReplayErrors.
 * A callback rather than a generator of our own: a million records through two layers of async
 * generators cost a second more than through one.
 */
export async function forEachRecord(log: OpenLog, each: (r: EventRecord) => void, q: ReadQuery = {}): Promise<void> {
  try {
    // In batches: one await per LevelDB read instead of one per record.
    for await (const batch of log.reader.readBatches(q)) for (const r of batch) each(r);
  } catch (err) {
    throw asReplayError(err, `reading ${log.dir}`);
  }
}

/**
 * When retention has deleted the beginning of the run in progress at the first kept record, the
 * configuration and start records still exist (the store keeps a copy of every 'config' record):
 * the latest start and the full configuration before it, in seq order, so a timeline can name the
 * instances and their tracked priorities from the first kept record on.
 */
export async function priorContext(log: OpenLog): Promise<EventRecord[]> {
  try {
    const b = await log.reader.bounds();
    if (b === undefined || b.first <= 1) return [];
    const out: EventRecord[] = [];
    let at = b.first - 1;
    // A few steps back at most: a start, the full configuration just before it.
    for (let i = 0; i < 4 && at >= 1; i++) {
      const c = await log.reader.configAt(at);
      if (c === undefined) break;
      if (isRunStart(c) ? !out.some(isRunStart) : fullConfigOf(c) !== undefined) out.unshift(c);
      if (fullConfigOf(c) !== undefined) break;
      at = c.seq - 1;
    }
    return out;
  } catch (err) {
    throw asReplayError(err, `reading the configuration of ${log.dir}`);
  }
}
