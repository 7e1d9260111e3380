/**
 * What the keepalived vectors do not cover (v2 PASS, VRRPv3 over IPv6, v3 without the IPv4
 * pseudo-header, unsolicited NA), checked by an independent decoder: our frames go into a pcap
 * file and tshark (Wireshark's dissectors, which verify VRRP and ICMPv6 checksums) decodes them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeUnsolicitedNa, encodeVrrp, passwordAuthData, virtualMac } from '../../src/protocol/index.js';
import { allFields, field, tsharkDecode, vrrpFrame } from './pcap.js';

const mac = '02:00:5e:10:00:01';

const v2Pass = {
  payload: encodeVrrp(
    { version: 2, type: 1, vrid: 7, priority: 200, maxAdverIntCs: 200, addresses: ['192.0.2.100', '198.51.100.7'], family: 'ipv4', authType: 1, authData: passwordAuthData('secret12345') },
    { src: '192.0.2.11', dst: '224.0.0.18' },
  ),
  src: '192.0.2.11',
  dst: '224.0.0.18',
};
const v3Ipv6 = {
  payload: encodeVrrp(
    { version: 3, type: 1, vrid: 9, priority: 100, maxAdverIntCs: 100, addresses: ['fe80::100', '2001:db8::100', '2001:db8:0:1::ffff'], family: 'ipv6' },
    { src: 'fe80::1', dst: 'ff02::12' },
  ),
  src: 'fe80::1',
  dst: 'ff02::12',
};
const v3Ipv4 = { version: 3 as const, type: 1, vrid: 200, priority: 255, maxAdverIntCs: 4095, addresses: ['203.0.113.1', '203.0.113.2', '203.0.113.3'], family: 'ipv4' as const };
const v3AsV2 = encodeVrrp(v3Ipv4, { src: '203.0.113.9', dst: '224.0.0.18', v3ChecksumAsV2: true });
const v3Pseudo = encodeVrrp(v3Ipv4, { src: '203.0.113.9', dst: '224.0.0.18' });

const frames = [
  vrrpFrame({ mac, family: 'ipv4', ...v2Pass }),
  vrrpFrame({ mac, family: 'ipv6', ...v3Ipv6 }),
  vrrpFrame({ mac, family: 'ipv4', src: '203.0.113.9', dst: '224.0.0.18', payload: v3Pseudo }),
  vrrpFrame({ mac, family: 'ipv4', src: '203.0.113.9', dst: '224.0.0.18', payload: v3AsV2 }),
  encodeUnsolicitedNa({ senderMac: virtualMac(9, 'ipv6'), src: 'fe80::1', target: '2001:db8::100' }),
  encodeUnsolicitedNa({ senderMac: mac, src: 'fe80::1', target: 'fe80::100', router: false }),
];

describe('tshark decodes our frames', () => {
  let out: string[] = [];
  let asV2: string[] = [];
  beforeAll(() => {
    out = tsharkDecode(frames);
    // Wireshark's own switch for the no-pseudo-header form (keepalived's v3_checksum_as_v2).
    asV2 = tsharkDecode(frames, ['vrrp.v3_checksum_as_in_v2:TRUE']);
  });

  it('decodes every frame', () => {
    expect(out.length).toBe(frames.length);
  });

  it('v2 with PASS authentication: checksum good, fields and the 8-byte password as tshark shows them', () => {
    const t = out[0]!;
    expect(t).toContain('[Protocols in frame: eth:ethertype:ip:vrrp]');
    expect(t).toContain('[Checksum Status: Good]');
    expect(field(t, 'VRRP protocol version')).toBe('2');
    expect(field(t, 'Virtual Rtr ID')).toBe('7');
    expect(field(t, 'Priority')).toMatch(/^200 /);
    expect(field(t, 'Addr Count')).toBe('2');
    expect(field(t, 'Auth Type')).toMatch(/\(1\)$/);
    expect(field(t, 'Adver Int')).toBe('2');
    expect(allFields(t, 'IP Address')).toEqual(['192.0.2.100', '198.51.100.7']);
    // keepalived uses only the first eight characters of auth_pass.
    expect(field(t, 'Authentication String')).toBe('secret12');
  });

  it('v3 over IPv6: checksum with the IPv6 pseudo-header is good, fields as encoded', () => {
    const t = out[1]!;
    expect(t).toContain('[Protocols in frame: eth:ethertype:ipv6:vrrp]');
    expect(t).toContain('[Checksum Status: Good]');
    expect(field(t, 'VRRP protocol version')).toBe('3');
    expect(field(t, 'Virtual Rtr ID')).toBe('9');
    expect(field(t, 'Adver Int')).toBe('100');
    expect(allFields(t, 'IPv6 Address')).toEqual(['fe80::100', '2001:db8::100', '2001:db8:0:1::ffff']);
    expect(field(t, 'Hop Limit')).toBe('255');
  });

  it('v3 over IPv4 with the pseudo-header (keepalived default) is good under Wireshark default and bad as-v2', () => {
    expect(field(out[2]!, 'Adver Int')).toBe('4095');
    expect(field(out[2]!, 'Priority')).toMatch(/^255 /);
    expect(out[2]).toContain('[Checksum Status: Good]');
    expect(asV2[2]).toContain('[Checksum Status: Bad]');
  });

  it('v3 over IPv4 with v3ChecksumAsV2 is good only when tshark leaves the pseudo-header out', () => {
    expect(out[3]).toContain('[Checksum Status: Bad]');
    expect(asV2[3]).toContain('[Checksum Status: Good]');
  });

  it('unsolicited NA: ICMPv6 checksum good, R=1 S=0 O=1, target and target link-layer option, to all-nodes', () => {
    const t = out[4]!;
    expect(t).toContain('[Protocols in frame: eth:ethertype:ipv6:icmpv6]');
    expect(allFields(t, 'Type')).toContain('Neighbor Advertisement (136)');
    expect(t).toContain('[Checksum Status: Good]');
    expect(field(t, 'Router')).toBe('Set');
    expect(field(t, 'Solicited')).toBe('Not set');
    expect(field(t, 'Override')).toBe('Set');
    expect(field(t, 'Target Address')).toBe('2001:db8::100');
    expect(field(t, 'Link-layer address')).toBe('00:00:5e:00:02:09');
    expect(field(t, 'Source Address')).toBe('fe80::1');
    expect(field(t, 'Destination Address')).toBe('ff02::1');
    expect(field(t, 'Hop Limit')).toBe('255');
    expect(field(t, 'Destination')).toBe('33:33:00:00:00:01');
  });

  it('unsolicited NA with router:false clears only R', () => {
    const t = out[5]!;
    expect(t).toContain('[Checksum Status: Good]');
    expect(field(t, 'Router')).toBe('Not set');
    expect(field(t, 'Override')).toBe('Set');
    expect(field(t, 'Target Address')).toBe('fe80::100');
  });
});
