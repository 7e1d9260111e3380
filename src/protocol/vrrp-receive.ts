/**
 * What a raw IPv4 IPPROTO_VRRP socket hands over — the IP header and the payload — taken through
 * parseIpv4Packet and validateAdvert in one call: the TTL, source and destination come from the
 * header itself, as keepalived reads them from the buffer recvmsg filled.
 */
import { parseIpv4Packet } from './ipv4-header.js';
import { IPPROTO_VRRP } from './vrrp-packet.js';
import { validateAdvert, type ReceiveContext, type ValidateResult } from './vrrp-validate.js';

/** 51: keepalived's auth_type AH wraps VRRP in an IPsec AH header. */
export const IPPROTO_AH = 51;

export type Ipv4ReceiveContext = Omit<ReceiveContext, 'src' | 'dst' | 'ttl' | 'family'>;

/** An IPv4 packet as received on a raw socket, validated; `src` is the sender for the machine. */
export function validateIpv4Packet(packet: Buffer | Uint8Array, ctx: Ipv4ReceiveContext): ValidateResult & { src?: string } {
  const ip = parseIpv4Packet(packet);
  // keepalived (vrrp_get_header) refuses a packet too short for the IP and VRRP headers: too-short.
  if (!ip.ok) return { ok: false, reason: ip.reason === 'truncated' ? 'bad-length' : 'too-short', detail: `IPv4 ${ip.reason}: ${ip.detail ?? ''}` };
  const { src, dst, ttl, protocol, payload } = ip.value;
  if (protocol === IPPROTO_AH) {
    // "Check we have an AH header if expect AH, and don't have it if not".
    return ctx.auth?.type === 'AH'
      ? { ok: false, reason: 'auth-ah-unsupported', detail: 'IPSEC-AH authentication is not implemented', src }
      : { ok: false, reason: 'auth-type-mismatch', detail: 'received an AH header but auth type is not AH', src };
  }
  if (protocol !== IPPROTO_VRRP) return { ok: false, reason: 'protocol', detail: `IP protocol ${protocol}`, src };
  return { ...validateAdvert(payload, { ...ctx, family: 'ipv4', src, dst, ttl }), src };
}
