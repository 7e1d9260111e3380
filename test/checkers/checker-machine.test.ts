import { describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import type { CheckerAction, CheckerInput, CheckerSettings } from '../../src/machines/checker/contract.js';
import { createCheckerStepper, type CheckerSnapshot } from '../../src/machines/checker/machine.js';
import { resolveCheckerSettings, PROBE_TIMEOUT_MARGIN_MS } from '../../src/machines/checker/settings.js';
import { common, realServer, settings, virtualServer } from './fixtures.js';

/** A driver that keeps the armed timers like the engine does and feeds inputs one by one. */
class Driver {
  readonly stepper;
  snap: CheckerSnapshot;
  t = 0;
  armed = new Map<string, number>();
  probing = false;
  log: CheckerAction[] = [];
  constructor(s: CheckerSettings) {
    this.stepper = createCheckerStepper(s);
    this.snap = this.stepper.init(0).snapshot;
  }
  feed(input: CheckerInput) {
    // A timer input is that timer firing: it is no longer armed.
    if (input.type === 'timer') this.armed.delete(input.timer);
    const r = this.stepper.step(this.snap, input);
    this.snap = r.snapshot;
    for (const a of r.actions) {
      if (a.type === 'armTimer') this.armed.set(a.timer, input.at + a.delayMs);
      if (a.type === 'cancelTimer') this.armed.delete(a.timer);
      if (a.type === 'runProbe') this.probing = true;
      if (a.type === 'abortProbe') this.probing = false;
    }
    this.log.push(...r.actions);
    return r;
  }
  get state() {
    return this.stepper.view(this.snap).state;
  }
  start(warmupMs = 0) {
    return this.feed({ type: 'startup', at: 0, warmupMs });
  }
  /** Fire the check timer at its deadline (it must be armed) and return the step. */
  fireCheck() {
    const at = this.armed.get('check');
    if (at === undefined) throw new Error('check timer not armed');
    this.t = at;
    this.armed.delete('check');
    return this.feed({ type: 'timer', at, timer: 'check' });
  }
  /** Run one probe cycle: check timer, then a result `latency` ms later. */
  probe(ok: boolean, extra: Partial<Extract<CheckerInput, { type: 'probeResult' }>> = {}, latency = 10) {
    this.fireCheck();
    this.t += latency;
    this.probing = false;
    return this.feed({ type: 'probeResult', at: this.t, ok, ...extra });
  }
  /** Delay until the next check, relative to the last result. */
  nextCheckIn() {
    return this.armed.get('check')! - this.t;
  }
}

const kinds = (actions: CheckerAction[]) => actions.filter((a) => a.type === 'up' || a.type === 'down' || a.type === 'setWeight');

describe('checker machine: start', () => {
  it('starts up without alpha, down with alpha, and probes first after the warmup the engine drew', () => {
    const d = new Driver(settings({ warmupMs: 5000 }));
    const r = d.start(1234);
    expect(d.state).toBe('up');
    expect(r.transition).toEqual({ from: 'idle', to: 'up', reason: { code: 'startup', alpha: false } });
    expect(r.actions).toEqual([{ type: 'armTimer', timer: 'check', delayMs: 1234 }]);

    const a = new Driver(settings({ alpha: true }));
    expect(a.start().transition?.to).toBe('down');
    expect(a.armed.get('check')).toBe(0);
  });

  it('clamps a warmup jitter to the configured warmup', () => {
    const d = new Driver(settings({ warmupMs: 100 }));
    d.start(5000);
    expect(d.armed.get('check')).toBe(100);
  });

  it('a check runs one probe and arms the backstop at probeTimeoutMs', () => {
    const d = new Driver(settings({ probeTimeoutMs: 4000 }));
    d.start();
    const r = d.fireCheck();
    expect(r.actions).toEqual([
      { type: 'runProbe', attempt: 1 },
      { type: 'armTimer', timer: 'probeTimeout', delayMs: 4000 },
    ]);
  });
});

describe('checker machine: retries and delays (keepalived tcp_epilog)', () => {
  it('a success re-arms the check after delay_loop and cancels the backstop', () => {
    const d = new Driver(settings({ delayLoopMs: 6000 }));
    d.start();
    const r = d.probe(true);
    expect(r.actions).toEqual([
      { type: 'cancelTimer', timer: 'probeTimeout' },
      { type: 'armTimer', timer: 'check', delayMs: 6000 },
    ]);
    expect(r.transition).toBeUndefined();
  });

  it('at start one failure is enough: a non-alpha checker goes down on its first failed probe', () => {
    const d = new Driver(settings({ retry: 3 }));
    d.start();
    const r = d.probe(false, { reason: 'connection refused' });
    expect(r.transition).toEqual({ from: 'up', to: 'down', reason: { code: 'probeFailed', attempts: 1, reason: 'connection refused' } });
    expect(kinds(r.actions)).toEqual([{ type: 'down', reason: { code: 'probeFailed', attempts: 1, reason: 'connection refused' } }]);
    expect(d.nextCheckIn()).toBe(6000);
  });

  it('once it has run, a failure is retried `retry` times, delay_before_retry apart, then goes down', () => {
    const d = new Driver(settings({ retry: 2, delayBeforeRetryMs: 1500, delayLoopMs: 6000 }));
    d.start();
    d.probe(true);
    let r = d.probe(false);
    expect(kinds(r.actions)).toEqual([]);
    expect(d.nextCheckIn()).toBe(1500);
    r = d.probe(false);
    expect(kinds(r.actions)).toEqual([]);
    expect(d.nextCheckIn()).toBe(1500);
    expect(d.state).toBe('up');
    r = d.probe(false, { reason: 'HTTP status code error (503)' });
    expect(r.transition?.to).toBe('down');
    expect(kinds(r.actions)).toEqual([{ type: 'down', reason: { code: 'probeFailed', attempts: 3, reason: 'HTTP status code error (503)' } }]);
    expect(d.nextCheckIn()).toBe(6000);
  });

  it('retry 0: the first failure takes it down', () => {
    const d = new Driver(settings({ retry: 0 }));
    d.start();
    d.probe(true);
    expect(d.probe(false).transition?.to).toBe('down');
  });

  it('a success between failures starts the count again', () => {
    const d = new Driver(settings({ retry: 1 }));
    d.start();
    d.probe(true);
    d.probe(false);
    d.probe(true);
    expect(d.probe(false).transition).toBeUndefined();
    expect(d.state).toBe('up');
    expect(d.probe(false).transition?.to).toBe('down');
  });

  it('a down checker keeps probing in the same rhythm (retries, then delay_loop) and says nothing', () => {
    const d = new Driver(settings({ retry: 2, delayBeforeRetryMs: 1500, delayLoopMs: 6000 }));
    d.start();
    d.probe(false);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = d.probe(false);
      expect(kinds(r.actions)).toEqual([]);
      delays.push(d.nextCheckIn());
    }
    expect(delays).toEqual([1500, 1500, 6000, 1500, 1500, 6000]);
  });

  it('one success brings a down checker up, and the next check comes after delay_loop', () => {
    const d = new Driver(settings({ retry: 2 }));
    d.start();
    d.probe(false);
    d.probe(false);
    const r = d.probe(true, { reason: 'HTTP status 200' });
    expect(r.transition).toEqual({ from: 'down', to: 'up', reason: { code: 'probeSucceeded', reason: 'HTTP status 200' } });
    expect(kinds(r.actions)).toEqual([{ type: 'up', reason: { code: 'probeSucceeded', reason: 'HTTP status 200' } }]);
    expect(d.nextCheckIn()).toBe(6000);
  });
});

describe('checker machine: alpha', () => {
  it("an alpha checker's first failure re-announces down once (firstCheck) without a transition", () => {
    const d = new Driver(settings({ alpha: true, retry: 2 }));
    d.start();
    const r = d.probe(false);
    expect(r.transition).toBeUndefined();
    expect(kinds(r.actions)).toEqual([{ type: 'down', reason: { code: 'probeFailed', attempts: 1 }, firstCheck: true }]);
    // Later failures say nothing.
    for (let i = 0; i < 4; i++) expect(kinds(d.probe(false).actions)).toEqual([]);
  });

  it('an alpha checker comes up on its first success', () => {
    const d = new Driver(settings({ alpha: true }));
    d.start();
    expect(d.probe(true).transition).toMatchObject({ from: 'down', to: 'up' });
  });
});

describe('checker machine: never stuck', () => {
  it('a probe that never reports is aborted at the backstop and counts as a failure', () => {
    const d = new Driver(settings({ retry: 1, probeTimeoutMs: 4000, delayBeforeRetryMs: 1500 }));
    d.start();
    d.probe(true);
    d.fireCheck();
    const due = d.armed.get('probeTimeout')!;
    expect(due - d.t).toBe(4000);
    let r = d.feed({ type: 'timer', at: due, timer: 'probeTimeout' });
    d.t = due;
    expect(r.actions[0]).toEqual({ type: 'abortProbe' });
    expect(d.nextCheckIn()).toBe(1500);
    // The aborted probe's late result is stale: ignored.
    r = d.feed({ type: 'probeResult', at: due + 1, ok: true });
    expect(r.actions).toEqual([]);
    d.fireCheck();
    r = d.feed({ type: 'timer', at: d.armed.get('probeTimeout')!, timer: 'probeTimeout' });
    expect(r.transition).toEqual({ from: 'up', to: 'down', reason: { code: 'probeTimeout', afterMs: 4000 } });
  });

  it('a check timer while a probe is in flight does not start a second probe', () => {
    const d = new Driver(settings());
    d.start();
    d.fireCheck();
    expect(d.feed({ type: 'timer', at: 1, timer: 'check' }).actions).toEqual([]);
  });

  it('shutdown cancels both timers, aborts the probe in flight and ignores everything after', () => {
    const d = new Driver(settings());
    d.start();
    d.fireCheck();
    const r = d.feed({ type: 'shutdown', at: 5 });
    expect(r.transition).toEqual({ from: 'up', to: 'stopped', reason: { code: 'shutdown' } });
    expect(r.actions).toEqual([
      { type: 'cancelTimer', timer: 'check' },
      { type: 'cancelTimer', timer: 'probeTimeout' },
      { type: 'abortProbe' },
    ]);
    expect(d.feed({ type: 'probeResult', at: 6, ok: false }).actions).toEqual([]);
    expect(d.feed({ type: 'timer', at: 7, timer: 'check' }).actions).toEqual([]);
  });

  fcTest.prop([fc.array(fc.oneof(fc.constant<'ok'>('ok'), fc.constant<'fail'>('fail'), fc.constant<'hang'>('hang')), { maxLength: 60 }), fc.nat(3), fc.boolean()], { numRuns: 150 })(
    'whatever the probes do, exactly one of {check, probe in flight with backstop} is pending after every step',
    (outcomes, retry, alpha) => {
      const d = new Driver(settings({ retry, alpha }));
      d.start();
      let failStreak = 0;
      let hasRun = false;
      for (const o of outcomes) {
        d.fireCheck();
        expect(d.probing && d.armed.has('probeTimeout') && !d.armed.has('check')).toBe(true);
        if (o === 'hang') d.feed({ type: 'timer', at: d.armed.get('probeTimeout')!, timer: 'probeTimeout' });
        else d.feed({ type: 'probeResult', at: d.t + 1, ok: o === 'ok' });
        d.probing = false;
        expect(d.armed.has('check') && !d.armed.has('probeTimeout')).toBe(true);
        // The verdict: up after any success; down after retry+1 consecutive failures (1 at start).
        failStreak = o === 'ok' ? 0 : failStreak + 1;
        if (o === 'ok') expect(d.state).toBe('up');
        else if (!hasRun || failStreak > retry) expect(d.state).toBe('down');
        hasRun = true;
      }
    },
  );
});

describe('checker machine: misc_dynamic', () => {
  it('a success carrying a weight asks for it once; the same weight again says nothing', () => {
    const d = new Driver(settings());
    d.start();
    expect(kinds(d.probe(true, { weight: 8 }).actions)).toEqual([{ type: 'setWeight', weight: 8, reason: { code: 'dynamicWeight', weight: 8 } }]);
    expect(kinds(d.probe(true, { weight: 8 }).actions)).toEqual([]);
    expect(kinds(d.probe(true, { weight: 3 }).actions)).toEqual([{ type: 'setWeight', weight: 3, reason: { code: 'dynamicWeight', weight: 3 } }]);
  });
});

describe('checker settings (keepalived inheritance)', () => {
  it('delay_loop and alpha come from the checker, else the real server, else the virtual server; warmup defaults to delay_loop', () => {
    const rs = realServer('192.0.2.21', { delayLoopMs: 3000, alpha: true });
    const vs = virtualServer([rs], { delayLoopMs: 9000, alpha: false });
    const c = { type: 'TCP_CHECK' as const, ...common({ connectTimeoutMs: 2000 }) };
    expect(resolveCheckerSettings(vs, rs, c)).toEqual({
      delayLoopMs: 3000,
      retry: 1,
      delayBeforeRetryMs: 1000,
      warmupMs: 3000,
      alpha: true,
      probeTimeoutMs: 2000 + PROBE_TIMEOUT_MARGIN_MS,
    });
    const c2 = { type: 'TCP_CHECK' as const, ...common({ delayLoopMs: 500, alpha: false, warmupMs: 0 }) };
    expect(resolveCheckerSettings(vs, realServer('192.0.2.22'), c2)).toMatchObject({ delayLoopMs: 500, alpha: false, warmupMs: 0 });
    expect(resolveCheckerSettings(vs, realServer('192.0.2.22'), { type: 'TCP_CHECK', ...common() })).toMatchObject({ delayLoopMs: 9000, warmupMs: 9000 });
  });

  it('the backstop of a MISC_CHECK is misc_timeout (default delay_loop), of an HTTP_GET one connect_timeout per url', () => {
    const vs = virtualServer([realServer('192.0.2.21')], { delayLoopMs: 7000 });
    const misc = { type: 'MISC_CHECK' as const, miscPath: { argv: ['/bin/true'] }, miscDynamic: false, ...common() };
    expect(resolveCheckerSettings(vs, vs.realServers[0]!, misc).probeTimeoutMs).toBe(7000 + PROBE_TIMEOUT_MARGIN_MS);
    const http = { type: 'HTTP_GET' as const, urls: [{ path: '/', statusCode: [] }, { path: '/b', statusCode: [] }], ...common({ connectTimeoutMs: 2000 }) };
    expect(resolveCheckerSettings(vs, vs.realServers[0]!, http as never).probeTimeoutMs).toBe(4000 + PROBE_TIMEOUT_MARGIN_MS);
  });
});
