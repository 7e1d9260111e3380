/**
 * Helpers for the interop / split-brain / unicast / IPv6 daemon tests: the real keepalived as a
 * peer in a namespace, configurations for both, the client's neighbour entry, replay of the event
 * logs, and the nftables cut at the switch. Shares `startDaemon` / `waitFor` with daemons.ts.
 */
import type { ChildProcess } from 'node:child_process';
import type { NetnsLab } from '../helpers/netns.js';
import { tcpdumpListening } from '../helpers/tcpdump.js';
import { main as replayMain } from '../../src/cli/replay.js';
import { watched, type RunningDaemon } from './daemons.js';
import { join } from 'node:path';

/** keepalived 2.2.7 (the Debian package) in `ns`, VRRP side only, private pid files (field notes). */
export function startKeepalived(lab: NetnsLab, ns: string, name: string, conf: string, dir: string): RunningDaemon {
  const proc: ChildProcess = lab.spawn(ns, [
    'keepalived', '-n', '-l', '-D', '-P', '-f', conf,
    '-p', join(dir, `${name}.pid`), '-r', join(dir, `${name}.vrrp.pid`), '-c', join(dir, `${name}.check.pid`),
  ]);
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const d: RunningDaemon = { name, proc, output: () => out, exited, vrrpPid: () => undefined };
  watched.push(d);
  return d;
}

export interface InstanceOpts {
  routerId: string;
  priority: number;
  vips: string[];
  /** seconds */
  advertInt: number;
  version?: 2 | 3;
  vrid?: number;
  extra?: string;
  globalExtra?: string;
}

/** One VRRP instance VI_1 on eth0 in keepalived.conf syntax (read by both daemons). */
export function instanceConf(o: InstanceOpts): string {
  return `global_defs {
  router_id ${o.routerId}
  vrrp_version ${o.version ?? 3}
${o.globalExtra ?? ''}}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id ${o.vrid ?? 51}
  priority ${o.priority}
  advert_int ${o.advertInt}
  virtual_ipaddress {
${o.vips.map((v) => `    ${v}\n`).join('')}  }
${o.extra ?? ''}}
`;
}

export function hasVip6(lab: NetnsLab, ns: string, vip: string): boolean {
  return lab.exec(ns, ['ip', '-6', 'addr', 'show', 'dev', 'eth0']).includes(`inet6 ${vip}/`);
}

export function macOf(lab: NetnsLab, ns: string): string {
  return lab.exec(ns, ['cat', '/sys/class/net/eth0/address']).trim();
}

/** The MAC the client's neighbour table holds for `addr` (ARP or NDP), if any. */
export function neighMac(lab: NetnsLab, ns: string, addr: string): string | undefined {
  const fam = addr.includes(':') ? '-6' : '-4';
  const line = lab.exec(ns, ['ip', fam, 'neigh', 'show', addr, 'dev', 'eth0']);
  return /lladdr ([0-9a-f:]{17})/.exec(line)?.[1];
}

/**
 * A client that learns from gratuitous ARP (arp_accept=1: a GARP creates or updates its entry).
 * IPv6 has no such switch for a plain host (accept_untracked_na needs forwarding on): an
 * unsolicited NA with the override flag only updates an entry that exists, so IPv6 tests make one
 * first with `touch`.
 */
export function makeClient(lab: NetnsLab, ns: string): void {
  lab.exec(ns, ['sysctl', '-q', '-w', 'net.ipv4.conf.all.arp_accept=1', 'net.ipv4.conf.eth0.arp_accept=1']);
}

/** One UDP datagram from `ns` to `addr` (port 9, discard): the kernel resolves the neighbour. */
export function touch(lab: NetnsLab, ns: string, addr: string): void {
  const fam = addr.includes(':') ? 'AF_INET6' : 'AF_INET';
  lab.exec(ns, ['python3', '-c', `import socket; socket.socket(socket.${fam}, socket.SOCK_DGRAM).sendto(b'x', ('${addr}', 9))`]);
}

/**
 * A forged VRRPv3 IPv6 advert sent from `ns` (python3's raw socket: not our code, so our receive
 * path judges a packet it did not build) to ff02::12 with the given hop limit; the kernel fills
 * the checksum (IPV6_CHECKSUM at offset 6) and picks the link-local source.
 */
export function sendForgedAdvert6(lab: NetnsLab, ns: string, o: { vrid: number; priority: number; advertIntCs: number; vip: string; hopLimit: number; count: number; gapMs: number }): void {
  const py = `
import socket, struct, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 112)
idx = socket.if_nametoindex('eth0')
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, ${o.hopLimit})
s.setsockopt(255, 7, 6)
pkt = struct.pack('!BBBBHH', 0x31, ${o.vrid}, ${o.priority}, 1, ${o.advertIntCs} & 0x0fff, 0) + socket.inet_pton(socket.AF_INET6, '${o.vip}')
for i in range(${o.count}):
    s.sendto(pkt, ('ff02::12', 0, 0, idx))
    time.sleep(${o.gapMs / 1000})
`;
  lab.exec(ns, ['python3', '-c', py]);
}

/** `replay` main() run in-process: exit code, stdout, stderr. */
export async function replay(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await replayMain(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** `replay --verify` over `dirs`: asserts nothing itself; returns the per-node verify lines. */
export async function verifyLines(dirs: string[]): Promise<{ code: number; err: string; lines: string[] }> {
  const r = await replay([...dirs, '--verify']);
  return { code: r.code, err: r.err, lines: r.out.split('\n').filter((l) => l.startsWith('verify ')) };
}

export function count(text: string, needle: string | RegExp): number {
  if (typeof needle === 'string') return text.split(needle).length - 1;
  return (text.match(new RegExp(needle.source, needle.flags.includes('g') ? needle.flags : `${needle.flags}g`)) ?? []).length;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The VRRP cut at the switch (bridge family): IPv4 protocol 112 dropped between ports pA and pB in
 * both directions. `healFirst(from, to)` opens one direction and makes the other open only once an
 * advert has crossed the first (a dynamic set filled from the packet path), so the first advert to
 * cross the heal is deterministically the one sent from `from` — the order of the first adverts is
 * arranged, not left to the timers' phase.
 */
export class VrrpCut {
  constructor(private readonly lab: NetnsLab, private readonly pA: string, private readonly pB: string) {}

  cut(): void {
    this.nft(`table bridge kts_cut {
  set heard { type ether_type; flags dynamic; }
  chain ab { type filter hook forward priority 0; iifname "${this.pA}" oifname "${this.pB}" ip protocol 112 drop; }
  chain ba { type filter hook forward priority 0; iifname "${this.pB}" oifname "${this.pA}" ip protocol 112 drop; }
}
`);
  }

  /** Open `from` → `to` now; the reverse direction opens when the first advert has crossed. */
  healFirst(from: string, to: string): void {
    const [first, second] = from === this.pA ? ['ab', 'ba'] : ['ba', 'ab'];
    this.nft(`flush chain bridge kts_cut ${second}
add rule bridge kts_cut ${second} iifname "${to}" oifname "${from}" ip protocol 112 meta protocol != @heard drop
flush chain bridge kts_cut ${first}
add rule bridge kts_cut ${first} iifname "${from}" oifname "${to}" ip protocol 112 add @heard { meta protocol }
`);
  }

  remove(): void {
    try {
      this.nft('delete table bridge kts_cut\n');
    } catch {
      /* not there */
    }
  }

  private nft(script: string): void {
    this.lab.exec(this.lab.switchNs, ['sh', '-c', `nft -f - <<'EOF'\n${script}EOF\n`]);
  }
}

export interface WireCapture {
  /** Lines tcpdump printed so far (`-tt`: epoch seconds first, comparable with Date.now()). */
  lines(): string[];
  stop(): void;
}

/** tcpdump on every port of the switch (`-i any -e -tt`): which port a frame left by, and when. */
export async function captureSwitch(lab: NetnsLab, filter: string, verbose = false): Promise<WireCapture> {
  return capture(lab, lab.switchNs, 'any', filter, verbose);
}

/**
 * tcpdump on one host's interface (`-e -tt`): what reached it, and when. A frame's arrival at the
 * client is what the client acts on — and `-i any` on the switch has been seen to miss a burst of
 * gratuitous ARPs that the client's own capture shows (split-brain.test.ts).
 */
export async function captureHost(lab: NetnsLab, ns: string, filter: string, ifname = 'eth0'): Promise<WireCapture> {
  return capture(lab, ns, ifname, filter, false);
}

async function capture(lab: NetnsLab, ns: string, ifname: string, filter: string, verbose: boolean): Promise<WireCapture> {
  const proc = lab.spawn(ns, ['tcpdump', '-i', ifname, '-tt', '-e', '-n', '-l', '--immediate-mode', ...(verbose ? ['-v'] : []), filter]);
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  await tcpdumpListening(proc);
  return {
    lines: () => out.split('\n').filter((l) => l.length > 0),
    stop: () => {
      if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) {
        try {
          process.kill(-proc.pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    },
  };
}

/** The epoch time (ms) of the first line of a one-interface capture at or after `afterMs` that matches. */
export function firstSeen(lines: string[], re: RegExp, afterMs: number): number | undefined {
  for (const l of lines) {
    const m = /^(\d+\.\d+) /.exec(l);
    if (!m || !re.test(l)) continue;
    const t = Number.parseFloat(m[1]!) * 1000;
    if (t >= afterMs) return t;
  }
  return undefined;
}

/** The epoch time (ms) of the first captured line after `afterMs` that leaves by `port` and matches. */
export function firstOut(lines: string[], port: string, re: RegExp, afterMs: number): number | undefined {
  for (const l of lines) {
    const m = /^(\d+\.\d+) (\S+)\s+Out /.exec(l);
    if (!m || m[2] !== port || !re.test(l)) continue;
    const t = Number.parseFloat(m[1]!) * 1000;
    if (t >= afterMs) return t;
  }
  return undefined;
}
