/**
 * Key layout of the event log in LevelDB. Keys are bytes that sort in the order we read:
 * a one-byte namespace, then a big-endian integer (6 bytes: seqs up to 2^48, far beyond any log).
 *
 *   'h'              header: magic, schema version, node (a directory without it is not a log)
 *   'e' + seq        one EventRecord (JSON)
 *   'b' + block      wall-time span of records seq in [block*BLOCK_SIZE, (block+1)*BLOCK_SIZE):
 *                    time-range reads and retention by age skip whole blocks with it
 *   'c' + seq        a copy of each 'config' record, kept through retention so the
 *                    configuration in force at the first kept record is always known
 *   'l' + last seq   a range of records released to committed$ before they were written (value:
 *                    the first seq); readers set `late: true` on them. Keyed by the last seq so
 *                    the ranges that meet [lo, hi] start at the first key >= lo.
 */
export const HEADER_KEY = Buffer.from('h');
export const EVENT_PREFIX = 0x65; // 'e'
export const BLOCK_PREFIX = 0x62; // 'b'
export const CONFIG_PREFIX = 0x63; // 'c'
export const LATE_PREFIX = 0x6c; // 'l'

/** Records per block of the time index. */
export const BLOCK_SIZE = 1024;

const MAX_INDEX = 2 ** 48 - 1;

export function encodeKey(prefix: number, n: number): Buffer {
  const key = Buffer.allocUnsafe(7);
  key[0] = prefix;
  key.writeUIntBE(Math.min(Math.max(0, Math.floor(n)), MAX_INDEX), 1, 6);
  return key;
}

/** The integer in a key of the given namespace, or undefined for any other bytes. */
export function decodeKey(prefix: number, key: Uint8Array): number | undefined {
  if (key.length !== 7 || key[0] !== prefix) return undefined;
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).readUIntBE(1, 6);
}

export const eventKey = (seq: number): Buffer => encodeKey(EVENT_PREFIX, seq);
export const blockKey = (block: number): Buffer => encodeKey(BLOCK_PREFIX, block);
export const configKey = (seq: number): Buffer => encodeKey(CONFIG_PREFIX, seq);
export const lateKey = (lastSeq: number): Buffer => encodeKey(LATE_PREFIX, lastSeq);
export const blockOf = (seq: number): number => Math.floor(seq / BLOCK_SIZE);

/** Bounds covering a whole namespace: [prefix+0, prefix+MAX]. */
export function namespaceRange(prefix: number): { gte: Buffer; lte: Buffer } {
  return { gte: encodeKey(prefix, 0), lte: encodeKey(prefix, MAX_INDEX) };
}
