import { describe, expect, it } from 'vitest';
import type { VrrpInstance } from '../../src/config/types.js';
import type { VrrpInput, VrrpTimer } from '../../src/machines/vrrp/contract.js';
import { Driver } from './fixtures.js';

/**
 * Two routers and one client on a tiny LAN with virtual time. Router A (priority 200) and the
 * client are cut off from router B (priority 100) until `healAt`, so both routers are MASTER and
 * the client's ARP entry for the VIP points at B (the only GARPs it heard). The requirement: after
 * the heal, the client reaches the surviving master (A) within one advert interval, whichever
 * router's advert crosses first.
 */
function run(healAt: number, over: Partial<VrrpInstance> = {}) {
  const latency = 1;
  const nodes = {
    A: new Driver({ priority: 200, unicastSrcIp: '192.0.2.20', ...over }),
    B: new Driver({ priority: 100, unicastSrcIp: '192.0.2.10', ...over }),
  } as const;
  type Name = keyof typeof nodes;
  const addr: Record<Name, string> = { A: '192.0.2.20', B: '192.0.2.10' };
  let clientArp: Name | undefined;
  const clientSide: Name = 'B';
  const log: string[] = [];
  let queue: Array<{ at: number; node: Name; input: VrrpInput; seq: number; timerId?: number }> = [];
  let seq = 0;
  const timers = new Map<string, number>();
  const connected = (at: number) => at >= healAt;

  const feed = (node: Name, input: VrrpInput) => {
    const r = nodes[node].step(input);
    if (r.transition) log.push(`${input.at} ${node} ${r.transition.from}->${r.transition.to}`);
    for (const a of r.actions) {
      if (a.type === 'armTimer') {
        const id = ++seq;
        timers.set(`${node}:${a.timer}`, id);
        queue.push({ at: input.at + a.delayMs, node, input: { type: 'timer', at: input.at + a.delayMs, timer: a.timer }, seq: id, timerId: id });
      } else if (a.type === 'cancelTimer') {
        timers.delete(`${node}:${a.timer}`);
      } else if (a.type === 'sendAdvert') {
        const other: Name = node === 'A' ? 'B' : 'A';
        if (connected(input.at)) {
          const at = input.at + latency;
          queue.push({ at, node: other, seq: ++seq, input: { type: 'advert', at, src: addr[node], priority: a.priority, maxAdverIntCs: a.maxAdverIntCs, addresses: a.addresses } });
        }
      } else if (a.type === 'sendGarp') {
        if (node === clientSide || connected(input.at)) {
          clientArp = node;
          log.push(`${input.at} client learns ${node}`);
        }
      }
    }
  };

  feed('A', { type: 'startup', at: 0 });
  feed('B', { type: 'startup', at: 0 });
  const end = healAt + 1000;
  while (queue.length > 0) {
    queue.sort((x, y) => x.at - y.at || x.seq - y.seq);
    const ev = queue.shift()!;
    if (ev.at > end) break;
    if (ev.timerId !== undefined) {
      const key = `${ev.node}:${(ev.input as { timer: VrrpTimer }).timer}`;
      if (timers.get(key) !== ev.timerId) continue;
      timers.delete(key);
    }
    feed(ev.node, ev.input);
  }
  queue = [];
  return { a: nodes.A.state, b: nodes.B.state, clientArp, log };
}

describe('split brain after a partition heals', () => {
  it('loser hears the winner first: the loser announces itself while yielding, the winner GARPs', () => {
    // A's next advert (10 218.75) crosses before B's (10 609.375).
    const r = run(10_000);
    expect(r.log).toContain('10219.75 B MASTER->BACKUP');
    expect(r.a).toBe('MASTER');
    expect(r.b).toBe('BACKUP');
    expect(r.clientArp).toBe('A');
    // The GARP went out one hop after B's farewell advert, well within one advert interval.
    expect(r.log).toContain('10220.75 client learns A');
  });

  it('winner hears the loser first: the winner answers the lower-priority advert with a GARP burst', () => {
    // B's next advert (10 609.375) crosses before A's (11 218.75).
    const r = run(10_300);
    expect(r.log).toContain('10610.375 client learns A');
    expect(r.log).toContain('10611.375 B MASTER->BACKUP');
    expect(r.a).toBe('MASTER');
    expect(r.b).toBe('BACKUP');
    expect(r.clientArp).toBe('A');
  });

  it('without the mechanism (strict mode, RFC behaviour) the client stays on the loser in the first order', () => {
    // This is keepalived's default behaviour in that order; it shows what the mechanism fixes.
    const r = run(10_000, { strictMode: true, lowerPrioNoAdvert: true });
    expect(r.a).toBe('MASTER');
    expect(r.b).toBe('BACKUP');
    expect(r.clientArp).toBe('B');
  });
});
