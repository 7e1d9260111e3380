/**
 * The fixed IPv6 header (RFC 8200 §3), built for unsolicited NA frames and test captures. VRRP over
 * IPv6 is received without it (raw IPv6 sockets deliver only the payload; addresses and hop limit
 * come as ancillary data), so there is no parser here.
 */
import { addressBytesOrThrow } from './address.js';

export const IPV6_HEADER_LENGTH = 40;

export interface Ipv6HeaderFields {
  src: string;
  dst: string;
  nextHeader: number;
  payloadLength: number;
  /** Default 255: VRRP (RFC 5798 §5.1.2.3) and ND (RFC 4861 §7.1.2) both require it. */
  hopLimit?: number;
  trafficClass?: number;
}

export function buildIpv6Header(f: Ipv6HeaderFields): Buffer {
  const b = Buffer.alloc(IPV6_HEADER_LENGTH);
  const tc = (f.trafficClass ?? 0) & 0xff;
  b.writeUInt32BE(((6 << 28) | (tc << 20)) >>> 0, 0);
  b.writeUInt16BE(f.payloadLength, 4);
  b[6] = f.nextHeader;
  b[7] = f.hopLimit ?? 255;
  b.set(addressBytesOrThrow(f.src, 'ipv6', 'buildIpv6Header src'), 8);
  b.set(addressBytesOrThrow(f.dst, 'ipv6', 'buildIpv6Header dst'), 24);
  return b;
}
