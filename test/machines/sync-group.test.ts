import { describe, expect, it } from 'vitest';
import type { VrrpSyncGroup } from '../../src/config/types.js';
import type { Transition, VrrpInput } from '../../src/machines/vrrp/contract.js';
import { syncGroupInputs } from '../../src/machines/vrrp/sync-group.js';
import { Driver, rx, timer } from './fixtures.js';

const group: VrrpSyncGroup = {
  name: 'G1',
  group: ['VI_1', 'VI_2'],
  trackInterface: [],
  trackScript: [],
  globalTracking: false,
  pos: { file: 'x.conf', line: 1, column: 1 },
};

/** Two members, fed the way the engine feeds them: a member's transition cascades once. */
function pair() {
  const m: Record<string, Driver> = {
    VI_1: new Driver({ name: 'VI_1', interface: 'eth0', syncGroup: 'G1' }),
    VI_2: new Driver({ name: 'VI_2', interface: 'eth1', virtualRouterId: 52, syncGroup: 'G1' }),
  };
  const step = (name: string, input: VrrpInput) => {
    const r = m[name]!.step(input);
    if (r.transition && input.type !== 'syncGroup') {
      for (const { instance, input: next } of syncGroupInputs(group, name, r.transition, input.at)) m[instance]!.step(next);
    }
    return r;
  };
  const states = () => [m.VI_1!.state, m.VI_2!.state];
  step('VI_1', { type: 'startup', at: 0 });
  step('VI_2', { type: 'startup', at: 0 });
  return { m, step, states };
}

const t = (from: Transition['from'], to: Transition['to'], reason: Transition['reason'] = { code: 'startup' }): Transition => ({ from, to, reason });

describe('sync group rule (pure)', () => {
  it('sends the new state to every other member, with the sender and the group', () => {
    expect(syncGroupInputs(group, 'VI_1', t('BACKUP', 'MASTER'), 7)).toEqual([
      { instance: 'VI_2', input: { type: 'syncGroup', at: 7, state: 'MASTER', from: 'VI_1', group: 'G1' } },
    ]);
    expect(syncGroupInputs(group, 'VI_2', t('MASTER', 'FAULT'), 8)[0]?.input).toMatchObject({ state: 'FAULT', from: 'VI_2' });
    expect(syncGroupInputs(group, 'VI_2', t('MASTER', 'STOP'), 8)).toEqual([]);
  });

  it('FAULT→FAULT says whether the member\'s own fault began or ended', () => {
    expect(syncGroupInputs(group, 'VI_1', t('FAULT', 'FAULT', { code: 'interfaceDown', name: 'eth0' }), 1)[0]?.input).toMatchObject({ state: 'FAULT' });
    expect(syncGroupInputs(group, 'VI_1', t('FAULT', 'FAULT', { code: 'scriptRecovered', name: 'chk' }), 1)[0]?.input).toMatchObject({ state: 'BACKUP' });
  });
});

describe('sync group members move together', () => {
  it('one member becoming MASTER takes the other to MASTER in the same step', () => {
    const g = pair();
    g.step('VI_1', timer(3609.375, 'masterDown'));
    expect(g.states()).toEqual(['MASTER', 'MASTER']);
  });

  it('a member yielding to a higher-priority advert takes the other back to BACKUP', () => {
    const g = pair();
    g.step('VI_1', timer(3609.375, 'masterDown'));
    const r = g.m.VI_2!.stepper.view(g.m.VI_2!.snapshot);
    expect(r.state).toBe('MASTER');
    g.step('VI_1', rx(4000, '192.0.2.20', 150));
    expect(g.states()).toEqual(['BACKUP', 'BACKUP']);
  });

  it('a syncGroup input carries the group in the transition reason', () => {
    const d = new Driver({ syncGroup: 'G1' });
    d.step({ type: 'startup', at: 0 });
    const r = d.step({ type: 'syncGroup', at: 5, state: 'MASTER' });
    expect(r.transition).toEqual({ from: 'BACKUP', to: 'MASTER', reason: { code: 'syncGroup', group: 'G1', state: 'MASTER' } });
  });

  it('one failing member puts the group in FAULT; its recovery brings both back to BACKUP', () => {
    const g = pair();
    g.step('VI_1', timer(3609.375, 'masterDown'));
    g.step('VI_1', { type: 'interface', at: 4000, name: 'eth0', up: false });
    expect(g.states()).toEqual(['FAULT', 'FAULT']);
    // VI_2 was MASTER: it sent priority 0 and dropped its VIPs.
    g.step('VI_1', { type: 'interface', at: 5000, name: 'eth0', up: true });
    expect(g.states()).toEqual(['BACKUP', 'BACKUP']);
  });

  it('two members failing in turn: the group stays in FAULT until both have recovered', () => {
    const g = pair();
    g.step('VI_1', { type: 'interface', at: 100, name: 'eth0', up: false });
    expect(g.states()).toEqual(['FAULT', 'FAULT']);
    // VI_2's own interface fails while the group already holds it in FAULT: reported FAULT→FAULT.
    const r = g.step('VI_2', { type: 'interface', at: 200, name: 'eth1', up: false });
    expect(r.transition).toEqual({ from: 'FAULT', to: 'FAULT', reason: { code: 'interfaceDown', name: 'eth1' } });
    expect(r.actions).toEqual([]);
    g.step('VI_1', { type: 'interface', at: 300, name: 'eth0', up: true });
    expect(g.states()).toEqual(['FAULT', 'FAULT']);
    g.step('VI_2', { type: 'interface', at: 400, name: 'eth1', up: true });
    expect(g.states()).toEqual(['BACKUP', 'BACKUP']);
  });

  it('the same with the recoveries in the other order', () => {
    const g = pair();
    g.step('VI_1', { type: 'interface', at: 100, name: 'eth0', up: false });
    g.step('VI_2', { type: 'interface', at: 200, name: 'eth1', up: false });
    g.step('VI_2', { type: 'interface', at: 300, name: 'eth1', up: true });
    expect(g.states()).toEqual(['FAULT', 'FAULT']);
    g.step('VI_1', { type: 'interface', at: 400, name: 'eth0', up: true });
    expect(g.states()).toEqual(['BACKUP', 'BACKUP']);
  });

  it('works with plain contract inputs (no sender): BACKUP releases the group fault', () => {
    const d = new Driver();
    d.step({ type: 'startup', at: 0 });
    expect(d.step({ type: 'syncGroup', at: 1, state: 'FAULT' }).transition?.to).toBe('FAULT');
    expect(d.step({ type: 'syncGroup', at: 2, state: 'BACKUP' }).transition?.to).toBe('BACKUP');
  });
});
