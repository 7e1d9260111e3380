import type { ProbeSignal } from '../../src/adapters/probes/cancel.js';
import { describe, expect, it } from 'vitest';
import type { GlobalDefs, VirtualServer } from '../../src/config/types.js';
import type { ProbeResult, ProbeTarget } from '../../src/adapters/probes/types.js';
import { RecordingIpvs } from '../../src/adapters/ipvs-recording.js';
import { CheckerEngine } from '../../src/engine/checkers.js';
import { createCheckerSummarizer } from '../../src/engine/checker-summary.js';
import { MemoryJournal } from '../../src/engine/memory-journal.js';
import { VirtualScheduler } from '../../src/engine/scheduler.js';
import type { EventRecord } from '../../src/store/schema.js';
import { realServer, tcpCheck, virtualServer } from './fixtures.js';
import { runUntil, settle } from './virtual-clock.js';


type Script = (target: ProbeTarget, now: number, signal: ProbeSignal) => ProbeResult | Promise<ProbeResult>;

function setup(vs: VirtualServer, script: Script, opts: { summarize?: boolean } = {}) {
  const sched = new VirtualScheduler();
  const journal = new MemoryJournal();
  const ipvs = new RecordingIpvs();
  const probes: Array<{ at: number; address: string; signal: ProbeSignal }> = [];
  const engine = new CheckerEngine({
    config: { virtualServers: [vs], globalDefs: { routerId: 'lb1' } as GlobalDefs },
    scheduler: sched,
    journal,
    random: () => 0,
    ...(opts.summarize ? { summarizer: createCheckerSummarizer() } : {}),
    runProbe: async (target, signal) => {
      probes.push({ at: sched.now(), address: target.address, signal });
      return script(target, sched.now(), signal);
    },
  });
  engine.attachIpvs(ipvs);
  const table = () => (ipvs.destsOf({ type: 'address', protocol: 'TCP', address: '192.0.2.100', port: 80, family: 'ipv4' }) ?? []).map((d) => `${d.address}=${d.weight}`);
  return { sched, journal, ipvs, engine, probes, table };
}

const ok = (reason = 'connected'): ProbeResult => ({ ok: true, reason, durationMs: 1 });
const fail = (reason = 'connection refused'): ProbeResult => ({ ok: false, reason, durationMs: 1 });

function pool() {
  const c = tcpCheck({ retry: 2, delayBeforeRetryMs: 1000, delayLoopMs: 5000 });
  return virtualServer([realServer('192.0.2.21', { checkers: [c] }), realServer('192.0.2.22', { checkers: [{ ...c }] })]);
}

describe('checker engine on virtual time with scripted probes', () => {
  it('drops a failing real server after `retry` retries and adds it back after one success, at keepalived\'s times', async () => {
    // .21 fails from t=10 s to t=20 s.
    const { sched, engine, probes, table, journal } = setup(pool(), (t, now) => (t.address === '192.0.2.21' && now >= 10_000 && now < 20_000 ? fail() : ok()));
    engine.start();
    await runUntil(sched, 1);
    expect(table()).toEqual(['192.0.2.21=1', '192.0.2.22=1']);
    await runUntil(sched, 11_999);
    expect(table()).toEqual(['192.0.2.21=1', '192.0.2.22=1']);
    await runUntil(sched, 12_000);
    expect(table()).toEqual(['192.0.2.22=1']);
    // Probes of .21: every delay_loop, then retries 1 s apart, then the down rhythm.
    expect(probes.filter((p) => p.address === '192.0.2.21').map((p) => p.at)).toEqual([0, 5000, 10_000, 11_000, 12_000]);
    await runUntil(sched, 23_999);
    expect(table()).toEqual(['192.0.2.22=1']);
    await runUntil(sched, 24_000);
    expect(table()).toEqual(['192.0.2.21=1', '192.0.2.22=1']);
    expect(probes.filter((p) => p.address === '192.0.2.21').map((p) => p.at)).toEqual([0, 5000, 10_000, 11_000, 12_000, 17_000, 18_000, 19_000, 24_000]);
    // No IPVS call was refused.
    expect(journal.events().filter((e) => e.kind === 'meta')).toEqual([]);
  });

  it.each([false, true])('journals the chain of causes: probe result → checker transition → VS input → IPVS effect (summarizer: %s)', async (summarize) => {
    const { sched, engine, journal } = setup(pool(), (t, now) => (t.address === '192.0.2.21' && now >= 5000 ? fail('HTTP status code error (503)') : ok()), { summarize });
    engine.start();
    await runUntil(sched, 7000);
    const recs = journal.events();
    const bySeq = new Map(recs.map((r) => [r.seq, r] as const));
    const del = recs.find((r) => r.kind === 'effect' && r.type === 'ipvsDelDest')!;
    expect(del.actor).toBe('vs/192.0.2.100:80');
    const vsInput = bySeq.get(del.cause!)!;
    expect(vsInput).toMatchObject({ actor: 'vs/192.0.2.100:80', kind: 'input', type: 'checker', data: { rs: 0, checker: 0, up: false } });
    const probeResult = bySeq.get(vsInput.cause!)!;
    expect(probeResult).toMatchObject({ actor: 'rs/192.0.2.100:80/192.0.2.21:80#0', kind: 'input', type: 'probeResult', monoTime: 7000 });
    const transition = recs.find((r) => r.kind === 'transition' && r.actor === 'rs/192.0.2.100:80/192.0.2.21:80#0' && r.type === 'down')! as EventRecord<{ reason: unknown }>;
    expect(transition.cause).toBe(probeResult.seq);
    expect(transition.data.reason).toEqual({ code: 'probeFailed', attempts: 3, reason: 'HTTP status code error (503)' });
    const rsDown = recs.find((r) => r.kind === 'transition' && r.actor === 'rs/192.0.2.100:80/192.0.2.21:80' && r.type === 'DOWN')!;
    expect(rsDown).toMatchObject({ type: 'DOWN', cause: vsInput.seq, data: { rs: 0, alive: false } });
    const line = recs.find((r) => r.kind === 'effect' && r.type === 'fifo' && r.cause === vsInput.seq)!;
    expect(line.data).toEqual({ type: 'fifo', line: 'RS [192.0.2.21]:tcp:80 [192.0.2.100]:tcp:80 DOWN' });
  });

  it('a probe that never answers is aborted at the backstop; the server goes down after the retries', async () => {
    const { sched, engine, probes, table } = setup(pool(), (t, now) =>
      t.address === '192.0.2.21' && now >= 5000 ? new Promise<ProbeResult>(() => {}) : ok(),
    );
    engine.start();
    // connect_timeout 3 s + 1 s margin per attempt, retries 1 s apart: 5+4, +1+4, +1+4 = 19 s.
    await runUntil(sched, 18_999);
    expect(table()).toEqual(['192.0.2.21=1', '192.0.2.22=1']);
    await runUntil(sched, 19_000);
    expect(table()).toEqual(['192.0.2.22=1']);
    const hung = probes.filter((p) => p.address === '192.0.2.21' && p.at >= 5000);
    expect(hung.map((p) => p.at)).toEqual([5000, 10_000, 15_000]);
    expect(hung.every((p) => p.signal.aborted)).toBe(true);
    expect(engine.checkerView('rs/192.0.2.100:80/192.0.2.21:80#0')).toMatchObject({ state: 'down', probing: false });
  });

  it('a probe that throws counts as a failure and the checker carries on', async () => {
    const { sched, engine, probes } = setup(pool(), (t) => {
      if (t.address === '192.0.2.21') throw new Error('boom');
      return ok();
    });
    engine.start();
    await runUntil(sched, 30_000);
    expect(engine.checkerView('rs/192.0.2.100:80/192.0.2.21:80#0')).toMatchObject({ state: 'down' });
    expect(probes.filter((p) => p.address === '192.0.2.21').length).toBeGreaterThan(5);
  });

  it('warmup: each checker starts at the jitter the engine drew within [0, warmup]', async () => {
    const vs = virtualServer([realServer('192.0.2.21', { checkers: [tcpCheck({ warmupMs: 4000, delayLoopMs: 10_000 })] })]);
    const sched = new VirtualScheduler();
    const journal = new MemoryJournal();
    const at: number[] = [];
    const engine = new CheckerEngine({
      config: { virtualServers: [vs], globalDefs: { routerId: 'lb1' } as GlobalDefs },
      scheduler: sched,
      journal,
      random: () => 0.25,
      runProbe: async () => {
        at.push(sched.now());
        return ok();
      },
    });
    engine.start();
    await runUntil(sched, 12_000);
    expect(at).toEqual([1000, 11_000]);
    expect(journal.events().find((e) => e.type === 'startup' && e.actor.endsWith('#0'))?.data).toEqual({ type: 'startup', at: 0, warmupMs: 1000 });
  });

  it('stop takes the service out of the table, cancels every timer and aborts probes in flight', async () => {
    const { sched, engine, ipvs, probes } = setup(pool(), () => new Promise<ProbeResult>(() => {}));
    engine.start();
    await runUntil(sched, 10);
    await engine.stop();
    await settle();
    expect(ipvs.snapshot()).toEqual([]);
    expect(ipvs.calls.at(-1)?.effect.type).toBe('ipvsDelService');
    expect(sched.pending()).toBe(0);
    expect(probes.every((p) => p.signal.aborted)).toBe(true);
    expect(engine.isRunning).toBe(false);
  });

  it('with the summarizer, an hour of healthy checks costs a few records; the failure in it is logged as is', async () => {
    const { sched, engine, journal, table } = setup(pool(), (t, now) => (t.address === '192.0.2.21' && now >= 1_800_000 && now < 1_810_000 ? fail() : ok()), { summarize: true });
    engine.start();
    await runUntil(sched, 3_600_000);
    expect(table()).toEqual(['192.0.2.21=1', '192.0.2.22=1']);
    const recs = journal.events();
    // Without it: 2 checkers × 720 checks × (timer + result) = 2880 inputs. With it: per checker and
    // stream one summary a minute (the store's maxOpenMs bounds what a crash can lose), so ~240.
    expect(recs.length).toBeLessThan(300);
    const summaries = recs.filter((r) => r.kind === 'summary');
    expect(summaries.length).toBeGreaterThan(0);
    const folded = summaries.reduce((n, r) => n + (r.data as { count: number }).count, 0);
    expect(folded).toBeGreaterThan(2500);
    // The down and up of .21 are there, each with its probe result as cause, logged as is.
    const bySeq = new Map(recs.map((r) => [r.seq, r] as const));
    const moves = recs.filter((r) => r.kind === 'transition' && r.actor === 'rs/192.0.2.100:80/192.0.2.21:80#0' && r.monoTime > 0);
    expect(moves.map((m) => [m.type, m.monoTime])).toEqual([
      ['down', 1_802_000],
      // Down at 1802 s; then 1807, 1808, 1809 fail (retries), delay_loop; 1814 succeeds.
      ['up', 1_814_000],
    ]);
    for (const m of moves) expect(bySeq.get(m.cause!)).toMatchObject({ kind: 'input', type: 'probeResult', monoTime: m.monoTime });
  });

  it('an IPVS call the adapter refuses is logged as a meta record naming the effect, caused by it', async () => {
    const { sched, engine, journal, ipvs } = setup(pool(), () => ok());
    // Someone else's service is already there: the engine's own add is refused (EEXIST).
    ipvs.applySync({ type: 'ipvsAddService', service: { id: { type: 'address', protocol: 'TCP', address: '192.0.2.100', port: 80, family: 'ipv4' }, scheduler: 'rr', flags: [] } });
    engine.start();
    await runUntil(sched, 10);
    const meta = journal.events().filter((e) => e.kind === 'meta');
    expect(meta).toHaveLength(1);
    expect(meta[0]).toMatchObject({ type: 'ipvsError', actor: 'vs/192.0.2.100:80', data: { effect: { type: 'ipvsAddService' }, result: { ok: false, errno: 'EEXIST' } } });
    expect(journal.events().find((e) => e.seq === meta[0]!.cause)).toMatchObject({ kind: 'effect', type: 'ipvsAddService' });
  });
});
