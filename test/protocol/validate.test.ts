/**
 * Receive validation: one crafted packet per drop reason, keepalived's order of checks, the
 * accepted checksum forms, Ethernet padding, and the v3 interval mismatch that only warns.
 */
import { describe, expect, it } from 'vitest';
import {
  buildIpv4Header,
  encodeVrrp,
  IPPROTO_AH,
  IPPROTO_VRRP,
  validateIpv4Packet,
  passwordAuthData,
  validateAdvert,
  type DropReason,
  type ReceiveContext,
  type VrrpAdvert,
} from '../../src/protocol/index.js';

type Adv = Omit<VrrpAdvert, 'checksum'>;

const v2Adv: Adv = { version: 2, type: 1, vrid: 51, priority: 150, maxAdverIntCs: 100, addresses: ['192.0.2.100', '192.0.2.101'], family: 'ipv4', authType: 0 };
const v2Ctx: ReceiveContext = {
  version: 2,
  vrid: 51,
  family: 'ipv4',
  advertIntCs: 100,
  vips: ['192.0.2.100', '192.0.2.101'],
  skipCheckAdvAddr: false,
  unicastPeers: [],
  multicastGroup: '224.0.0.18',
  ttl: 255,
  src: '192.0.2.11',
  dst: '224.0.0.18',
};
const v3Adv: Adv = { version: 3, type: 1, vrid: 51, priority: 150, maxAdverIntCs: 100, addresses: ['192.0.2.100', '192.0.2.101'], family: 'ipv4' };
const v3Ctx: ReceiveContext = { ...v2Ctx, version: 3 };
const v6Adv: Adv = { version: 3, type: 1, vrid: 51, priority: 100, maxAdverIntCs: 100, addresses: ['fe80::100', '2001:db8::100'], family: 'ipv6' };
const v6Ctx: ReceiveContext = { ...v3Ctx, family: 'ipv6', vips: ['fe80::100', '2001:db8::100'], multicastGroup: 'ff02::12', src: 'fe80::1', dst: 'ff02::12' };

function enc(adv: Adv, ctx: ReceiveContext, opts: { dst?: string; v3ChecksumAsV2?: boolean } = {}): Buffer {
  return encodeVrrp(adv, { src: ctx.src, dst: opts.dst ?? ctx.dst, v3ChecksumAsV2: opts.v3ChecksumAsV2 ?? false });
}

function reason(payload: Buffer, ctx: ReceiveContext): DropReason | 'ok' {
  const r = validateAdvert(payload, ctx);
  return r.ok ? 'ok' : r.reason;
}

describe('validateAdvert accepts', () => {
  it('a well-formed v2 advert, returning the decoded advert without warnings', () => {
    const r = validateAdvert(enc(v2Adv, v2Ctx), v2Ctx);
    expect(r).toMatchObject({ ok: true, warnings: [], checksumForm: 'message', advert: { priority: 150, addresses: v2Adv.addresses } });
  });

  it('a well-formed v3 IPv6 advert (checksum with the IPv6 pseudo-header)', () => {
    expect(validateAdvert(enc(v6Adv, v6Ctx), v6Ctx)).toMatchObject({ ok: true, checksumForm: 'ipv6-pseudo-header', warnings: [] });
  });

  it('VIPs in another order, with a /prefix, or in non-canonical text', () => {
    const ctx = { ...v2Ctx, vips: ['192.0.2.101/24', '192.0.2.100'] };
    expect(reason(enc(v2Adv, ctx), ctx)).toBe('ok');
    const ctx6 = { ...v6Ctx, vips: ['2001:DB8:0:0::100', 'FE80:0::100'] };
    expect(reason(enc(v6Adv, ctx6), ctx6)).toBe('ok');
  });

  it('Ethernet padding up to the 60-byte minimum frame, but not one byte more', () => {
    const adv = { ...v3Adv, addresses: ['192.0.2.100'] };
    const ctx = { ...v3Ctx, vips: ['192.0.2.100'] };
    const p = enc(adv, ctx); // 12 bytes: 14 + 20 + 12 = 46, so 14 bytes of padding fill the frame
    expect(reason(Buffer.concat([p, Buffer.alloc(14)]), ctx)).toBe('ok');
    expect(reason(Buffer.concat([p, Buffer.alloc(15)]), ctx)).toBe('bad-length');
  });

  it('any TTL when it is not visible or in unicast mode', () => {
    expect(reason(enc(v2Adv, v2Ctx), { ...v2Ctx, ttl: undefined })).toBe('ok');
    const uni = { ...v2Ctx, unicastPeers: ['192.0.2.11'], dst: '192.0.2.12', ttl: 64 };
    expect(reason(enc(v2Adv, uni), uni)).toBe('ok');
  });

  it('v3 over IPv4 in all three checksum forms, and says which', () => {
    expect(validateAdvert(enc(v3Adv, v3Ctx), v3Ctx)).toMatchObject({ ok: true, checksumForm: 'ipv4-pseudo-header', warnings: [] });
    const asV2 = validateAdvert(enc(v3Adv, v3Ctx, { v3ChecksumAsV2: true }), v3Ctx);
    expect(asV2).toMatchObject({ ok: true, checksumForm: 'message' });
    expect(asV2.ok && asV2.warnings).toEqual(['checksum in message form']);
    expect(validateAdvert(enc(v3Adv, v3Ctx, { v3ChecksumAsV2: true }), { ...v3Ctx, v3ChecksumAsV2: true })).toMatchObject({ ok: true, warnings: [] });
    // keepalived < 1.3.6 unicast: the multicast group in the pseudo-header instead of the peer.
    const uni = { ...v3Ctx, unicastPeers: ['192.0.2.11'], dst: '192.0.2.12' };
    expect(validateAdvert(enc(v3Adv, uni, { dst: '224.0.0.18' }), uni)).toMatchObject({ ok: true, checksumForm: 'ipv4-pseudo-header-group' });
  });

  it('a v3 advert interval that differs, with a warning instead of a drop', () => {
    const r = validateAdvert(enc({ ...v3Adv, maxAdverIntCs: 250 }, v3Ctx), v3Ctx);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.advert.maxAdverIntCs).toBe(250);
      expect(r.warnings).toEqual(['advertisement interval mismatch: received 250 cs, ours 100 cs']);
    }
  });

  it('a different address list when the caller skips the address checks (skip_check_adv_addr)', () => {
    const adv = { ...v2Adv, addresses: ['198.51.100.1'] };
    const ctx = { ...v2Ctx, skipCheckAdvAddr: true };
    expect(reason(enc(adv, ctx), ctx)).toBe('ok');
    const uni = { ...ctx, unicastPeers: ['192.0.2.99'], dst: '192.0.2.12' };
    expect(reason(enc(adv, uni), uni)).toBe('ok');
  });
});

describe('validateAdvert drops, one crafted packet per reason', () => {
  const p2 = enc(v2Adv, v2Ctx);

  it('too-short: fewer than 8 bytes', () => {
    expect(reason(p2.subarray(0, 7), v2Ctx)).toBe('too-short');
    expect(reason(Buffer.alloc(0), v2Ctx)).toBe('too-short');
  });
  it('vrid: another virtual router', () => {
    expect(reason(enc({ ...v2Adv, vrid: 52 }, v2Ctx), v2Ctx)).toBe('vrid');
  });
  it('owner: the address owner ignores adverts', () => {
    expect(reason(p2, { ...v2Ctx, ownerPriority: true })).toBe('owner');
  });
  it('bad-length: shorter than the count says, or longer than padding explains', () => {
    expect(reason(p2.subarray(0, p2.length - 1), v2Ctx)).toBe('bad-length');
    expect(reason(Buffer.concat([p2, Buffer.alloc(4)]), v2Ctx)).toBe('bad-length');
    const v6 = enc(v6Adv, v6Ctx);
    expect(reason(Buffer.concat([v6, Buffer.alloc(1)]), v6Ctx)).toBe('bad-length');
  });
  it('ttl: a multicast advert with TTL / hop limit other than 255', () => {
    expect(reason(p2, { ...v2Ctx, ttl: 254 })).toBe('ttl');
    expect(reason(enc(v6Adv, v6Ctx), { ...v6Ctx, ttl: 1 })).toBe('ttl');
  });
  it('version: v3 advert to a v2 instance and back', () => {
    expect(reason(enc(v3Adv, v3Ctx), v2Ctx)).toBe('version');
    expect(reason(p2, v3Ctx)).toBe('version');
  });
  it('auth-type: a v2 auth type that does not exist', () => {
    expect(reason(enc({ ...v2Adv, authType: 3 }, v2Ctx), v2Ctx)).toBe('auth-type');
  });
  it('auth-type-mismatch: PASS against none and none against PASS', () => {
    expect(reason(enc({ ...v2Adv, authType: 1, authData: passwordAuthData('pw') }, v2Ctx), v2Ctx)).toBe('auth-type-mismatch');
    expect(reason(p2, { ...v2Ctx, auth: { type: 'PASS', pass: 'pw' } })).toBe('auth-type-mismatch');
  });
  it('auth-pass: a wrong password; only the first 8 characters count', () => {
    const ctx: ReceiveContext = { ...v2Ctx, auth: { type: 'PASS', pass: 'secret12' } };
    expect(reason(enc({ ...v2Adv, authType: 1, authData: passwordAuthData('secret13') }, ctx), ctx)).toBe('auth-pass');
    expect(reason(enc({ ...v2Adv, authType: 1, authData: passwordAuthData('secret12-and-more') }, ctx), ctx)).toBe('ok');
  });
  it('auth-ah-unsupported: AH is configured', () => {
    const ctx: ReceiveContext = { ...v2Ctx, auth: { type: 'AH', pass: 'pw' } };
    expect(reason(enc({ ...v2Adv, authType: 2 }, ctx), ctx)).toBe('auth-ah-unsupported');
  });
  it('advert-interval: a v2 Adver Int that differs from ours', () => {
    expect(reason(enc({ ...v2Adv, maxAdverIntCs: 200 }, v2Ctx), v2Ctx)).toBe('advert-interval');
  });
  it('type: not an ADVERTISEMENT', () => {
    expect(reason(enc({ ...v2Adv, type: 2 }, v2Ctx), v2Ctx)).toBe('type');
    expect(reason(enc({ ...v3Adv, type: 0 }, v3Ctx), v3Ctx)).toBe('type');
  });
  it('addr-count: a different number of addresses', () => {
    expect(reason(enc({ ...v2Adv, addresses: ['192.0.2.100'] }, v2Ctx), v2Ctx)).toBe('addr-count');
  });
  it('checksum: one flipped bit anywhere, or another source address (pseudo-header)', () => {
    for (let byte = 0; byte < p2.length; byte++) {
      // Bytes 0-5 are read by earlier checks (version, VRID, count, auth, interval); the checksum,
      // address and auth-data bytes are read by none before it (address checks skipped here).
      if (byte < 6) continue;
      const bad = Buffer.from(p2);
      bad[byte]! ^= 0x01;
      expect(reason(bad, { ...v2Ctx, skipCheckAdvAddr: true }), `byte ${byte}`).toBe('checksum');
    }
    expect(reason(enc(v3Adv, v3Ctx), { ...v3Ctx, src: '192.0.2.12' })).toBe('checksum');
    expect(reason(enc(v6Adv, v6Ctx), { ...v6Ctx, src: 'fe80::2' })).toBe('checksum');
    // The multicast-group form is a unicast-mode compatibility only.
    expect(reason(enc(v3Adv, v3Ctx, { dst: '224.0.0.19' }), v3Ctx)).toBe('checksum');
  });
  it('not-multicast: multicast mode, unicast destination', () => {
    const ctx = { ...v2Ctx, dst: '192.0.2.12' };
    expect(reason(enc(v2Adv, ctx), ctx)).toBe('not-multicast');
  });
  it('not-unicast: unicast mode, multicast destination', () => {
    const ctx = { ...v2Ctx, unicastPeers: ['192.0.2.11'] };
    expect(reason(enc(v2Adv, ctx), ctx)).toBe('not-unicast');
  });
  it('vip-mismatch: a configured VIP missing from the advert', () => {
    expect(reason(enc({ ...v2Adv, addresses: ['192.0.2.100', '192.0.2.102'] }, v2Ctx), v2Ctx)).toBe('vip-mismatch');
    expect(reason(enc({ ...v6Adv, addresses: ['fe80::100', '2001:db8::101'] }, v6Ctx), v6Ctx)).toBe('vip-mismatch');
  });
  it('unicast-src: a source that is not a unicast peer, unless check_unicast_src is off', () => {
    const ctx = { ...v2Ctx, unicastPeers: ['192.0.2.13', '192.0.2.14'], dst: '192.0.2.12' };
    expect(reason(enc(v2Adv, ctx), ctx)).toBe('unicast-src');
    expect(reason(enc(v2Adv, ctx), { ...ctx, checkUnicastSrc: false })).toBe('ok');
  });
  it('unicast-ttl: outside the peer min_ttl / max_ttl', () => {
    const ctx = { ...v2Ctx, unicastPeers: ['192.0.2.11'], dst: '192.0.2.12', ttl: 64, unicastPeerTtl: { '192.0.2.11': { minTtl: 250 } } };
    expect(reason(enc(v2Adv, ctx), ctx)).toBe('unicast-ttl');
    expect(reason(enc(v2Adv, ctx), { ...ctx, ttl: 250 })).toBe('ok');
    expect(reason(enc(v2Adv, ctx), { ...ctx, ttl: 255, unicastPeerTtl: { '192.0.2.11': { maxTtl: 254 } } })).toBe('unicast-ttl');
  });
  it('bad-context: a source that is not an address of the family', () => {
    expect(reason(p2, { ...v2Ctx, src: 'fe80::1' })).toBe('bad-context');
  });
});

describe("validateAdvert checks in keepalived's order", () => {
  // Each fault is independent; with faults[i..] present the reason must be faults[i].
  const order = ['ttl', 'auth-type-mismatch', 'advert-interval', 'type', 'addr-count', 'checksum', 'not-multicast', 'vip-mismatch'] as const;
  type Fault = (typeof order)[number];
  function build(faults: Set<Fault>): { payload: Buffer; ctx: ReceiveContext } {
    const ctx: ReceiveContext = { ...v2Ctx, ttl: faults.has('ttl') ? 1 : 255, dst: faults.has('not-multicast') ? '192.0.2.12' : '224.0.0.18' };
    const addresses = [faults.has('vip-mismatch') ? '198.51.100.1' : '192.0.2.100', '192.0.2.101', ...(faults.has('addr-count') ? ['192.0.2.102'] : [])];
    const adv: Adv = {
      ...v2Adv,
      addresses,
      type: faults.has('type') ? 3 : 1,
      maxAdverIntCs: faults.has('advert-interval') ? 300 : 100,
      authType: faults.has('auth-type-mismatch') ? 1 : 0,
    };
    const payload = enc(adv, ctx);
    if (faults.has('checksum')) payload.writeUInt16BE(payload.readUInt16BE(6) ^ 0xffff, 6);
    return { payload, ctx };
  }
  for (let i = 0; i < order.length; i++) {
    it(`${order[i]} is reported while ${order.slice(i + 1).join(', ') || 'nothing else'} is also wrong`, () => {
      const { payload, ctx } = build(new Set(order.slice(i)));
      expect(reason(payload, ctx)).toBe(order[i]);
    });
  }
  it('and with every fault fixed the packet is accepted', () => {
    const { payload, ctx } = build(new Set());
    expect(reason(payload, ctx)).toBe('ok');
  });
});

describe('validateIpv4Packet: straight from the raw socket buffer', () => {
  const ctx = { version: 2 as const, vrid: 51, advertIntCs: 100, vips: v2Adv.addresses, skipCheckAdvAddr: false, unicastPeers: [], multicastGroup: '224.0.0.18' };
  const payload = enc(v2Adv, v2Ctx);
  const packet = (over: { ttl?: number; protocol?: number } = {}): Buffer =>
    Buffer.concat([buildIpv4Header({ src: v2Ctx.src, dst: v2Ctx.dst, protocol: over.protocol ?? IPPROTO_VRRP, payloadLength: payload.length, ttl: over.ttl ?? 255 }), payload]);

  it('takes source, destination and TTL from the header', () => {
    expect(validateIpv4Packet(packet(), ctx)).toMatchObject({ ok: true, src: '192.0.2.11', advert: { priority: 150 } });
    expect(validateIpv4Packet(packet({ ttl: 64 }), ctx)).toMatchObject({ ok: false, reason: 'ttl', src: '192.0.2.11' });
  });
  it('drops other protocols, and AH when AH is not configured', () => {
    expect(validateIpv4Packet(packet({ protocol: 17 }), ctx)).toMatchObject({ ok: false, reason: 'protocol' });
    expect(validateIpv4Packet(packet({ protocol: IPPROTO_AH }), ctx)).toMatchObject({ ok: false, reason: 'auth-type-mismatch' });
    expect(validateIpv4Packet(packet({ protocol: IPPROTO_AH }), { ...ctx, auth: { type: 'AH', pass: 'x' } })).toMatchObject({ ok: false, reason: 'auth-ah-unsupported' });
  });
  it('maps a broken IP header to too-short / bad-length', () => {
    expect(validateIpv4Packet(packet().subarray(0, 10), ctx)).toMatchObject({ ok: false, reason: 'too-short' });
    expect(validateIpv4Packet(packet().subarray(0, 30), ctx)).toMatchObject({ ok: false, reason: 'bad-length' });
  });
});
