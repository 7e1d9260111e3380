import { describe, expect, it } from 'vitest';
import type { VrrpInstance } from '../../src/config/types.js';
import { advert, Driver, rx, timer, VIP } from './fixtures.js';

/** A MASTER at t = 3609.375 (priority 100, address 192.0.2.10), garp_master_delay armed. */
function master(over: Partial<VrrpInstance> = {}) {
  const d = new Driver(over);
  d.step({ type: 'startup', at: 0 });
  const down = d.step(timer(10_000, 'masterDown'));
  expect(down.transition?.to).toBe('MASTER');
  return d;
}

const leaveMasterCore = [
  { type: 'cancelTimer', timer: 'advert' },
  { type: 'cancelTimer', timer: 'garpDelay' },
  { type: 'removeVips', addresses: VIP },
];

describe('MASTER', () => {
  it('advert timer: sends an advert with the effective priority and re-arms', () => {
    const d = master();
    const r = d.step(timer(11_000, 'advert'));
    expect(r.transition).toBeUndefined();
    expect(r.actions).toEqual([advert(100), { type: 'armTimer', timer: 'advert', delayMs: 1000 }]);
  });

  it('garp_master_delay expiry: second GARP burst', () => {
    const d = master();
    expect(d.step(timer(15_000, 'garpDelay')).actions).toEqual([{ type: 'sendGarp', addresses: VIP, repeat: 5 }]);
    // Fired once: it is not armed any more, so leaving MASTER does not cancel it.
    const r = d.step({ type: 'shutdown', at: 16_000 });
    expect(r.actions).not.toContainEqual({ type: 'cancelTimer', timer: 'garpDelay' });
  });

  it('higher-priority advert: BACKUP — farewell advert, cancel timers, remove VIPs, notify, arm master down', () => {
    const d = master();
    const r = d.step(rx(11_000, '192.0.2.20', 150));
    expect(r.transition).toEqual({
      from: 'MASTER',
      to: 'BACKUP',
      reason: { code: 'higherPriorityAdvert', from: '192.0.2.20', priority: 150, ourPriority: 100 },
    });
    expect(r.actions).toEqual([
      advert(100),
      ...leaveMasterCore,
      { type: 'notify', state: 'BACKUP', priority: 100 },
      { type: 'armTimer', timer: 'masterDown', delayMs: 3609.375 },
    ]);
    expect(d.view.masterAddress).toBe('192.0.2.20');
  });

  it('equal priority and higher primary address (numerically): BACKUP', () => {
    // 192.0.2.9 < 192.0.2.10 < 192.0.2.100 as numbers, not as text.
    const d = master();
    expect(d.step(rx(11_000, '192.0.2.9', 100)).transition).toBeUndefined();
    const r = d.step(rx(11_100, '192.0.2.100', 100));
    expect(r.transition?.to).toBe('BACKUP');
    expect(r.transition?.reason).toEqual({ code: 'higherPriorityAdvert', from: '192.0.2.100', priority: 100, ourPriority: 100 });
  });

  it('our primary address comes from opts.primaryAddress when unicast_src_ip is not set', () => {
    const d = new Driver({ unicastSrcIp: undefined }, {}, { primaryAddress: '192.0.2.50' });
    d.step({ type: 'startup', at: 0 });
    d.step(timer(3609.375, 'masterDown'));
    expect(d.view.masterAddress).toBe('192.0.2.50');
    expect(d.step(rx(5000, '192.0.2.49', 100)).transition).toBeUndefined();
    expect(d.step(rx(5100, '192.0.2.51', 100)).transition?.to).toBe('BACKUP');
  });

  it('our own advert looped back (equal priority, our address) changes nothing', () => {
    const d = master();
    const r = d.step(rx(11_000, '192.0.2.10', 100));
    expect(r.actions).toEqual([]);
    expect(r.transition).toBeUndefined();
  });

  it('v3: a higher-priority advert teaches Master_Adver_Interval before master down is armed (RFC 5798 §6.4.3)', () => {
    const d = master({ version: 3, priority: 200 });
    const r = d.step(rx(11_000, '192.0.2.20', 250, 200));
    expect(r.actions.at(-1)).toEqual({ type: 'armTimer', timer: 'masterDown', delayMs: 6437.5 });
  });

  it('priority-0 advert: answers with an advert at once and re-arms the advert timer', () => {
    const d = master();
    const r = d.step(rx(11_000, '192.0.2.20', 0));
    expect(r.transition).toBeUndefined();
    expect(r.actions).toEqual([advert(100), { type: 'armTimer', timer: 'advert', delayMs: 1000 }]);
  });

  it('lower-priority advert: advert at once plus GARP burst (garp_lower_prio_repeat)', () => {
    const d = master({ garpLowerPrioRepeat: 2, garpLowerPrioDelayMs: 4000 });
    const r = d.step(rx(11_000, '192.0.2.20', 50));
    expect(r.transition).toBeUndefined();
    expect(r.actions).toEqual([
      advert(100),
      { type: 'armTimer', timer: 'advert', delayMs: 1000 },
      { type: 'sendGarp', addresses: VIP, repeat: 2 },
      { type: 'armTimer', timer: 'garpLowerPrio', delayMs: 4000 },
    ]);
    expect(d.step(timer(15_000, 'garpLowerPrio')).actions).toEqual([{ type: 'sendGarp', addresses: VIP, repeat: 2 }]);
  });

  it('leaving MASTER cancels a pending garp_lower_prio_delay burst and garp_master_refresh', () => {
    const d = master({ garpLowerPrioRepeat: 2, garpLowerPrioDelayMs: 4000, garpMasterRefreshMs: 60_000 });
    d.step(rx(11_000, '192.0.2.20', 50));
    const r = d.step(rx(11_500, '192.0.2.30', 200));
    expect(r.actions.slice(0, 6)).toEqual([
      advert(100),
      { type: 'cancelTimer', timer: 'advert' },
      { type: 'cancelTimer', timer: 'garpDelay' },
      { type: 'cancelTimer', timer: 'garpRefresh' },
      { type: 'cancelTimer', timer: 'garpLowerPrio' },
      { type: 'removeVips', addresses: VIP },
    ]);
  });

  it('lower_prio_no_advert: no advert back, the GARP burst still goes out', () => {
    const d = master({ lowerPrioNoAdvert: true });
    const r = d.step(rx(11_000, '192.0.2.20', 50));
    expect(r.actions).toEqual([{ type: 'sendGarp', addresses: VIP, repeat: 5 }]);
  });

  it('strict_mode: RFC behaviour — a lower-priority advert is discarded, no advert before yielding', () => {
    const d = master({ strictMode: true, lowerPrioNoAdvert: true });
    expect(d.step(rx(11_000, '192.0.2.20', 50)).actions).toEqual([]);
    const r = d.step(rx(11_100, '192.0.2.20', 150));
    expect(r.actions[0]).toEqual({ type: 'cancelTimer', timer: 'advert' });
    expect(r.actions.filter((a) => a.type === 'sendAdvert')).toEqual([]);
  });

  it('strict_mode clears higher_prio_send_advert, garp_lower_prio_repeat and forces lower_prio_no_advert (keepalived)', () => {
    const d = master({ strictMode: true, higherPrioSendAdvert: true, garpLowerPrioRepeat: 3, lowerPrioNoAdvert: false });
    expect(d.step(rx(11_000, '192.0.2.20', 50)).actions).toEqual([]);
    expect(d.step(rx(11_100, '192.0.2.20', 150)).actions[0]).toEqual({ type: 'cancelTimer', timer: 'advert' });
  });

  it('with the configuration defaults (garp_lower_prio_* from garp_master_*), a lower-priority advert also arms the second burst', () => {
    const d = master({ garpLowerPrioRepeat: 5, garpLowerPrioDelayMs: 5000 });
    expect(d.step(rx(11_000, '192.0.2.20', 50)).actions).toEqual([
      advert(100),
      { type: 'armTimer', timer: 'advert', delayMs: 1000 },
      { type: 'sendGarp', addresses: VIP, repeat: 5 },
      { type: 'armTimer', timer: 'garpLowerPrio', delayMs: 5000 },
    ]);
  });

  it('shutdown: priority-0 advert, VIPs removed, notify STOP', () => {
    const d = master();
    const r = d.step({ type: 'shutdown', at: 11_000 });
    expect(r.transition).toEqual({ from: 'MASTER', to: 'STOP', reason: { code: 'shutdown' } });
    expect(r.actions).toEqual([advert(0), ...leaveMasterCore, { type: 'notify', state: 'STOP', priority: 100 }]);
  });
});
