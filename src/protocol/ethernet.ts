/**
 * Ethernet II framing and MAC addresses (for the ARP / NA frames sent on AF_PACKET, and for the
 * test captures).
 */

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERNET_HEADER_LENGTH = 14;
/** ETH_ZLEN: shortest frame without FCS; shorter ones are padded by the sender's NIC/driver. */
export const ETHERNET_MIN_FRAME = 60;

const MAC_TEXT = /^[0-9a-fA-F]{1,2}([:-])[0-9a-fA-F]{1,2}(\1[0-9a-fA-F]{1,2}){4}$/;

/** "aa:bb:cc:dd:ee:ff" (or with '-') to 6 bytes; undefined if not a MAC. */
export function parseMac(text: string): Buffer | undefined {
  if (typeof text !== 'string' || !MAC_TEXT.test(text)) return undefined;
  return Buffer.from(text.split(/[:-]/).map((h) => parseInt(h, 16)));
}

export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A MAC given as text or 6 bytes, as bytes; RangeError otherwise (encoders take validated input). */
export function macBytesOrThrow(mac: Uint8Array | string, what: string): Buffer {
  if (typeof mac === 'string') {
    const b = parseMac(mac);
    if (!b) throw new RangeError(`${what}: ${JSON.stringify(mac)} is not a MAC address`);
    return b;
  }
  if (mac.length !== 6) throw new RangeError(`${what}: a MAC address is 6 bytes, got ${mac.length}`);
  return Buffer.from(mac);
}

export function ethernetHeader(dst: Uint8Array, src: Uint8Array, etherType: number): Buffer {
  const b = Buffer.alloc(ETHERNET_HEADER_LENGTH);
  b.set(dst.subarray(0, 6), 0);
  b.set(src.subarray(0, 6), 6);
  b.writeUInt16BE(etherType, 12);
  return b;
}

/**
 * The VRRP virtual router MAC (RFC 3768 §7.3, RFC 5798 §7.3): 00-00-5E-00-01-{VRID} for IPv4,
 * 00-00-5E-00-02-{VRID} for IPv6.
 */
export function virtualMac(vrid: number, family: 'ipv4' | 'ipv6'): string {
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new RangeError(`virtualMac: VRID ${vrid} is not 1..255`);
  return formatMac(Buffer.from([0x00, 0x00, 0x5e, 0x00, family === 'ipv4' ? 0x01 : 0x02, vrid]));
}

/** 01:00:5e + low 23 bits of an IPv4 group (RFC 1112 §6.4). */
export function ipv4MulticastMac(group: Uint8Array): Buffer {
  return Buffer.from([0x01, 0x00, 0x5e, group[1]! & 0x7f, group[2]!, group[3]!]);
}

/** 33:33 + low 32 bits of an IPv6 group (RFC 2464 §7). */
export function ipv6MulticastMac(group: Uint8Array): Buffer {
  return Buffer.from([0x33, 0x33, group[12]!, group[13]!, group[14]!, group[15]!]);
}
