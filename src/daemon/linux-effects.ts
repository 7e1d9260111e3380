/**
 * Carries out one engine's committed effects on the host: VIPs on netlink, gratuitous ARP /
 * unsolicited NA on AF_PACKET, notify scripts. (Adverts go through the AdvertSender.)
 *
 * VIP changes and GARPs run one after the other on a queue, in log order: netlink is asynchronous,
 * and a GARP must follow the address it announces, a removal the add before it.
 */
import type { Observable, Subscription } from 'rxjs';
import type { VirtualIp, VirtualRoute, VrrpInstance } from '../config/types.js';
import type { GarpSender, RouteNetlink, RouteSpec, VipNetlink, VipSpec } from '../adapters/linux/index.js';
import type { VrrpNotifier } from '../adapters/scripts/vrrp-notifier.js';
import type { EngineEffect, NodeEngine } from '../engine/node.js';
import type { DaemonLogger } from './logger.js';

/** What the effects need to know of an interface (looked up once, at start or reload). */
export interface InterfaceFacts {
  ifindex: number;
  mac: string;
  ipv4?: string;
  ipv6LinkLocal?: string;
}

export interface LinuxEffectsDeps {
  vips: VipNetlink;
  garp: GarpSender;
  notifier?: VrrpNotifier;
  log: DaemonLogger;
  interfaces: Map<string, InterfaceFacts>;
  /** -V: leave VIPs in place when the daemon stops. */
  keepVipsAtStop: () => boolean;
  /** True while the daemon is stopping (removeVips of a graceful stop). */
  stopping: () => boolean;
  /** virtual_routes: added with the VIPs, removed before them. Without it they are not applied. */
  routes?: RouteNetlink;
  /**
   * use_vmac: the interface an instance's VIPs and gratuitous ARPs go on (its macvlan, whose
   * InterfaceFacts carry the virtual MAC), when not its configured interface.
   */
  deviceFor?: (instance: string) => string | undefined;
}

/** How long queued jobs may run on without a loop turn (ms). */
const YIELD_MS = 2;

/**
 * A queue of async jobs run strictly in order; `idle()` settles when it is empty.
 *
 * Jobs that finish synchronously (a GARP burst) follow each other in microtasks, which the event
 * loop does not interrupt: 50 instances' garp_master_delay expiring together held a master's loop
 * for ≈ 60 ms on the bench, and with it the addon's steady adverts (10 ms ones: its backup took
 * over). So a run of jobs lets the loop turn (setImmediate) once it has gone on for YIELD_MS.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  /** When the loop last had a turn while jobs were queued (or the queue last went busy). */
  private turnAt = 0;
  /** Loop turns given between jobs. */
  yields = 0;

  run(job: () => Promise<void> | void): void {
    if (this.pending === 0) this.turnAt = performance.now();
    this.pending++;
    this.tail = this.tail
      .then(() => this.turn())
      .then(job)
      .catch(() => undefined)
      .finally(() => {
        this.pending--;
      });
  }
  idle(): Promise<void> {
    return this.tail;
  }

  get size(): number {
    return this.pending;
  }

  private turn(): Promise<void> | undefined {
    if (performance.now() - this.turnAt < YIELD_MS) return undefined;
    this.yields++;
    return new Promise((resolve) =>
      setImmediate(() => {
        this.turnAt = performance.now();
        resolve();
      }),
    );
  }
}

/** Longest a GARP burst waits for the addVips it follows. */
const GARP_WAIT_MS = 50;

function vipSpec(v: VirtualIp): VipSpec {
  const s: VipSpec = { address: v.address, prefixLen: v.prefixLen, family: v.family };
  if (v.dev !== undefined) s.dev = v.dev;
  if (v.scope !== undefined) s.scope = v.scope;
  if (v.label !== undefined) s.label = v.label;
  if (v.brd !== undefined) s.brd = v.brd;
  if (v.noPrefixRoute !== undefined) s.noPrefixRoute = v.noPrefixRoute;
  return s;
}

function routeSpec(r: VirtualRoute): RouteSpec {
  const s: RouteSpec = { dst: r.dst, words: r.words };
  if (r.via !== undefined) s.via = r.via;
  if (r.src !== undefined) s.src = r.src;
  if (r.dev !== undefined) s.dev = r.dev;
  if (r.table !== undefined) s.table = r.table;
  if (r.metric !== undefined) s.metric = r.metric;
  if (r.scope !== undefined) s.scope = r.scope;
  return s;
}

export class LinuxEffects {
  private readonly subscription: Subscription;
  private readonly specs = new Map<string, Map<string, VipSpec>>();
  /** VIPs this process holds now, per instance: the data dump and the exit path read it. */
  readonly held = new Map<string, Set<string>>();
  /** virtual_routes this process added, per instance (as written). */
  readonly heldRoutes = new Map<string, Set<string>>();
  garpsSent = 0;
  private readonly waitingGarps = new Set<{ run: () => void; timer: NodeJS.Timeout | undefined }>();

  constructor(
    private readonly engine: Pick<NodeEngine, 'instanceNames' | 'instanceConfig'>,
    effects$: Observable<EngineEffect>,
    private readonly deps: LinuxEffectsDeps,
    private readonly queue: SerialQueue,
  ) {
    for (const name of engine.instanceNames()) {
      const c = engine.instanceConfig(name)!;
      const m = new Map<string, VipSpec>();
      for (const v of [...c.virtualIpaddress, ...c.virtualIpaddressExcluded]) m.set(v.address, vipSpec(v));
      this.specs.set(name, m);
    }
    this.subscription = effects$.subscribe((e) => this.onEffect(e));
  }

  private onEffect(e: EngineEffect): void {
    const a = e.action;
    const config = this.engine.instanceConfig(e.instance);
    if (config === undefined) return;
    switch (a.type) {
      case 'addVips':
        this.deps.log.info(`(${e.instance}) setting VIPs.`);
        this.queue.run(() => this.changeVips('add', e.instance, config, a.addresses));
        this.queue.run(() => this.changeRoutes('add', config));
        break;
      case 'removeVips':
        if (this.deps.stopping() && this.deps.keepVipsAtStop()) return;
        // A BACKUP at start removes VIPs it may not hold: only a real release is worth a line.
        if ((this.held.get(e.instance)?.size ?? 0) > 0) this.deps.log.info(`(${e.instance}) removing VIPs.`);
        // Routes first: a route whose src or gateway needs a VIP would go with it, unlogged.
        this.queue.run(() => this.changeRoutes('remove', config));
        this.queue.run(() => this.changeVips('remove', e.instance, config, a.addresses));
        break;
      case 'sendGarp':
        this.garpWhenHeld(e.instance, config, a.addresses, a.repeat);
        break;
      case 'notify':
        this.deps.notifier?.instance(e.instance, a.state, a.priority);
        break;
      case 'sendAdvert':
        if (a.priority === 0) this.deps.log.info(`(${e.instance}) sent 0 priority`);
        break;
    }
  }

  /**
   * A GARP announces an address we hold. A burst that arrives before its addVips (the engine hands
   * a summarised repeat over at once, while the transition's own records wait for their commit)
   * waits for that add, at most GARP_WAIT_MS, so the client never learns our MAC for an address
   * this host does not answer yet.
   */
  private garpWhenHeld(instance: string, config: VrrpInstance, addresses: string[], repeat: number): void {
    const held = this.held.get(instance);
    if (addresses.every((a) => held?.has(a) === true)) {
      this.queue.run(() => this.sendGarp(config, addresses, repeat));
      return;
    }
    const job = { run: () => this.queue.run(() => this.sendGarp(config, addresses, repeat)), timer: undefined as NodeJS.Timeout | undefined };
    job.timer = setTimeout(() => {
      this.waitingGarps.delete(job);
      job.run();
    }, GARP_WAIT_MS);
    this.waitingGarps.add(job);
  }

  private releaseWaitingGarps(): void {
    for (const job of this.waitingGarps) {
      clearTimeout(job.timer);
      job.run();
    }
    this.waitingGarps.clear();
  }

  private async changeVips(op: 'add' | 'remove', instance: string, config: VrrpInstance, addresses: string[]): Promise<void> {
    const specs = this.specs.get(instance)!;
    let held = this.held.get(instance);
    if (held === undefined) this.held.set(instance, (held = new Set()));
    for (const address of addresses) {
      const spec = specs.get(address) ?? { address, prefixLen: address.includes(':') ? 128 : 32, family: address.includes(':') ? 'ipv6' : 'ipv4' };
      const dev = this.deps.deviceFor?.(instance) ?? config.interface;
      // The device's index as the GARPs use it: the VIP adapter then needs no lookup first.
      const ifindex = this.deps.interfaces.get(spec.dev ?? dev)?.ifindex;
      const r = op === 'add' ? await this.deps.vips.add(spec, dev, ifindex) : await this.deps.vips.remove(spec, dev, ifindex);
      if (!r.ok) this.deps.log.error(`(${instance}) ${r.error}`);
      else if (op === 'add') held.add(address);
      else held.delete(address);
    }
    if (op === 'add') this.releaseWaitingGarps();
  }

  /**
   * virtual_routes follow the VIPs (keepalived: vrrp_handle_iproutes on MASTER, removed on
   * leaving it). Only the routes this instance added are removed: `held` of routes.
   */
  private async changeRoutes(op: 'add' | 'remove', config: VrrpInstance): Promise<void> {
    const routes = this.deps.routes;
    if (routes === undefined || config.virtualRoutes.length === 0) return;
    let held = this.heldRoutes.get(config.name);
    if (held === undefined) this.heldRoutes.set(config.name, (held = new Set()));
    for (const vr of config.virtualRoutes) {
      const key = vr.words.join(' ');
      if (op === 'remove' && !held.has(key)) continue;
      const spec = routeSpec(vr);
      const r = op === 'add' ? await routes.add(spec) : await routes.remove(spec);
      if (!r.ok) this.deps.log.error(`(${config.name}) ${r.error}`);
      else if (op === 'add') held.add(key);
      else held.delete(key);
    }
  }

  private sendGarp(config: VrrpInstance, addresses: string[], repeat: number): void {
    const ifname = this.deps.deviceFor?.(config.name) ?? config.interface;
    const facts = this.deps.interfaces.get(ifname);
    if (facts === undefined) {
      this.deps.log.error(`(${config.name}) cannot send gratuitous ARP: interface ${ifname} unknown`);
      return;
    }
    const target = { ifindex: facts.ifindex, ifname, senderMac: facts.mac };
    for (const address of addresses) {
      const v6 = address.includes(':');
      this.deps.log.info(v6 ? `Sending unsolicited Neighbour Advert on ${ifname} for ${address}` : `Sending gratuitous ARP on ${ifname} for ${address}`);
      for (let i = 0; i < Math.max(1, repeat); i++) {
        const r = v6
          ? facts.ipv6LinkLocal !== undefined
            ? this.deps.garp.unsolicitedNa(target, { src: facts.ipv6LinkLocal, vip: address })
            : { ok: false as const, error: `no link-local address on ${config.interface} for ${address}` }
          : this.deps.garp.gratuitousArp(target, address);
        if (!r.ok) {
          this.deps.log.error(`(${config.name}) ${r.error}`);
          break;
        }
        this.garpsSent++;
      }
    }
  }

  close(): void {
    this.releaseWaitingGarps();
    this.subscription.unsubscribe();
  }
}
