/**
 * ICMP echo (RFC 792) and ICMPv6 echo (RFC 4443 §4) for PING_CHECK. Pure; the decoder is total.
 * An IPv4 raw socket hands us the IP header too; an IPv6 one only the ICMPv6 message.
 */
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;

/** RFC 1071 Internet checksum. */
export function internetChecksum(buf: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (buf.length % 2 === 1) sum += buf[buf.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * An echo request. IPv4 carries its own checksum; for ICMPv6 the kernel computes it (it needs the
 * pseudo-header, and raw ICMPv6 sockets always checksum), so it is left 0.
 */
export function encodeEchoRequest(family: 4 | 6, id: number, seq: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b[0] = family === 4 ? ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
  b[1] = 0;
  b.writeUInt16BE(id & 0xffff, 4);
  b.writeUInt16BE(seq & 0xffff, 6);
  Buffer.from(payload).copy(b, 8);
  if (family === 4) b.writeUInt16BE(internetChecksum(b), 2);
  return b;
}

export interface IcmpEcho {
  type: number;
  code: number;
  id: number;
  seq: number;
  payload: Buffer;
}

export type IcmpDecode = { ok: true; value: IcmpEcho } | { ok: false; error: string };

/** Decode an echo message (request or reply) as received on a raw socket of `family`. */
export function decodeEcho(family: 4 | 6, buf: Buffer): IcmpDecode {
  let msg = buf;
  if (family === 4) {
    if (buf.length < 20) return { ok: false, error: 'short IPv4 header' };
    if (buf[0]! >> 4 !== 4) return { ok: false, error: 'not IPv4' };
    const ihl = (buf[0]! & 0x0f) * 4;
    if (ihl < 20 || buf.length < ihl) return { ok: false, error: 'bad IHL' };
    msg = buf.subarray(ihl);
  }
  if (msg.length < 8) return { ok: false, error: 'short ICMP message' };
  return {
    ok: true,
    value: { type: msg[0]!, code: msg[1]!, id: msg.readUInt16BE(4), seq: msg.readUInt16BE(6), payload: msg.subarray(8) },
  };
}
