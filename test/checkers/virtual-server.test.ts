import { describe, expect, it } from 'vitest';
import type { VirtualServer } from '../../src/config/types.js';
import { RecordingIpvs } from '../../src/adapters/ipvs-recording.js';
import type { VsAction, VsInput, VsStepResult } from '../../src/machines/virtual-server/contract.js';
import { createVirtualServer, type VsState } from '../../src/machines/virtual-server/machine.js';
import { rsFifoLine, vsFifoLine } from '../../src/machines/virtual-server/format.js';
import { isIpvsEffect } from '../../src/engine/checkers.js';
import { realServer, tcpCheck, virtualServer } from './fixtures.js';

/** Drives one virtual server, applies its IPVS effects to the recording twin, keeps the rest. */
class Vs {
  readonly actor;
  readonly ipvs = new RecordingIpvs();
  state: VsState;
  last!: VsStepResult<VsState>;
  constructor(readonly config: VirtualServer) {
    this.actor = createVirtualServer(config);
    this.state = this.actor.init();
  }
  step(input: VsInput): VsAction[] {
    this.last = this.actor.step(this.state, input);
    this.state = this.last.state;
    for (const a of this.last.actions) {
      if (isIpvsEffect(a)) {
        const r = this.ipvs.applySync(a);
        // Every effect must be one the kernel accepts: the twin applies the kernel's rules.
        expect(r, JSON.stringify(a)).toEqual({ ok: true });
      }
    }
    return this.last.actions;
  }
  start(checkersUp?: boolean[][]): VsAction[] {
    return this.step({ type: 'startup', at: 0, checkersUp: checkersUp ?? this.config.realServers.map((rs) => rs.checkers.map(() => true)) });
  }
  checker(rs: number, up: boolean, checker = 0, firstCheck?: boolean): VsAction[] {
    return this.step({ type: 'checker', at: 1, rs, checker, up, ...(firstCheck ? { firstCheck } : {}) });
  }
  /** The table: address → weight. */
  table(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const d of this.ipvs.destsOf(this.actor.service) ?? []) out[d.address] = d.weight;
    return out;
  }
  get quorum() {
    return this.actor.view(this.state).quorum;
  }
}

const fifo = (actions: VsAction[]) => actions.flatMap((a) => (a.type === 'fifo' ? [a.line] : []));
const notifies = (actions: VsAction[]) => actions.flatMap((a) => (a.type === 'notify' ? [`${a.target} ${a.name} ${a.state} ${a.script.argv.join(' ')}`] : []));

describe('virtual server: start and real servers coming and going', () => {
  it('adds the service and every healthy real server with its weight; quorum comes up with its notifiers', () => {
    const vs = new Vs(
      virtualServer([realServer('192.0.2.21', { weight: 3 }), realServer('192.0.2.22', { weight: 2 })], { quorumUp: { argv: ['/usr/local/bin/up'] } }),
    );
    const actions = vs.start();
    expect(actions[0]).toEqual({ type: 'ipvsAddService', service: { id: vs.actor.service, scheduler: 'rr', flags: [] } });
    expect(vs.table()).toEqual({ '192.0.2.21': 3, '192.0.2.22': 2 });
    expect(vs.quorum).toBe('UP');
    expect(vs.last.transition).toMatchObject({ from: 'INIT', to: 'UP', reason: { code: 'startup', weightSum: 5, threshold: 1 } });
    expect(notifies(actions)).toEqual(['vs 192.0.2.100:80 UP /usr/local/bin/up']);
    expect(fifo(actions)).toEqual(['VS [192.0.2.100]:tcp:80 UP']);
  });

  it('a failed real server leaves the table and runs notify_down; recovering puts it back and runs notify_up', () => {
    const vs = new Vs(
      virtualServer([
        realServer('192.0.2.21', { notifyDown: { argv: ['/bin/rs-down', 'a'] }, notifyUp: { argv: ['/bin/rs-up'] } }),
        realServer('192.0.2.22'),
      ]),
    );
    vs.start();
    let a = vs.checker(0, false);
    expect(a).toContainEqual({ type: 'ipvsDelDest', service: vs.actor.service, dest: { address: '192.0.2.21', port: 80 } });
    expect(vs.table()).toEqual({ '192.0.2.22': 1 });
    expect(notifies(a)).toEqual(['rs 192.0.2.21:80 DOWN /bin/rs-down a']);
    expect(fifo(a)).toEqual(['RS [192.0.2.21]:tcp:80 [192.0.2.100]:tcp:80 DOWN']);
    expect(vs.last.rsChanges).toEqual([{ rs: 0, alive: false, weight: 1, failedCheckers: 1 }]);
    a = vs.checker(0, true);
    expect(vs.table()).toEqual({ '192.0.2.21': 1, '192.0.2.22': 1 });
    expect(notifies(a)).toEqual(['rs 192.0.2.21:80 UP /bin/rs-up']);
    expect(fifo(a)).toEqual(['RS [192.0.2.21]:tcp:80 [192.0.2.100]:tcp:80 UP']);
  });

  it('with several checkers a real server goes down on the first failure and comes back only when all recover', () => {
    const vs = new Vs(virtualServer([realServer('192.0.2.21', { checkers: [tcpCheck(), tcpCheck({ connectPort: 443 })] }), realServer('192.0.2.22')]));
    vs.start();
    vs.checker(0, false, 0);
    expect(vs.table()).toEqual({ '192.0.2.22': 1 });
    expect(vs.checker(0, false, 1)).toEqual([]);
    expect(vs.checker(0, true, 0)).toEqual([]);
    expect(vs.table()).toEqual({ '192.0.2.22': 1 });
    vs.checker(0, true, 1);
    expect(vs.table()).toEqual({ '192.0.2.21': 1, '192.0.2.22': 1 });
  });

  it('alpha: failed checkers keep their server out at start; its first failure notifies down once, nothing else', () => {
    const vs = new Vs(virtualServer([realServer('192.0.2.21', { notifyDown: { argv: ['/bin/d'] } }), realServer('192.0.2.22')]));
    vs.start([[false], [true]]);
    expect(vs.table()).toEqual({ '192.0.2.22': 1 });
    const a = vs.checker(0, false, 0, true);
    expect(a.filter(isIpvsEffect)).toEqual([]);
    expect(notifies(a)).toEqual(['rs 192.0.2.21:80 DOWN /bin/d']);
    expect(fifo(a)).toEqual(['RS [192.0.2.21]:tcp:80 [192.0.2.100]:tcp:80 DOWN']);
    vs.checker(0, true);
    expect(vs.table()).toEqual({ '192.0.2.21': 1, '192.0.2.22': 1 });
  });
});

describe('virtual server: inhibit_on_failure', () => {
  it('a failed server stays in the table at weight 0 and gets its weight back on recovery', () => {
    const vs = new Vs(virtualServer([realServer('192.0.2.21', { weight: 5 }), realServer('192.0.2.22')], { inhibitOnFailure: true }));
    vs.start();
    const a = vs.checker(0, false);
    expect(a).toContainEqual({ type: 'ipvsEditDest', service: vs.actor.service, dest: { address: '192.0.2.21', port: 80, family: 'ipv4', weight: 0, method: 'NAT' } });
    expect(vs.table()).toEqual({ '192.0.2.21': 0, '192.0.2.22': 1 });
    expect(vs.last.rsChanges).toEqual([{ rs: 0, alive: false, weight: 0, failedCheckers: 1 }]);
    vs.checker(0, true);
    expect(vs.table()).toEqual({ '192.0.2.21': 5, '192.0.2.22': 1 });
  });

  it('per real server, and a server failed at start (alpha) enters at weight 0', () => {
    const vs = new Vs(virtualServer([realServer('192.0.2.21', { weight: 4, inhibitOnFailure: true }), realServer('192.0.2.22')]));
    vs.start([[false], [false]]);
    expect(vs.table()).toEqual({ '192.0.2.21': 0 });
    vs.checker(0, true);
    expect(vs.table()).toEqual({ '192.0.2.21': 4 });
  });

  it('shutdown removes inhibited servers for real', () => {
    const vs = new Vs(virtualServer([realServer('192.0.2.21'), realServer('192.0.2.22')], { inhibitOnFailure: true }));
    vs.start();
    vs.checker(0, false);
    const a = vs.step({ type: 'shutdown', at: 9 });
    expect(a.filter((x) => x.type === 'ipvsDelDest')).toHaveLength(2);
    expect(a.at(-1)).toEqual({ type: 'ipvsDelService', service: vs.actor.service });
    expect(vs.ipvs.snapshot()).toEqual([]);
  });
});

describe('virtual server: quorum and hysteresis (keepalived.conf.quorum)', () => {
  const pool = () => Array.from({ length: 10 }, (_, i) => realServer(`192.0.2.${i + 1}`));
  const cfg = () => virtualServer(pool(), { quorum: 7, hysteresis: 2, quorumUp: { argv: ['/q-up'] }, quorumDown: { argv: ['/q-down'] } });

  it('from an alpha start, quorum is gained at 9 live servers (7+2), not before', () => {
    const vs = new Vs(cfg());
    const start = vs.start(pool().map(() => [false]));
    expect(vs.quorum).toBe('DOWN');
    // No sorry server: keepalived says nothing about a quorum that starts down.
    expect(notifies(start)).toEqual([]);
    for (let i = 0; i < 8; i++) {
      const a = vs.checker(i, true);
      expect(notifies(a).filter((n) => n.startsWith('vs'))).toEqual([]);
    }
    expect(vs.quorum).toBe('DOWN');
    const a = vs.checker(8, true);
    expect(vs.quorum).toBe('UP');
    expect(vs.last.transition).toEqual({ from: 'DOWN', to: 'UP', reason: { code: 'gained', quorum: 7, hysteresis: 2, threshold: 9, weightSum: 9 } });
    expect(notifies(a)).toContain('vs 192.0.2.100:80 UP /q-up');
    expect(fifo(a)).toEqual(['RS [192.0.2.9]:tcp:80 [192.0.2.100]:tcp:80 UP', 'VS [192.0.2.100]:tcp:80 UP']);
  });

  it('once up, quorum holds down to 5 live servers (7-2) and is lost below', () => {
    const vs = new Vs(cfg());
    vs.start();
    expect(vs.quorum).toBe('UP');
    for (let i = 0; i < 5; i++) vs.checker(i, false);
    expect(vs.quorum).toBe('UP'); // 5 live
    const a = vs.checker(5, false); // 4 live
    expect(vs.quorum).toBe('DOWN');
    expect(vs.last.transition).toEqual({ from: 'UP', to: 'DOWN', reason: { code: 'lost', quorum: 7, hysteresis: 2, threshold: 5, weightSum: 4 } });
    expect(notifies(a)).toContain('vs 192.0.2.100:80 DOWN /q-down');
    expect(fifo(a).at(-1)).toBe('VS [192.0.2.100]:tcp:80 DOWN');
    // Without a sorry server the live ones stay in the table.
    expect(Object.keys(vs.table())).toHaveLength(4);
    // Flapping between 6 and 7 live does not bring it back; 9 does.
    vs.checker(0, true);
    vs.checker(1, true);
    vs.checker(2, true);
    expect(vs.quorum).toBe('DOWN');
    vs.checker(3, true);
    vs.checker(4, true);
    expect(vs.quorum).toBe('UP');
  });
});

describe('virtual server: sorry_server', () => {
  const cfg = (over: Partial<VirtualServer> = {}) =>
    virtualServer([realServer('192.0.2.21', { weight: 2 }), realServer('192.0.2.22', { weight: 2 })], {
      quorum: 3,
      sorryServer: { address: '192.0.2.99', port: 8080 },
      ...over,
    });

  it('losing quorum swaps the live servers for the sorry server; regaining it swaps back', () => {
    const vs = new Vs(cfg());
    vs.start();
    expect(vs.table()).toEqual({ '192.0.2.21': 2, '192.0.2.22': 2 });
    vs.checker(0, false);
    expect(vs.quorum).toBe('DOWN');
    expect(vs.table()).toEqual({ '192.0.2.99': 1 });
    expect(vs.actor.view(vs.state).sorryServerActive).toBe(true);
    // While the sorry server stands in, a real server's own changes do not touch the table.
    vs.checker(1, false);
    expect(vs.table()).toEqual({ '192.0.2.99': 1 });
    vs.checker(1, true);
    expect(vs.table()).toEqual({ '192.0.2.99': 1 });
    vs.checker(0, true);
    expect(vs.quorum).toBe('UP');
    expect(vs.table()).toEqual({ '192.0.2.21': 2, '192.0.2.22': 2 });
  });

  it('a quorum down at start puts the sorry server in and says so', () => {
    const vs = new Vs(cfg({ quorumDown: { argv: ['/qd'] } }));
    const a = vs.start([[false], [true]]);
    expect(vs.table()).toEqual({ '192.0.2.99': 1 });
    expect(notifies(a)).toEqual(['vs 192.0.2.100:80 DOWN /qd']);
    expect(fifo(a)).toEqual(['VS [192.0.2.100]:tcp:80 DOWN']);
  });

  it('sorry_server_inhibit: the sorry server waits in the table at weight 0 and is weighted while standing in', () => {
    const vs = new Vs(cfg({ sorryServerInhibit: true }));
    vs.start();
    expect(vs.table()).toEqual({ '192.0.2.21': 2, '192.0.2.22': 2, '192.0.2.99': 0 });
    vs.checker(0, false);
    expect(vs.table()).toEqual({ '192.0.2.99': 1 });
    vs.checker(0, true);
    expect(vs.table()).toEqual({ '192.0.2.21': 2, '192.0.2.22': 2, '192.0.2.99': 0 });
  });
});

describe('virtual server: misc_dynamic weights', () => {
  it('a new weight edits the destination and counts toward the quorum; weight 0 can lose it', () => {
    const vs = new Vs(virtualServer([realServer('192.0.2.21', { weight: 1 })], { quorum: 1 }));
    vs.start();
    const a = vs.step({ type: 'weight', at: 2, rs: 0, checker: 0, weight: 10 });
    expect(a).toEqual([{ type: 'ipvsEditDest', service: vs.actor.service, dest: { address: '192.0.2.21', port: 80, family: 'ipv4', weight: 10, method: 'NAT' } }]);
    expect(vs.actor.view(vs.state).weightSum).toBe(10);
    vs.step({ type: 'weight', at: 3, rs: 0, checker: 0, weight: 0 });
    expect(vs.quorum).toBe('DOWN');
    expect(vs.table()).toEqual({ '192.0.2.21': 0 });
  });

  it('a weight for a server out of service waits until it comes back', () => {
    const vs = new Vs(virtualServer([realServer('192.0.2.21'), realServer('192.0.2.22')]));
    vs.start();
    vs.checker(0, false);
    expect(vs.step({ type: 'weight', at: 2, rs: 0, checker: 0, weight: 7 }).filter(isIpvsEffect)).toEqual([]);
    vs.checker(0, true);
    expect(vs.table()).toEqual({ '192.0.2.21': 7, '192.0.2.22': 1 });
  });
});

describe('virtual server: shutdown (omega)', () => {
  const rs = () => [realServer('192.0.2.21', { notifyDown: { argv: ['/rsd'] } }), realServer('192.0.2.22')];

  it('omega runs the real servers\' and the quorum\'s down notifiers on the way out', () => {
    const vs = new Vs(virtualServer(rs(), { omega: true, quorumDown: { argv: ['/qd'] } }));
    vs.start();
    const a = vs.step({ type: 'shutdown', at: 5 });
    expect(notifies(a)).toEqual(['rs 192.0.2.21:80 DOWN /rsd', 'vs 192.0.2.100:80 DOWN /qd']);
    expect(fifo(a)).toEqual([
      'RS [192.0.2.21]:tcp:80 [192.0.2.100]:tcp:80 DOWN',
      'RS [192.0.2.22]:tcp:80 [192.0.2.100]:tcp:80 DOWN',
      'VS [192.0.2.100]:tcp:80 DOWN',
    ]);
    expect(vs.ipvs.snapshot()).toEqual([]);
    expect(vs.last.transition).toMatchObject({ from: 'UP', to: 'STOPPED' });
  });

  it('without omega the table is cleared silently, and nothing moves after', () => {
    const vs = new Vs(virtualServer(rs()));
    vs.start();
    const a = vs.step({ type: 'shutdown', at: 5 });
    expect(notifies(a)).toEqual([]);
    expect(fifo(a)).toEqual([]);
    expect(vs.ipvs.snapshot()).toEqual([]);
    expect(vs.checker(0, false)).toEqual([]);
  });
});

describe('lvs_notify_fifo lines in keepalived\'s format', () => {
  it('IPv6 and fwmark services', () => {
    const v6 = virtualServer([realServer('2001:db8::21')], { key: { type: 'address', address: '2001:db8::100', port: 443, family: 'ipv6' } });
    expect(vsFifoLine(v6, true)).toBe('VS [2001:db8::100]:tcp:443 UP');
    expect(rsFifoLine(v6.realServers[0]!, v6, false)).toBe('RS [2001:db8::21]:tcp:80 [2001:db8::100]:tcp:443 DOWN');
    const fw = virtualServer([realServer('192.0.2.21')], { key: { type: 'fwmark', fwmark: 7, family: 'ipv4' }, protocol: 'UDP' });
    expect(vsFifoLine(fw, false)).toBe('VS FWM 7 DOWN');
    expect(rsFifoLine(fw.realServers[0]!, fw, true)).toBe('RS [192.0.2.21]:none:80 FWM 7 UP');
  });
});
