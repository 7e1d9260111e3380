/**
 * A received advert is stamped with the kernel's receive time, not with the moment JavaScript got
 * round to it: a backup's Master_Down_Timer counts from `ReceivedVrrpPacket.at`, so an advert that
 * waited in the socket while the event loop was busy must still carry the time it arrived.
 *
 * Host 1's runner (test/linux/runner.ts) holds its event loop in a 300 ms busy-wait; a python3
 * child on host 0 sends one forged advert 100 ms after being told to go and reports when it sent.
 * The advert reaches host 1 in the middle of the hold; its `at` must be within 20 ms of the send,
 * not at or after the end of the hold (where the old `at = now()` put it).
 *
 * Clocks: the runner's transport clock is Date.now() and the child reports time.time(); both are
 * CLOCK_REALTIME of one kernel (network namespaces share it).
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type NetnsLab } from '../helpers/netns.js';
import { JsonlProcess } from '../helpers/jsonl-process.js';
import { arrivalTime } from '../../src/adapters/linux/raw-vrrp-transport.js';
import { startRunner, type Runner } from './adapter-lab.js';

const HOLD_MS = 300;
const SEND_DELAY_MS = 100;
const TOLERANCE_MS = 20;

/**
 * A python3 advert forger started in `ns`: it opens its socket, prints {armed}, then on each "go"
 * line on stdin sleeps `delayMs`, sends one advert and prints {sentAt} (time.time() in ms).
 * IPv4: a plain raw socket (IP_HDRINCL off, the kernel writes the header), multicast TTL 255, a
 * VRRPv2 advert with its checksum. IPv6: as sendForgedAdvert6 (test/daemon/interop-lab.ts), hop
 * limit 255, the kernel fills the v3 checksum (IPV6_CHECKSUM at 6).
 */
function startForger(lab: NetnsLab, ns: string, family: 'ipv4' | 'ipv6', vrid: number, delayMs: number): ChildProcess {
  const common = `
import json, socket, struct, sys, time
idx = socket.if_nametoindex('eth0')
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
`;
  const setup =
    family === 'ipv4'
      ? `
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'eth0\\0')
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 0)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack('=4s4si', b'\\0' * 4, b'\\0' * 4, idx))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
body = struct.pack('!BBBBBBH', 0x21, ${vrid}, 150, 1, 0, 1, 0) + socket.inet_aton('192.0.2.100') + b'\\0' * 8
pkt = body[:6] + struct.pack('!H', csum(body)) + body[8:]
dst = ('224.0.0.18', 0)
`
      : `
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(255, 7, 6)
pkt = struct.pack('!BBBBHH', 0x31, ${vrid}, 150, 1, 100, 0) + socket.inet_pton(socket.AF_INET6, '2001:db8::100')
dst = ('ff02::12', 0, 0, idx)
`;
  const loop = `
print(json.dumps({'armed': True}), flush=True)
for line in sys.stdin:
    time.sleep(${delayMs / 1000})
    s.sendto(pkt, dst)
    print(json.dumps({'sentAt': time.time() * 1000}), flush=True)
`;
  return lab.spawn(ns, ['python3', '-u', '-c', common + setup + loop]);
}

let lab: NetnsLab;
let b: Runner;

beforeAll(async () => {
  lab = createLab(2, { tag: 'rxts' });
  try {
    b = await startRunner(lab, lab.hosts[1]!.ns);
    for (const family of ['ipv4', 'ipv6'] as const) expect(await b.call('open', { ifname: 'eth0', family })).toEqual({ ok: true });
  } catch (e) {
    lab.cleanup();
    throw e;
  }
});

afterAll(() => lab?.cleanup());

describe.each([
  { family: 'ipv4' as const, vrid: 71, firstBytes: '2147' },
  { family: 'ipv6' as const, vrid: 72, firstBytes: '3148' },
])('$family: an advert that arrives while the event loop is busy', ({ family, vrid, firstBytes }) => {
  it(`is stamped with its arrival time (within ${TOLERANCE_MS} ms of the send), not with the end of the ${HOLD_MS} ms hold`, async () => {
    const forger = new JsonlProcess(startForger(lab, lab.hosts[0]!.ns, family, vrid, SEND_DELAY_MS));
    try {
      await forger.waitFor((e) => e['armed'] === true, 10_000);
      const from = b.mark;
      // Go, and at once hold the receiver's loop: the advert lands ~100 ms into the hold.
      forger.send('go');
      const hold = (await b.call('hold', { ms: HOLD_MS })) as { start: number; end: number };
      const { sentAt } = (await forger.waitFor((e) => typeof e['sentAt'] === 'number', 5_000)) as { sentAt: number };
      const rx = await b.waitEvent((e) => e['event'] === 'rx' && e['family'] === family && String(e['payload']).startsWith(firstBytes), from);
      const at = rx['at'] as number;
      // The setup did what it says: the advert was sent while the receiver's loop was held.
      expect(sentAt).toBeGreaterThan(hold.start);
      expect(sentAt).toBeLessThan(hold.end - 50);
      // The stamp is the arrival, not the moment JavaScript read it.
      expect(Math.abs(at - sentAt)).toBeLessThan(TOLERANCE_MS);
      expect(at).toBeLessThan(hold.end);
    } finally {
      forger.proc.stdin?.end();
    }
  });
});

describe('arrivalTime: from the kernel stamp\'s age to the engine clock', () => {
  it('is now minus the age, in ms', () => {
    expect(arrivalTime(1_000, 2_500_000, -Infinity)).toBe(997.5);
  });
  it('is now when the kernel gave no stamp', () => {
    expect(arrivalTime(1_000, -1, -Infinity)).toBe(1_000);
    expect(arrivalTime(1_000, undefined, -Infinity)).toBe(1_000);
  });
  it('is never earlier than the previous packet on the socket (a wall clock stepped back)', () => {
    expect(arrivalTime(1_000, 50_000_000, 990)).toBe(990);
  });
  it('is never later than now', () => {
    expect(arrivalTime(1_000, 0, 1_200)).toBe(1_000);
  });
});
