/** The pure parts of the Linux adapters (no sockets, no namespaces). */
import { describe, expect, it } from 'vitest';
import { linkStateOf } from '../../src/adapters/linux/link-monitor.js';
import { loadNative } from '../../src/adapters/linux/native.js';
import { errnoOf, ipMreqn, ipv6Mreq } from '../../src/adapters/linux/raw-socket-module.js';
import { parsePrefix } from '../../src/adapters/linux/route-netlink.js';
import { addressFromMessage, errnoName, errnoText, linkFromMessage } from '../../src/adapters/linux/rtnetlink.js';
import { broadcastFor, scopeNumber } from '../../src/adapters/linux/vip-netlink.js';

describe('VIP option words', () => {
  it('maps keepalived scope words and numbers, refuses the rest', () => {
    expect(scopeNumber(undefined)).toBe(0);
    expect(scopeNumber('global')).toBe(0);
    expect(scopeNumber('site')).toBe(200);
    expect(scopeNumber('link')).toBe(253);
    expect(scopeNumber('host')).toBe(254);
    expect(scopeNumber('nowhere')).toBe(255);
    expect(scopeNumber('42')).toBe(42);
    expect(scopeNumber('planet')).toBeUndefined();
    expect(scopeNumber('256')).toBeUndefined();
  });

  it('computes brd + and brd - and takes an explicit broadcast', () => {
    expect(broadcastFor('192.0.2.100', 24, '+')).toEqual(Buffer.from([192, 0, 2, 255]));
    expect(broadcastFor('192.0.2.100', 24, '-')).toEqual(Buffer.from([192, 0, 2, 0]));
    expect(broadcastFor('192.0.2.100', 32, '+')).toEqual(Buffer.from([192, 0, 2, 100]));
    expect(broadcastFor('192.0.2.100', 0, '+')).toEqual(Buffer.from([255, 255, 255, 255]));
    expect(broadcastFor('192.0.2.100', 24, '192.0.2.127')).toEqual(Buffer.from([192, 0, 2, 127]));
    expect(broadcastFor('192.0.2.100', 24, 'nonsense')).toBeUndefined();
    expect(broadcastFor('192.0.2.100', 24, '2001:db8::1')).toBeUndefined();
  });
});

describe('route prefixes', () => {
  it('parses prefixes, host routes and default', () => {
    expect(parsePrefix('203.0.113.0/24')).toEqual({ family: 'ipv4', bytes: Buffer.from([203, 0, 113, 0]), len: 24 });
    expect(parsePrefix('203.0.113.9')?.len).toBe(32);
    expect(parsePrefix('2001:db8:1::/48')).toMatchObject({ family: 'ipv6', len: 48 });
    expect(parsePrefix('default', 'ipv6')).toEqual({ family: 'ipv6', bytes: undefined, len: 0 });
    expect(parsePrefix('203.0.113.0/33')).toBeUndefined();
    expect(parsePrefix('x/24')).toBeUndefined();
  });
});

describe('socket option structures', () => {
  it('ip_mreqn is group, any address, ifindex in host order; ipv6_mreq is group, ifindex', () => {
    const m = ipMreqn(Buffer.from([224, 0, 0, 18]), 7);
    expect(m.length).toBe(12);
    expect([...m.subarray(0, 8)]).toEqual([224, 0, 0, 18, 0, 0, 0, 0]);
    expect(m.readInt32LE(8)).toBe(7);
    const m6 = ipv6Mreq(Buffer.from('ff020000000000000000000000000012', 'hex'), 9);
    expect(m6.length).toBe(20);
    expect(m6.subarray(0, 16).toString('hex')).toBe('ff020000000000000000000000000012');
    expect(m6.readUInt32LE(16)).toBe(9);
  });
});

describe('rtnetlink message conversion', () => {
  it('reads a link: index, name, IFF_UP / IFF_RUNNING, MAC; up only with both flags', () => {
    const l = linkFromMessage({ kind: 'link', data: { index: 3, flags: { up: true, running: true } }, attrs: { ifname: 'eth0', address: Buffer.from('020000000001', 'hex'), mtu: 1500 } });
    expect(l).toEqual({ ifindex: 3, ifname: 'eth0', up: true, running: true, mac: '02:00:00:00:00:01', mtu: 1500 });
    expect(linkStateOf(l!)).toBe('up');
    expect(linkStateOf({ ...l!, running: false })).toBe('down');
    expect(linkStateOf({ ...l!, up: false })).toBe('down');
    expect(linkFromMessage({ kind: 'link', data: {}, attrs: {} })).toBeUndefined();
  });

  it('reads an address: IFA_LOCAL for IPv4, IFA_FLAGS over ifa_flags, label and broadcast', () => {
    const a = addressFromMessage({
      kind: 'address',
      data: { family: 2, prefixlen: 24, scope: 0, index: 2, flags: {} },
      attrs: { address: Buffer.from([192, 0, 2, 9]), local: Buffer.from([192, 0, 2, 1]), label: 'eth0:1', broadcast: Buffer.from([192, 0, 2, 255]), flags: { secondary: true, permanent: true } },
    });
    expect(a).toEqual({ ifindex: 2, family: 'ipv4', address: '192.0.2.1', prefixLen: 24, scope: 0, label: 'eth0:1', broadcast: '192.0.2.255', secondary: true, permanent: true, noPrefixRoute: false });
    const b = addressFromMessage({ kind: 'address', data: { family: 10, prefixlen: 64, scope: 253, index: 2 }, attrs: { address: Buffer.from('fe800000000000000000000000000001', 'hex') } });
    expect(b).toMatchObject({ family: 'ipv6', address: 'fe80::1', scope: 253, secondary: false });
    expect(addressFromMessage({ kind: 'address', data: { family: 7, index: 1 }, attrs: {} })).toBeUndefined();
    expect(addressFromMessage({ kind: 'address', data: { family: 2, index: 1 }, attrs: { local: Buffer.from([1, 2]) } })).toBeUndefined();
  });

  it('takes the errno name from netlink 0.3 rejections and from error codes', () => {
    expect(errnoName(new Error('Request rejected: EEXIST'))).toBe('EEXIST');
    expect(errnoName(Object.assign(new Error('x'), { code: 'ENODEV' }))).toBe('ENODEV');
    expect(errnoName(new Error('something else'))).toBeUndefined();
    expect(errnoText('ENODEV')).toBe('no such device (ENODEV)');
    expect(errnoText('EWHATEVER')).toBe('EWHATEVER');
    // raw-socket throws bare strerror() text.
    expect(errnoOf(new Error('Invalid argument'))).toBe('EINVAL');
    expect(errnoOf(Object.assign(new Error('x'), { code: 'ENOBUFS' }))).toBe('ENOBUFS');
    expect(errnoOf(new Error('Something unheard of'))).toBeUndefined();
  });
});

describe('the kts_net addon', () => {
  const native = loadNative();

  it('is built and loads', () => {
    expect(native).toMatchObject({ ok: true });
  });

  it('refuses bad arguments with a TypeError before touching any socket', () => {
    if (!native.ok) throw new Error(native.error);
    const { packetSend, Raw6Socket } = native.addon;
    expect(() => packetSend(0, Buffer.alloc(60))).toThrow(TypeError);
    expect(() => packetSend(1, Buffer.alloc(10))).toThrow(/14\.\.9216 bytes/);
    expect(() => packetSend(1, 'frame' as unknown as Buffer)).toThrow(TypeError);
    expect(() => new Raw6Socket('', 1, 112, () => {})).toThrow(TypeError);
    expect(() => new Raw6Socket('a-name-longer-than-ifnamsiz', 1, 112, () => {})).toThrow(TypeError);
    expect(() => new Raw6Socket('eth0', 1, 300, () => {})).toThrow(TypeError);
    expect(() => new Raw6Socket('eth0', 1, 112, 'cb' as never)).toThrow(TypeError);
  });
});
