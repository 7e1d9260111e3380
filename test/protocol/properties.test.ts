/**
 * Property (g) of issue 3: decode(encode(p)) = p for random valid adverts (v2/v3, IPv4/IPv6,
 * 0..N addresses, authentication), and no decoder or validator throws on any bytes.
 * fast-check prints the seed and the shrunk counterexample on failure.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  decodeArpFrame,
  decodeNaFrame,
  decodeVrrp,
  defaultChecksumForm,
  encodeVrrp,
  formatIpv4,
  formatIpv6,
  parseAddress,
  parseIpv4Packet,
  validateAdvert,
  validateIpv4Packet,
  vrrpChecksumVerifies,
  type ReceiveContext,
  type VrrpAdvert,
} from '../../src/protocol/index.js';

const RUNS = { numRuns: 1000 };

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIpv4(b));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6(b));

/** A valid advert plus the IP source/destination it travels with. */
const advertArb = fc
  .record({
    family: fc.constantFrom('ipv4' as const, 'ipv6' as const),
    version: fc.constantFrom(2 as const, 3 as const),
    type: fc.integer({ min: 0, max: 15 }),
    vrid: fc.integer({ min: 0, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    seconds: fc.integer({ min: 0, max: 255 }),
    centis: fc.integer({ min: 0, max: 4095 }),
    authType: fc.integer({ min: 0, max: 255 }),
    authData: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    count: fc.integer({ min: 0, max: 20 }),
    v4: fc.array(ipv4, { maxLength: 20 }),
    v6: fc.array(ipv6, { maxLength: 20 }),
    src4: ipv4,
    dst4: ipv4,
    src6: ipv6,
    dst6: ipv6,
    v3ChecksumAsV2: fc.boolean(),
  })
  .map((r) => {
    const v4 = r.family === 'ipv4';
    const adv: Omit<VrrpAdvert, 'checksum'> = {
      version: r.version,
      type: r.type,
      vrid: r.vrid,
      priority: r.priority,
      maxAdverIntCs: r.version === 2 ? r.seconds * 100 : r.centis,
      addresses: v4 ? r.v4 : r.v6,
      family: r.family,
    };
    if (r.version === 2) adv.authType = r.authType;
    if (r.version === 2 && v4) adv.authData = Buffer.from(r.authData);
    return { adv, src: v4 ? r.src4 : r.src6, dst: v4 ? r.dst4 : r.dst6, v3ChecksumAsV2: r.v3ChecksumAsV2 };
  });

describe('property (g): VRRP codec', () => {
  test.prop([advertArb], RUNS)('decode(encode(p)) = p, and the checksum verifies in the form sent', ({ adv, src, dst, v3ChecksumAsV2 }) => {
    const bytes = encodeVrrp(adv, { src, dst, v3ChecksumAsV2 });
    const d = decodeVrrp(bytes, adv.family);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value).toStrictEqual({ ...adv, checksum: bytes.readUInt16BE(6) });
    const form = defaultChecksumForm(adv.version, adv.family, v3ChecksumAsV2);
    expect(vrrpChecksumVerifies(bytes, form, parseAddress(src)!.bytes, parseAddress(dst)!.bytes)).toBe(true);
  });

  test.prop([advertArb], RUNS)('a peer with the same configuration accepts what we send', ({ adv, src, v3ChecksumAsV2 }) => {
    const dst = adv.family === 'ipv4' ? '224.0.0.18' : 'ff02::12';
    const sent = { ...adv, type: 1, ...(adv.version === 2 ? { authType: 0 } : {}) };
    const ctx: ReceiveContext = {
      version: adv.version,
      vrid: adv.vrid,
      family: adv.family,
      advertIntCs: adv.maxAdverIntCs,
      vips: [...adv.addresses].reverse(),
      skipCheckAdvAddr: false,
      unicastPeers: [],
      multicastGroup: dst,
      ttl: 255,
      src,
      dst,
      v3ChecksumAsV2,
    };
    const r = validateAdvert(encodeVrrp(sent, { src, dst, v3ChecksumAsV2 }), ctx);
    // Duplicate addresses in a random list still match (each VIP is present).
    expect(r).toMatchObject({ ok: true, warnings: [] });
    if (r.ok) expect(r.advert.addresses).toEqual(adv.addresses);
  });
});

const contextArb: fc.Arbitrary<ReceiveContext> = fc
  .record({
    version: fc.constantFrom(2 as const, 3 as const),
    vrid: fc.integer({ min: 0, max: 255 }),
    family: fc.constantFrom('ipv4' as const, 'ipv6' as const),
    advertIntCs: fc.integer({ min: 0, max: 4095 }),
    pass: fc.option(fc.record({ type: fc.constantFrom('PASS' as const, 'AH' as const), pass: fc.string({ maxLength: 12 }) }), { nil: undefined }),
    vips: fc.array(fc.oneof(ipv4, ipv6, fc.string()), { maxLength: 4 }),
    skipCheckAdvAddr: fc.boolean(),
    unicastPeers: fc.array(fc.oneof(ipv4, ipv6, fc.string()), { maxLength: 3 }),
    multicastGroup: fc.oneof(ipv4, ipv6, fc.string()),
    ttl: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
    src: fc.oneof(ipv4, ipv6, fc.string()),
    dst: fc.oneof(ipv4, ipv6, fc.constantFrom('224.0.0.18', 'ff02::12')),
    ownerPriority: fc.boolean(),
  })
  .map(({ pass, ...c }) => (pass ? { ...c, auth: pass } : c));

const REASONS = new Set([
  'too-short', 'vrid', 'owner', 'bad-length', 'ttl', 'version', 'auth-type', 'auth-type-mismatch', 'auth-pass',
  'auth-ah-unsupported', 'advert-interval', 'type', 'addr-count', 'checksum', 'not-multicast', 'not-unicast',
  'vip-mismatch', 'unicast-src', 'unicast-ttl', 'bad-context', 'protocol',
]);

/** Arbitrary bytes, and valid adverts with random corruption (to reach the deeper checks). */
const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 120 }),
  fc
    .tuple(advertArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }))
    .map(([{ adv, src, dst, v3ChecksumAsV2 }, edits]) => {
      const b = encodeVrrp(adv, { src, dst, v3ChecksumAsV2 });
      for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
      return new Uint8Array(b);
    }),
);

describe('property (g): total decoders', () => {
  test.prop([bytesArb], RUNS)('decodeVrrp never throws and returns a typed result', (bytes) => {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const d = decodeVrrp(bytes, family);
      expect(typeof d.ok).toBe('boolean');
      if (!d.ok) expect(['too-short', 'truncated', 'version']).toContain(d.reason);
    }
  });

  test.prop([bytesArb, contextArb], RUNS)('validateAdvert never throws; a drop names a known reason', (bytes, ctx) => {
    const r = validateAdvert(bytes, ctx);
    if (r.ok) expect(Array.isArray(r.warnings)).toBe(true);
    else expect(REASONS.has(r.reason)).toBe(true);
  });

  test.prop([fc.uint8Array({ maxLength: 120 }), contextArb], RUNS)('validateIpv4Packet never throws; a drop names a known reason', (bytes, ctx) => {
    const ip = Uint8Array.from(bytes);
    if (ip.length > 0) ip[0] = 0x45; // mostly well-formed headers, so the payload checks run
    for (const b of [bytes, ip]) {
      const r = validateIpv4Packet(b, ctx);
      if (!r.ok) expect(REASONS.has(r.reason)).toBe(true);
    }
  });

  test.prop([fc.uint8Array({ maxLength: 120 })], RUNS)('parseIpv4Packet, decodeArpFrame and decodeNaFrame never throw', (bytes) => {
    for (const r of [parseIpv4Packet(bytes), decodeArpFrame(bytes), decodeNaFrame(bytes)]) expect(typeof r.ok).toBe('boolean');
    // Make most inputs look like IPv4 so the deeper paths run too.
    const ip = Uint8Array.from(bytes);
    if (ip.length > 0) ip[0] = 0x40 | (ip[0]! & 0x0f);
    const p = parseIpv4Packet(ip);
    if (p.ok) expect(p.value.payload.length).toBe(p.value.totalLength - p.value.headerLength);
  });
});
