/**
 * The IPv4 header a raw IPPROTO_VRRP socket delivers in front of the payload (Linux raw IPv4
 * sockets always include it on receive), and a builder for tests and captures.
 */
import { addressBytesOrThrow, formatIpv4 } from './address.js';
import { checksumVerifies, internetChecksum } from './checksum.js';
import { fail, ok, type DecodeResult } from './errors.js';

export const IPV4_MIN_HEADER_LENGTH = 20;

export interface Ipv4Packet {
  ttl: number;
  /** The whole TOS / DS byte (keepalived sends 0xC0, DSCP CS6). */
  tos: number;
  src: string;
  dst: string;
  protocol: number;
  /** The bytes after the header up to Total Length: Ethernet padding beyond it is cut, as the kernel does. */
  payload: Buffer;
  headerLength: number;
  totalLength: number;
  id: number;
  /** Header checksum verifies (the kernel has already dropped bad ones on a real socket). */
  headerChecksumOk: boolean;
}

/**
 * Parse an IPv4 packet. Total: any bytes give a packet or a typed reason. Fragments are refused
 * (VRRP is never fragmented; a raw socket gets reassembled datagrams anyway).
 */
export function parseIpv4Packet(buf: Buffer | Uint8Array): DecodeResult<Ipv4Packet> {
  if (!(buf instanceof Uint8Array)) return fail('too-short', 'not a byte buffer');
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < IPV4_MIN_HEADER_LENGTH) return fail('too-short', `${b.length} bytes, an IPv4 header is at least 20`);
  const version = b[0]! >> 4;
  if (version !== 4) return fail('version', `IP version ${version}`);
  const headerLength = (b[0]! & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER_LENGTH) return fail('header-length', `IHL ${headerLength / 4}`);
  if (headerLength > b.length) return fail('header-length', `IHL says ${headerLength} bytes, got ${b.length}`);
  const totalLength = b.readUInt16BE(2);
  if (totalLength < headerLength) return fail('total-length', `total length ${totalLength} < header ${headerLength}`);
  if (totalLength > b.length) return fail('truncated', `total length ${totalLength}, got ${b.length} bytes`);
  const flagsFrag = b.readUInt16BE(6);
  // MF set or a non-zero offset: a fragment.
  if ((flagsFrag & 0x2000) !== 0 || (flagsFrag & 0x1fff) !== 0) return fail('fragment', `flags/offset 0x${flagsFrag.toString(16)}`);
  return ok({
    ttl: b[8]!,
    tos: b[1]!,
    src: formatIpv4(b.subarray(12, 16)),
    dst: formatIpv4(b.subarray(16, 20)),
    protocol: b[9]!,
    payload: Buffer.from(b.subarray(headerLength, totalLength)),
    headerLength,
    totalLength,
    id: b.readUInt16BE(4),
    headerChecksumOk: checksumVerifies(b.subarray(0, headerLength)),
  });
}

export interface Ipv4HeaderFields {
  src: string;
  dst: string;
  protocol: number;
  payloadLength: number;
  /** Default 255 (VRRP_TTL). */
  ttl?: number;
  /** Default 0xC0, what keepalived sends (vrrp_build_ip4: "internet network control"). */
  tos?: number;
  id?: number;
}

/** A 20-byte IPv4 header (no options, DF clear, as keepalived builds it), checksum filled in. */
export function buildIpv4Header(f: Ipv4HeaderFields): Buffer {
  const b = Buffer.alloc(IPV4_MIN_HEADER_LENGTH);
  b[0] = 0x45;
  b[1] = f.tos ?? 0xc0;
  b.writeUInt16BE(IPV4_MIN_HEADER_LENGTH + f.payloadLength, 2);
  b.writeUInt16BE((f.id ?? 0) & 0xffff, 4);
  b[8] = f.ttl ?? 255;
  b[9] = f.protocol;
  b.set(addressBytesOrThrow(f.src, 'ipv4', 'buildIpv4Header src'), 12);
  b.set(addressBytesOrThrow(f.dst, 'ipv4', 'buildIpv4Header dst'), 16);
  b.writeUInt16BE(internetChecksum(b), 10);
  return b;
}
