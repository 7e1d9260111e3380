/**
 * VRRP advertisement payloads: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798 / RFC 9568), IPv4 and IPv6.
 * Encode and decode the VRRP message only (what a raw IPPROTO_VRRP socket sends, and what follows
 * the IP header on receive). Meaning (VRID, priority, intervals, auth) is judged by
 * vrrp-validate.ts, as in FRR's vrrp_packet.c / keepalived's vrrp_check_packet split.
 *
 *  0       1       2       3
 * +-------+-------+-------+-------+
 * |Ver|Typ| VRID  | Prio  | Count |
 * +-------+-------+-------+-------+
 * v2: | AuthType | AdverInt(s) | Checksum |   v3: | rsvd(4) MaxAdverInt(12, cs) | Checksum |
 * +-------------------------------+
 * | addresses (4 or 16 bytes each)|
 * +-------------------------------+
 * | v2/IPv4 only: 8 bytes auth data |
 */
import { addressBytesOrThrow, formatAddress, type AddressFamily } from './address.js';
import { finishChecksum, fold, sumRange } from './checksum.js';
import { fail, ok, type DecodeResult } from './errors.js';

/** IANA protocol number of VRRP (RFC 3768 §5.2.4). */
export const IPPROTO_VRRP = 112;
export const VRRP_TYPE_ADVERTISEMENT = 1;
export const VRRP_HEADER_LENGTH = 8;
/** v2 Authentication Data: two 32-bit words (RFC 3768 §5.3.10). */
export const VRRP_AUTH_DATA_LENGTH = 8;
/** v2 Auth Type values: 0 none; 1 simple password and 2 IP AH come from RFC 2338, kept by keepalived. */
export const VRRP_AUTH_NONE = 0;
export const VRRP_AUTH_PASS = 1;
export const VRRP_AUTH_AH = 2;
/** TTL / Hop Limit every advert is sent with and multicast receivers demand (RFC 5798 §5.1.1.3). */
export const VRRP_TTL = 255;
export const VRRP_MULTICAST_IPV4 = '224.0.0.18';
export const VRRP_MULTICAST_IPV6 = 'ff02::12';

export interface VrrpAdvert {
  version: 2 | 3;
  /** Low 4 bits of byte 0; 1 = ADVERTISEMENT. Decode keeps whatever came, validation judges it. */
  type: number;
  vrid: number;
  priority: number;
  /** v2: Adver Int seconds ×100; v3: Max Adver Int centiseconds */
  maxAdverIntCs: number;
  /** Canonical text form (address.ts). */
  addresses: string[];
  family: AddressFamily;
  /** v2 only (both families: keepalived sends v2 over IPv6 outside strict mode). */
  authType?: number;
  /** v2 over IPv4 only, 8 bytes. */
  authData?: Buffer;
  /** The Checksum field as found (decode) or computed (encode). */
  checksum: number;
}

/** Length of the VRRP message for `count` addresses (keepalived's expected_vrrp_pkt_len). */
export function vrrpMessageLength(version: 2 | 3, family: AddressFamily, count: number): number {
  const addrLen = family === 'ipv4' ? 4 : 16;
  // The v2 authentication words exist only over IPv4: over IPv6 keepalived sends none.
  const auth = version === 2 && family === 'ipv4' ? VRRP_AUTH_DATA_LENGTH : 0;
  return VRRP_HEADER_LENGTH + count * addrLen + auth;
}

/** keepalived's auth_pass: the first 8 bytes of the password, zero-padded. */
export function passwordAuthData(pass: string): Buffer {
  const out = Buffer.alloc(VRRP_AUTH_DATA_LENGTH);
  Buffer.from(String(pass), 'utf8').copy(out, 0, 0, VRRP_AUTH_DATA_LENGTH);
  return out;
}

/**
 * How the checksum covers the message:
 * - `message`: the message alone (VRRPv2, RFC 3768 §5.3.8; VRRPv3 over IPv4 per RFC 9568 §5.2.8
 *   and keepalived's `v3_checksum_as_v2`);
 * - `ipv4-pseudo-header`: RFC 5798 §5.2.8 as keepalived (default) and Wireshark read it for IPv4;
 * - `ipv6-pseudo-header`: RFC 8200 §8.1, every VRRP over IPv6 (the kernel computes it via IPV6_CHECKSUM).
 */
export type VrrpChecksumForm = 'message' | 'ipv4-pseudo-header' | 'ipv6-pseudo-header';

export function defaultChecksumForm(version: 2 | 3, family: AddressFamily, v3ChecksumAsV2 = false): VrrpChecksumForm {
  if (family === 'ipv6') return 'ipv6-pseudo-header';
  return version === 3 && !v3ChecksumAsV2 ? 'ipv4-pseudo-header' : 'message';
}

/**
 * Unfolded sum of the pseudo-header for `form` (0 for `message`), summed field by field so the hot
 * receive path allocates nothing.
 */
function pseudoHeaderSum(form: VrrpChecksumForm, src: Uint8Array, dst: Uint8Array, length: number): number {
  if (form === 'message') return 0;
  const addrLen = form === 'ipv4-pseudo-header' ? 4 : 16;
  let sum = sumRange(src, 0, addrLen);
  sum = sumRange(dst, 0, addrLen, sum);
  // IPv4: zero, protocol, 16-bit length. IPv6: 32-bit length, three zero bytes, next header.
  return sum + IPPROTO_VRRP + (length & 0xffff) + (addrLen === 16 ? Math.floor(length / 0x10000) & 0xffff : 0);
}

/** The checksum `message` should carry (its bytes 6–7 are treated as zero). */
export function computeVrrpChecksum(message: Uint8Array, form: VrrpChecksumForm, src: Uint8Array, dst: Uint8Array): number {
  let sum = pseudoHeaderSum(form, src, dst, message.length);
  sum = sumRange(message, 0, Math.min(6, message.length), sum);
  if (message.length > 8) sum = sumRange(message, 8, message.length, sum);
  return finishChecksum(sum);
}

/** Whether `message`, checksum field included, verifies in `form`. */
export function vrrpChecksumVerifies(message: Uint8Array, form: VrrpChecksumForm, src: Uint8Array, dst: Uint8Array): boolean {
  return fold(sumRange(message, 0, message.length, pseudoHeaderSum(form, src, dst, message.length))) === 0xffff;
}

function intInRange(v: number, lo: number, hi: number): boolean {
  return Number.isInteger(v) && v >= lo && v <= hi;
}

/**
 * The VRRP message for `adv`, checksum filled in. `src`/`dst` are the IP source and destination
 * the packet will carry (the pseudo-header needs them). Throws RangeError on values that cannot be
 * on the wire (a v2 interval that is not whole seconds, a v3 interval beyond 4095 cs, bad address).
 */
export function encodeVrrp(
  adv: Omit<VrrpAdvert, 'checksum'>,
  opts: { src: string; dst: string; v3ChecksumAsV2?: boolean },
): Buffer {
  const { version, family } = adv;
  if (version !== 2 && version !== 3) throw new RangeError(`encodeVrrp: version ${String(version)}`);
  if (!intInRange(adv.type, 0, 15)) throw new RangeError(`encodeVrrp: type ${adv.type}`);
  if (!intInRange(adv.vrid, 0, 255)) throw new RangeError(`encodeVrrp: vrid ${adv.vrid}`);
  if (!intInRange(adv.priority, 0, 255)) throw new RangeError(`encodeVrrp: priority ${adv.priority}`);
  if (adv.addresses.length > 255) throw new RangeError(`encodeVrrp: ${adv.addresses.length} addresses (max 255)`);
  const src = addressBytesOrThrow(opts.src, family, 'encodeVrrp src');
  const dst = addressBytesOrThrow(opts.dst, family, 'encodeVrrp dst');

  const buf = Buffer.alloc(vrrpMessageLength(version, family, adv.addresses.length));
  buf[0] = (version << 4) | adv.type;
  buf[1] = adv.vrid;
  buf[2] = adv.priority;
  buf[3] = adv.addresses.length;
  if (version === 2) {
    // RFC 3768 §5.3.7: Adver Int in whole seconds.
    const secs = adv.maxAdverIntCs / 100;
    if (!intInRange(secs, 0, 255)) throw new RangeError(`encodeVrrp: v2 interval ${adv.maxAdverIntCs} cs is not 0..255 whole seconds`);
    const authType = adv.authType ?? VRRP_AUTH_NONE;
    if (!intInRange(authType, 0, 255)) throw new RangeError(`encodeVrrp: auth type ${authType}`);
    buf[4] = authType;
    buf[5] = secs;
  } else {
    // RFC 5798 §5.2.7: 4 reserved bits (0 on send) + 12-bit Max Adver Int in centiseconds.
    if (!intInRange(adv.maxAdverIntCs, 0, 0x0fff)) throw new RangeError(`encodeVrrp: v3 interval ${adv.maxAdverIntCs} cs is not 0..4095`);
    buf.writeUInt16BE(adv.maxAdverIntCs, 4);
  }
  const addrLen = family === 'ipv4' ? 4 : 16;
  adv.addresses.forEach((a, i) => buf.set(addressBytesOrThrow(a, family, 'encodeVrrp address'), VRRP_HEADER_LENGTH + i * addrLen));
  if (version === 2 && family === 'ipv4' && adv.authData) {
    // Zero-padded / cut to the 8 bytes of the field (keepalived copies at most 8 password bytes).
    Buffer.from(adv.authData).copy(buf, buf.length - VRRP_AUTH_DATA_LENGTH, 0, VRRP_AUTH_DATA_LENGTH);
  }
  const form = defaultChecksumForm(version, family, opts.v3ChecksumAsV2 === true);
  buf.writeUInt16BE(computeVrrpChecksum(buf, form, src, dst), 6);
  return buf;
}

/**
 * Structure of a VRRP message: version (2 or 3), counts and lengths. Bytes after the message
 * (Ethernet padding) are ignored here; vrrp-validate.ts decides whether they are acceptable.
 */
export function decodeVrrp(buf: Buffer | Uint8Array, family: 'ipv4' | 'ipv6'): DecodeResult<VrrpAdvert> {
  if (!(buf instanceof Uint8Array)) return fail('too-short', 'not a byte buffer');
  if (family !== 'ipv4' && family !== 'ipv6') return fail('version', `unknown family ${String(family)}`);
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < VRRP_HEADER_LENGTH) return fail('too-short', `${b.length} bytes, the VRRP header is ${VRRP_HEADER_LENGTH}`);
  const version = b[0]! >> 4;
  if (version !== 2 && version !== 3) return fail('version', `VRRP version ${version}`);
  const count = b[3]!;
  const length = vrrpMessageLength(version, family, count);
  if (b.length < length) return fail('truncated', `${count} addresses need ${length} bytes, got ${b.length}`);
  const addrLen = family === 'ipv4' ? 4 : 16;
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = VRRP_HEADER_LENGTH + i * addrLen;
    addresses.push(formatAddress(b.subarray(at, at + addrLen)));
  }
  const advert: VrrpAdvert = {
    version: version as 2 | 3,
    type: b[0]! & 0x0f,
    vrid: b[1]!,
    priority: b[2]!,
    maxAdverIntCs: version === 2 ? b[5]! * 100 : b.readUInt16BE(4) & 0x0fff,
    addresses,
    family,
    checksum: b.readUInt16BE(6),
  };
  if (version === 2) {
    advert.authType = b[4]!;
    if (family === 'ipv4') advert.authData = Buffer.from(b.subarray(length - VRRP_AUTH_DATA_LENGTH, length));
  }
  return ok(advert);
}
