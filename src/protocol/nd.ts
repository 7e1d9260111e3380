/**
 * Unsolicited Neighbour Advertisement (RFC 4861 §4.4, §7.2.6) that a new MASTER sends per IPv6 VIP
 * (RFC 5798 §6.4.2): to all-nodes ff02::1, hop limit 255, Solicited clear, Override set, with the
 * Target Link-Layer Address option, ICMPv6 checksum over the RFC 8200 pseudo-header.
 */
import { addressBytesOrThrow, formatIpv6 } from './address.js';
import { checksumVerifies, internetChecksum, ipv6PseudoHeader } from './checksum.js';
import {
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_IPV6,
  ethernetHeader,
  formatMac,
  ipv6MulticastMac,
  macBytesOrThrow,
} from './ethernet.js';
import { fail, ok, type DecodeResult } from './errors.js';
import { buildIpv6Header, IPV6_HEADER_LENGTH } from './ipv6-header.js';

export const IPPROTO_ICMPV6 = 58;
export const ICMPV6_NEIGHBOR_ADVERT = 136;
export const ND_NA_FLAG_ROUTER = 0x80;
export const ND_NA_FLAG_SOLICITED = 0x40;
export const ND_NA_FLAG_OVERRIDE = 0x20;
export const ND_OPT_TARGET_LINKADDR = 2;
export const ALL_NODES = 'ff02::1';
/** ICMPv6 NA: 4 header + 4 flags + 16 target + 8 option. */
const NA_LENGTH = 32;

export interface UnsolicitedNaOptions {
  senderMac: Buffer | Uint8Array | string;
  /** IPv6 source: the interface link-local address. */
  src: string;
  /** The VIP being announced. */
  target: string;
  /**
   * Router flag. keepalived sets it when the interface forwards IPv6 (its gna_router); a VRRP
   * router normally does, so it defaults to true.
   */
  router?: boolean;
}

/** The full Ethernet frame (86 bytes). */
export function encodeUnsolicitedNa(opts: UnsolicitedNaOptions): Buffer {
  const mac = macBytesOrThrow(opts.senderMac, 'encodeUnsolicitedNa senderMac');
  const src = addressBytesOrThrow(opts.src, 'ipv6', 'encodeUnsolicitedNa src');
  const dst = addressBytesOrThrow(ALL_NODES, 'ipv6', 'all-nodes');
  const target = addressBytesOrThrow(opts.target, 'ipv6', 'encodeUnsolicitedNa target');
  const na = Buffer.alloc(NA_LENGTH);
  na[0] = ICMPV6_NEIGHBOR_ADVERT;
  na[1] = 0;
  na[4] = (opts.router ?? true ? ND_NA_FLAG_ROUTER : 0) | ND_NA_FLAG_OVERRIDE;
  target.copy(na, 8);
  na[24] = ND_OPT_TARGET_LINKADDR;
  na[25] = 1; // option length in units of 8 bytes
  mac.copy(na, 26);
  na.writeUInt16BE(internetChecksum(ipv6PseudoHeader(src, dst, IPPROTO_ICMPV6, NA_LENGTH), na), 2);
  const ip = buildIpv6Header({ src: formatIpv6(src), dst: ALL_NODES, nextHeader: IPPROTO_ICMPV6, payloadLength: NA_LENGTH, hopLimit: 255 });
  return Buffer.concat([ethernetHeader(ipv6MulticastMac(dst), mac, ETHERTYPE_IPV6), ip, na]);
}

export interface NaFrame {
  ethSrc: string;
  ethDst: string;
  src: string;
  dst: string;
  hopLimit: number;
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: string;
  /** From the Target Link-Layer Address option, when present. */
  targetMac?: string;
  checksumOk: boolean;
}

/** Decode an Ethernet + IPv6 + ICMPv6 Neighbour Advertisement (no extension headers). */
export function decodeNaFrame(buf: Buffer | Uint8Array): DecodeResult<NaFrame> {
  if (!(buf instanceof Uint8Array)) return fail('too-short', 'not a byte buffer');
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const ipAt = ETHERNET_HEADER_LENGTH;
  const icmpAt = ipAt + IPV6_HEADER_LENGTH;
  if (b.length < icmpAt + 24) return fail('too-short', `${b.length} bytes`);
  if (b.readUInt16BE(12) !== ETHERTYPE_IPV6 || b[ipAt]! >> 4 !== 6) return fail('version', 'not IPv6');
  if (b[ipAt + 6] !== IPPROTO_ICMPV6 || b[icmpAt] !== ICMPV6_NEIGHBOR_ADVERT) return fail('version', 'not an ICMPv6 NA');
  const payloadLength = b.readUInt16BE(ipAt + 4);
  if (payloadLength < 24) return fail('total-length', `payload length ${payloadLength}`);
  if (icmpAt + payloadLength > b.length) return fail('truncated', `payload length ${payloadLength}`);
  const icmp = b.subarray(icmpAt, icmpAt + payloadLength);
  const src = b.subarray(ipAt + 8, ipAt + 24);
  const dst = b.subarray(ipAt + 24, ipAt + 40);
  let targetMac: string | undefined;
  // Walk the options (RFC 4861 §4.6): a zero length is invalid and ends the walk.
  for (let at = 24; at + 2 <= icmp.length; ) {
    const len = icmp[at + 1]! * 8;
    if (len === 0 || at + len > icmp.length) break;
    if (icmp[at] === ND_OPT_TARGET_LINKADDR && len >= 8) targetMac = formatMac(icmp.subarray(at + 2, at + 8));
    at += len;
  }
  const flags = icmp[4]!;
  const value: NaFrame = {
    ethDst: formatMac(b.subarray(0, 6)),
    ethSrc: formatMac(b.subarray(6, 12)),
    src: formatIpv6(src),
    dst: formatIpv6(dst),
    hopLimit: b[ipAt + 7]!,
    router: (flags & ND_NA_FLAG_ROUTER) !== 0,
    solicited: (flags & ND_NA_FLAG_SOLICITED) !== 0,
    override: (flags & ND_NA_FLAG_OVERRIDE) !== 0,
    target: formatIpv6(icmp.subarray(8, 24)),
    checksumOk: checksumVerifies(ipv6PseudoHeader(src, dst, IPPROTO_ICMPV6, icmp.length), icmp),
  };
  if (targetMac !== undefined) value.targetMac = targetMac;
  return ok(value);
}
