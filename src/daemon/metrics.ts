/**
 * The VRRP side's metrics: a snapshot of every running instance rendered in the Prometheus text
 * exposition format (version 0.0.4) on GET /metrics, and as JSON on GET /status, served on
 * 127.0.0.1 only (the numbers name the topology; nothing outside the host needs them).
 *
 * The exposition format is written here by hand rather than with prom-client (the field's standard,
 * not a dependency of this project): it is a few lines of text, and a snapshot taken at scrape time
 * from the engines needs none of prom-client's registries or collectors.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { VrrpTransport, VrrpPacket, ReceivedVrrpPacket, SteadyAdvertise, SteadyWatch } from '../engine/transport.js';
import type { VrrpState } from '../machines/vrrp/contract.js';
import { filter, Subject, type Observable, type Subscription } from 'rxjs';

export const VRRP_STATES: readonly VrrpState[] = ['INIT', 'BACKUP', 'MASTER', 'FAULT', 'STOP'];

export interface InstanceMetrics {
  name: string;
  interface: string;
  family: 'ipv4' | 'ipv6';
  virtualRouterId: number;
  state: VrrpState;
  /** Configured priority. */
  priority: number;
  /** Priority after track weights (what the adverts carry). */
  effectivePriority: number;
  /** State changes committed this run. */
  transitions: number;
  advertsSent: number;
  /** VRRP packets for this VRID that arrived on the instance's interface (the dropped ones too). */
  advertsReceived: number;
  /** Received packets dropped by the receive checks, per reason (ttl, auth, vrid, interval, ...). */
  drops: Record<string, number>;
  master?: string;
  vips: string[];
}

/** VRRP packets for a VRID no instance of ours runs on that interface (other routers, or noise). */
export interface ForeignVrid {
  interface: string;
  family: 'ipv4' | 'ipv6';
  vrid: number;
  received: number;
}

export interface MetricsSnapshot {
  node: string;
  pid: number;
  uptimeSeconds: number;
  instances: InstanceMetrics[];
  foreignVrids: ForeignVrid[];
  /** The raw transport's own counters, all instances together. */
  transport: { sent: number; received: number; sendErrors: number; malformed: number; watched?: number; watchedInKernel?: number };
}

/** A label value as the exposition format wants it: backslash, double quote and newline escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** One metric family: HELP, TYPE, then its samples. */
function family(out: string[], name: string, type: 'gauge' | 'counter', help: string, samples: Array<[Record<string, string>, number]>): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [l, v] of samples) out.push(`${name}${labels(l)} ${Number.isFinite(v) ? String(v) : 'NaN'}`);
}

const P = 'keepalived_ts';

/** The snapshot in the Prometheus text exposition format. */
export function renderPrometheus(s: MetricsSnapshot): string {
  const out: string[] = [];
  const each = (f: (i: InstanceMetrics) => number): Array<[Record<string, string>, number]> => s.instances.map((i) => [{ instance: i.name }, f(i)]);
  family(out, `${P}_vrrp_instance_info`, 'gauge', 'A running VRRP instance (value 1), its interface, VRID and family.', s.instances.map((i) => [{ instance: i.name, interface: i.interface, vrid: String(i.virtualRouterId), family: i.family }, 1]));
  // One sample per state, 1 for the current one: the usual enum-as-gauge shape, so that
  // `keepalived_ts_vrrp_state{state="MASTER"} == 1` selects the masters.
  family(out, `${P}_vrrp_state`, 'gauge', 'VRRP instance state: 1 for the current state, 0 for the others.', s.instances.flatMap((i) => VRRP_STATES.map((st): [Record<string, string>, number] => [{ instance: i.name, state: st }, i.state === st ? 1 : 0])));
  family(out, `${P}_vrrp_priority`, 'gauge', 'Configured priority.', each((i) => i.priority));
  family(out, `${P}_vrrp_effective_priority`, 'gauge', 'Priority after track weights, as sent in adverts.', each((i) => i.effectivePriority));
  family(out, `${P}_vrrp_transitions_total`, 'counter', 'State transitions since the VRRP process started.', each((i) => i.transitions));
  family(out, `${P}_vrrp_adverts_sent_total`, 'counter', 'Adverts sent.', each((i) => i.advertsSent));
  family(out, `${P}_vrrp_adverts_received_total`, 'counter', 'VRRP packets received for this instance (including dropped ones).', each((i) => i.advertsReceived));
  family(out, `${P}_vrrp_dropped_total`, 'counter', 'Received packets dropped by the receive checks, by reason.', s.instances.flatMap((i) => Object.entries(i.drops).map(([reason, n]): [Record<string, string>, number] => [{ instance: i.name, reason }, n])));
  family(out, `${P}_vrrp_foreign_vrid_received_total`, 'counter', 'VRRP packets received for a VRID none of our instances runs on that interface.', s.foreignVrids.map((f) => [{ interface: f.interface, family: f.family, vrid: String(f.vrid) }, f.received]));
  family(out, `${P}_vrrp_vips`, 'gauge', 'Virtual addresses held now.', each((i) => i.vips.length));
  family(out, `${P}_vrrp_packets_sent_total`, 'counter', 'Packets the raw VRRP transport sent.', [[{}, s.transport.sent]]);
  family(out, `${P}_vrrp_packets_received_total`, 'counter', 'Packets the raw VRRP transport received.', [[{}, s.transport.received]]);
  family(out, `${P}_vrrp_packets_watched_total`, 'counter', 'Of the packets received, the adverts a steady watch counted below JavaScript (a BACKUP hearing its master).', [[{}, s.transport.watched ?? 0]]);
  family(out, `${P}_vrrp_packets_watched_in_kernel_total`, 'counter', 'Of the watched adverts, those the kernel filter (eBPF) counted without waking the daemon.', [[{}, s.transport.watchedInKernel ?? 0]]);
  family(out, `${P}_vrrp_send_errors_total`, 'counter', 'Send errors of the raw VRRP transport.', [[{}, s.transport.sendErrors]]);
  family(out, `${P}_vrrp_malformed_ip_total`, 'counter', 'Packets whose IP header could not be read.', [[{}, s.transport.malformed]]);
  family(out, `${P}_uptime_seconds`, 'gauge', 'Seconds since the VRRP process started.', [[{}, s.uptimeSeconds]]);
  return `${out.join('\n')}\n`;
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** GET /metrics and GET /status on 127.0.0.1:port; anything else is a 404, any other method 405. */
export class MetricsServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static listen(port: number, snapshot: () => MetricsSnapshot, host = '127.0.0.1'): Promise<MetricsServer> {
    return new Promise((resolve, reject) => {
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const path = (req.url ?? '/').split('?')[0];
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, { allow: 'GET, HEAD' }).end();
          return;
        }
        let body: string;
        let type: string;
        try {
          if (path === '/metrics') {
            body = renderPrometheus(snapshot());
            type = PROMETHEUS_CONTENT_TYPE;
          } else if (path === '/status') {
            body = `${JSON.stringify(snapshot(), null, 2)}\n`;
            type = 'application/json';
          } else {
            res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /status\n');
            return;
          }
        } catch (e) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`);
          return;
        }
        res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
      });
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(new MetricsServer(server, typeof addr === 'object' && addr !== null ? addr.port : port));
      });
    });
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}

/**
 * The transport the engines see: the raw one, counting adverts per instance (interface, family,
 * VRID: byte 1 of a v2 or v3 message) and sending an instance's adverts out of its vmac when it
 * has one (use_vmac: the virtual MAC as the frame's source, as keepalived sends them). Receiving
 * stays on the configured interface, where the peers' adverts arrive.
 */
export class InstanceTransport implements VrrpTransport {
  private readonly sentBy = new Map<string, number>();
  /**
   * Per interface, a slot per family and VRID (VRID + 256 for IPv6): adverts received, and the
   * receiving side of the unit that runs that instance. Arrays, not string keys: this runs for
   * every packet (a key string built and hashed per advert was 4 % of a backup's CPU).
   */
  private readonly slots = new Map<string, { received: Uint32Array; receivers: Array<Subject<ReceivedVrrpPacket> | undefined> }>();
  private readonly sendVia = new Map<string, string>();
  private readonly sendOnly = new Set<string>();
  private readonly subscription: Subscription;
  readonly receive$: Observable<ReceivedVrrpPacket>;

  constructor(private readonly inner: VrrpTransport) {
    // A vmac's socket only sends: what it hears is a copy of what the base interface hears.
    this.receive$ = inner.receive$.pipe(filter((p) => !this.sendOnly.has(p.ifname)));
    this.subscription = this.receive$.subscribe((p) => {
      if (p.payload.length < 2) return;
      const slots = this.slotsOf(p.ifname);
      const i = p.payload[1]! + (p.family === 'ipv6' ? 256 : 0);
      // A steady watch's run stands for `count` adverts (0 on a run that only ends the watch).
      slots.received[i]! += p.run === undefined ? 1 : p.run.count;
      slots.receivers[i]?.next(p);
    });
  }

  /**
   * The transport of one unit (a sync group, or an instance of its own): it sends as this one does
   * and receives only the packets of its instances' (interface, family, VRID). Every unit has an
   * engine of its own; handing each of them every packet made a backup of 255 instances run 255
   * engines' receive path per advert, 254 of them only to find the VRID is not theirs.
   */
  forInstances(instances: ReadonlyArray<{ interface: string; family: 'ipv4' | 'ipv6'; virtualRouterId: number }>): VrrpTransport & { close(): void } {
    const subject = new Subject<ReceivedVrrpPacket>();
    const keys = instances.map((i) => ({ slots: this.slotsOf(i.interface), index: (i.virtualRouterId & 0xff) + (i.family === 'ipv6' ? 256 : 0) }));
    for (const k of keys) k.slots.receivers[k.index] = subject;
    return {
      receive$: subject.asObservable(),
      send: (pkt) => this.send(pkt),
      drain: () => this.drain(),
      ...(this.inner.watchSteady !== undefined
        ? {
            watchSteady: (w: SteadyWatch) => this.inner.watchSteady!(w),
            unwatchSteady: (ifname: string, family: 'ipv4' | 'ipv6', vrid: number) => this.inner.unwatchSteady?.(ifname, family, vrid),
            collectSteady: () => this.inner.collectSteady?.(),
          }
        : {}),
      ...(this.inner.advertSteady !== undefined
        ? {
            advertSteady: (req: SteadyAdvertise) => this.advertSteady(req),
            unadvertSteady: (ifname: string, family: 'ipv4' | 'ipv6', vrid: number) => this.unadvertSteady(ifname, family, vrid),
          }
        : {}),
      close: () => {
        // A unit that replaced this one (a reload) may hold the keys by now: leave those.
        for (const k of keys) if (k.slots.receivers[k.index] === subject) k.slots.receivers[k.index] = undefined;
        subject.complete();
      },
    };
  }

  static key(ifname: string, family: 'ipv4' | 'ipv6', vrid: number): string {
    return `${family}/${ifname}/${vrid}`;
  }

  /** Adverts of (ifname, family, vrid) leave by `via` from now on; undefined: by ifname again. */
  route(ifname: string, family: 'ipv4' | 'ipv6', vrid: number, via: string | undefined): void {
    const k = InstanceTransport.key(ifname, family, vrid);
    const old = this.sendVia.get(k);
    if (old !== undefined) this.sendOnly.delete(old);
    if (via === undefined) this.sendVia.delete(k);
    else {
      this.sendVia.set(k, via);
      this.sendOnly.add(via);
    }
  }

  /**
   * VrrpTransport.advertSteady, by the interface the instance's adverts leave by (its vmac when it
   * has one); what the addon sends counts as sent by the instance.
   */
  advertSteady(req: SteadyAdvertise): boolean {
    if (this.inner.advertSteady === undefined) return false;
    const k = InstanceTransport.key(req.ifname, req.family, req.vrid);
    const via = this.sendVia.get(k);
    return this.inner.advertSteady({
      ...req,
      ifname: via ?? req.ifname,
      onRun: (run) => {
        if (run.count > 0) this.sentBy.set(k, (this.sentBy.get(k) ?? 0) + run.count);
        req.onRun(run);
      },
    });
  }

  unadvertSteady(ifname: string, family: 'ipv4' | 'ipv6', vrid: number): void {
    const via = this.sendVia.get(InstanceTransport.key(ifname, family, vrid));
    this.inner.unadvertSteady?.(via ?? ifname, family, vrid);
  }

  /** VrrpTransport.collectSteady: every steady watch's and steady advert's run so far, now. */
  collectSteady(): void {
    this.inner.collectSteady?.();
  }

  /** VrrpTransport.drain: what waits in the sockets, to every unit's receiver now. */
  drain(): void {
    this.inner.drain?.();
  }

  send(pkt: VrrpPacket): void {
    if (pkt.payload.length >= 2) {
      const k = InstanceTransport.key(pkt.ifname, pkt.family, pkt.payload[1]!);
      this.sentBy.set(k, (this.sentBy.get(k) ?? 0) + 1);
      const via = this.sendVia.get(k);
      if (via !== undefined) {
        this.inner.send({ ...pkt, ifname: via });
        return;
      }
    }
    this.inner.send(pkt);
  }

  sent(ifname: string, family: 'ipv4' | 'ipv6', vrid: number): number {
    return this.sentBy.get(InstanceTransport.key(ifname, family, vrid)) ?? 0;
  }

  received(ifname: string, family: 'ipv4' | 'ipv6', vrid: number): number {
    return this.slots.get(ifname)?.received[(vrid & 0xff) + (family === 'ipv6' ? 256 : 0)] ?? 0;
  }

  /** Packets received for VRIDs that are none of `known` (keys from InstanceTransport.key). */
  foreign(known: ReadonlySet<string>): ForeignVrid[] {
    const out: ForeignVrid[] = [];
    for (const [ifname, slots] of this.slots) {
      for (let i = 0; i < slots.received.length; i++) {
        const received = slots.received[i]!;
        if (received === 0) continue;
        const family = i < 256 ? 'ipv4' : 'ipv6';
        const vrid = i & 0xff;
        if (known.has(InstanceTransport.key(ifname, family, vrid))) continue;
        out.push({ interface: ifname, family, vrid, received });
      }
    }
    return out;
  }

  private slotsOf(ifname: string): { received: Uint32Array; receivers: Array<Subject<ReceivedVrrpPacket> | undefined> } {
    let slots = this.slots.get(ifname);
    if (slots === undefined) this.slots.set(ifname, (slots = { received: new Uint32Array(512), receivers: new Array(512).fill(undefined) }));
    return slots;
  }


  close(): void {
    this.subscription.unsubscribe();
  }
}
