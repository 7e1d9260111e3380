/**
 * Stored form of records and of the header: JSON text. Decoding is total: any text gives a value
 * or a reason, never a throw (a garbled value must become a clear error, not a crash).
 */
import { EVENT_SCHEMA_VERSION, type EventKind, type EventRecord } from './schema.js';

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

const KINDS: ReadonlySet<string> = new Set<EventKind>(['input', 'transition', 'effect', 'summary', 'config', 'meta']);

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
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, reason: 'not an object' };
  const r = v as Record<string, unknown>;
  const num = (k: string): boolean => typeof r[k] === 'number' && Number.isFinite(r[k]);
  if (!num('seq') || !Number.isInteger(r.seq) || (r.seq as number) < 1) return { ok: false, reason: 'bad seq' };
  if (expectedSeq !== undefined && r.seq !== expectedSeq) return { ok: false, reason: `seq ${String(r.seq)} stored under key ${expectedSeq}` };
  if (!num('wallTime') || !num('monoTime')) return { ok: false, reason: 'bad timestamps' };
  if (typeof r.node !== 'string' || typeof r.actor !== 'string' || typeof r.type !== 'string') return { ok: false, reason: 'bad node, actor or type' };
  if (typeof r.kind !== 'string' || !KINDS.has(r.kind)) return { ok: false, reason: `unknown kind ${JSON.stringify(r.kind)}` };
  if (!num('v')) return { ok: false, reason: 'no schema version' };
  if ((r.v as number) > EVENT_SCHEMA_VERSION) return { ok: false, reason: `schema version ${String(r.v)} is newer than ${EVENT_SCHEMA_VERSION}` };
  if (r.cause !== undefined && !num('cause')) return { ok: false, reason: 'bad cause' };
  if (r.late !== undefined && typeof r.late !== 'boolean') return { ok: false, reason: 'bad late flag' };
  return { ok: true, value: r as unknown as EventRecord };
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
