/**
 * Runs the Linux adapters inside a lab namespace (`ip netns exec NS node --import tsx runner.ts`), so
 * their sockets live there and never in the root namespace. JSON lines on stdin are commands
 * ({id, op, ...}) answered with {id, ...}; received packets and link changes stream out as
 * {event: 'rx' | 'link' | 'transport-error', ...}. Prints {ready: true} once loaded.
 */
import { createInterface } from 'node:readline';
import { GarpSender } from '../../src/adapters/linux/garp.js';
import { interfaceLookup, LinkMonitor } from '../../src/adapters/linux/link-monitor.js';
import { openRawVrrpTransport, type RawVrrpTransport } from '../../src/adapters/linux/raw-vrrp-transport.js';
import {
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  ipMreqn,
  IPV6_CHECKSUM,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_UNICAST_HOPS,
  IP_TTL,
  rawSocketModule,
  SO_BINDTODEVICE,
  SOL_RAW,
  setOpt,
  SOL_SOCKET,
} from '../../src/adapters/linux/raw-socket-module.js';
import { RouteNetlink, type RouteSpec } from '../../src/adapters/linux/route-netlink.js';
import { VipNetlink, type VipSpec } from '../../src/adapters/linux/vip-netlink.js';
import { VmacNetlink, type VmacSpec } from '../../src/adapters/linux/vmac-netlink.js';
import { encodeVrrp, type VrrpAdvert } from '../../src/protocol/index.js';

const reply = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
/** The transport's clock (wall-clock ms, so a peer namespace's time.time() is comparable). */
const now = (): number => Date.now();
// Opened with no endpoint: each test's 'open' command widens it (RawVrrpTransport.open).
const { transport } = (await openRawVrrpTransport(now, [])) as { transport: RawVrrpTransport };
transport.receive$.subscribe((p) => reply({ event: 'rx', ...p, payload: Buffer.from(p.payload).toString('hex') }));
transport.errors$.subscribe((e) => reply({ event: 'transport-error', ...e }));
const vips = VipNetlink.open();
const garp = GarpSender.open();
const routes = RouteNetlink.open();
const vmacs = VmacNetlink.open();
let monitor: LinkMonitor | undefined;
const streams = new Map<string, NodeJS.Timeout>();

type Cmd = Record<string, unknown> & { id: number; op: string };

/** A plain raw socket (no IP_HDRINCL, no addon) that sends one packet with the TTL / hop limit given. */
async function sendPlain(cmd: Cmd): Promise<unknown> {
  const raw = rawSocketModule();
  const family = cmd['family'] as 'ipv4' | 'ipv6';
  const ifname = cmd['ifname'] as string;
  const ifindex = (await interfaceLookup.ifindex(ifname)) ?? 0;
  const ttl = cmd['ttl'] as number;
  const s = raw.createSocket({ addressFamily: family === 'ipv4' ? raw.AddressFamily.IPv4 : raw.AddressFamily.IPv6, protocol: 112 });
  setOpt(s, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${ifname}\0`));
  if (family === 'ipv4') {
    setOpt(s, IPPROTO_IP, IP_MULTICAST_IF, ipMreqn(Buffer.alloc(4), ifindex));
    setOpt(s, IPPROTO_IP, IP_MULTICAST_TTL, ttl);
    setOpt(s, IPPROTO_IP, IP_TTL, ttl);
    setOpt(s, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
  } else {
    setOpt(s, SOL_RAW, IPV6_CHECKSUM, 6);
    setOpt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex);
    setOpt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl);
    setOpt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
  }
  const payload = Buffer.from(cmd['payload'] as string, 'hex');
  return new Promise((resolve) => {
    s.send(payload, 0, payload.length, cmd['dst'] as string, (e, bytes) => {
      s.close();
      resolve(e ? { error: e.message } : { bytes });
    });
  });
}

async function handle(cmd: Cmd): Promise<unknown> {
  switch (cmd.op) {
    case 'lookup': {
      const ifname = cmd['ifname'] as string;
      return {
        ifindex: await interfaceLookup.ifindex(ifname),
        mac: await interfaceLookup.mac(ifname),
        ipv4: await interfaceLookup.primaryIpv4(ifname),
        ll: await interfaceLookup.ipv6LinkLocal(ifname),
      };
    }
    case 'open-all': {
      // The engine's entry point: several endpoints at once, failures reported, the rest opened.
      const r = await openRawVrrpTransport(() => Date.now(), cmd['endpoints'] as Parameters<typeof openRawVrrpTransport>[1]);
      const opened = r.transport.interfaces();
      r.transport.close();
      return { failures: r.failures, opened };
    }
    case 'open': {
      const ifname = cmd['ifname'] as string;
      const ifindex = await interfaceLookup.ifindex(ifname);
      if (ifindex === undefined) return { ok: false, error: `no ${ifname}` };
      const groups = cmd['groups'] as string[] | undefined;
      return transport.open({ ifname, ifindex, family: cmd['family'] as 'ipv4' | 'ipv6', ...(groups ? { groups } : {}) });
    }
    case 'send-advert': {
      const adv = cmd['advert'] as Omit<VrrpAdvert, 'checksum'>;
      const src = cmd['src'] as string;
      const dst = cmd['dst'] as string;
      const payload = encodeVrrp(adv, { src, dst });
      const ttl = cmd['ttl'] as number | undefined;
      transport.send({ ifname: cmd['ifname'] as string, family: adv.family, src, dst, payload, ...(ttl !== undefined ? { ttl } : {}) });
      return { sent: payload.toString('hex') };
    }
    case 'send-burst': {
      // `count` adverts in one synchronous run; what the transport counted as sent before returning.
      const adv = cmd['advert'] as Omit<VrrpAdvert, 'checksum'>;
      const src = cmd['src'] as string;
      const dst = cmd['dst'] as string;
      const payload = encodeVrrp(adv, { src, dst });
      const before = transport.stats.sent;
      for (let i = 0; i < (cmd['count'] as number); i++) transport.send({ ifname: cmd['ifname'] as string, family: adv.family, src, dst, payload });
      return { sentBeforeReturn: transport.stats.sent - before };
    }
    case 'hold-then-count': {
      // Keep the event loop busy for `ms` (datagrams queue up in the kernel), then count the
      // datagrams received by the end of the next loop turn's check phase.
      const end = Date.now() + (cmd['ms'] as number);
      while (Date.now() < end) {
        /* busy: the loop is held */
      }
      const before = transport.stats.received;
      return await new Promise((resolve) => setImmediate(() => setImmediate(() => resolve({ receivedInOneTurn: transport.stats.received - before }))));
    }
    case 'hold-then-drain': {
      // Keep the event loop busy for `ms` (datagrams queue up), then drain() before any loop turn:
      // how many it handed over synchronously.
      const end = Date.now() + (cmd['ms'] as number);
      while (Date.now() < end) {
        /* busy: the loop is held */
      }
      const before = transport.stats.received;
      transport.drain();
      return { receivedByDrain: transport.stats.received - before };
    }
    case 'hold': {
      // Keep the event loop busy for `ms`; when it started and ended, on the transport's clock.
      const start = now();
      const end = start + (cmd['ms'] as number);
      while (now() < end) {
        /* busy: the loop is held */
      }
      return { start, end: now() };
    }
    case 'advertise-start': {
      // A steady advert stream (what a MASTER sends), until advertise-stop.
      const adv = cmd['advert'] as Omit<VrrpAdvert, 'checksum'>;
      const src = cmd['src'] as string;
      const dst = cmd['dst'] as string;
      const payload = encodeVrrp(adv, { src, dst });
      const pkt = { ifname: cmd['ifname'] as string, family: adv.family, src, dst, payload };
      transport.send(pkt);
      streams.set(cmd['name'] as string, setInterval(() => transport.send(pkt), cmd['intervalMs'] as number));
      return { ok: true };
    }
    case 'advertise-stop':
      clearInterval(streams.get(cmd['name'] as string));
      streams.delete(cmd['name'] as string);
      return { ok: true };
    case 'send-plain':
      return sendPlain(cmd);
    case 'watch': {
      // A steady watch of an advert received before (an 'rx' event's fields, payload in hex).
      const p = cmd['packet'] as Record<string, unknown>;
      const packet = {
        ifname: p['ifname'] as string,
        family: p['family'] as 'ipv4' | 'ipv6',
        src: p['src'] as string,
        dst: p['dst'] as string,
        ...(p['ttl'] !== undefined ? { ttl: p['ttl'] as number } : {}),
        payload: Buffer.from(p['payload'] as string, 'hex'),
        at: p['at'] as number,
      };
      return { ok: transport.watchSteady({ packet, expireMs: cmd['expireMs'] as number, handoverMs: cmd['handoverMs'] as number }) };
    }
    case 'unwatch':
      transport.unwatchSteady(cmd['ifname'] as string, cmd['family'] as 'ipv4' | 'ipv6', cmd['vrid'] as number);
      return { ok: true, at: now() };
    case 'advertise': {
      // The advert last sent for that VRID, sent by the socket on a grid from now on.
      const vrid = cmd['vrid'] as number;
      const ok = transport.advertSteady({
        ifname: cmd['ifname'] as string,
        family: cmd['family'] as 'ipv4' | 'ipv6',
        vrid,
        intervalMs: cmd['intervalMs'] as number,
        nextDueAt: now() + (cmd['dueInMs'] as number),
        onRun: (run) => reply({ event: 'advert-run', vrid, ...run }),
      });
      return { ok };
    }
    case 'unadvertise':
      transport.unadvertSteady(cmd['ifname'] as string, cmd['family'] as 'ipv4' | 'ipv6', cmd['vrid'] as number);
      return { ok: true, at: now() };
    case 'collect':
      transport.collectSteady();
      return { ok: true, at: now() };
    case 'stats':
      return { ...transport.stats, ...transport.steadyCounters() };
    case 'kernel-watches':
      transport.setKernelWatches(cmd['on'] as boolean);
      return { ok: true };
    case 'vip-add':
      return vips.add(cmd['vip'] as VipSpec, cmd['dev'] as string, cmd['ifindex'] as number | undefined);
    case 'vip-remove':
      return vips.remove(cmd['vip'] as VipSpec, cmd['dev'] as string, cmd['ifindex'] as number | undefined);
    case 'route-add':
      return routes.add(cmd['route'] as RouteSpec);
    case 'route-remove':
      return routes.remove(cmd['route'] as RouteSpec);
    case 'vmac-create':
      return vmacs.create(cmd['vmac'] as VmacSpec);
    case 'vmac-remove':
      return vmacs.remove(cmd['vmac'] as VmacSpec);
    case 'vip-list':
      return vips.list();
    case 'garp': {
      const ifname = cmd['ifname'] as string;
      const link = await interfaceLookup.link(ifname);
      if (!link?.mac) return { ok: false, error: `no ${ifname}` };
      return garp.gratuitousArp({ ifindex: link.ifindex, ifname, senderMac: (cmd['mac'] as string | undefined) ?? link.mac }, cmd['address'] as string);
    }
    case 'na': {
      const ifname = cmd['ifname'] as string;
      const link = await interfaceLookup.link(ifname);
      const ll = await interfaceLookup.ipv6LinkLocal(ifname);
      if (!link?.mac || !ll) return { ok: false, error: `no ${ifname} or no link-local` };
      return garp.unsolicitedNa({ ifindex: link.ifindex, ifname, senderMac: link.mac }, { src: ll, vip: cmd['vip'] as string });
    }
    case 'garp-raw':
      // An ifindex that does not exist: the addon's error must come back as a result.
      return garp.gratuitousArp({ ifindex: cmd['ifindex'] as number, senderMac: '02:00:00:00:00:01' }, '192.0.2.100');
    case 'monitor': {
      monitor ??= await LinkMonitor.open();
      monitor.linkEvents$.subscribe((e) => reply({ event: 'link', ifname: e.ifname, ifindex: e.ifindex, state: e.state, previous: e.previous }));
      return { ok: true, links: monitor.snapshot().map((l) => l.ifname) };
    }
    default:
      return { error: `unknown op ${cmd.op}` };
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let cmd: Cmd;
  try {
    cmd = JSON.parse(line) as Cmd;
  } catch {
    return;
  }
  handle(cmd).then(
    (r) => reply({ id: cmd.id, result: r }),
    (e: unknown) => reply({ id: cmd.id, threw: String((e as Error)?.stack ?? e) }),
  );
});
rl.on('close', () => {
  transport.close();
  vips.close();
  routes.close();
  vmacs.close();
  monitor?.close();
  process.exit(0);
});
reply({ ready: true });
