/**
 * Structural codecs: checksum arithmetic, the VRRP message layout per version and family, the IPv4
 * header parser's typed reasons, and the NA / ARP frames' layout.
 */
import { describe, expect, it } from 'vitest';
import {
  buildIpv4Header,
  checksumVerifies,
  decodeArpFrame,
  decodeNaFrame,
  decodeVrrp,
  encodeGratuitousArp,
  encodeUnsolicitedNa,
  encodeVrrp,
  internetChecksum,
  IPPROTO_VRRP,
  onesComplementSum,
  parseIpv4Packet,
  passwordAuthData,
  vrrpMessageLength,
} from '../../src/protocol/index.js';

describe('internet checksum (RFC 1071)', () => {
  it('RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2', () => {
    const data = Buffer.from('0001f203f4f5f6f7', 'hex');
    expect(onesComplementSum(data) % 0xffff).toBe(0xddf2);
    expect(internetChecksum(data)).toBe(0x220d);
    expect(checksumVerifies(data, Buffer.from([0x22, 0x0d]))).toBe(true);
  });
  it('an odd trailing byte is padded with zero', () => {
    expect(internetChecksum(Buffer.from([0x12]))).toBe(internetChecksum(Buffer.from([0x12, 0x00])));
  });
});

describe('VRRP message layout', () => {
  it('lengths: v2/IPv4 carries 8 auth bytes, v3 and IPv6 none', () => {
    expect(vrrpMessageLength(2, 'ipv4', 1)).toBe(20);
    expect(vrrpMessageLength(3, 'ipv4', 1)).toBe(12);
    expect(vrrpMessageLength(3, 'ipv6', 2)).toBe(40);
    expect(vrrpMessageLength(2, 'ipv6', 1)).toBe(24);
  });

  it('v3 writes the 12-bit interval with the reserved bits zero and ignores them on decode', () => {
    const b = encodeVrrp({ version: 3, type: 1, vrid: 1, priority: 100, maxAdverIntCs: 4095, addresses: [], family: 'ipv4' }, { src: '192.0.2.1', dst: '224.0.0.18' });
    expect(b.readUInt16BE(4)).toBe(0x0fff);
    b[4]! |= 0xf0;
    const d = decodeVrrp(b, 'ipv4');
    expect(d.ok && d.value.maxAdverIntCs).toBe(4095);
  });

  it('PASS authentication: the first 8 bytes of the password, zero-padded, in the last 8 bytes', () => {
    expect(passwordAuthData('abc')).toEqual(Buffer.from('abc\0\0\0\0\0', 'latin1'));
    expect(passwordAuthData('0123456789')).toEqual(Buffer.from('01234567'));
    const b = encodeVrrp(
      { version: 2, type: 1, vrid: 1, priority: 100, maxAdverIntCs: 100, addresses: ['192.0.2.1'], family: 'ipv4', authType: 1, authData: passwordAuthData('abc') },
      { src: '192.0.2.1', dst: '224.0.0.18' },
    );
    expect(b[4]).toBe(1);
    expect(b.subarray(12).toString('latin1')).toBe('abc\0\0\0\0\0');
  });

  it('decode reasons: too-short, version, truncated; trailing bytes are ignored', () => {
    const b = encodeVrrp({ version: 3, type: 1, vrid: 1, priority: 100, maxAdverIntCs: 100, addresses: ['2001:db8::1'], family: 'ipv6' }, { src: 'fe80::1', dst: 'ff02::12' });
    expect(decodeVrrp(b.subarray(0, 7), 'ipv6')).toMatchObject({ ok: false, reason: 'too-short' });
    expect(decodeVrrp(b.subarray(0, 23), 'ipv6')).toMatchObject({ ok: false, reason: 'truncated' });
    expect(decodeVrrp(Buffer.concat([b, Buffer.alloc(5)]), 'ipv6')).toMatchObject({ ok: true, value: { addresses: ['2001:db8::1'] } });
    const v4 = Buffer.from(b);
    v4[0] = 0x41;
    expect(decodeVrrp(v4, 'ipv6')).toMatchObject({ ok: false, reason: 'version' });
    // A typed array view into a larger buffer decodes only its own bytes.
    const big = Buffer.concat([Buffer.alloc(3, 0xee), b, Buffer.alloc(3, 0xee)]);
    const view = new Uint8Array(big.buffer, big.byteOffset + 3, b.length);
    expect(decodeVrrp(view, 'ipv6').ok).toBe(true);
  });

  it('encode refuses what cannot be on the wire', () => {
    const base = { version: 2 as const, type: 1, vrid: 1, priority: 100, maxAdverIntCs: 100, addresses: ['192.0.2.1'], family: 'ipv4' as const };
    const o = { src: '192.0.2.1', dst: '224.0.0.18' };
    expect(() => encodeVrrp({ ...base, maxAdverIntCs: 150 }, o)).toThrow(RangeError);
    expect(() => encodeVrrp({ ...base, version: 3, maxAdverIntCs: 4096 }, o)).toThrow(RangeError);
    expect(() => encodeVrrp({ ...base, priority: 256 }, o)).toThrow(RangeError);
    expect(() => encodeVrrp({ ...base, addresses: ['2001:db8::1'] }, o)).toThrow(RangeError);
    expect(() => encodeVrrp(base, { ...o, src: 'host' })).toThrow(RangeError);
  });
});

describe('parseIpv4Packet', () => {
  const payload = Buffer.from('0102030405', 'hex');
  const pkt = Buffer.concat([buildIpv4Header({ src: '192.0.2.1', dst: '224.0.0.18', protocol: IPPROTO_VRRP, payloadLength: payload.length, ttl: 7, tos: 0x10, id: 9 }), payload]);

  it('reads the fields and cuts Ethernet padding at Total Length', () => {
    const r = parseIpv4Packet(Buffer.concat([pkt, Buffer.alloc(21)]));
    expect(r).toMatchObject({ ok: true, value: { ttl: 7, tos: 0x10, id: 9, src: '192.0.2.1', dst: '224.0.0.18', protocol: 112, headerLength: 20, totalLength: 25, headerChecksumOk: true } });
    expect(r.ok && r.value.payload).toEqual(payload);
  });
  it('skips IP options (IHL > 5)', () => {
    const withOpt = Buffer.concat([pkt.subarray(0, 20), Buffer.from([1, 1, 1, 0]), payload]);
    withOpt[0] = 0x46;
    withOpt.writeUInt16BE(29, 2);
    const r = parseIpv4Packet(withOpt);
    expect(r.ok && r.value.payload).toEqual(payload);
  });
  it('typed reasons: too-short, version, header-length, total-length, truncated, fragment', () => {
    expect(parseIpv4Packet(pkt.subarray(0, 19))).toMatchObject({ ok: false, reason: 'too-short' });
    const v6 = Buffer.from(pkt);
    v6[0] = 0x65;
    expect(parseIpv4Packet(v6)).toMatchObject({ ok: false, reason: 'version' });
    const ihl = Buffer.from(pkt);
    ihl[0] = 0x44;
    expect(parseIpv4Packet(ihl)).toMatchObject({ ok: false, reason: 'header-length' });
    ihl[0] = 0x4f;
    expect(parseIpv4Packet(ihl)).toMatchObject({ ok: false, reason: 'header-length' });
    const tot = Buffer.from(pkt);
    tot.writeUInt16BE(19, 2);
    expect(parseIpv4Packet(tot)).toMatchObject({ ok: false, reason: 'total-length' });
    tot.writeUInt16BE(26, 2);
    expect(parseIpv4Packet(tot)).toMatchObject({ ok: false, reason: 'truncated' });
    const mf = Buffer.from(pkt);
    mf.writeUInt16BE(0x2000, 6);
    expect(parseIpv4Packet(mf)).toMatchObject({ ok: false, reason: 'fragment' });
    mf.writeUInt16BE(0x0001, 6);
    expect(parseIpv4Packet(mf)).toMatchObject({ ok: false, reason: 'fragment' });
    const df = Buffer.from(pkt);
    df.writeUInt16BE(0x4000, 6); // DF alone is not a fragment
    expect(parseIpv4Packet(df).ok).toBe(true);
  });
  it('reports a bad header checksum without refusing the packet', () => {
    const bad = Buffer.from(pkt);
    bad[10]! ^= 1;
    expect(parseIpv4Packet(bad)).toMatchObject({ ok: true, value: { headerChecksumOk: false } });
  });
});

describe('ARP and NA frames', () => {
  it('gratuitous ARP is 42 bytes, sender = target = VIP, and decodes back', () => {
    const f = encodeGratuitousArp({ senderMac: '00:00:5e:00:01:07', address: '198.51.100.7' });
    expect(f.length).toBe(42);
    expect(decodeArpFrame(f)).toMatchObject({ ok: true, value: { op: 1, senderIp: '198.51.100.7', targetIp: '198.51.100.7', senderMac: '00:00:5e:00:01:07', ethSrc: '00:00:5e:00:01:07', gratuitous: true } });
    expect(decodeArpFrame(f.subarray(0, 41))).toMatchObject({ ok: false, reason: 'too-short' });
    expect(() => encodeGratuitousArp({ senderMac: '00:00:5e', address: '198.51.100.7' })).toThrow(RangeError);
    expect(() => encodeGratuitousArp({ senderMac: '00:00:5e:00:01:07', address: '2001:db8::1' })).toThrow(RangeError);
  });

  it('unsolicited NA is 86 bytes to 33:33:00:00:00:01 / ff02::1 and decodes back with a good checksum', () => {
    const f = encodeUnsolicitedNa({ senderMac: '00:00:5e:00:02:07', src: 'fe80::1', target: '2001:db8::7' });
    expect(f.length).toBe(86);
    const d = decodeNaFrame(f);
    expect(d).toMatchObject({
      ok: true,
      value: { ethDst: '33:33:00:00:00:01', ethSrc: '00:00:5e:00:02:07', src: 'fe80::1', dst: 'ff02::1', hopLimit: 255, router: true, solicited: false, override: true, target: '2001:db8::7', targetMac: '00:00:5e:00:02:07', checksumOk: true },
    });
    const bad = Buffer.from(f);
    bad[bad.length - 1]! ^= 1;
    expect(decodeNaFrame(bad)).toMatchObject({ ok: true, value: { checksumOk: false } });
    expect(decodeNaFrame(f.subarray(0, 70))).toMatchObject({ ok: false, reason: 'too-short' });
  });
});
