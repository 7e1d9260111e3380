/**
 * A reload's new checker engine goes on from the running one's states (keepalived
 * check_data.c migrate_checkers): a dead real server is not put back in the table by a reload, a
 * retry round in progress keeps its count, and the quorum notifier does not run again.
 */
import { describe, expect, it } from 'vitest';
import type { GlobalDefs, VirtualServer } from '../../src/config/types.js';
import type { ProbeResult, ProbeTarget } from '../../src/adapters/probes/types.js';
import { RecordingIpvs } from '../../src/adapters/ipvs-recording.js';
import { CheckerEngine, type CarriedCheckerState } from '../../src/engine/checkers.js';
import { MemoryJournal } from '../../src/engine/memory-journal.js';
import { VirtualScheduler } from '../../src/engine/scheduler.js';
import { createCheckerStepper } from '../../src/machines/checker/machine.js';
import { realServer, settings, tcpCheck, virtualServer } from './fixtures.js';
import { runUntil, settle } from './virtual-clock.js';


const ok: ProbeResult = { ok: true, durationMs: 1 };
const fail: ProbeResult = { ok: false, reason: 'connection refused', durationMs: 1 };

/** .21 is dead, .22 alive; quorum_up / quorum_down notifiers, so their runs can be counted. */
function pool(over: { retry?: number; connectTimeoutMs?: number } = {}): VirtualServer {
  const c = tcpCheck({ retry: over.retry ?? 2, delayBeforeRetryMs: 1000, delayLoopMs: 5000, ...(over.connectTimeoutMs !== undefined ? { connectTimeoutMs: over.connectTimeoutMs } : {}) });
  return virtualServer([realServer('192.0.2.21', { checkers: [c] }), realServer('192.0.2.22', { checkers: [{ ...c }] })], {
    quorumUp: { argv: ['/bin/true', 'up'] },
    quorumDown: { argv: ['/bin/true', 'down'] },
  });
}

function engineOn(vs: VirtualServer, probe: (t: ProbeTarget) => ProbeResult, carried?: CarriedCheckerState) {
  const sched = new VirtualScheduler();
  const journal = new MemoryJournal();
  const ipvs = new RecordingIpvs();
  const engine = new CheckerEngine({
    config: { virtualServers: [vs], globalDefs: { routerId: 'lb1' } as GlobalDefs },
    scheduler: sched,
    journal,
    random: () => 0,
    runProbe: async (t) => probe(t),
    ...(carried !== undefined ? { carried } : {}),
  });
  engine.attachIpvs(ipvs);
  const table = () => (ipvs.destsOf({ type: 'address', protocol: 'TCP', address: '192.0.2.100', port: 80, family: 'ipv4' }) ?? []).map((d) => `${d.address}=${d.weight}`);
  const effects = () => journal.events().filter((e) => e.kind === 'effect').map((e) => e.data as { type: string; dest?: { address: string }; target?: string; state?: string });
  return { sched, journal, engine, table, effects };
}

const RS21 = 'rs/192.0.2.100:80/192.0.2.21:80#0';
const deadOne = (t: ProbeTarget): ProbeResult => (t.address === '192.0.2.21' ? fail : ok);

describe('checker state across a reload', () => {
  it('a dead real server stays out of the table after a reload; without the carried state it would be added back', async () => {
    const old = engineOn(pool(), deadOne);
    old.engine.start();
    await runUntil(old.sched, 1);
    expect(old.table()).toEqual(['192.0.2.22=1']);
    const carried = old.engine.carryState();
    expect(carried.checkers.get(RS21)?.state).toEqual({ up: false, hasRun: true, retryIt: 0, failures: 1 });
    expect(carried.virtualServers.get('vs/192.0.2.100:80')).toBe(true);
    await old.engine.stop();

    const next = engineOn(pool(), deadOne, carried);
    next.engine.start();
    await settle();
    // Straight from the start, before any probe: .21 is down and out of the model.
    expect(next.engine.checkerView(RS21)).toMatchObject({ state: 'down', hasRun: true });
    expect(next.effects().filter((e) => e.type === 'ipvsAddDest').map((e) => e.dest?.address)).toEqual(['192.0.2.22']);
    expect(next.table()).toEqual(['192.0.2.22=1']);
    // The quorum was up and is up again: its notifier does not run a second time.
    expect(next.effects().filter((e) => e.type === 'notify')).toEqual([]);
    const t = next.journal.events().find((e) => e.kind === 'transition' && e.actor === RS21)!;
    expect(t.data).toMatchObject({ from: 'idle', to: 'down', reason: { code: 'reload', up: false } });

    // The same start without the carried state: .21 goes in until its first probe fails, and the quorum notifier runs.
    const fresh = engineOn(pool(), deadOne);
    fresh.engine.start();
    await settle();
    expect(fresh.effects().filter((e) => e.type === 'ipvsAddDest').map((e) => e.dest?.address)).toEqual(['192.0.2.21', '192.0.2.22']);
    expect(fresh.effects().filter((e) => e.type === 'notify').map((e) => e.state)).toEqual(['UP']);
  });

  it('a server that recovers after the reload comes back after one success', async () => {
    const old = engineOn(pool(), deadOne);
    old.engine.start();
    await runUntil(old.sched, 1);
    const carried = old.engine.carryState();
    await old.engine.stop();
    const next = engineOn(pool(), () => ok, carried);
    next.engine.start();
    await runUntil(next.sched, 1);
    expect(next.table()).toEqual(['192.0.2.21=1', '192.0.2.22=1']);
    expect(next.engine.checkerView(RS21)).toMatchObject({ state: 'up' });
  });

  it('a checker whose settings changed starts afresh (another connect_timeout is another checker)', async () => {
    const old = engineOn(pool(), deadOne);
    old.engine.start();
    await runUntil(old.sched, 1);
    const carried = old.engine.carryState();
    await old.engine.stop();
    const next = engineOn(pool({ connectTimeoutMs: 5000 }), deadOne, carried);
    next.engine.start();
    await settle();
    expect(next.engine.checkerView(RS21)).toMatchObject({ state: 'up', hasRun: false });
    const t = next.journal.events().find((e) => e.kind === 'transition' && e.actor === RS21)!;
    expect(t.data).toMatchObject({ reason: { code: 'startup' } });
  });

  it('keeps a retry round in progress, at most retry - 1 failures (one more failure fails it), as migrate_checkers does', () => {
    const s = settings({ retry: 3 });
    const st = createCheckerStepper(s);
    const start = (carried: { up: boolean; hasRun: boolean; retryIt: number; failures: number }) =>
      st.step(st.init(0).snapshot, { type: 'startup', at: 0, carried }).snapshot;
    expect(st.view(start({ up: true, hasRun: true, retryIt: 2, failures: 2 }))).toMatchObject({ state: 'up', retryIt: 2, failures: 2 });
    // An old round longer than the new retry allows: one more failure fails it.
    expect(st.view(createCheckerStepper(settings({ retry: 1 })).step(createCheckerStepper(settings({ retry: 1 })).init(0).snapshot, { type: 'startup', at: 0, carried: { up: true, hasRun: true, retryIt: 2, failures: 2 } }).snapshot)).toMatchObject({ retryIt: 0 });
    // Never ran: one failure is enough, as at a start.
    expect(st.view(start({ up: true, hasRun: false, retryIt: 0, failures: 0 }))).toMatchObject({ retryIt: 3, hasRun: false });
    expect(st.view(start({ up: false, hasRun: true, retryIt: 0, failures: 4 }))).toMatchObject({ state: 'down', retryIt: 0 });
  });
});
