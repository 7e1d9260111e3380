/**
 * Internet checksum (RFC 1071) and the pseudo-headers VRRP and ICMPv6 put under it.
 *
 * Sums are kept as plain numbers and folded at the end: a 32-bit accumulator cannot overflow for
 * any buffer we handle (VRRP ≤ 8 + 255 × 16 bytes, NA < 100 bytes), and folding once is cheaper.
 */

/** Ones'-complement sum of `buf` as big-endian 16-bit words (odd trailing byte padded with 0), added to `initial`; unfolded. */
export function onesComplementSum(buf: Uint8Array, initial = 0): number {
  return sumRange(buf, 0, buf.length, initial);
}

/** Same over buf[start, end) (start even relative to the word grid the caller wants); no copy. */
export function sumRange(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  const evenEnd = start + ((end - start) & ~1);
  for (let i = start; i < evenEnd; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (evenEnd !== end) sum += buf[evenEnd]! << 8;
  // Fold now and then so the accumulator stays far below 2^53 even for huge inputs.
  return sum > 0xffffffff ? fold(sum) : sum;
}

/** Fold carries back into 16 bits. */
export function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The checksum to write in a header: complement of the folded sum (the checksum field zeroed in the sum). */
export function finishChecksum(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/**
 * Checksum of `parts` concatenated (each part summed where it starts; every part but the last must
 * have an even length, as pseudo-headers do).
 */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const p of parts) sum = onesComplementSum(p, sum);
  return finishChecksum(sum);
}

/**
 * True when the sum over `parts`, checksum field included, verifies (folds to 0xffff).
 * RFC 1071 §1: the receiver sums everything including the checksum and expects all ones.
 */
export function checksumVerifies(...parts: Uint8Array[]): boolean {
  let sum = 0;
  for (const p of parts) sum = onesComplementSum(p, sum);
  return fold(sum) === 0xffff;
}

/**
 * IPv4 pseudo-header (RFC 768 / RFC 5798 §5.2.8 as keepalived reads it): src, dst, zero,
 * protocol, 16-bit upper-layer length. `src`/`dst` are 4-byte addresses.
 */
export function ipv4PseudoHeader(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): Buffer {
  const b = Buffer.alloc(12);
  b.set(src.subarray(0, 4), 0);
  b.set(dst.subarray(0, 4), 4);
  b[9] = protocol & 0xff;
  b.writeUInt16BE(length & 0xffff, 10);
  return b;
}

/**
 * IPv6 pseudo-header (RFC 8200 §8.1): src, dst, 32-bit upper-layer length, 3 zero bytes, next header.
 * `src`/`dst` are 16-byte addresses.
 */
export function ipv6PseudoHeader(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): Buffer {
  const b = Buffer.alloc(40);
  b.set(src.subarray(0, 16), 0);
  b.set(dst.subarray(0, 16), 16);
  b.writeUInt32BE(length >>> 0, 32);
  b[39] = nextHeader & 0xff;
  return b;
}
