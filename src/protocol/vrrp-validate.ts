/**
 * Receive validation of a VRRP advertisement, in the order of keepalived 2.2.7's
 * vrrp_check_packet (keepalived/vrrp/vrrp.c) and the code that calls it, so a packet keepalived
 * drops is dropped here for the same reason. Each check below names its source.
 *
 * Input is the VRRP payload (after the IPv4 header — parseIpv4Packet cuts it at Total Length as the
 * kernel does — or as a raw IPv6 socket delivers it) plus what the socket reports beside it: source,
 * destination and TTL / hop limit. Pure and total: any bytes give an advert or a typed reason.
 */
import { timingSafeEqual } from 'node:crypto';
import { canonicalAddressShared, formatAddress, isMulticast, parseAddressShared, type AddressFamily } from './address.js';
import { ETHERNET_HEADER_LENGTH, ETHERNET_MIN_FRAME } from './ethernet.js';
import {
  decodeVrrp,
  defaultChecksumForm,
  passwordAuthData,
  VRRP_AUTH_AH,
  VRRP_AUTH_DATA_LENGTH,
  VRRP_AUTH_NONE,
  VRRP_AUTH_PASS,
  VRRP_HEADER_LENGTH,
  VRRP_TTL,
  VRRP_TYPE_ADVERTISEMENT,
  vrrpChecksumVerifies,
  vrrpMessageLength,
  type VrrpAdvert,
  type VrrpChecksumForm,
} from './vrrp-packet.js';

/** One reason per check; the engine counts drops per instance and reason. */
export type DropReason =
  /** Fewer than 8 bytes: not even a VRRP header (vrrp_get_header). */
  | 'too-short'
  /** The advert is for another VRID (demultiplexed before vrrp_check_packet: VRRP_PACKET_OTHER). */
  | 'vrid'
  /** We are the address owner and ignore adverts (keepalived's owner_ignore_adverts, checked before vrrp_check_packet). */
  | 'owner'
  /** Length differs from 8 + addresses (+ v2 auth), beyond what Ethernet padding explains. */
  | 'bad-length'
  /** Multicast advert whose TTL / hop limit is not 255 (RFC 5798 §7.1 item 2). */
  | 'ttl'
  /** VRRP version differs from ours. */
  | 'version'
  /** v2 Auth Type not 0, 1 or 2. */
  | 'auth-type'
  /** v2 Auth Type differs from the configured authentication. */
  | 'auth-type-mismatch'
  /** v2 PASS: the 8 password bytes differ. */
  | 'auth-pass'
  /** v2 AH is configured: the AH header lives in the IP layer and is not verified here. */
  | 'auth-ah-unsupported'
  /** v2 Adver Int differs from ours (RFC 3768 §7.1: MUST drop). */
  | 'advert-interval'
  /** Type is not 1 (ADVERTISEMENT). */
  | 'type'
  /** Count IP Addrs differs from the number of configured VIPs. */
  | 'addr-count'
  /** The checksum verifies in none of the accepted forms. */
  | 'checksum'
  /** Multicast expected (no unicast peers) but the destination is unicast. */
  | 'not-multicast'
  /** Unicast expected (unicast peers configured) but the destination is multicast. */
  | 'not-unicast'
  /** A configured VIP is missing from the advert's list. */
  | 'vip-mismatch'
  /** Unicast mode: the source is not one of the unicast peers. */
  | 'unicast-src'
  /** Unicast mode: TTL / hop limit outside the peer's min_ttl..max_ttl. */
  | 'unicast-ttl'
  /** The context itself is unusable (a src/dst that is not an address of the family). */
  | 'bad-context'
  /** An IPv4 packet that carries neither VRRP (112) nor AH (51) (validateIpv4Packet). */
  | 'protocol';

export interface ReceiveContext {
  version: 2 | 3;
  vrid: number;
  family: AddressFamily;
  /** Our configured advert_int, centiseconds. */
  advertIntCs: number;
  /** v2 authentication as configured; absent = none. */
  auth?: { type: 'PASS' | 'AH'; pass: string };
  /** The addresses we put in our own adverts (same family), any text form. */
  vips: string[];
  /**
   * Skip the VIP checks (count, list, unicast source) for this packet. keepalived skips them when
   * skip_check_adv_addr is set AND the advert comes from the master it already follows
   * (vrrp_state_backup / vrrp_state_master_rx compute check_vip_addr so); the caller decides.
   */
  skipCheckAdvAddr: boolean;
  /** Unicast peers' addresses; empty = multicast mode. */
  unicastPeers: string[];
  /** The VRRP group we use (224.0.0.18 / ff02::12 unless vrrp_mcast_group4/6). */
  multicastGroup: string;
  /** IPv4 TTL or IPv6 hop limit as received; undefined = not visible (keepalived's -1). */
  ttl?: number;
  /** IP source and destination of the packet. */
  src: string;
  dst: string;
  /** We are the address owner and ignore adverts (owner_ignore_adverts). */
  ownerPriority?: boolean;
  /**
   * Check that a unicast source is a listed peer. keepalived does only with check_unicast_src /
   * vrrp_check_unicast_src or a peer min_ttl/max_ttl; undefined here means true (the safer default).
   */
  checkUnicastSrc?: boolean;
  /** Per-peer min_ttl / max_ttl (keyed by peer address text), keepalived's unicast_peer options. */
  unicastPeerTtl?: Record<string, { minTtl?: number; maxTtl?: number }>;
  /** We send v3 IPv4 checksums without the pseudo-header; only used to word the warnings (both forms are accepted). */
  v3ChecksumAsV2?: boolean;
}

/**
 * Which checksum form matched on receive. `ipv4-pseudo-header-group` is the pre-1.3.6 keepalived
 * unicast form with the multicast group in the pseudo-header (OLD_CHKSUM_COMPAT).
 */
export type ReceivedChecksumForm = VrrpChecksumForm | 'ipv4-pseudo-header-group';

export type ValidateResult =
  | { ok: true; advert: VrrpAdvert; warnings: string[]; checksumForm: ReceivedChecksumForm }
  | { ok: false; reason: DropReason; detail: string };

function drop(reason: DropReason, detail: string): { ok: false; reason: DropReason; detail: string } {
  return { ok: false, reason, detail };
}

const AUTH_TYPE_OF = { PASS: VRRP_AUTH_PASS, AH: VRRP_AUTH_AH } as const;

export function validateAdvert(payload: Buffer | Uint8Array, ctx: ReceiveContext): ValidateResult {
  if (!(payload instanceof Uint8Array)) return drop('too-short', 'not a byte buffer');
  const b = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const family = ctx.family;
  const src = parseAddressShared(ctx.src, family);
  const dst = parseAddressShared(ctx.dst, family);
  if (!src || !dst) return drop('bad-context', `src ${String(ctx.src)} / dst ${String(ctx.dst)} not ${family}`);

  // vrrp_get_header: the fixed header must be there before anything is read.
  if (b.length < VRRP_HEADER_LENGTH) return drop('too-short', `${b.length} bytes`);

  // vrrp_dispatcher_read demultiplexes on VRID before vrrp_check_packet.
  if (b[1] !== ctx.vrid) return drop('vrid', `VRID ${b[1]}, ours ${ctx.vrid}`);

  // owner_ignore_adverts (newer keepalived than 2.2.7): dropped before any check.
  if (ctx.ownerPriority === true) return drop('owner', 'address owner ignores adverts');

  // vrrp_check_packet: "MUST verify that the received packet contains the complete VRRP packet":
  // exact length from the header's own version and count (expected_vrrp_pkt_len). keepalived reads
  // a raw IP socket, which never shows Ethernet padding; a payload taken from a frame may carry it,
  // so extra bytes pass only when the frame is at the 60-byte minimum that padding fills up to.
  const headerVersion = b[0]! >> 4;
  const expected = vrrpMessageLength(headerVersion === 2 ? 2 : 3, family, b[3]!);
  if (b.length < expected) return drop('bad-length', `too short: ${b.length} bytes, expected ${expected}`);
  if (b.length > expected) {
    const ipHeader = family === 'ipv4' ? 20 : 40;
    if (ETHERNET_HEADER_LENGTH + ipHeader + b.length > ETHERNET_MIN_FRAME) {
      return drop('bad-length', `too long: ${b.length} bytes, expected ${expected}`);
    }
  }
  const msg = b.subarray(0, expected);

  // "MUST verify that the IPv4 TTL/IPv6 HL is 255 (but not if unicast)"; unknown TTL is not checked.
  if (ctx.unicastPeers.length === 0 && ctx.ttl !== undefined && ctx.ttl !== VRRP_TTL) {
    return drop('ttl', `TTL/HL ${ctx.ttl}, expected ${VRRP_TTL}`);
  }

  // "MUST verify the VRRP version".
  if (headerVersion !== ctx.version) return drop('version', `version ${headerVersion}, ours ${ctx.version}`);

  const decoded = decodeVrrp(msg, family);
  // Cannot fail after the checks above; kept total rather than asserted.
  if (!decoded.ok) return drop('bad-length', decoded.detail ?? decoded.reason);
  const advert = decoded.value;

  if (ctx.version === 2) {
    const authType = msg[4]!;
    // "Check that authentication of packet is correct": only none, PASS and AH exist.
    if (authType !== VRRP_AUTH_NONE && authType !== VRRP_AUTH_PASS && authType !== VRRP_AUTH_AH) {
      return drop('auth-type', `auth type ${authType}`);
    }
    // "MUST perform authentication specified by Auth Type": the type must be ours.
    const ours = ctx.auth ? AUTH_TYPE_OF[ctx.auth.type] : VRRP_AUTH_NONE;
    if (authType !== ours) return drop('auth-type-mismatch', `auth type ${authType}, ours ${ours}`);
    if (ours === VRRP_AUTH_PASS && family === 'ipv4') {
      // keepalived compares the last 8 bytes in constant time (memcmp_constant_time).
      const got = msg.subarray(expected - VRRP_AUTH_DATA_LENGTH, expected);
      if (!timingSafeEqual(got, passwordAuthData(ctx.auth!.pass))) return drop('auth-pass', 'password differs');
    } else if (ours === VRRP_AUTH_AH) {
      return drop('auth-ah-unsupported', 'IPSEC-AH authentication is not implemented');
    }
    // "MUST verify that the Adver Interval in the packet is the same as the locally configured"
    // (VRRPv2 only; keepalived: "to prevent concurrent VRID running => multiple master in 1 VRID").
    if (advert.maxAdverIntCs !== ctx.advertIntCs) {
      return drop('advert-interval', `adver int ${advert.maxAdverIntCs / 100} s, ours ${ctx.advertIntCs / 100} s`);
    }
  }

  // "verify packet type".
  if (advert.type !== VRRP_TYPE_ADVERTISEMENT) return drop('type', `type ${advert.type}`);

  // "Check the number of VIPs matches what we expect" (only when checking addresses).
  if (!ctx.skipCheckAdvAddr && advert.addresses.length !== ctx.vips.length) {
    return drop('addr-count', `${advert.addresses.length} addresses, we have ${ctx.vips.length}`);
  }

  // (keepalived then compares IP Total Length with what recvmsg returned; parseIpv4Packet cuts the
  // payload at Total Length and refuses a short one, so that check has already happened.)

  // "MUST verify the VRRP checksum". keepalived leaves IPv6 to the kernel (IPV6_CHECKSUM); a
  // payload here may come from elsewhere (the simulated LAN), so it is verified in software.
  let checksumForm: ReceivedChecksumForm | undefined;
  if (family === 'ipv6') {
    if (vrrpChecksumVerifies(msg, 'ipv6-pseudo-header', src.bytes, dst.bytes)) checksumForm = 'ipv6-pseudo-header';
  } else if (ctx.version === 2) {
    if (vrrpChecksumVerifies(msg, 'message', src.bytes, dst.bytes)) checksumForm = 'message';
  } else {
    // VRRPv3 over IPv4: keepalived's default pseudo-header with the real destination; then, in
    // unicast mode, the multicast group in its place (old_unicast_checksum, keepalived < 1.3.6,
    // accepted automatically by its OLD_CHKSUM_COMPAT build); then the message alone
    // (v3_checksum_as_v2 peers, RFC 9568 §5.2.8, Cisco / Juniper).
    const group = parseAddressShared(ctx.multicastGroup, 'ipv4');
    if (vrrpChecksumVerifies(msg, 'ipv4-pseudo-header', src.bytes, dst.bytes)) checksumForm = 'ipv4-pseudo-header';
    else if (
      ctx.unicastPeers.length > 0 &&
      group &&
      !group.bytes.equals(dst.bytes) &&
      vrrpChecksumVerifies(msg, 'ipv4-pseudo-header', src.bytes, group.bytes)
    ) {
      checksumForm = 'ipv4-pseudo-header-group';
    } else if (vrrpChecksumVerifies(msg, 'message', src.bytes, dst.bytes)) checksumForm = 'message';
  }
  if (checksumForm === undefined) return drop('checksum', `checksum 0x${advert.checksum.toString(16).padStart(4, '0')} does not verify`);

  // "check that destination address is multicast if don't have any unicast peers and vice versa".
  const multicastDst = isMulticast(dst.bytes);
  if (ctx.unicastPeers.length === 0 && !multicastDst) return drop('not-multicast', `unicast destination ${formatAddress(dst.bytes)}`);
  if (ctx.unicastPeers.length > 0 && multicastDst) return drop('not-unicast', `multicast destination ${formatAddress(dst.bytes)}`);

  if (!ctx.skipCheckAdvAddr) {
    // "MAY verify that the IP address(es) associated with the VRID are valid" (vrrp_in_chk_vips):
    // every configured VIP must be in the advert, in any order.
    // decodeVrrp gives canonical text, so canonical strings compare as addresses.
    const listed = advert.addresses.length > 8 ? new Set(advert.addresses) : advert.addresses;
    for (const vip of ctx.vips) {
      const key = canonicalAddressShared(vip, family);
      const present = key !== undefined && (Array.isArray(listed) ? listed.includes(key) : listed.has(key));
      if (!present) return drop('vip-mismatch', `VIP ${vip} not in advert [${advert.addresses.join(', ')}]`);
    }
    // "check a unicast source address is in the unicast_peer list".
    if (ctx.unicastPeers.length > 0 && ctx.checkUnicastSrc !== false) {
      const srcText = formatAddress(src.bytes);
      const peer = ctx.unicastPeers.find((p) => canonicalAddressShared(p, family) === srcText);
      if (peer === undefined) return drop('unicast-src', `source ${formatAddress(src.bytes)} is not a unicast peer`);
      // unicast_peer { ADDR min_ttl N max_ttl M }: "TTL/HL %d not in range".
      const range = ctx.unicastPeerTtl?.[peer];
      if (range && ctx.ttl !== undefined) {
        const min = range.minTtl ?? 0;
        const max = range.maxTtl ?? 255;
        if (ctx.ttl < min || ctx.ttl > max) return drop('unicast-ttl', `TTL/HL ${ctx.ttl} not in ${min}..${max}`);
      }
    }
  }

  const warnings: string[] = [];
  // RFC 5798 §6.4.2 / §7.1: a v3 interval that differs is not a drop (Backups adopt the master's
  // Master_Adver_Interval); keepalived logs "advertisement interval updated".
  if (ctx.version === 3 && advert.maxAdverIntCs !== ctx.advertIntCs) {
    warnings.push(`advertisement interval mismatch: received ${advert.maxAdverIntCs} cs, ours ${ctx.advertIntCs} cs`);
  }
  if (checksumForm !== defaultChecksumForm(ctx.version, family, ctx.v3ChecksumAsV2 === true)) {
    warnings.push(`checksum in ${checksumForm} form`);
  }
  return { ok: true, advert, warnings, checksumForm };
}
