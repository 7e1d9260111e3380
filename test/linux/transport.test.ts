/**
 * The raw-socket VRRP transport on a real kernel: two hosts on a bridge in network namespaces; each
 * runs the adapter in its own namespace (test/linux/runner.ts) and tcpdump watches the bridge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetnsLab } from '../helpers/netns.js';
import { parseAddress, vrrpChecksumVerifies } from '../../src/protocol/index.js';
import { Capture, startRunnerPair, type Runner } from './adapter-lab.js';

/** The v3 IPv6 checksum (RFC 5798 §5.2.8, pseudo-header) of a received payload verifies. */
function v3ChecksumOk(rx: Record<string, unknown>): boolean {
  const src = parseAddress(rx['src'] as string, 'ipv6')!.bytes;
  const dst = parseAddress(rx['dst'] as string, 'ipv6')!.bytes;
  return vrrpChecksumVerifies(Buffer.from(rx['payload'] as string, 'hex'), 'ipv6-pseudo-header', src, dst);
}

const v2Advert = (vrid: number, priority: number) => ({
  version: 2,
  type: 1,
  vrid,
  priority,
  maxAdverIntCs: 100,
  addresses: ['192.0.2.100'],
  family: 'ipv4',
  authType: 0,
});
const v3Advert6 = (vrid: number, priority: number) => ({
  version: 3,
  type: 1,
  vrid,
  priority,
  maxAdverIntCs: 10,
  addresses: ['2001:db8::100'],
  family: 'ipv6',
});

let lab: NetnsLab;
let a: Runner;
let b: Runner;
let aInfo: { ipv4: string; ll: string };
let bInfo: { ipv4: string; ll: string };

beforeAll(async () => {
  ({ lab, a, b } = await startRunnerPair('lnxtr'));
  aInfo = (await a.call('lookup', { ifname: 'eth0' })) as typeof aInfo;
  bInfo = (await b.call('lookup', { ifname: 'eth0' })) as typeof bInfo;
});

afterAll(() => lab?.cleanup());

describe('lookups', () => {
  it('finds the primary IPv4 address and the IPv6 link-local address of the interface', () => {
    expect(aInfo.ipv4).toBe('192.0.2.1');
    expect(bInfo.ipv4).toBe('192.0.2.2');
    expect(aInfo.ll).toMatch(/^fe80::/);
  });
});

describe('IPv4', () => {
  it('sends adverts to 224.0.0.18 that arrive with TTL 255, TOS 0xC0, the right source and destination', async () => {
    const cap = await Capture.start(lab, ['ip proto 112']);
    try {
      const from = b.mark;
      const sent = await a.call('send-advert', { ifname: 'eth0', src: '192.0.2.1', dst: '224.0.0.18', advert: v2Advert(51, 150) });
      const rx = await b.waitEvent((e) => e['event'] === 'rx' && e['family'] === 'ipv4', from);
      expect(rx).toMatchObject({ ifname: 'eth0', src: '192.0.2.1', dst: '224.0.0.18', ttl: 255, tos: 0xc0, payload: sent['sent'] });
      expect(typeof rx['at']).toBe('number');
      // The wire, as a third party sees it.
      const text = await cap.waitFor(/vrid 51/);
      expect(text).toMatch(/tos 0xc0, ttl 255,.*proto VRRP \(112\)/);
      expect(text).toMatch(/192\.0\.2\.1 > 224\.0\.0\.18: VRRPv2, Advertisement, vrid 51, prio 150/);
    } finally {
      cap.stop();
    }
  });

  it('does not loop its own multicast back to the sender', async () => {
    const from = a.mark;
    await a.call('send-advert', { ifname: 'eth0', src: '192.0.2.1', dst: '224.0.0.18', advert: v2Advert(52, 150) });
    await b.waitEvent((e) => e['event'] === 'rx' && String(e['payload']).startsWith('2134'), 0);
    expect(a.events('rx', from).filter((e) => e['family'] === 'ipv4')).toEqual([]);
  });

  it('sends to a unicast peer and the peer receives it without joining any group', async () => {
    const from = b.mark;
    await a.call('send-advert', { ifname: 'eth0', src: '192.0.2.1', dst: '192.0.2.2', advert: v2Advert(53, 120) });
    const rx = await b.waitEvent((e) => e['event'] === 'rx' && e['dst'] === '192.0.2.2', from);
    expect(rx).toMatchObject({ src: '192.0.2.1', dst: '192.0.2.2', ttl: 255, tos: 0xc0 });
  });

  it('reports a packet sent with TTL 64 by a plain raw socket as TTL 64 (so validation can drop it)', async () => {
    const from = b.mark;
    const payload = '2136' + '7801' + '0001' + '0000' + 'c0000264' + '0000000000000000';
    const r = await a.call('send-plain', { family: 'ipv4', ifname: 'eth0', dst: '224.0.0.18', ttl: 64, payload });
    expect(r['bytes']).toBe(payload.length / 2);
    const rx = await b.waitEvent((e) => e['event'] === 'rx' && e['payload'] === payload, from);
    expect(rx['ttl']).toBe(64);
  });
});

describe('IPv6', () => {
  it('sends v3 adverts to ff02::12 from the link-local address, received with hop limit 255', async () => {
    const cap = await Capture.start(lab, ['ip6 proto 112']);
    try {
      const from = b.mark;
      const sent = await a.call('send-advert', { ifname: 'eth0', src: aInfo.ll, dst: 'ff02::12', advert: v3Advert6(61, 200) });
      const rx = await b.waitEvent((e) => e['event'] === 'rx' && e['family'] === 'ipv6', from);
      expect(rx).toMatchObject({ ifname: 'eth0', src: aInfo.ll, dst: 'ff02::12', ttl: 255, payload: sent['sent'] });
      expect(v3ChecksumOk(rx)).toBe(true);
      const text = await cap.waitFor(/vrid 61/);
      expect(text).toMatch(/hlim 255, next-header VRRP \(112\)/);
      expect(text).toContain(`${aInfo.ll} > ff02::12: VRRPv3, Advertisement, vrid 61, prio 200`);
    } finally {
      cap.stop();
    }
  });

  it('reports a packet sent with hop limit 64 by a plain raw socket as 64', async () => {
    const from = b.mark;
    // A v3 advert for vrid 62, checksum left to the sending kernel (IPV6_CHECKSUM).
    const payload = '313e6401000a0000' + '20010db8000000000000000000000100';
    const r = await a.call('send-plain', { family: 'ipv6', ifname: 'eth0', dst: 'ff02::12', ttl: 64, payload });
    expect(r['bytes']).toBe(payload.length / 2);
    const rx = await b.waitEvent((e) => e['event'] === 'rx' && e['family'] === 'ipv6' && String(e['payload']).startsWith('313e'), from);
    expect(rx['ttl']).toBe(64);
    // The sending kernel filled the checksum (IPV6_CHECKSUM) over the real source: it verifies.
    expect(v3ChecksumOk(rx)).toBe(true);
  });

  it('sends to a unicast IPv6 peer', async () => {
    const from = b.mark;
    await a.call('send-advert', { ifname: 'eth0', src: aInfo.ll, dst: bInfo.ll, advert: v3Advert6(63, 100) });
    const rx = await b.waitEvent((e) => e['event'] === 'rx' && e['dst'] === bInfo.ll, from);
    expect(rx).toMatchObject({ src: aInfo.ll, ttl: 255 });
  });
});



describe('errors', () => {
  it('opening several endpoints reports a missing interface and opens the others', async () => {
    const r = await a.call('open-all', {
      endpoints: [
        { ifname: 'eth0', family: 'ipv4' },
        { ifname: 'nosuch0', family: 'ipv4' },
        { ifname: 'eth0', family: 'ipv6', groups: [] },
      ],
    });
    expect(r['failures']).toEqual([{ ifname: 'nosuch0', family: 'ipv4', op: 'open', code: 'ENODEV', message: 'no interface nosuch0' }]);
    expect(r['opened']).toEqual([
      { ifname: 'eth0', ifindex: expect.any(Number), family: 'ipv4', groups: ['224.0.0.18'] },
      { ifname: 'eth0', ifindex: expect.any(Number), family: 'ipv6', groups: [] },
    ]);
  });

  it('a group the kernel refuses to join is an open error that names it; the socket keeps working', async () => {
    const r = (await a.call('open', { ifname: 'eth0', family: 'ipv4', groups: ['224.0.0.18', '192.0.2.77'] })) as { ok: boolean; error: Record<string, unknown> };
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ ifname: 'eth0', family: 'ipv4', op: 'open', code: 'EINVAL' });
    expect(r.error['message']).toMatch(/^cannot join 192\.0\.2\.77 on eth0: /);
    const from = b.mark;
    await a.call('send-advert', { ifname: 'eth0', src: '192.0.2.1', dst: '224.0.0.18', advert: v2Advert(55, 100) });
    await b.waitEvent((e) => e['event'] === 'rx' && String(e['payload']).startsWith('2137'), from);
  });

  it('a send on an interface without a socket is reported on errors$, not thrown', async () => {
    const from = a.mark;
    await a.call('send-advert', { ifname: 'nosuch0', src: '192.0.2.1', dst: '224.0.0.18', advert: v2Advert(54, 100) });
    const err = await a.waitEvent((e) => e['event'] === 'transport-error', from);
    expect(err).toMatchObject({ ifname: 'nosuch0', op: 'send', code: 'ENODEV' });
    expect((await a.call('stats'))['sendErrors']).toBeGreaterThanOrEqual(1);
  });
});

describe('bursts (50 instances at 10 ms: 5,000 adverts/s)', () => {
  it('puts every advert of a burst on the socket before send returns (no one-per-loop-turn queue)', async () => {
    const r = await a.call('send-burst', { ifname: 'eth0', src: '192.0.2.1', dst: '224.0.0.18', advert: v2Advert(61, 150), count: 50 });
    expect(r).toEqual({ sentBeforeReturn: 50 });
  });

  it('reads the adverts that queued up while the loop was busy in one loop turn, not one per turn', async () => {
    const held = b.call('hold-then-count', { ms: 400 });
    await new Promise((r) => setTimeout(r, 100)); // b is now inside its busy hold
    expect(await a.call('send-burst', { ifname: 'eth0', src: '192.0.2.1', dst: '224.0.0.18', advert: v2Advert(62, 150), count: 50 })).toEqual({ sentBeforeReturn: 50 });
    const r = (await held) as { receivedInOneTurn: number };
    // One readable event reads the whole backlog (up to its batch of 64), not 1 datagram.
    expect(r.receivedInOneTurn).toBe(50);
  });

  it('drain() hands over the whole backlog at once, past the 64 a readable wake-up reads', async () => {
    const held = b.call('hold-then-drain', { ms: 400 });
    await new Promise((r) => setTimeout(r, 100)); // b is now inside its busy hold
    expect(await a.call('send-burst', { ifname: 'eth0', src: '192.0.2.1', dst: '224.0.0.18', advert: v2Advert(62, 150), count: 200 })).toEqual({ sentBeforeReturn: 200 });
    expect(await held).toEqual({ receivedByDrain: 200 });
  });

  it('a backlog of 1,000 adverts (a busy start of 50 instances at 10 ms) fits the socket: none is dropped', async () => {
    // The kernel's default receive buffer holds ≈ 270 of them; the transport asks for 4 MiB.
    const held = b.call('hold-then-drain', { ms: 600 });
    await new Promise((r) => setTimeout(r, 100)); // b is now inside its busy hold
    expect(await a.call('send-burst', { ifname: 'eth0', src: '192.0.2.1', dst: '224.0.0.18', advert: v2Advert(63, 150), count: 1000 })).toEqual({ sentBeforeReturn: 1000 });
    expect(await held).toEqual({ receivedByDrain: 1000 });
  });
});
