/**
 * What a takeover waits for (issue #5): the Master_Down_Timer counted from the advert's receive
 * time, the new master's advert handed to the transport before anything else and without waiting
 * for the journal's commit, and VIPs that still follow the committed log.
 */
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import { AdvertSender } from '../../src/engine/advert-sender.js';
import { vrrpMachineKit } from '../../src/engine/machines.js';
import { MemoryJournal } from '../../src/engine/memory-journal.js';
import { NodeEngine, type EngineJournal } from '../../src/engine/node.js';
import { protocolCodec } from '../../src/engine/protocol-codec.js';
import { VirtualScheduler, type Scheduler, type TimerHandle, type TimerOptions } from '../../src/engine/scheduler.js';
import { createEngineSummarizer } from '../../src/engine/summary-keys.js';
import type { ReceivedVrrpPacket, SteadyWatch, VrrpPacket, VrrpTransport } from '../../src/engine/transport.js';
import type { EventRecord, NewEvent } from '../../src/store/schema.js';
import { nodeConfigText } from './lab.js';

const OURS = '192.0.2.2';
const MASTER = '192.0.2.1';
const VIP = '198.51.100.51';
/** v2, advert_int 1 s, priority 100: 3 × 1000 + (256 − 100) / 256 × 1000 ms. */
const MASTER_DOWN_MS = 3609.375;

/** A transport we drive by hand: packets in with the receive time we choose, packets out recorded. */
class HandTransport implements VrrpTransport {
  readonly rx = new Subject<ReceivedVrrpPacket>();
  readonly receive$ = this.rx.asObservable();
  readonly sent: VrrpPacket[] = [];
  /** Packets received (their `at` set) but not yet read: a socket's backlog, for drain(). */
  readonly queued: ReceivedVrrpPacket[] = [];
  drains = 0;
  readonly trace: string[] = [];
  drain(): void {
    this.drains++;
    for (const p of this.queued.splice(0)) this.rx.next(p);
  }
  send(pkt: VrrpPacket): void {
    this.sent.push(pkt);
    this.trace.push(`advert priority ${pkt.payload[2]}`);
  }
}

/**
 * The same with the addon's steady watch (VrrpTransport.watchSteady): it takes every watch the
 * engine asks for and hands one over when told (`handOver`), as the addon does before the
 * Master_Down_Timer would run out.
 */
class WatchingHandTransport extends HandTransport {
  readonly watches: SteadyWatch[] = [];
  private current: SteadyWatch | undefined;
  watchSteady(watch: SteadyWatch): boolean {
    this.watches.push(watch);
    this.current = watch;
    return true;
  }
  unwatchSteady(): void {
    this.handOver();
  }
  /** The watch ends with no advert since it began: the engine's own timer again, from its advert. */
  handOver(): void {
    const w = this.current;
    if (w === undefined) return;
    this.current = undefined;
    this.rx.next({ ...w.packet, run: { count: 0, firstAt: w.packet.at, maxGapMs: 0, ended: true } });
  }
}

/**
 * A journal that commits only when told, like the LevelDB log whose write completes later: appends
 * get their seqs at once, `committed$` emits on `commitAll()`.
 */
class LaterJournal implements EngineJournal {
  private readonly subject = new Subject<EventRecord>();
  readonly committed$ = this.subject.asObservable();
  readonly records: EventRecord[] = [];
  private pending: EventRecord[] = [];
  private next = 1;
  get nextSeqNumber(): number {
    return this.next;
  }
  append(events: NewEvent[]): EventRecord[] {
    const out = events.map((e) => ({ ...e, seq: this.next++, v: 1 }) as EventRecord);
    this.records.push(...out);
    this.pending.push(...out);
    return out;
  }
  commitAll(): void {
    const p = this.pending;
    this.pending = [];
    for (const r of p) this.subject.next(r);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/**
 * Virtual time whose clock moves on a little at every reading, as a real one does while a step
 * runs (10 µs per read); records every delay the engine arms.
 */
class DriftingScheduler implements Scheduler {
  /** As the daemon's real-time scheduler: its plain timers count whole ms. */
  readonly wholeMs = true;
  readonly inner = new VirtualScheduler();
  readonly armed: Array<{ delay: number; precise: boolean | undefined }> = [];
  private drift = 0;
  now(): number {
    this.drift += 0.01;
    return this.inner.now() + this.drift;
  }
  at(deadline: number, fn: () => void, opts?: TimerOptions): TimerHandle {
    return this.after(deadline - this.now(), fn, opts);
  }
  after(delayMs: number, fn: () => void, opts?: TimerOptions): TimerHandle {
    this.armed.push({ delay: delayMs, precise: opts?.precise });
    return this.inner.after(delayMs, fn);
  }
  cancel(handle: TimerHandle): boolean {
    return this.inner.cancel(handle);
  }
  rearm(handle: TimerHandle, delayMs: number): TimerHandle | undefined {
    this.armed.push({ delay: delayMs, precise: undefined });
    return this.inner.rearm(handle, delayMs);
  }
}

/** Virtual time on which every timer runs `lateMs` after its deadline. */
class LateScheduler implements Scheduler {
  readonly inner = new VirtualScheduler();
  constructor(private readonly lateMs: number) {}
  now(): number {
    return this.inner.now();
  }
  at(deadline: number, fn: () => void): TimerHandle {
    return this.after(deadline - this.now(), fn);
  }
  after(delayMs: number, fn: () => void): TimerHandle {
    return this.inner.after(Math.max(0, delayMs) + this.lateMs, fn);
  }
  cancel(handle: TimerHandle): boolean {
    return this.inner.cancel(handle);
  }
  rearm(handle: TimerHandle, delayMs: number): TimerHandle | undefined {
    return this.inner.rearm(handle, Math.max(0, delayMs) + this.lateMs);
  }
}

function lab(journal: EngineJournal, scheduler: Scheduler = new VirtualScheduler(), transport: HandTransport = new HandTransport()) {
  const config = loadConfigText(
    nodeConfigText({ routerId: 'lb-b', instances: [{ name: 'VI_1', vrid: 51, priority: 100, vips: [`${VIP}/32`] }] }),
    'lb-b.conf',
  ).config!;
  const trace = transport.trace;
  const engine = new NodeEngine({
    config,
    scheduler,
    journal,
    transport,
    codec: protocolCodec,
    machines: vrrpMachineKit,
    primaryAddress: () => OURS,
    summarizer: createEngineSummarizer(),
  });
  // As the daemon wires them: the advert sender subscribes first, then the other adapters.
  new AdvertSender(engine, transport, protocolCodec);
  engine.effects$.subscribe((e) => {
    if (e.action.type !== 'sendAdvert') trace.push(e.action.type);
  });
  const masterAdvert = protocolCodec.encode(
    { version: 2, type: 1, vrid: 51, priority: 150, maxAdverIntCs: 100, addresses: [VIP], family: 'ipv4', authType: 0 },
    { src: MASTER, dst: '224.0.0.18' },
  );
  /** The master's advert, received at `at` (handed to the engine now, possibly later than that). */
  const receive = (at: number): void =>
    transport.rx.next({ ifname: 'eth0', family: 'ipv4', src: MASTER, dst: '224.0.0.18', ttl: 255, payload: masterAdvert, at });
  /** The master's advert, received at `at` but left unread in the socket. */
  const queue = (at: number): void => {
    transport.queued.push({ ifname: 'eth0', family: 'ipv4', src: MASTER, dst: '224.0.0.18', ttl: 255, payload: masterAdvert, at });
  };
  return { engine, scheduler: scheduler as VirtualScheduler, transport, trace, receive, queue };
}

const timerInputs = (records: readonly EventRecord[]) =>
  records.filter((r) => r.kind === 'input' && r.type === 'timer' && (r.data as { timer: string }).timer === 'masterDown');

describe('takeover latency', () => {
  it('counts the master-down interval from the time the last advert was received, not from when it was handled', () => {
    const journal = new MemoryJournal();
    const { engine, scheduler, receive } = lab(journal);
    engine.start();
    scheduler.runUntil(1000);
    receive(1000);
    // The next advert reached the host at 1990 but the loop handled it only at 2000 (a busy turn).
    scheduler.runUntil(2000);
    receive(1990);
    scheduler.runUntil(1990 + MASTER_DOWN_MS - 0.001);
    expect(engine.state('VI_1')).toBe('BACKUP');
    scheduler.runUntil(1990 + MASTER_DOWN_MS);
    expect(engine.state('VI_1')).toBe('MASTER');
    expect(timerInputs(journal.events()).at(-1)!.monoTime).toBe(1990 + MASTER_DOWN_MS);
  });

  it('hears the adverts still waiting in the socket before acting on a Master_Down_Timer expiry', () => {
    const journal = new MemoryJournal();
    const { engine, scheduler, transport, receive, queue } = lab(journal);
    engine.start();
    scheduler.runUntil(1000);
    receive(1000);
    // The master's next advert reached the host at 2000 but waits unread (a busy loop, a backlog).
    queue(2000);
    scheduler.runUntil(1000 + MASTER_DOWN_MS);
    expect(transport.drains).toBe(1);
    expect(engine.state('VI_1')).toBe('BACKUP');
    // Counted from the advert's own receive time, the master is down 3609.375 ms after 2000.
    scheduler.runUntil(2000 + MASTER_DOWN_MS - 0.001);
    expect(engine.state('VI_1')).toBe('BACKUP');
    scheduler.runUntil(2000 + MASTER_DOWN_MS);
    expect(transport.drains).toBe(2);
    expect(engine.state('VI_1')).toBe('MASTER');
    expect(timerInputs(journal.events()).at(-1)!.monoTime).toBe(2000 + MASTER_DOWN_MS);
  });

  it('holds a Master_Down_Timer expiry when the advert heard from the socket before it is one the transport now watches', () => {
    // A backup starting behind a backlog (50 instances at 10 ms adverts): the master's second
    // advert is still unread when the timer from its first runs out. Heard then, it is the steady
    // advert, and the watch the engine hands it to holds the timer from now on.
    const journal = new MemoryJournal();
    const transport = new WatchingHandTransport();
    const { engine, scheduler, receive, queue } = lab(journal, new VirtualScheduler(), transport);
    engine.start();
    scheduler.runUntil(1000);
    receive(1000);
    queue(2000);
    scheduler.runUntil(1000 + MASTER_DOWN_MS);
    expect(transport.drains).toBe(1);
    expect(transport.watches).toHaveLength(1);
    expect(transport.watches[0]!.packet.at).toBe(2000);
    expect(engine.state('VI_1')).toBe('BACKUP');
    expect(transport.sent).toHaveLength(0);
    // The watch hears nothing more and hands over: the master is down 3609.375 ms after 2000.
    scheduler.runUntil(2000 + MASTER_DOWN_MS - transport.watches[0]!.handoverMs);
    transport.handOver();
    scheduler.runUntil(2000 + MASTER_DOWN_MS - 0.001);
    expect(engine.state('VI_1')).toBe('BACKUP');
    scheduler.runUntil(2000 + MASTER_DOWN_MS);
    expect(engine.state('VI_1')).toBe('MASTER');
    expect(timerInputs(journal.events()).map((r) => r.monoTime)).toEqual([2000 + MASTER_DOWN_MS]);
  });

  it('arms Master_Down_Timer precise and shortened by the time the advert waited, the advert timer at exactly its interval', () => {
    const scheduler = new DriftingScheduler();
    const { engine, receive } = lab(new MemoryJournal(), scheduler);
    engine.start();
    scheduler.inner.runUntil(500);
    const armedBefore = scheduler.armed.length;
    receive(scheduler.inner.now());
    const down = scheduler.armed.slice(armedBefore).find((a) => a.delay > 3000 && a.delay <= MASTER_DOWN_MS)!;
    expect(down).toBeDefined();
    expect(down.delay).toBeLessThan(MASTER_DOWN_MS);
    expect(down.delay).toBeGreaterThan(MASTER_DOWN_MS - 1);
    // A master-down timer armed afresh (not moved) is a precise one.
    expect(scheduler.armed.filter((a) => a.delay > 3000 && a.delay <= MASTER_DOWN_MS && a.precise !== undefined).every((a) => a.precise === true)).toBe(true);
    scheduler.inner.runUntil(20_000);
    expect(engine.state('VI_1')).toBe('MASTER');
    // Adverts every 1000 ms: a setTimeout truncates a fractional delay, so 999.99 would fire at 999.
    const adverts = scheduler.armed.filter((a) => a.delay > 990 && a.delay < 1010);
    expect(adverts.length).toBeGreaterThan(5);
    for (const a of adverts) expect(a.delay).toBe(1000);
  });

  it('keeps the advert rate when every timer fires late: adverts stay on their grid instead of drifting', () => {
    // Every expiry runs 0.4 ms after its deadline, as a busy event loop makes it.
    const scheduler = new LateScheduler(0.4);
    const { engine, transport } = lab(new MemoryJournal(), scheduler);
    const times: number[] = [];
    const send = transport.send.bind(transport);
    transport.send = (pkt) => {
      times.push(scheduler.now());
      send(pkt);
    };
    engine.start();
    scheduler.inner.runUntil(120_000);
    expect(engine.state('VI_1')).toBe('MASTER');
    expect(times.length).toBeGreaterThan(100);
    // Re-armed from "now" the k-th advert would come k × 0.4 ms late (40 ms after 100 adverts).
    const first = times[0]!;
    for (let k = 1; k <= 100; k++) {
      const late = times[k]! - (first + k * 1000);
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThan(1.5);
    }
  });

  it('on becoming master hands the advert over first, then the VIPs, the gratuitous ARPs and the notification', () => {
    const { engine, scheduler, trace, receive } = lab(new MemoryJournal());
    engine.start();
    receive(0);
    trace.length = 0;
    scheduler.runUntil(MASTER_DOWN_MS);
    expect(engine.state('VI_1')).toBe('MASTER');
    expect(trace).toEqual(['advert priority 100', 'addVips', 'sendGarp', 'notify']);
  });

  it('sends the advert of a takeover before the journal commits, and adds the VIPs only after the commit', () => {
    const journal = new LaterJournal();
    const { engine, scheduler, transport, trace, receive } = lab(journal);
    engine.start();
    journal.commitAll();
    receive(0);
    journal.commitAll();
    trace.length = 0;
    scheduler.runUntil(MASTER_DOWN_MS);
    expect(engine.state('VI_1')).toBe('MASTER');
    // Appended (the log keeps its order: input, transition, advert, VIPs...), not committed yet.
    const types = journal.records.filter((r) => r.kind === 'transition' || r.kind === 'effect').map((r) => r.type);
    expect(types.slice(-5)).toEqual(['MASTER', 'sendAdvert', 'addVips', 'sendGarp', 'notify']);
    expect(trace).toEqual(['advert priority 100']);
    expect(transport.sent).toHaveLength(1);
    journal.commitAll();
    // The commit releases the rest — and not the advert a second time.
    expect(trace).toEqual(['advert priority 100', 'addVips', 'sendGarp', 'notify']);
    expect(transport.sent).toHaveLength(1);
  });

  it('sends the priority-0 advert of a graceful stop once, before the commit', () => {
    const journal = new LaterJournal();
    const { engine, scheduler, transport, trace } = lab(journal);
    engine.start();
    journal.commitAll();
    scheduler.runUntil(10_000); // no master heard: ours
    journal.commitAll();
    expect(engine.state('VI_1')).toBe('MASTER');
    const before = transport.sent.length;
    trace.length = 0;
    engine.stop();
    expect(transport.sent.length - before).toBe(1);
    expect(transport.sent.at(-1)!.payload[2]).toBe(0);
    journal.commitAll();
    expect(transport.sent.length - before).toBe(1);
  });
});
