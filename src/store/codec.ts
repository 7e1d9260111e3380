/**
 * Stored form of records and of the header: JSON text. Decoding is total: any text gives a value
 * or a reason, never a throw (a garbled value must become a clear error, not a crash).
 */
import { EVENT_SCHEMA_VERSION, type EventRecord } from './schema.js';

export const LOG_MAGIC = 'keepalived-ts event log';

export interface LogHeader {
  magic: typeof LOG_MAGIC;
  /** Schema version of the program that created the log (records carry their own `v`). */
  schema: number;
  /** router_id of the node that created the log. */
  node: string;
  /** Wall time of creation, ms since the epoch. */
  created: number;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Never throws: data a caller should not have put in a record (a bigint, a cycle) is written in a
 * readable stand-in rather than lost with the whole batch.
 */
export function encodeRecord(r: EventRecord): string {
  try {
    return JSON.stringify(r);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(r, (_k, v: unknown) => {
      if (typeof v === 'bigint') return `${v.toString()}n`;
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[cycle]';
        seen.add(v);
      }
      return v;
    });
  }
}

export function decodeRecord(text: string, expectedSeq?: number): Decoded<EventRecord> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const reason = recordProblem(v, expectedSeq);
  return reason === undefined ? { ok: true, value: v as EventRecord } : { ok: false, reason };
}

/**
 * What is wrong with a parsed value as a record, or undefined when it is one. Written out without
 * helper closures or result objects: this runs once per record read, and a closure made per call
 * (which tsx also wraps to keep its name) was ~8 % of reading a log.
 */
export function recordProblem(v: unknown, expectedSeq?: number): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
  const r = v as Record<string, unknown>;
  const { seq, wallTime, monoTime, kind, v: version, cause, late } = r;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return 'bad seq';
  if (expectedSeq !== undefined && seq !== expectedSeq) return `seq ${String(seq)} stored under key ${expectedSeq}`;
  if (typeof wallTime !== 'number' || !Number.isFinite(wallTime) || typeof monoTime !== 'number' || !Number.isFinite(monoTime)) return 'bad timestamps';
  if (typeof r.node !== 'string' || typeof r.actor !== 'string' || typeof r.type !== 'string') return 'bad node, actor or type';
  if (typeof kind !== 'string' || !isKind(kind)) return `unknown kind ${JSON.stringify(kind)}`;
  if (typeof version !== 'number' || !Number.isFinite(version)) return 'no schema version';
  if (version > EVENT_SCHEMA_VERSION) return `schema version ${String(version)} is newer than ${EVENT_SCHEMA_VERSION}`;
  if (cause !== undefined && (typeof cause !== 'number' || !Number.isFinite(cause))) return 'bad cause';
  if (late !== undefined && typeof late !== 'boolean') return 'bad late flag';
  return undefined;
}

function isKind(k: string): boolean {
  switch (k) {
    case 'input':
    case 'transition':
    case 'effect':
    case 'summary':
    case 'config':
    case 'meta':
      return true;
    default:
      return false;
  }
}

export function encodeHeader(h: LogHeader): string {
  return JSON.stringify(h);
}

export function decodeHeader(text: string): Decoded<LogHeader> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'header is not JSON' };
  }
  if (typeof v !== 'object' || v === null) return { ok: false, reason: 'header is not an object' };
  const h = v as Record<string, unknown>;
  if (h.magic !== LOG_MAGIC) return { ok: false, reason: 'header has no keepalived-ts magic' };
  if (typeof h.schema !== 'number' || !Number.isInteger(h.schema) || h.schema < 1) return { ok: false, reason: 'header has no schema version' };
  if (typeof h.node !== 'string') return { ok: false, reason: 'header has no node' };
  return { ok: true, value: { magic: LOG_MAGIC, schema: h.schema, node: h.node, created: typeof h.created === 'number' ? h.created : 0 } };
}

/** Block index value: wall-time span of the block's records. */
export interface BlockSpan {
  minWall: number;
  maxWall: number;
}

export function decodeBlock(text: string): BlockSpan | undefined {
  try {
    const v = JSON.parse(text) as Partial<BlockSpan> | null;
    if (v && typeof v.minWall === 'number' && typeof v.maxWall === 'number') return { minWall: v.minWall, maxWall: v.maxWall };
  } catch {
    /* fall through: a garbled index entry is treated as unknown span */
  }
  return undefined;
}
