/**
 * Address text <-> bytes: RFC 5952 canonical IPv6 text (checked against the WHATWG URL
 * serializer, which follows the same rules), strict IPv4, agreement with node:net, MACs.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  canonicalAddress,
  canonicalAddressShared,
  parseAddressShared,
  formatIpv6,
  formatMac,
  isMulticast,
  parseAddress,
  parseIpv4,
  parseIpv6,
  parseMac,
  virtualMac,
} from '../../src/protocol/index.js';

describe('canonical IPv6 text (RFC 5952)', () => {
  const cases: Array<[string, string]> = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // §4.1 leading zeros, §4.2.1 "::"
    ['2001:DB8::1', '2001:db8::1'], // §4.3 lower case
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2 one zero group stays
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // §4.2.3 longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3 first of equal runs
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['FF02::12', 'ff02::12'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // §5 mixed notation for IPv4-mapped
    ['::ffff:c000:0201', '::ffff:192.0.2.1'],
    ['2001:db8::192.0.2.1', '2001:db8::c000:201'],
  ];
  for (const [input, want] of cases) {
    it(`${input} -> ${want}`, () => expect(canonicalAddress(input)).toBe(want));
  }

  it('rejects what is not an IPv6 address', () => {
    for (const bad of ['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', 'fe80::1%eth0', '::1.2.3', '1:2:3:4:5:6:7::8:9', '::ffff:256.0.0.1']) {
      expect(parseIpv6(bad), bad).toBeUndefined();
    }
  });

  test.prop([fc.uint8Array({ minLength: 16, maxLength: 16 })], { numRuns: 1000 })(
    'bytes -> text -> bytes is the identity, and the text is what the URL serializer writes',
    (bytes) => {
      const text = formatIpv6(bytes);
      expect(parseIpv6(text)).toEqual(Buffer.from(bytes));
      const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
      if (!mapped) expect(`[${text}]`).toBe(new URL(`http://[${text}]/`).hostname);
    },
  );

  test.prop([fc.ipV6()], { numRuns: 1000 })('every IPv6 text form parses, to what node:net and URL agree on', (text) => {
    const b = parseIpv6(text);
    expect(b).toBeDefined();
    expect(isIPv6(text)).toBe(true);
    const canon = formatIpv6(b!);
    if (!canon.startsWith('::ffff:')) expect(`[${canon}]`).toBe(new URL(`http://[${text}]/`).hostname);
  });
});

describe('memoised parsing used on the hot paths', () => {
  it('stays correct across evictions (more distinct addresses than the memo holds)', () => {
    for (let i = 0; i < 10_000; i++) {
      const text = `198.51.${(i >> 8) & 0xff}.${i & 0xff}`;
      expect(parseAddressShared(text, 'ipv4')!.bytes).toEqual(parseIpv4(text));
      expect(canonicalAddressShared(`2001:DB8::${(i + 1).toString(16)}/64`, 'ipv6')).toBe(`2001:db8::${(i + 1).toString(16)}`);
    }
    expect(parseAddressShared('198.51.100.1', 'ipv6')).toBeUndefined();
    expect(canonicalAddressShared('not an address', 'ipv4')).toBeUndefined();
  });
});

describe('IPv4', () => {
  test.prop([fc.ipV4Extended()], { numRuns: 1000 })('parseIpv4 accepts exactly what node:net isIPv4 accepts', (text) => {
    expect(parseIpv4(text) !== undefined).toBe(isIPv4(text));
  });

  test.prop([fc.string({ maxLength: 20 })], { numRuns: 1000 })('parsers never throw on any string and agree with node:net', (s) => {
    expect(parseIpv4(s) !== undefined).toBe(isIPv4(s));
    if (!s.includes('%')) expect(parseIpv6(s) !== undefined).toBe(isIPv6(s));
    expect(() => parseAddress(s)).not.toThrow();
  });

  it('multicast ranges', () => {
    expect(isMulticast(parseIpv4('224.0.0.18')!)).toBe(true);
    expect(isMulticast(parseIpv4('239.255.255.255')!)).toBe(true);
    expect(isMulticast(parseIpv4('240.0.0.1')!)).toBe(false);
    expect(isMulticast(parseIpv4('192.0.2.1')!)).toBe(false);
    expect(isMulticast(parseIpv6('ff02::12')!)).toBe(true);
    expect(isMulticast(parseIpv6('fe80::12')!)).toBe(false);
  });
});

describe('MAC addresses', () => {
  it('virtual router MACs (RFC 3768 §7.3, RFC 5798 §7.3)', () => {
    expect(virtualMac(51, 'ipv4')).toBe('00:00:5e:00:01:33');
    expect(virtualMac(255, 'ipv6')).toBe('00:00:5e:00:02:ff');
    expect(() => virtualMac(0, 'ipv4')).toThrow(RangeError);
    expect(() => virtualMac(256, 'ipv4')).toThrow(RangeError);
  });
  it('parse and format', () => {
    expect(formatMac(parseMac('AA-34-B5-4E-79-E8')!)).toBe('aa:34:b5:4e:79:e8');
    expect(parseMac('aa:34:b5:4e:79')).toBeUndefined();
    expect(parseMac('aa:34-b5:4e:79:e8')).toBeUndefined();
  });
});
