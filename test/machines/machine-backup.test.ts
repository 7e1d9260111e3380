import { describe, expect, it } from 'vitest';
import type { GlobalDefs, VrrpInstance } from '../../src/config/types.js';
import { advert, Driver, rx, timer, VIP } from './fixtures.js';

function backup(over: Partial<VrrpInstance> = {}, g: Partial<GlobalDefs> = {}) {
  const d = new Driver(over, g);
  d.step({ type: 'startup', at: 0 });
  return d;
}

describe('BACKUP', () => {
  it('an advert with priority >= ours re-arms the master-down timer and records the master', () => {
    const d = backup({ priority: 100 });
    const r = d.step(rx(1000, '192.0.2.20', 150));
    expect(r.transition).toBeUndefined();
    expect(r.actions).toEqual([{ type: 'armTimer', timer: 'masterDown', delayMs: 3609.375 }]);
    expect(d.view.masterAddress).toBe('192.0.2.20');
    // Equal priority holds a backup too (RFC 5798 §6.4.2: "greater than or equal").
    expect(d.step(rx(2000, '192.0.2.5', 100)).actions).toEqual([{ type: 'armTimer', timer: 'masterDown', delayMs: 3609.375 }]);
  });

  it('master-down expiry: MASTER, advert at once, VIPs, GARP burst, garp_master_delay, notify, advert timer', () => {
    const d = backup({ priority: 100 });
    d.step(rx(1000, '192.0.2.20', 150));
    const r = d.step(timer(4609.375, 'masterDown'));
    expect(r.transition).toEqual({
      from: 'BACKUP',
      to: 'MASTER',
      reason: { code: 'masterDownTimeout', masterDownIntervalMs: 3609.375, lastMaster: '192.0.2.20' },
    });
    expect(r.actions).toEqual([
      advert(100),
      { type: 'addVips', addresses: VIP },
      { type: 'sendGarp', addresses: VIP, repeat: 5 },
      { type: 'armTimer', timer: 'garpDelay', delayMs: 5000 },
      { type: 'notify', state: 'MASTER', priority: 100 },
      { type: 'armTimer', timer: 'advert', delayMs: 1000 },
    ]);
  });

  it('garp_master_repeat / garp_master_delay 0 / garp_master_refresh shape the MASTER entry', () => {
    const d = backup({ garpMasterRepeat: 2, garpMasterDelayMs: 0, garpMasterRefreshMs: 60_000, garpMasterRefreshRepeat: 3 });
    const r = d.step(timer(3609.375, 'masterDown'));
    expect(r.actions).toEqual([
      advert(100),
      { type: 'addVips', addresses: VIP },
      { type: 'sendGarp', addresses: VIP, repeat: 2 },
      { type: 'armTimer', timer: 'garpRefresh', delayMs: 60_000 },
      { type: 'notify', state: 'MASTER', priority: 100 },
      { type: 'armTimer', timer: 'advert', delayMs: 1000 },
    ]);
    const refresh = d.step(timer(63_609.375, 'garpRefresh'));
    expect(refresh.actions).toEqual([
      { type: 'sendGarp', addresses: VIP, repeat: 3 },
      { type: 'armTimer', timer: 'garpRefresh', delayMs: 60_000 },
    ]);
  });

  it('virtual_ipaddress_excluded is installed and announced but not advertised', () => {
    const d = backup({ virtualIpaddressExcluded: [{ address: '198.51.100.7', prefixLen: 32, family: 'ipv4' }] });
    const r = d.step(timer(3609.375, 'masterDown'));
    expect(r.actions[0]).toEqual(advert(100));
    expect(r.actions[1]).toEqual({ type: 'addVips', addresses: ['192.0.2.100', '198.51.100.7'] });
    expect(r.actions[2]).toEqual({ type: 'sendGarp', addresses: ['192.0.2.100', '198.51.100.7'], repeat: 5 });
  });

  it('a priority-0 advert arms master-down to the skew time; expiry is masterStopped', () => {
    const d = backup({ priority: 100 });
    d.step(rx(1000, '192.0.2.20', 150));
    const r = d.step(rx(1500, '192.0.2.20', 0));
    expect(r.actions).toEqual([{ type: 'armTimer', timer: 'masterDown', delayMs: 609.375 }]);
    const t = d.step(timer(2109.375, 'masterDown'));
    expect(t.transition).toEqual({ from: 'BACKUP', to: 'MASTER', reason: { code: 'masterStopped', from: '192.0.2.20' } });
  });

  it('preempt: a lower-priority advert does not re-arm the timer; expiry is a preempt', () => {
    const d = backup({ priority: 200 });
    const r = d.step(rx(1000, '192.0.2.20', 100));
    expect(r.actions).toEqual([]);
    expect(d.step(rx(2000, '192.0.2.20', 100)).actions).toEqual([]);
    const t = d.step(timer(3218.75, 'masterDown'));
    expect(t.transition).toEqual({
      from: 'BACKUP',
      to: 'MASTER',
      reason: { code: 'preempt', from: '192.0.2.20', priority: 100, ourPriority: 200 },
    });
  });

  it('nopreempt: a lower-priority advert re-arms the timer like any other', () => {
    const d = backup({ priority: 200, preempt: false });
    const r = d.step(rx(1000, '192.0.2.20', 100));
    expect(r.actions).toEqual([{ type: 'armTimer', timer: 'masterDown', delayMs: 3000 + 218.75 }]);
  });

  it('preempt_delay: lower-priority adverts hold us while it runs, then are ignored (keepalived)', () => {
    const d = backup({ priority: 200, preemptDelayMs: 2000 });
    const r1 = d.step(rx(1000, '192.0.2.20', 100));
    expect(r1.actions).toEqual([
      { type: 'armTimer', timer: 'masterDown', delayMs: 3218.75 },
      { type: 'armTimer', timer: 'preemptDelay', delayMs: 2000 },
    ]);
    // Still running: the master is held, the delay is not restarted.
    expect(d.step(rx(2000, '192.0.2.20', 100)).actions).toEqual([{ type: 'armTimer', timer: 'masterDown', delayMs: 3218.75 }]);
    // Delay over: no state change by itself ("it cannot speed up taking over as master").
    const r2 = d.step(timer(3000, 'preemptDelay'));
    expect(r2.transition).toBeUndefined();
    expect(r2.actions).toEqual([]);
    // From now on lower-priority adverts are discarded, and the down timer runs out.
    expect(d.step(rx(4000, '192.0.2.20', 100)).actions).toEqual([]);
    const t = d.step(timer(5218.75, 'masterDown'));
    expect(t.transition?.reason).toEqual({ code: 'preempt', from: '192.0.2.20', priority: 100, ourPriority: 200 });
    expect(t.transition?.to).toBe('MASTER');
  });

  it('preempt_delay: a master we would not preempt cancels a running delay', () => {
    const d = backup({ priority: 200, preemptDelayMs: 2000 });
    d.step(rx(1000, '192.0.2.20', 100));
    const r = d.step(rx(1500, '192.0.2.30', 220));
    expect(r.actions).toEqual([
      { type: 'armTimer', timer: 'masterDown', delayMs: 3218.75 },
      { type: 'cancelTimer', timer: 'preemptDelay' },
    ]);
  });

  it('v3: learns Master_Adver_Interval from the advert and recomputes master down', () => {
    const d = backup({ version: 3, priority: 200 });
    const r = d.step(rx(1000, '192.0.2.20', 250, 200));
    expect(r.actions).toEqual([{ type: 'armTimer', timer: 'masterDown', delayMs: 6437.5 }]);
    expect(d.view.masterAdverIntCs).toBe(200);
  });

  it('v2: the advert interval is not learnt (it must match ours)', () => {
    const d = backup({ version: 2, priority: 100 });
    d.step(rx(1000, '192.0.2.20', 250, 200));
    expect(d.view.masterAdverIntCs).toBe(100);
  });

  it('a stale timer input (not armed) is ignored', () => {
    const d = backup();
    expect(d.step(timer(100, 'advert')).actions).toEqual([]);
    expect(d.step(timer(100, 'preemptDelay')).actions).toEqual([]);
    expect(d.state).toBe('BACKUP');
  });

  it('shutdown: BACKUP cancels its timer and stops', () => {
    const d = backup();
    const r = d.step({ type: 'shutdown', at: 500 });
    expect(r.transition).toEqual({ from: 'BACKUP', to: 'STOP', reason: { code: 'shutdown' } });
    expect(r.actions).toEqual([
      { type: 'cancelTimer', timer: 'masterDown' },
      { type: 'notify', state: 'STOP', priority: 100 },
    ]);
    // STOP takes nothing more.
    expect(d.step(rx(600, '192.0.2.20', 150)).actions).toEqual([]);
    expect(d.step({ type: 'startup', at: 700 }).actions).toEqual([]);
  });
});
