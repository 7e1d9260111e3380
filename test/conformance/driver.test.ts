/**
 * The conformance runner checks itself: fed a scripted stand-in for the machine, it must pass the
 * outputs a case expects and fail, with a message naming the difference, on every kind of
 * deviation (missing, extra or altered action, wrong transition, wrong or unfired timer, a
 * takeover outside its window). Otherwise a green conformance run would prove nothing.
 */
import { describe, expect, it } from 'vitest';
import type { KeepalivedConfig, VrrpInstance } from '../../src/config/types.js';
import type { VrrpAction, VrrpInput, VrrpStepResult, VrrpStepper } from '../../src/machines/vrrp/contract.js';
import { CaseFailure, runMultiNode, runSingleNode, type Product } from './driver.js';
import { parseExpectedLine, parseInputLine, type CaseSpec, type LoadedCase } from './format.js';

type Script = (input: VrrpInput, primary: string | undefined) => Omit<VrrpStepResult<number>, 'snapshot'>;

/** A product whose only instance answers each input with what `script` says. */
function fakeProduct(script: Script, states: Record<string, string> = {}): Product {
  const instance = { name: 'VI_1', virtualRouterId: 51, version: 2 } as unknown as VrrpInstance;
  const config = { vrrpInstances: [instance], vrrpSyncGroups: [], vrrpScripts: [], globalDefs: {} } as unknown as KeepalivedConfig;
  return {
    load: () => ({ config, diagnostics: [] }),
    createStepper: (_i, _c, primary): VrrpStepper<unknown> => ({
      init: () => ({ snapshot: 0, actions: [] }),
      step: (s, input) => ({ snapshot: (s as number) + 1, ...script(input, primary) }),
      view: () => ({ name: 'VI_1', state: (states[primary ?? ''] ?? 'BACKUP') as 'BACKUP', effectivePriority: 100, masterAdverIntCs: 100 }),
    }),
    syncInputs: () => [],
    receive: () => ({ ok: false, reason: 'advert-interval', detail: 'fake' }),
  };
}

function kase(spec: Partial<CaseSpec>, inputs: object[], expected: object[]): LoadedCase {
  return {
    name: 'fake',
    dir: '/nonexistent',
    spec: { description: 'fake', sources: ['test'], primaryAddress: '192.0.2.10', ...spec },
    conf: '# fake',
    inputs: inputs.map((o, i) => parseInputLine(o as Record<string, unknown>, `in:${i}`)),
    expected: expected.map((o, i) => parseExpectedLine(o as Record<string, unknown>, `exp:${i}`)),
  };
}

const advert: VrrpAction = { type: 'sendAdvert', version: 2, vrid: 51, priority: 100, maxAdverIntCs: 100, addresses: ['192.0.2.100'] };
const notifyBackup: VrrpAction = { type: 'notify', state: 'BACKUP', priority: 100 };

/** Startup → BACKUP with masterDown armed for `md`; masterDown → MASTER with an advert. */
function machine(md = 3609.375, extra: VrrpAction[] = []): Script {
  return (input) => {
    if (input.type === 'startup') {
      return { actions: [notifyBackup, { type: 'armTimer', timer: 'masterDown', delayMs: md }], transition: { from: 'INIT', to: 'BACKUP', reason: { code: 'startup' } } };
    }
    if (input.type === 'timer' && input.timer === 'masterDown') {
      return {
        actions: [advert, ...extra, { type: 'armTimer', timer: 'advert', delayMs: 1000 }],
        transition: { from: 'BACKUP', to: 'MASTER', reason: { code: 'masterDownTimeout', masterDownIntervalMs: md } },
      };
    }
    return { actions: [] };
  };
}

const inputs = [
  { instance: 'VI_1', input: { type: 'startup', at: 0 } },
  { instance: 'VI_1', input: { type: 'timer', at: 3609.375, timer: 'masterDown' } },
];
const expected = [
  { at: 0, instance: 'VI_1', transition: { from: 'INIT', to: 'BACKUP', reason: { code: 'startup' } } },
  { at: 0, instance: 'VI_1', action: notifyBackup },
  { at: 3609.375, instance: 'VI_1', transition: { from: 'BACKUP', to: 'MASTER', reason: { code: 'masterDownTimeout', masterDownIntervalMs: 3609.375 } } },
  { at: 3609.375, instance: 'VI_1', action: advert },
];

function fails(product: Product, k: LoadedCase, message: RegExp): void {
  expect(() => runSingleNode(product, k)).toThrow(CaseFailure);
  expect(() => runSingleNode(product, k)).toThrow(message);
}

describe('conformance runner', () => {
  it('passes a machine that does exactly what the case expects', () => {
    runSingleNode(fakeProduct(machine()), kase({}, inputs, expected));
  });

  it('fails on an extra action, naming it', () => {
    fails(fakeProduct(machine(3609.375, [{ type: 'addVips', addresses: ['192.0.2.100'] }])), kase({}, inputs, expected), /unexpected action.*addVips/);
  });

  it('fails on a missing action and on a changed field of an action', () => {
    fails(fakeProduct(machine()), kase({}, inputs, [...expected, { at: 3609.375, instance: 'VI_1', action: { type: 'addVips', addresses: ['192.0.2.100'] } }]), /expected 1× .*addVips.*found 0/);
    const wrongPriority = expected.map((l) => ('action' in l && l.action === advert ? { ...l, action: { ...advert, priority: 101 } } : l));
    fails(fakeProduct(machine()), kase({}, inputs, wrongPriority), /priority":101.*found 0/);
  });

  it('fails on a transition with another reason code or reason field', () => {
    const otherCode = expected.map((l, i) => (i === 2 ? { ...l, transition: { from: 'BACKUP', to: 'MASTER', reason: { code: 'preempt' } } } : l));
    fails(fakeProduct(machine()), kase({}, inputs, otherCode), /transitions differ/);
    const otherField = expected.map((l, i) => (i === 2 ? { ...l, transition: { from: 'BACKUP', to: 'MASTER', reason: { code: 'masterDownTimeout', masterDownIntervalMs: 3609 } } } : l));
    fails(fakeProduct(machine()), kase({}, inputs, otherField), /transitions differ/);
  });

  it('fails when a timer input finds its timer armed for another time (µs matter)', () => {
    fails(fakeProduct(machine(3609.376)), kase({}, inputs, expected), /masterDown at 3609.375, but it is armed for 3609.376/);
  });

  it('fails when an armed timer would pass without a timer input for it', () => {
    const late = [inputs[0]!, { instance: 'VI_1', input: { type: 'shutdown', at: 5000 } }];
    fails(fakeProduct(machine()), kase({}, late, expected.slice(0, 2)), /masterDown armed for 3609.375 would have fired before the input at 5000/);
  });

  it('checks armed deadlines and the armed set at a point in time', () => {
    const ok = [...expected, { at: 3609.375, instance: 'VI_1', armed: { timer: 'advert', deadline: 4609.375 } }, { at: 3609.375, instance: 'VI_1', armedSet: ['advert'] }];
    runSingleNode(fakeProduct(machine()), kase({}, inputs, ok));
    fails(fakeProduct(machine()), kase({}, inputs, [...expected, { at: 3609.375, instance: 'VI_1', armedSet: [] }]), /armed timers should be \[\]/);
  });

  it('accepts an optional action whether or not it happens, and a count range', () => {
    const opt = [...expected, { at: 3609.375, instance: 'VI_1', action: { type: 'removeVips', addresses: ['192.0.2.100'] }, optional: true }];
    runSingleNode(fakeProduct(machine()), kase({}, inputs, opt));
    runSingleNode(fakeProduct(machine(3609.375, [{ type: 'removeVips', addresses: ['192.0.2.100'] }])), kase({}, inputs, opt));
    const twice = expected.map((l) => ('action' in l && l.action === advert ? { ...l, count: [1, 2] } : l));
    runSingleNode(fakeProduct(machine(3609.375, [advert])), kase({}, inputs, twice));
    fails(fakeProduct(machine(3609.375, [advert, advert])), kase({}, inputs, twice), /unexpected action.*sendAdvert/);
  });

  it('auto timers: a takeover inside the window passes, outside fails', () => {
    const auto = { autoTimers: true, until: 10_000 };
    const window = (min: number, max: number) => expected.map((l, i) => (i >= 2 ? { ...l, at: { min, max } } : l));
    // After MASTER the fake arms an advert that is never fired by the fake: give the window only the takeover.
    runSingleNode(fakeProduct(machine()), kase({ ...auto, until: 4000 }, [inputs[0]!], window(3500, 3700)));
    fails(fakeProduct(machine()), kase({ ...auto, until: 4000 }, [inputs[0]!], window(3700, 3900)), /outputs diverge/);
  });

  it('multi-node: "eventually" and "never" are checked over their windows', () => {
    const multi: Partial<CaseSpec> = { nodes: { A: { conf: 'a.conf', primaryAddress: '192.0.2.10' } }, until: 5000 };
    const start = [{ node: 'A', instance: 'VI_1', input: { type: 'startup', at: 0 } }];
    const read = (): string => '# fake';
    runMultiNode(fakeProduct(machine()), kase(multi, start, [{ at: { min: 3000, max: 4000 }, node: 'A', instance: 'VI_1', eventually: { type: 'sendAdvert' }, partial: true }]), read);
    expect(() =>
      runMultiNode(fakeProduct(machine()), kase(multi, start, [{ at: { min: 0, max: 3000 }, node: 'A', instance: 'VI_1', eventually: { type: 'sendAdvert' }, partial: true }]), read),
    ).toThrow(/never happened/);
    expect(() =>
      runMultiNode(fakeProduct(machine()), kase(multi, start, [{ at: { min: 3000, max: 5000 }, node: 'A', instance: 'VI_1', never: { type: 'sendAdvert' }, partial: true }]), read),
    ).toThrow(/must not happen/);
    expect(() => runMultiNode(fakeProduct(machine(), { '192.0.2.10': 'MASTER' }), kase(multi, start, [{ at: 4000, node: 'A', instance: 'VI_1', state: 'BACKUP' }]), read)).toThrow(
      /state should be BACKUP, is MASTER/,
    );
  });
});
