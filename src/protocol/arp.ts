/**
 * Gratuitous ARP (RFC 826 packet, RFC 5227 §3 "ARP Announcement") that a new MASTER sends per IPv4
 * VIP so that hosts and switches learn where the address now lives (RFC 3768 §6.4.2 / RFC 5798 §6.4.2).
 *
 * Byte layout is keepalived's (vrrp_arp.c), checked byte for byte against its capture: Ethernet
 * broadcast, opcode REQUEST, sender = target = the VIP, target MAC broadcast.
 */
import { addressBytesOrThrow, formatIpv4 } from './address.js';
import { ETHERNET_HEADER_LENGTH, ETHERTYPE_ARP, ETHERTYPE_IPV4, ethernetHeader, formatMac, macBytesOrThrow } from './ethernet.js';
import { fail, ok, type DecodeResult } from './errors.js';

export const ARP_HARDWARE_ETHERNET = 1;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;
/** Ethernet header + ARP for Ethernet/IPv4 (28 bytes). */
export const GRATUITOUS_ARP_FRAME_LENGTH = ETHERNET_HEADER_LENGTH + 28;

const BROADCAST = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/**
 * The full 42-byte Ethernet frame. `senderMac` is the interface MAC (keepalived without use_vmac)
 * or the virtual MAC (use_vmac; RFC 5798 errata 7947/7949 say the virtual MAC).
 */
export function encodeGratuitousArp(opts: { senderMac: Buffer | Uint8Array | string; address: string }): Buffer {
  const mac = macBytesOrThrow(opts.senderMac, 'encodeGratuitousArp senderMac');
  const ip = addressBytesOrThrow(opts.address, 'ipv4', 'encodeGratuitousArp address');
  const arp = Buffer.alloc(28);
  arp.writeUInt16BE(ARP_HARDWARE_ETHERNET, 0);
  arp.writeUInt16BE(ETHERTYPE_IPV4, 2);
  arp[4] = 6;
  arp[5] = 4;
  arp.writeUInt16BE(ARP_OP_REQUEST, 6);
  mac.copy(arp, 8);
  ip.copy(arp, 14);
  BROADCAST.copy(arp, 18);
  ip.copy(arp, 24);
  return Buffer.concat([ethernetHeader(BROADCAST, mac, ETHERTYPE_ARP), arp]);
}

export interface ArpFrame {
  ethSrc: string;
  ethDst: string;
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
  /** Sender IP equals target IP: an announcement (what the simulated LAN's hosts learn from). */
  gratuitous: boolean;
}

/** Decode an Ethernet/IPv4 ARP frame (trailing padding ignored). */
export function decodeArpFrame(buf: Buffer | Uint8Array): DecodeResult<ArpFrame> {
  if (!(buf instanceof Uint8Array)) return fail('too-short', 'not a byte buffer');
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < GRATUITOUS_ARP_FRAME_LENGTH) return fail('too-short', `${b.length} bytes, ARP over Ethernet is 42`);
  if (b.readUInt16BE(12) !== ETHERTYPE_ARP) return fail('version', `EtherType 0x${b.readUInt16BE(12).toString(16)}`);
  const a = b.subarray(ETHERNET_HEADER_LENGTH);
  if (a.readUInt16BE(0) !== ARP_HARDWARE_ETHERNET || a.readUInt16BE(2) !== ETHERTYPE_IPV4 || a[4] !== 6 || a[5] !== 4) {
    return fail('version', 'not Ethernet/IPv4 ARP');
  }
  const senderIp = formatIpv4(a.subarray(14, 18));
  const targetIp = formatIpv4(a.subarray(24, 28));
  return ok({
    ethDst: formatMac(b.subarray(0, 6)),
    ethSrc: formatMac(b.subarray(6, 12)),
    op: a.readUInt16BE(6),
    senderMac: formatMac(a.subarray(8, 14)),
    senderIp,
    targetMac: formatMac(a.subarray(18, 24)),
    targetIp,
    gratuitous: senderIp === targetIp,
  });
}
