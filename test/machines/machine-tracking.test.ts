import { describe, expect, it } from 'vitest';
import type { VrrpInstance, VrrpScript } from '../../src/config/types.js';
import { advert, Driver, rx, timer, VIP } from './fixtures.js';

const pos = { file: 'x.conf', line: 1, column: 1 };
const script = (name: string, weight: number, weightReverse = false): VrrpScript => ({
  name,
  script: { argv: ['/usr/local/bin/check'] },
  intervalMs: 1000,
  weight,
  weightReverse,
  rise: 1,
  fall: 1,
  initFail: false,
  pos,
});

function started(over: Partial<VrrpInstance>, scripts: VrrpScript[] = []) {
  const d = new Driver(over, {}, { vrrpScripts: scripts });
  d.step({ type: 'startup', at: 0 });
  return d;
}

describe('track_interface / track_script', () => {
  it('a weighted track_script changes the effective priority, and adverts carry it', () => {
    const d = started({ trackScript: [{ name: 'chk', weight: -60, reverse: false }] });
    d.step(timer(3609.375, 'masterDown'));
    const r = d.step({ type: 'script', at: 4000, name: 'chk', ok: false });
    expect(r.transition).toBeUndefined();
    expect(r.actions).toEqual([]);
    expect(d.view.effectivePriority).toBe(40);
    expect(d.step(timer(4609.375, 'advert')).actions[0]).toEqual(advert(40));
    d.step({ type: 'script', at: 5000, name: 'chk', ok: true });
    expect(d.view.effectivePriority).toBe(100);
  });

  it('a track_script without weight takes the vrrp_script weight and reverse', () => {
    const d = started({ trackScript: [{ name: 'chk', reverse: false }] }, [script('chk', 20, true)]);
    // weight 20 reverse: minus 20 while the script succeeds.
    expect(d.view.effectivePriority).toBe(80);
    d.step({ type: 'script', at: 10, name: 'chk', ok: false });
    expect(d.view.effectivePriority).toBe(100);
  });

  it('a weighted track_interface: reverse raises the priority while the interface is down', () => {
    const d = started({ trackInterface: [{ name: 'eth1', weight: -30, reverse: true }] });
    d.step({ type: 'interface', at: 10, name: 'eth1', up: false });
    expect(d.view.effectivePriority).toBe(130);
  });

  it('a weighted change in BACKUP moves the running master-down timer to the new skew, from its start', () => {
    const d = started({ trackScript: [{ name: 'chk', weight: -56, reverse: false }] });
    const r = d.step({ type: 'script', at: 1000, name: 'chk', ok: false });
    // Priority 100 → 44: skew 609.375 → 828.125 ms; armed at 0, so 3828.125 - 1000 remain.
    expect(r.actions).toEqual([{ type: 'armTimer', timer: 'masterDown', delayMs: 2828.125 }]);
    const t = d.step(timer(3828.125, 'masterDown'));
    expect(t.transition?.reason).toEqual({ code: 'masterDownTimeout', masterDownIntervalMs: 3828.125 });
  });

  it('an unweighted track_interface going down: MASTER → FAULT with a priority-0 advert, back to BACKUP on recovery', () => {
    const d = started({ trackInterface: [{ name: 'eth1', reverse: false }] });
    d.step(timer(3609.375, 'masterDown'));
    const r = d.step({ type: 'interface', at: 5000, name: 'eth1', up: false });
    expect(r.transition).toEqual({ from: 'MASTER', to: 'FAULT', reason: { code: 'interfaceDown', name: 'eth1' } });
    expect(r.actions).toEqual([
      advert(0),
      { type: 'cancelTimer', timer: 'advert' },
      { type: 'cancelTimer', timer: 'garpDelay' },
      { type: 'removeVips', addresses: VIP },
      { type: 'notify', state: 'FAULT', priority: 100 },
    ]);
    // FAULT ignores adverts and takes no timer.
    expect(d.step(rx(5500, '192.0.2.20', 50)).actions).toEqual([]);
    const up = d.step({ type: 'interface', at: 6500, name: 'eth1', up: true });
    expect(up.transition).toEqual({ from: 'FAULT', to: 'BACKUP', reason: { code: 'interfaceUp', name: 'eth1' } });
    expect(up.actions).toEqual([
      { type: 'notify', state: 'BACKUP', priority: 100 },
      { type: 'armTimer', timer: 'masterDown', delayMs: 3609.375 },
    ]);
  });

  it("the instance's own interface going down puts a BACKUP in FAULT", () => {
    const d = started({});
    const r = d.step({ type: 'interface', at: 100, name: 'eth0', up: false });
    expect(r.transition).toEqual({ from: 'BACKUP', to: 'FAULT', reason: { code: 'interfaceDown', name: 'eth0' } });
    expect(r.actions).toEqual([{ type: 'cancelTimer', timer: 'masterDown' }, { type: 'notify', state: 'FAULT', priority: 100 }]);
  });

  it('an unweighted script failure: FAULT; recovery: BACKUP', () => {
    const d = started({ trackScript: [{ name: 'chk', reverse: false }] }, [script('chk', 0)]);
    const r = d.step({ type: 'script', at: 100, name: 'chk', ok: false });
    expect(r.transition).toEqual({ from: 'BACKUP', to: 'FAULT', reason: { code: 'scriptFailed', name: 'chk' } });
    const r2 = d.step({ type: 'script', at: 200, name: 'chk', ok: true });
    expect(r2.transition).toEqual({ from: 'FAULT', to: 'BACKUP', reason: { code: 'scriptRecovered', name: 'chk' } });
  });

  it('weight 0 reverse: the instance is down while the script succeeds', () => {
    const d = new Driver({ trackScript: [{ name: 'chk', weight: 0, reverse: true }] });
    expect(d.step({ type: 'startup', at: 0 }).transition?.to).toBe('FAULT');
    expect(d.step({ type: 'script', at: 10, name: 'chk', ok: false }).transition?.to).toBe('BACKUP');
  });

  it('FAULT stays while another unweighted object is still down', () => {
    const d = started({ trackInterface: [{ name: 'eth1', reverse: false }, { name: 'eth2', reverse: false }] });
    d.step({ type: 'interface', at: 10, name: 'eth1', up: false });
    d.step({ type: 'interface', at: 20, name: 'eth2', up: false });
    const r = d.step({ type: 'interface', at: 30, name: 'eth1', up: true });
    expect(r.transition).toBeUndefined();
    expect(d.state).toBe('FAULT');
    expect(d.step({ type: 'interface', at: 40, name: 'eth2', up: true }).transition?.to).toBe('BACKUP');
  });

  it('an address owner leaves FAULT straight to MASTER', () => {
    const d = started({ priority: 255, trackInterface: [{ name: 'eth1', reverse: false }] });
    expect(d.state).toBe('MASTER');
    d.step({ type: 'interface', at: 100, name: 'eth1', up: false });
    const r = d.step({ type: 'interface', at: 200, name: 'eth1', up: true });
    expect(r.transition).toEqual({ from: 'FAULT', to: 'MASTER', reason: { code: 'interfaceUp', name: 'eth1' } });
    expect(r.actions[0]).toEqual(advert(255));
  });

  it('inputs about untracked interfaces or scripts change nothing', () => {
    const d = started({});
    expect(d.step({ type: 'interface', at: 10, name: 'eth9', up: false }).actions).toEqual([]);
    expect(d.step({ type: 'script', at: 10, name: 'other', ok: false }).actions).toEqual([]);
    expect(d.state).toBe('BACKUP');
  });
});
