import { describe, expect, it } from 'vitest';
import { advert, Driver, timer, VIP } from './fixtures.js';

const becomeMasterActions = (priority: number, garpDelay = true) => [
  advert(priority),
  { type: 'addVips', addresses: VIP },
  { type: 'sendGarp', addresses: VIP, repeat: 5 },
  ...(garpDelay ? [{ type: 'armTimer', timer: 'garpDelay', delayMs: 5000 }] : []),
  { type: 'notify', state: 'MASTER', priority },
  { type: 'armTimer', timer: 'advert', delayMs: 1000 },
];

describe('INIT', () => {
  it('init gives state INIT and no actions', () => {
    const d = new Driver();
    expect(d.stepper.init(0).actions).toEqual([]);
    expect(d.view).toEqual({ name: 'VI_1', state: 'INIT', effectivePriority: 100, masterAdverIntCs: 100 });
  });

  it('the address owner (priority 255) becomes MASTER at once on startup', () => {
    const d = new Driver({ priority: 255 });
    const r = d.step({ type: 'startup', at: 0 });
    expect(r.transition).toEqual({ from: 'INIT', to: 'MASTER', reason: { code: 'ownerStartup' } });
    expect(r.actions).toEqual(becomeMasterActions(255));
    expect(d.view.masterAddress).toBe('192.0.2.10');
  });

  it('a non-owner starts as BACKUP with the master-down timer armed', () => {
    const d = new Driver({ priority: 100 });
    const r = d.step({ type: 'startup', at: 0 });
    expect(r.transition).toEqual({ from: 'INIT', to: 'BACKUP', reason: { code: 'startup' } });
    expect(r.actions).toEqual([
      { type: 'notify', state: 'BACKUP', priority: 100 },
      { type: 'armTimer', timer: 'masterDown', delayMs: 3609.375 },
    ]);
  });

  it('state MASTER on a non-owner still starts as BACKUP and waits (keepalived 2.2.7)', () => {
    const d = new Driver({ priority: 150, initialState: 'MASTER' });
    const r = d.step({ type: 'startup', at: 0 });
    expect(r.transition?.to).toBe('BACKUP');
    expect(r.actions).toContainEqual({ type: 'armTimer', timer: 'masterDown', delayMs: 3414.062 });
  });

  it('vrrp_startup_delay: arms startupDelay first, nothing else happens before it fires', () => {
    const d = new Driver({ priority: 100 }, { vrrpStartupDelayMs: 5500 });
    const r = d.step({ type: 'startup', at: 0 });
    expect(r.transition).toBeUndefined();
    expect(r.actions).toEqual([{ type: 'armTimer', timer: 'startupDelay', delayMs: 5500 }]);
    // Adverts before the delay expires are not looked at.
    expect(d.step({ type: 'advert', at: 100, src: '192.0.2.20', priority: 200, maxAdverIntCs: 100, addresses: VIP }).actions).toEqual([]);
    expect(d.state).toBe('INIT');
    const r2 = d.step(timer(5500, 'startupDelay'));
    expect(r2.transition).toEqual({ from: 'INIT', to: 'BACKUP', reason: { code: 'startup' } });
    expect(r2.actions).toEqual([
      { type: 'notify', state: 'BACKUP', priority: 100 },
      { type: 'armTimer', timer: 'masterDown', delayMs: 3609.375 },
    ]);
  });

  it('vrrp_startup_delay: shutdown during the delay cancels it and stops', () => {
    const d = new Driver({ priority: 100 }, { vrrpStartupDelayMs: 5500 });
    d.step({ type: 'startup', at: 0 });
    const r = d.step({ type: 'shutdown', at: 10 });
    expect(r.transition).toEqual({ from: 'INIT', to: 'STOP', reason: { code: 'shutdown' } });
    expect(r.actions).toEqual([
      { type: 'cancelTimer', timer: 'startupDelay' },
      { type: 'notify', state: 'STOP', priority: 100 },
    ]);
  });

  it('starting with the interface down goes to FAULT', () => {
    const d = new Driver();
    d.step({ type: 'interface', at: 0, name: 'eth0', up: false });
    const r = d.step({ type: 'startup', at: 0 });
    expect(r.transition).toEqual({ from: 'INIT', to: 'FAULT', reason: { code: 'interfaceDown', name: 'eth0' } });
    expect(r.actions).toEqual([{ type: 'notify', state: 'FAULT', priority: 100 }]);
  });

  it('a vrrp_script with init_fail starts failed: an unweighted one holds the instance in FAULT', () => {
    const d = new Driver(
      { trackScript: [{ name: 'chk', reverse: false }] },
      {},
      {
        vrrpScripts: [
          { name: 'chk', script: { argv: ['/bin/true'] }, intervalMs: 1000, weight: 0, weightReverse: false, rise: 1, fall: 1, initFail: true, pos: { file: 'x', line: 1, column: 1 } },
        ],
      },
    );
    const r = d.step({ type: 'startup', at: 0 });
    expect(r.transition).toEqual({ from: 'INIT', to: 'FAULT', reason: { code: 'scriptFailed', name: 'chk' } });
    const r2 = d.step({ type: 'script', at: 10, name: 'chk', ok: true });
    expect(r2.transition).toEqual({ from: 'FAULT', to: 'BACKUP', reason: { code: 'scriptRecovered', name: 'chk' } });
  });

  it('a second startup input is ignored', () => {
    const d = new Driver();
    d.step({ type: 'startup', at: 0 });
    const r = d.step({ type: 'startup', at: 5 });
    expect(r.actions).toEqual([]);
    expect(r.transition).toBeUndefined();
  });
});

describe('configuration corrections keepalived makes', () => {
  it('state MASTER clears nopreempt and preempt_delay', () => {
    const d = new Driver({ priority: 200, initialState: 'MASTER', preempt: false, preemptDelayMs: 3000 });
    d.step({ type: 'startup', at: 0 });
    // A lower-priority master is preempted (its adverts no longer hold us), with no delay.
    expect(d.step({ type: 'advert', at: 10, src: '192.0.2.20', priority: 100, maxAdverIntCs: 100, addresses: VIP }).actions).toEqual([]);
  });

  it('an owner ignores nopreempt', () => {
    const d = new Driver({ priority: 255, preempt: false });
    d.step({ type: 'startup', at: 0 });
    d.step({ type: 'advert', at: 10, src: '192.0.2.20', priority: 255, maxAdverIntCs: 100, addresses: VIP });
    // 192.0.2.20 > 192.0.2.10: we yield; as a BACKUP, a lower-priority master is then preempted.
    expect(d.state).toBe('BACKUP');
    expect(d.step({ type: 'advert', at: 20, src: '192.0.2.20', priority: 100, maxAdverIntCs: 100, addresses: VIP }).actions).toEqual([]);
  });
});
