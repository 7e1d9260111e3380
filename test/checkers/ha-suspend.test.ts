import type { ProbeSignal } from '../../src/adapters/probes/cancel.js';
/**
 * ha_suspend on the checker side, on virtual time with scripted probes: the checkers of a virtual
 * server with ha_suspend run only while its address is on this host (keepalived check_api.c
 * update_checker_activity). Suspended, a checker sends no probe and its real server keeps the
 * health it had; when the address comes back it probes again one delay_loop later. Every
 * suspension and resumption is an input in the log, one per checker, in one batch.
 */
import { describe, expect, it } from 'vitest';
import type { GlobalDefs, VirtualServer, VirtualServerGroup } from '../../src/config/types.js';
import type { ProbeResult, ProbeTarget } from '../../src/adapters/probes/types.js';
import { RecordingIpvs } from '../../src/adapters/ipvs-recording.js';
import { CheckerEngine } from '../../src/engine/checkers.js';
import { createCheckerSummarizer } from '../../src/engine/checker-summary.js';
import { MemoryJournal } from '../../src/engine/memory-journal.js';
import { VirtualScheduler } from '../../src/engine/scheduler.js';
import { haSuspendAddresses } from '../../src/machines/virtual-server/ha-suspend.js';
import { formatDiagnostic } from '../../src/config/diagnostics.js';
import { loadConfigText } from '../../src/config/load.js';
import type { EventRecord, NewEvent } from '../../src/store/schema.js';
import { POS, realServer, tcpCheck, virtualServer } from './fixtures.js';
import { runUntil } from './virtual-clock.js';


/** Remembers which records went in one append: one journal batch. */
class BatchJournal extends MemoryJournal {
  readonly batches: EventRecord[][] = [];
  override append(events: NewEvent[]): EventRecord[] {
    const recs = super.append(events);
    this.batches.push(recs);
    return recs;
  }
  batchOf(seq: number): number {
    return this.batches.findIndex((b) => b.some((r) => r.seq === seq));
  }
}

type Script = (target: ProbeTarget, now: number) => ProbeResult | Promise<ProbeResult>;

const VS = 'vs/192.0.2.100:80';
const CK21 = 'rs/192.0.2.100:80/192.0.2.21:80#0';
const CK22 = 'rs/192.0.2.100:80/192.0.2.22:80#0';
const ok = (): ProbeResult => ({ ok: true, reason: 'connected', durationMs: 1 });
const fail = (): ProbeResult => ({ ok: false, reason: 'connection refused', durationMs: 1 });

function pool(over: Partial<VirtualServer> = {}): VirtualServer {
  const c = tcpCheck({ retry: 2, delayBeforeRetryMs: 1000, delayLoopMs: 5000 });
  return virtualServer([realServer('192.0.2.21', { checkers: [c] }), realServer('192.0.2.22', { checkers: [{ ...c }] })], { haSuspend: true, ...over });
}

function setup(vs: VirtualServer, script: Script, opts: { present?: boolean; summarize?: boolean; groups?: VirtualServerGroup[] } = {}) {
  const sched = new VirtualScheduler();
  const journal = new BatchJournal();
  const ipvs = new RecordingIpvs();
  const probes: Array<{ at: number; address: string; signal: ProbeSignal }> = [];
  const asked: VirtualServer[] = [];
  const engine = new CheckerEngine({
    config: { virtualServers: [vs], globalDefs: { routerId: 'lb1' } as GlobalDefs, ...(opts.groups ? { virtualServerGroups: opts.groups } : {}) },
    scheduler: sched,
    journal,
    random: () => 0,
    ...(opts.summarize ? { summarizer: createCheckerSummarizer() } : {}),
    vsAddressPresent: (v) => {
      asked.push(v);
      return opts.present ?? true;
    },
    runProbe: async (target, signal) => {
      probes.push({ at: sched.now(), address: target.address, signal });
      return script(target, sched.now());
    },
  });
  engine.attachIpvs(ipvs);
  const table = () => (ipvs.destsOf({ type: 'address', protocol: 'TCP', address: '192.0.2.100', port: 80, family: 'ipv4' }) ?? []).map((d) => `${d.address}=${d.weight}`);
  const probesOf = (address: string, from = 0, to = Infinity) => probes.filter((p) => p.address === address && p.at >= from && p.at <= to).map((p) => p.at);
  const addressInputs = () => journal.events().filter((e) => e.kind === 'input' && e.type === 'vsAddress');
  return { sched, journal, ipvs, engine, probes, probesOf, table, asked, addressInputs };
}

/** The records of one vsAddress change: one input per checker, in one journal batch, at one time. */
function expectOneBatch(journal: BatchJournal, recs: EventRecord[], at: number, present: boolean): void {
  expect(recs.map((r) => r.actor)).toEqual([CK21, CK22]);
  expect(journal.batchOf(recs[0]!.seq)).toBeGreaterThanOrEqual(0);
  expect(journal.batchOf(recs[1]!.seq)).toBe(journal.batchOf(recs[0]!.seq));
  for (const r of recs) {
    expect(r.monoTime).toBe(at);
    expect(r.data).toEqual({ type: 'vsAddress', at, present, address: '192.0.2.100' });
  }
}

describe('ha_suspend: the checkers follow the virtual server address', () => {
  it('without its address at start, no probe is sent for many delay_loops; the real servers keep their starting health', async () => {
    const { sched, engine, probes, table, journal, asked } = setup(pool(), ok, { present: false });
    engine.start();
    await runUntil(sched, 60_000);
    expect(asked).toHaveLength(1);
    expect(probes).toEqual([]);
    // Not alpha: they start up, and suspension does not change that (keepalived: nothing on suspend).
    expect(table()).toEqual(['192.0.2.21=1', '192.0.2.22=1']);
    expect(engine.checkerView(CK21)).toMatchObject({ state: 'up', suspended: true, probing: false, attempts: 0 });
    // Nothing ticks while suspended: no timer is armed at all.
    expect(sched.pending()).toBe(0);
    const startups = journal.events().filter((e) => e.kind === 'input' && e.type === 'startup' && e.actor.startsWith('rs/'));
    expect(startups.map((e) => e.data)).toEqual([
      { type: 'startup', at: 0, warmupMs: 0, suspended: true },
      { type: 'startup', at: 0, warmupMs: 0, suspended: true },
    ]);
  });

  it('when the address appears, both checkers are told in one batch and probe again one delay_loop later', async () => {
    const { sched, engine, probesOf, addressInputs, journal } = setup(pool(), ok, { present: false });
    engine.start();
    await runUntil(sched, 30_000);
    expect(engine.setVsAddressPresent(VS, true, '192.0.2.100')).toBe(true);
    expectOneBatch(journal, addressInputs(), 30_000, true);
    await runUntil(sched, 46_000);
    expect(probesOf('192.0.2.21')).toEqual([35_000, 40_000, 45_000]);
    expect(probesOf('192.0.2.22')).toEqual([35_000, 40_000, 45_000]);
    expect(engine.checkerView(CK21)).toMatchObject({ state: 'up', suspended: false, attempts: 3 });
  });

  it.each([false, true])('suspended, a down server stays down though it recovered; on resumption one success brings it back (summarizer: %s)', async (summarize) => {
    // .21 refuses until t=8 s, then answers.
    const { sched, engine, probesOf, table, addressInputs, journal } = setup(pool(), (t, now) => (t.address === '192.0.2.21' && now < 8000 ? fail() : ok()), { summarize });
    engine.start();
    await runUntil(sched, 7000);
    // The first failure at start is enough (keepalived: retry_it = retry before the first run).
    expect(table()).toEqual(['192.0.2.22=1']);
    expect(probesOf('192.0.2.21')).toEqual([0, 5000, 6000, 7000]);

    expect(engine.setVsAddressPresent(VS, false, '192.0.2.100')).toBe(true);
    const suspension = addressInputs();
    expectOneBatch(journal, suspension, 7000, false);
    await runUntil(sched, 60_000);
    // No probe of either server while suspended; .21 is still down, its health as it was.
    expect(probesOf('192.0.2.21', 7001)).toEqual([]);
    expect(probesOf('192.0.2.22', 7001)).toEqual([]);
    expect(table()).toEqual(['192.0.2.22=1']);
    expect(engine.checkerView(CK21)).toMatchObject({ state: 'down', suspended: true });
    expect(engine.checkerView(CK22)).toMatchObject({ state: 'up', suspended: true });

    expect(engine.setVsAddressPresent(VS, true, '192.0.2.100')).toBe(true);
    expectOneBatch(journal, addressInputs().slice(2), 60_000, true);
    await runUntil(sched, 64_999);
    expect(probesOf('192.0.2.21', 7001)).toEqual([]);
    expect(table()).toEqual(['192.0.2.22=1']);
    await runUntil(sched, 65_000);
    expect(probesOf('192.0.2.21', 7001)).toEqual([65_000]);
    expect(table()).toEqual(['192.0.2.21=1', '192.0.2.22=1']);
    // The suspension and the resumption are logged as is, never folded into a summary.
    expect(journal.events().filter((e) => e.kind === 'summary' && (e.data as { sample?: { type?: string } }).sample?.type === 'vsAddress')).toEqual([]);
    // They move no state: no transition names them as its cause.
    const causes = new Set(addressInputs().map((r) => r.seq));
    expect(journal.events().filter((e) => e.cause !== undefined && causes.has(e.cause))).toEqual([]);
  });

  it('a probe in flight when the address leaves is abandoned; its late answer changes nothing', async () => {
    let answer: ((r: ProbeResult) => void) | undefined;
    const { sched, engine, probes, table } = setup(pool(), (t, now) =>
      t.address === '192.0.2.21' && now === 5000 ? new Promise<ProbeResult>((r) => (answer = r)) : ok(),
    );
    engine.start();
    await runUntil(sched, 5500);
    expect(engine.checkerView(CK21)).toMatchObject({ probing: true });
    engine.setVsAddressPresent(VS, false);
    const inFlight = probes.find((p) => p.address === '192.0.2.21' && p.at === 5000)!;
    expect(inFlight.signal.aborted).toBe(true);
    expect(engine.checkerView(CK21)).toMatchObject({ state: 'up', probing: false, suspended: true });
    answer!(fail());
    await runUntil(sched, 30_000);
    expect(engine.checkerView(CK21)).toMatchObject({ state: 'up', probing: false });
    expect(table()).toEqual(['192.0.2.21=1', '192.0.2.22=1']);
    // Not even the probe-timeout backstop fires later: nothing is armed.
    expect(sched.pending()).toBe(0);
  });

  it('the same presence told twice is one change; an unknown virtual server is an error', async () => {
    const { sched, engine, addressInputs } = setup(pool(), ok);
    engine.start();
    await runUntil(sched, 1000);
    expect(engine.setVsAddressPresent(VS, true)).toBe(false);
    expect(engine.setVsAddressPresent(VS, false)).toBe(true);
    expect(engine.setVsAddressPresent(VS, false)).toBe(false);
    expect(addressInputs()).toHaveLength(2);
    expect(() => engine.setVsAddressPresent('vs/198.51.100.1:80', false)).toThrow(/no virtual server/);
  });

  it('does not apply without ha_suspend, nor to a fwmark service: its checkers always run', async () => {
    for (const over of [{ haSuspend: false }, { key: { type: 'fwmark' as const, fwmark: 1, family: 'ipv4' as const } }]) {
      const { sched, engine, probesOf, addressInputs, asked } = setup(pool(over), ok, { present: false });
      engine.start();
      const vs = engine.virtualServerActors()[0]!;
      expect(engine.hasHaSuspend(vs)).toBe(false);
      expect(engine.setVsAddressPresent(vs, false)).toBe(false);
      await runUntil(sched, 11_000);
      expect(asked).toEqual([]);
      expect(addressInputs()).toEqual([]);
      expect(probesOf('192.0.2.21')).toEqual([0, 5000, 10_000]);
    }
  });

  it('a group service: applies when the group has addresses only', () => {
    const group = (members: VirtualServerGroup['members']): VirtualServerGroup => ({ name: 'WEB', members, pos: POS });
    const key = { type: 'group' as const, name: 'WEB' };
    const web = group([{ type: 'address', address: '192.0.2.100', port: 80, family: 'ipv4' }]);
    const vs = pool({ key });
    const s = setup(vs, ok, { groups: [web] });
    s.engine.start();
    expect(s.engine.hasHaSuspend('vs/group:WEB')).toBe(true);
    const mixed = group([...web.members, { type: 'fwmark', fwmark: 7, family: 'ipv4' }]);
    const m = setup(pool({ key }), ok, { groups: [mixed] });
    m.engine.start();
    expect(m.engine.hasHaSuspend('vs/group:WEB')).toBe(false);
  });
});

describe('ha_suspend addresses of a virtual server', () => {
  it('an address service: its own address, in any text form of it', () => {
    const a = haSuspendAddresses(pool())!;
    expect(a.matches('192.0.2.100')).toBe(true);
    expect(a.matches('192.0.2.101')).toBe(false);
    const v6 = haSuspendAddresses(pool({ key: { type: 'address', address: '2001:db8::10', port: 80, family: 'ipv6' } }))!;
    expect(v6.matches('2001:db8:0::10')).toBe(true);
    expect(v6.matches('2001:db8::11')).toBe(false);
    expect(haSuspendAddresses(pool({ haSuspend: false }))).toBeUndefined();
  });

  it('a group: any of its addresses, ranges over the last byte (IPv4) or last group (IPv6); none with a fwmark member', () => {
    const groups: VirtualServerGroup[] = [
      {
        name: 'WEB',
        members: [
          { type: 'address', address: '192.0.2.10', rangeEnd: 20, port: 80, family: 'ipv4' },
          { type: 'address', address: '198.51.100.7', port: 443, family: 'ipv4' },
          { type: 'address', address: '2001:db8::a', rangeEnd: 0xc, port: 80, family: 'ipv6' },
        ],
        pos: POS,
      },
      { name: 'MARKED', members: [{ type: 'address', address: '192.0.2.10', port: 80, family: 'ipv4' }, { type: 'fwmark', fwmark: 3, family: 'ipv4' }], pos: POS },
    ];
    const a = haSuspendAddresses(pool({ key: { type: 'group', name: 'WEB' } }), groups)!;
    for (const yes of ['192.0.2.10', '192.0.2.15', '192.0.2.20', '198.51.100.7', '2001:db8::a', '2001:db8::c']) expect(a.matches(yes), yes).toBe(true);
    for (const no of ['192.0.2.9', '192.0.2.21', '192.0.3.15', '198.51.100.8', '2001:db8::d', '2001:db8:1::a']) expect(a.matches(no), no).toBe(false);
    expect(haSuspendAddresses(pool({ key: { type: 'group', name: 'MARKED' } }), groups)).toBeUndefined();
    expect(haSuspendAddresses(pool({ key: { type: 'group', name: 'MISSING' } }), groups)).toBeUndefined();
  });
});

describe('ha_suspend in the configuration', () => {
  const warnings = (text: string): string[] =>
    loadConfigText(text, 'ha.conf', { configId: 'n' }).diagnostics.map(formatDiagnostic).filter((l) => l.includes('ha_suspend'));
  const body = '  lb_algo rr\n  lb_kind NAT\n  ha_suspend\n  real_server 192.0.2.21 80 {\n    TCP_CHECK {\n    }\n  }\n}\n';

  it("a fwmark service, or a group with a fwmark member, gets keepalived's warning at the ha_suspend line", () => {
    expect(warnings(`virtual_server fwmark 1 {\n${body}`)).toEqual([
      'ha.conf:4:3: warning: Virtual server FWM 1: cannot use ha_suspend with fwmarks - clearing ha_suspend',
    ]);
    expect(warnings(`virtual_server_group G {\n  192.0.2.100 80\n  fwmark 2\n}\nvirtual_server group G {\n  protocol TCP\n${body}`)).toHaveLength(1);
  });

  it('an address service, or a group of addresses, loads without it', () => {
    expect(warnings(`virtual_server 192.0.2.100 80 {\n  protocol TCP\n${body}`)).toEqual([]);
    expect(warnings(`virtual_server_group G {\n  192.0.2.100-110 80\n}\nvirtual_server group G {\n  protocol TCP\n${body}`)).toEqual([]);
  });
});
