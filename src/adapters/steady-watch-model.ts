/**
 * The addon's steady watches and steady adverts (native/steady_watch.h, native/steady_advert.h,
 * driven by raw-vrrp-transport.ts) in JavaScript, over any transport and scheduler: the
 * simulator's twin of that native code, so the engine's watch and advert paths run in
 * deterministic and property tests beside the real-socket ones.
 *
 * Same rules as the native watch: an advert identical to the watched one (source, destination,
 * TTL, bytes) is counted, not delivered; anything else for that VRID ends the watch (its run, then
 * the packet); unwatch ends it at once; collect hands over the runs so far; a watch hands over
 * `handoverMs` before `expireMs` passes from its latest advert. Only the timer differs in form: one
 * per watch, moved at every advert (the addon keeps one per socket, aimed lazily) — the same
 * deadline either way. A steady advert sends the packet last sent for its VRID at each point of
 * its grid (a new grid from now when a whole interval behind), until unadvertised.
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { Scheduler, TimerHandle } from '../engine/scheduler.js';
import type { ReceivedVrrpPacket, SteadyAdvertise, SteadyWatch, VrrpPacket, VrrpTransport } from '../engine/transport.js';

interface Watch {
  key: string;
  packet: ReceivedVrrpPacket;
  expireMs: number;
  handoverMs: number;
  last: number;
  count: number;
  first: number;
  maxGapMs: number;
  timer: TimerHandle | undefined;
}

interface Advert {
  key: string;
  req: SteadyAdvertise;
  packet: VrrpPacket;
  next: number;
  count: number;
  first: number;
  last: number | undefined;
  maxGapMs: number;
  timer: TimerHandle | undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class SteadyWatchTransport implements VrrpTransport {
  private readonly rx = new Subject<ReceivedVrrpPacket>();
  private readonly watches = new Map<string, Watch>();
  private readonly subscription: Subscription;
  readonly receive$: Observable<ReceivedVrrpPacket> = this.rx.asObservable();
  private readonly lastSent = new Map<string, VrrpPacket>();
  private readonly adverts = new Map<string, Advert>();
  /** Adverts counted by watches (delivered in runs). */
  watched = 0;
  /** Adverts sent by steady adverts. */
  sentSteady = 0;

  constructor(
    private readonly inner: VrrpTransport,
    private readonly scheduler: Scheduler,
  ) {
    this.subscription = inner.receive$.subscribe((p) => this.onPacket(p));
  }

  private static key(ifname: string, family: string, vrid: number): string {
    return `${family}/${ifname}/${vrid}`;
  }

  private onPacket(p: ReceivedVrrpPacket): void {
    const w = p.payload.length >= 2 ? this.watches.get(SteadyWatchTransport.key(p.ifname, p.family, p.payload[1]!)) : undefined;
    if (w !== undefined) {
      const q = w.packet;
      if (p.src === q.src && p.dst === q.dst && p.ttl === q.ttl && sameBytes(p.payload, q.payload)) {
        this.hear(w, p.at);
        return;
      }
      this.end(w);
    }
    this.rx.next(p);
  }

  private hear(w: Watch, at: number): void {
    const t = at < w.last ? w.last : at;
    const gap = t - w.last;
    if (w.count === 0) {
      w.first = t;
      w.maxGapMs = gap;
    } else if (gap > w.maxGapMs) w.maxGapMs = gap;
    w.count++;
    w.last = t;
    this.watched++;
    this.aim(w);
  }

  /** The hand-over timer at the latest advert + expireMs − handoverMs. */
  private aim(w: Watch): void {
    const delay = w.last + w.expireMs - w.handoverMs - this.scheduler.now();
    const moved = w.timer === undefined ? undefined : this.scheduler.rearm(w.timer, delay);
    w.timer = moved ?? this.scheduler.after(delay, () => {
      w.timer = undefined;
      if (this.watches.get(w.key) === w) this.end(w);
    });
  }

  private run(w: Watch, ended: boolean): ReceivedVrrpPacket {
    const count = w.count;
    const pkt: ReceivedVrrpPacket = { ...w.packet, at: w.last, run: { count, firstAt: count > 0 ? w.first : w.last, maxGapMs: count > 0 ? w.maxGapMs : 0, ended } };
    w.count = 0;
    w.maxGapMs = 0;
    return pkt;
  }

  private end(w: Watch): void {
    this.watches.delete(w.key);
    if (w.timer !== undefined) this.scheduler.cancel(w.timer);
    w.timer = undefined;
    this.rx.next(this.run(w, true));
  }

  watchSteady(watch: SteadyWatch): boolean {
    const p = watch.packet;
    if (p.payload.length < 8) return false;
    const key = SteadyWatchTransport.key(p.ifname, p.family, p.payload[1]!);
    const old = this.watches.get(key);
    if (old?.timer !== undefined) this.scheduler.cancel(old.timer);
    const { run: _run, ...packet } = p;
    const w: Watch = {
      key,
      packet: { ...packet, payload: new Uint8Array(p.payload) },
      expireMs: watch.expireMs,
      handoverMs: watch.handoverMs,
      last: p.at,
      count: 0,
      first: p.at,
      maxGapMs: 0,
      timer: undefined,
    };
    this.watches.set(key, w);
    this.aim(w);
    return true;
  }

  unwatchSteady(ifname: string, family: 'ipv4' | 'ipv6', vrid: number): void {
    const w = this.watches.get(SteadyWatchTransport.key(ifname, family, vrid));
    if (w !== undefined) this.end(w);
  }

  collectSteady(): void {
    for (const w of [...this.watches.values()]) {
      if (w.count > 0 && this.watches.get(w.key) === w) this.rx.next(this.run(w, false));
    }
    for (const a of [...this.adverts.values()]) {
      if (a.count > 0 && this.adverts.get(a.key) === a) a.req.onRun(this.advertRun(a, false));
    }
  }

  advertSteady(req: SteadyAdvertise): boolean {
    const key = SteadyWatchTransport.key(req.ifname, req.family, req.vrid);
    const packet = this.lastSent.get(key);
    if (packet === undefined) return false;
    const old = this.adverts.get(key);
    if (old?.timer !== undefined) this.scheduler.cancel(old.timer);
    const a: Advert = { key, req, packet: { ...packet, payload: new Uint8Array(packet.payload) }, next: req.nextDueAt, count: 0, first: 0, last: undefined, maxGapMs: 0, timer: undefined };
    this.adverts.set(key, a);
    this.aimAdvert(a);
    return true;
  }

  private aimAdvert(a: Advert): void {
    a.timer = this.scheduler.at(a.next, () => {
      a.timer = undefined;
      if (this.adverts.get(a.key) !== a) return;
      const now = this.scheduler.now();
      this.inner.send(a.packet);
      this.sentSteady++;
      const gap = a.last === undefined ? 0 : now - a.last;
      if (a.count === 0) {
        a.first = now;
        a.maxGapMs = gap;
      } else if (gap > a.maxGapMs) a.maxGapMs = gap;
      a.count++;
      a.last = now;
      a.next += a.req.intervalMs;
      if (a.next <= now) a.next = now + a.req.intervalMs;
      this.aimAdvert(a);
    });
  }

  private advertRun(a: Advert, ended: boolean): Parameters<SteadyAdvertise['onRun']>[0] {
    const now = this.scheduler.now();
    const run = { count: a.count, firstAt: a.count > 0 ? a.first : now, lastAt: a.count > 0 ? a.last! : now, maxGapMs: a.count > 0 ? a.maxGapMs : 0, nextDueAt: a.next, errors: 0, ended };
    a.count = 0;
    a.maxGapMs = 0;
    return run;
  }

  unadvertSteady(ifname: string, family: 'ipv4' | 'ipv6', vrid: number): void {
    const key = SteadyWatchTransport.key(ifname, family, vrid);
    const a = this.adverts.get(key);
    if (a === undefined) return;
    this.adverts.delete(key);
    if (a.timer !== undefined) this.scheduler.cancel(a.timer);
    a.req.onRun(this.advertRun(a, true));
  }

  /** Watches in force (tests). */
  get watchCount(): number {
    return this.watches.size;
  }

  send(pkt: VrrpPacket): void {
    if (pkt.payload.length >= 2) this.lastSent.set(SteadyWatchTransport.key(pkt.ifname, pkt.family, pkt.payload[1]!), pkt);
    this.inner.send(pkt);
  }

  drain(): void {
    this.inner.drain?.();
  }

  close(): void {
    this.subscription.unsubscribe();
    for (const w of this.watches.values()) if (w.timer !== undefined) this.scheduler.cancel(w.timer);
    this.watches.clear();
    for (const a of this.adverts.values()) if (a.timer !== undefined) this.scheduler.cancel(a.timer);
    this.adverts.clear();
    this.rx.complete();
  }
}
