import { describe, expect, it } from 'vitest';
import { SimLan, isMulticast } from '../../src/adapters/sim-lan.js';
import { VirtualScheduler } from '../../src/engine/scheduler.js';
import type { ReceivedVrrpPacket } from '../../src/engine/transport.js';

/** Three routers on one segment; records what each receives. */
function lab(opts: ConstructorParameters<typeof SimLan>[1] = {}) {
  const sched = new VirtualScheduler();
  const lan = new SimLan(sched, opts);
  const got: Record<string, ReceivedVrrpPacket[]> = { a: [], b: [], c: [] };
  const addr: Record<string, string> = { a: '192.0.2.10', b: '192.0.2.11', c: '192.0.2.12' };
  for (const n of ['a', 'b', 'c']) {
    lan.attach(n, 'eth0', 'lan', [addr[n]!]);
    lan.transport(n).receive$.subscribe((p) => got[n]!.push(p));
  }
  const send = (from: string, dst = '224.0.0.18', byte = 0): void =>
    lan.transport(from).send({ ifname: 'eth0', family: 'ipv4', src: addr[from]!, dst, ttl: 255, payload: Uint8Array.of(byte) });
  return { sched, lan, got, send };
}

describe('SimLan delivery', () => {
  it('multicast reaches every other interface on the segment, not the sender, with src/dst/TTL and the bytes', () => {
    const { sched, got, send } = lab({ link: { delayMs: 0.5 } });
    send('a', '224.0.0.18', 7);
    expect(got.b).toHaveLength(0); // nothing before the link delay
    sched.runUntil(1);
    expect(got.a).toHaveLength(0);
    for (const n of ['b', 'c']) {
      expect(got[n]).toHaveLength(1);
      expect(got[n]![0]).toMatchObject({ ifname: 'eth0', src: '192.0.2.10', dst: '224.0.0.18', ttl: 255, at: 0.5 });
      expect([...got[n]![0]!.payload]).toEqual([7]);
    }
  });

  it('unicast reaches only the holder of the destination address; an unknown address is unroutable', () => {
    const { sched, lan, got, send } = lab();
    send('a', '192.0.2.12');
    send('a', '192.0.2.99');
    sched.runUntil(10);
    expect(got.b).toHaveLength(0);
    expect(got.c).toHaveLength(1);
    expect(lan.stats.unroutable).toBe(1);
  });

  it('segments are separate broadcast domains', () => {
    const sched = new VirtualScheduler();
    const lan = new SimLan(sched);
    lan.attach('a', 'eth0', 's1', ['192.0.2.10']);
    lan.attach('b', 'eth0', 's1', ['192.0.2.11']);
    lan.attach('b', 'eth1', 's2', ['198.51.100.11']);
    lan.attach('c', 'eth0', 's2', ['198.51.100.12']);
    const got: string[] = [];
    lan.transport('c').receive$.subscribe((p) => got.push(`${p.ifname}<${p.src}`));
    const gotB: string[] = [];
    lan.transport('b').receive$.subscribe((p) => gotB.push(`${p.ifname}<${p.src}`));
    lan.transport('a').send({ ifname: 'eth0', family: 'ipv4', src: '192.0.2.10', dst: '224.0.0.18', ttl: 255, payload: new Uint8Array(1) });
    sched.runUntil(10);
    expect(got).toEqual([]);
    expect(gotB).toEqual(['eth0<192.0.2.10']);
  });

  it('loss drops about the configured share, reproducibly from the seed', () => {
    const run = (seed: number): number => {
      const { sched, got, send } = lab({ seed, link: { loss: 0.3 } });
      for (let i = 0; i < 2000; i++) send('a');
      sched.runUntil(10);
      return got.b!.length;
    };
    const n = run(42);
    expect(n).toBeGreaterThan(2000 * 0.65);
    expect(n).toBeLessThan(2000 * 0.75);
    expect(run(42)).toBe(n);
    expect(run(43)).not.toBe(n);
  });

  it('a partition cuts both directions between the groups only, and heals', () => {
    const { sched, lan, got, send } = lab();
    lan.partition(['a'], ['b']);
    send('a');
    send('b');
    sched.runUntil(1);
    expect(got.b).toHaveLength(0);
    expect(got.a).toHaveLength(0);
    expect(got.c).toHaveLength(2);
    lan.heal();
    send('a');
    sched.runUntil(2);
    expect(got.b).toHaveLength(1);
  });

  it('duplication delivers a second copy of the same bytes', () => {
    const { sched, lan, got, send } = lab({ link: { duplicate: 1 } });
    send('a', '192.0.2.11', 9);
    sched.runUntil(1);
    expect(got.b).toHaveLength(2);
    expect([...got.b![1]!.payload]).toEqual([9]);
    expect(lan.stats.duplicated).toBe(1);
  });

  it('reordering holds some packets back so later ones overtake them', () => {
    const { sched, got, send } = lab({ seed: 7, link: { reorder: 0.5, reorderDelayMs: 5, delayMs: 0.1 } });
    for (let i = 0; i < 20; i++) {
      send('a', '192.0.2.11', i);
      sched.advance(1);
    }
    sched.runUntil(100);
    const order = got.b!.map((p) => p.payload[0]!);
    expect(order.slice().sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
    expect(order).not.toEqual([...Array(20).keys()]);
  });

  it('per-link delay and jitter apply to that link only', () => {
    const { sched, lan, got, send } = lab({ link: { delayMs: 1 } });
    lan.setLink('a', 'c', { delayMs: 40 });
    send('a');
    sched.runUntil(100);
    expect(got.b![0]!.at).toBe(1);
    expect(got.c![0]!.at).toBe(40);
  });

  it('an interface down neither sends nor receives, and drops what was in flight to it', () => {
    const { sched, lan, got, send } = lab({ link: { delayMs: 5 } });
    send('a');
    lan.setInterfaceUp('b', 'eth0', false); // while the packet is in flight
    sched.runUntil(10);
    expect(got.b).toHaveLength(0);
    expect(got.c).toHaveLength(1);
    send('b');
    sched.runUntil(20);
    expect(got.a).toHaveLength(0);
    lan.setInterfaceUp('b', 'eth0', true);
    send('a');
    sched.runUntil(30);
    expect(got.b).toHaveLength(1);
  });

  it('hops decrement the TTL (a routed unicast peer)', () => {
    const { sched, lan, got, send } = lab();
    lan.setLink('a', 'b', { hops: 2 });
    send('a', '192.0.2.11');
    sched.runUntil(1);
    expect(got.b![0]!.ttl).toBe(253);
  });

  it('recognises multicast addresses of both families', () => {
    expect(isMulticast('224.0.0.18')).toBe(true);
    expect(isMulticast('239.1.2.3')).toBe(true);
    expect(isMulticast('192.0.2.1')).toBe(false);
    expect(isMulticast('ff02::12')).toBe(true);
    expect(isMulticast('fe80::1')).toBe(false);
    expect(isMulticast('2001:db8::1')).toBe(false);
  });
});
