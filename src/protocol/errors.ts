/**
 * Result types shared by every codec in src/protocol.
 *
 * Decoders are total: they take any bytes and return a value or a typed reason, never throw
 * (DESIGN.md, "Codecs are pure and total"). Encoders take already-validated values; they throw a
 * RangeError only on a programming error (an address that is not an address, a field out of range),
 * never on anything read from the network.
 */

export type DecodeResult<T, R extends string = DecodeErrorReason> =
  | { ok: true; value: T }
  | { ok: false; reason: R; detail?: string };

/** Why a structural decode failed (the packet is not even well-formed). */
export type DecodeErrorReason =
  /** Fewer bytes than the fixed header. */
  | 'too-short'
  /** The header announces more bytes (addresses, total length) than were received. */
  | 'truncated'
  /** A version field the codec does not know (VRRP: not 2 or 3; IP: not 4). */
  | 'version'
  /** IPv4 IHL below 5 (20 bytes) or beyond the packet. */
  | 'header-length'
  /** IPv4 total length smaller than the header it contains. */
  | 'total-length'
  /** An IPv4 fragment: VRRP is never fragmented, and a fragment's payload is not a whole message. */
  | 'fragment';

export function fail<R extends string>(reason: R, detail?: string): { ok: false; reason: R; detail?: string } {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}
