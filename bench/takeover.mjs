#!/usr/bin/env node
/**
 * Takeover and resource bench: keepalived-ts (compiled, dist/) vs the real keepalived, in one lab.
 *
 *   npm run build && node bench/takeover.mjs [--reps-v2 N] [--reps-v3 N] [--window S] [--json FILE]
 *       [--res CASE,...] [--profile-ours DIR] [--threads] [--window S] [--settle S] [--node-args "…"]
 *
 * --res runs only the named resource cases (e.g. --res 255,50@10ms; names: 1, 50, 255, 50@10ms);
 * --threads logs the CPU of every thread of both daemons over each resource window;
 * --settle S waits S seconds (default 15) after the backup's start before a resource window opens;
 * --profile-ours DIR writes a V8 CPU profile of every process of ours (node --cpu-prof; the children
 * inherit it) into DIR/<daemon id>/ when it stops (SIGTERM: a graceful stop, so profiles get written).
 *
 * Root only. Lab: namespaces `kts-bench-<pid>-{sw,a,b,c}`; the bridge `br` lives in `sw` (stp 0,
 * forward_delay 0, mcast_snooping 0), hosts a (192.0.2.1, priority 150), b (192.0.2.2, priority 100)
 * and the client c (192.0.2.3) hang off it; nothing is created in the root namespace.
 *
 * Every time is taken ON THE WIRE: tcpdump on `br` writes a pcap (packet-buffered, -U) that this
 * script reads itself (a tiny pcap reader below), never from a daemon's log. The two
 * implementations never run at the same time: a pair of ours, then a pair of keepalived, and so on.
 *
 * Cleans up on every exit path: processes by their process group (we started them with setsid),
 * then the namespaces.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const REPS_V2 = Number(opt('--reps-v2', '3'));
const REPS_V3 = Number(opt('--reps-v3', '5'));
const WINDOW_S = Number(opt('--window', '10'));
// Seconds from the backup's start to the resource window (both implementations alike): the steady
// state, not the start-up (keepalived-ts compiles its code lazily in the first seconds).
const SETTLE_S = Number(opt('--settle', '15'));
const JSON_OUT = opt('--json', undefined);
const KEEP = args.includes('--keep-tmp');
const RES_ONLY = opt('--res', undefined)?.split(',');
const PROFILE_DIR = opt('--profile-ours', undefined);
const THREADS = args.includes('--threads');
const MEM = args.includes('--mem');

const PREFIX = `kts-bench-${process.pid}-`;
const NS = { sw: `${PREFIX}sw`, a: `${PREFIX}a`, b: `${PREFIX}b`, c: `${PREFIX}c` };
const IP = { a: '192.0.2.1', b: '192.0.2.2', c: '192.0.2.3' };
const VIP = '192.0.2.100';
const PRIO = { a: 150, b: 100 };
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const PAGE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;
const dir = mkdtempSync(join(tmpdir(), 'kts-bench-'));
// Our daemons' SIGUSR1 / SIGUSR2 files go to this run's directory (--mem reads the stats).
process.env.KEEPALIVED_TS_DUMP_DIR = dir;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
const sh = (cmd, argv, quiet = false) =>
  execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', quiet ? 'ignore' : 'pipe'] });
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);

// ---------------------------------------------------------------- processes and cleanup

/** Every process group we started (pgid = pid thanks to detached/setsid). */
const groups = new Set();
const createdNs = [];
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const ns of createdNs.reverse()) {
    try {
      sh('ip', ['netns', 'del', ns], true);
    } catch {
      /* gone */
    }
  }
  if (!KEEP) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

/** Start argv inside a namespace, in a process group of its own; output to a file. */
function start(ns, argv, outName) {
  const fd = openSync(join(dir, outName), 'a');
  // `ip netns exec` execs the command, so the pid we get is the program's own.
  const proc = spawn('ip', ['netns', 'exec', ns, ...argv], { detached: true, stdio: ['ignore', fd, fd], cwd: ROOT });
  closeSync(fd);
  groups.add(proc.pid);
  const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  proc.once('exit', () => groups.delete(proc.pid));
  return { pid: proc.pid, proc, exited, name: outName };
}

async function stop(p, signal = 'SIGTERM', graceMs = 5000) {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  try {
    if (signal === 'SIGKILL') process.kill(-p.pid, 'SIGKILL');
    else process.kill(p.pid, signal);
  } catch {
    return;
  }
  const done = await Promise.race([p.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await p.exited;
  }
  // A killed group may leave grandchildren behind briefly: make sure the group is empty.
  for (let i = 0; i < 50 && groupPids(p.pid).length > 0; i++) {
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await sleep(20);
  }
}

/** pids whose process group is pgid (whole daemon: parent + children), from /proc. */
function groupPids(pgid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(d);
    if (st && st.pgrp === pgid) out.push(Number(d));
  }
  return out;
}
/**
 * The largest RSS of each named process group while it starts, sampled every 250 ms (the pids of
 * a group found once a second: a /proc scan is not free on these 2 cores) until stop().
 */
function startPeaks() {
  const groups = new Map();
  let scans = 0;
  const timer = setInterval(() => {
    const rescan = scans++ % 4 === 0;
    for (const g of groups.values()) {
      if (rescan || g.pids.length === 0) g.pids = groupPids(g.pgid);
      let rss = 0;
      for (const pid of g.pids) {
        const one = procStat(pid)?.rss ?? 0;
        rss += one;
        g.peakProc = Math.max(g.peakProc, one);
      }
      g.peak = Math.max(g.peak, rss);
    }
  }, 250);
  return {
    add: (name, pgid) => groups.set(name, { pgid, pids: [], peak: 0, peakProc: 0 }),
    /** Peaks in MB by name: the group's and its largest process's. */
    stop: () => {
      clearInterval(timer);
      return Object.fromEntries([...groups].map(([k, g]) => [k, { group: g.peak / 2 ** 20, proc: g.peakProc / 2 ** 20 }]));
    },
  };
}
function procStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): field n is f[n - 3].
    return { pgrp: Number(f[2]), ticks: Number(f[11]) + Number(f[12]), rss: Number(f[21]) * PAGE };
  } catch {
    return undefined;
  }
}
/** ns on a CPU of every thread of `pid` (/proc/PID/task/TID/schedstat, first field): the scheduler's
 * own exact account, where utime + stime come in 10 ms ticks (3 ticks in a 20 s window is 0.15 %). */
function schedNs(pid) {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* gone */
      }
    }
  } catch {
    /* gone */
  }
  return ns;
}

/** --mem: each process of a group, RSS split into anonymous and file pages, and PSS (shared pages
 * divided among the processes that map them), in MB: where a daemon's memory is. */
function groupMemory(pgid) {
  const mb = (kb) => (Number(kb) / 1024).toFixed(1);
  const out = [];
  for (const pid of groupPids(pgid)) {
    try {
      const st = readFileSync(`/proc/${pid}/status`, 'utf8');
      const f = (k) => new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(st)?.[1] ?? '0';
      const pss = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? '0';
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(-3).join(' ');
      // The largest mappings by RSS (a file, or [heap] / [anon] for anonymous memory).
      const byMap = new Map();
      let cur = '';
      for (const l of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
        const h = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(l);
        if (h) cur = h[1] || '[anon]';
        else if (l.startsWith('Rss:')) byMap.set(cur, (byMap.get(cur) ?? 0) + Number(/\d+/.exec(l)[0]));
      }
      const top = [...byMap].sort((x, y) => y[1] - x[1]).slice(0, 6).map(([k, v]) => `${k.split('/').pop()} ${mb(v)}`).join(', ');
      out.push(`${pid} [${cmd}] RSS ${mb(f('VmRSS'))} (anon ${mb(f('RssAnon'))}, file ${mb(f('RssFile'))}) PSS ${mb(pss)} — ${top}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** CPU ticks (and exact ns) and RSS of a whole process group, plus its largest single RSS. */
function groupUsage(pgid) {
  let ticks = 0;
  let ns = 0;
  let rss = 0;
  let maxRss = 0;
  const pids = groupPids(pgid);
  /** --threads: user and system ticks per thread ("pid/tid comm"), to say where a group's CPU goes. */
  const threads = new Map();
  for (const pid of pids) {
    const st = procStat(pid);
    if (!st) continue;
    ticks += st.ticks;
    ns += schedNs(pid);
    rss += st.rss;
    maxRss = Math.max(maxRss, st.rss);
    if (!THREADS) continue;
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const t = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const comm = t.slice(t.indexOf('(') + 1, t.lastIndexOf(')'));
        const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
        let ns = 0;
        try {
          ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        } catch {
          /* gone */
        }
        let wakes = 0;
        try {
          wakes = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? 0);
        } catch {
          /* gone */
        }
        threads.set(`${pid}/${tid} ${comm}`, { user: Number(f[11]), sys: Number(f[12]), ns, wakes });
      }
    } catch {
      /* gone */
    }
  }
  return { ticks, ns, rss, maxRss, procs: pids.length, threads };
}

/** Per-thread CPU % between two groupUsage readings (only threads that used any). */
function threadShares(u0, u1, secs) {
  const out = [];
  for (const [k, b] of u1.threads) {
    const a = u0.threads.get(k) ?? { user: 0, sys: 0, ns: 0, wakes: 0 };
    const user = (100 * (b.user - a.user)) / CLK_TCK / secs;
    const sys = (100 * (b.sys - a.sys)) / CLK_TCK / secs;
    const cpu = (100 * (b.ns - a.ns)) / 1e9 / secs;
    const wakes = (b.wakes - a.wakes) / secs;
    if (cpu > 0.0005 || wakes > 0) out.push(`${k} ${cpu.toFixed(3)} %, ${wakes.toFixed(1)} wake-ups/s (user ${user.toFixed(1)} % sys ${sys.toFixed(1)} % in ticks)`);
  }
  return out;
}

// ---------------------------------------------------------------- the lab

function buildLab() {
  for (const ns of Object.values(NS)) {
    sh('ip', ['netns', 'add', ns]);
    createdNs.push(ns);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // IPv4 only: no DAD / MLD / RS noise on the wire or in the daemons.
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    // Every client datagram gets its ICMP answer (the default limits them to about one a second).
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0']);
  }
  sh('ip', ['-n', NS.sw, 'link', 'add', 'name', 'br', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
  sh('ip', ['-n', NS.sw, 'link', 'set', 'dev', 'br', 'up']);
  const mac = {};
  for (const h of ['a', 'b', 'c']) {
    sh('ip', ['-n', NS[h], 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${h}`, 'netns', NS.sw]);
    sh('ip', ['-n', NS.sw, 'link', 'set', `p${h}`, 'master', 'br', 'up']);
    sh('ip', ['-n', NS[h], 'addr', 'add', `${IP[h]}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', NS[h], 'link', 'set', 'eth0', 'up']);
    mac[h] = JSON.parse(sh('ip', ['-n', NS[h], '-j', 'link', 'show', 'eth0']))[0].address;
  }
  return mac;
}

/** Remove whatever VIPs a killed daemon left on a host (both implementations leave them on SIGKILL). */
function flushVips(h) {
  const addrs = JSON.parse(sh('ip', ['-n', NS[h], '-j', '-4', 'addr', 'show', 'dev', 'eth0']))[0]?.addr_info ?? [];
  for (const a of addrs) {
    if (a.local === IP[h]) continue;
    try {
      sh('ip', ['-n', NS[h], 'addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', 'eth0'], true);
    } catch {
      /* raced with the daemon */
    }
  }
}

// ---------------------------------------------------------------- pcap

/** tcpdump on the bridge, read incrementally; packets decoded to what the bench needs. */
async function startCapture(name) {
  const file = join(dir, `${name}.pcap`);
  const p = start(NS.sw, ['tcpdump', '-i', 'br', '-nn', '-U', '-s', '128', '-w', file, 'ip proto 112 or icmp or arp'], `${name}.tcpdump.txt`);
  for (let i = 0; i < 100; i++) {
    if (readFileSync(join(dir, `${name}.tcpdump.txt`), 'utf8').includes('listening on')) break;
    await sleep(50);
  }
  const reader = { file, offset: 24, fd: undefined, packets: [], rest: Buffer.alloc(0) };
  return { proc: p, reader };
}

function readPackets(r) {
  if (r.fd === undefined) {
    if (!existsSync(r.file)) return r.packets;
    r.fd = openSync(r.file, 'r');
  }
  const chunk = Buffer.alloc(1 << 20);
  for (;;) {
    const n = readSync(r.fd, chunk, 0, chunk.length, r.offset);
    if (n <= 0) break;
    r.offset += n;
    r.rest = Buffer.concat([r.rest, chunk.subarray(0, n)]);
  }
  let o = 0;
  const b = r.rest;
  while (o + 16 <= b.length) {
    const incl = b.readUInt32LE(o + 8);
    if (o + 16 + incl > b.length) break;
    const t = b.readUInt32LE(o) + b.readUInt32LE(o + 4) / 1e6;
    const pkt = decode(b.subarray(o + 16, o + 16 + incl), t);
    if (pkt) r.packets.push(pkt);
    o += 16 + incl;
  }
  r.rest = b.subarray(o);
  return r.packets;
}

const ipStr = (b, o) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
const macStr = (b, o) => [...b.subarray(o, o + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
function decode(f, t) {
  if (f.length < 14) return undefined;
  const eth = f.readUInt16BE(12);
  const smac = macStr(f, 6);
  if (eth === 0x0806 && f.length >= 42) {
    return { t, kind: 'arp', smac, op: f.readUInt16BE(20), spa: ipStr(f, 28), tpa: ipStr(f, 38) };
  }
  if (eth !== 0x0800 || f.length < 34) return undefined;
  const ihl = (f[14] & 0x0f) * 4;
  const proto = f[23];
  const src = ipStr(f, 26);
  const l4 = 14 + ihl;
  if (proto === 112 && f.length >= l4 + 4) {
    return { t, kind: 'vrrp', smac, src, version: f[l4] >> 4, vrid: f[l4 + 1], prio: f[l4 + 2] };
  }
  if (proto === 1 && f.length >= l4 + 1) return { t, kind: 'icmp', smac, src, type: f[l4] };
  return undefined;
}

async function waitPacket(reader, from, pred, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const pk = readPackets(reader);
    for (let i = from; i < pk.length; i++) if (pred(pk[i])) return { pkt: pk[i], index: i };
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------- configurations and daemons

function conf(h, { version, advertInt, instances, vipOf }) {
  let s = `global_defs {\n  router_id bench_${h}\n  vrrp_version ${version}\n}\n`;
  for (let i = 1; i <= instances; i++) {
    const vrid = instances === 1 ? 51 : i;
    s += `vrrp_instance VI_${vrid} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${vrid}\n  priority ${PRIO[h]}\n  advert_int ${advertInt}\n  virtual_ipaddress {\n    ${vipOf(vrid)}/32\n  }\n}\n`;
  }
  return s;
}
const CLIENT = `const s = require('node:dgram').createSocket('udp4'); s.on('error', () => {});
setInterval(() => s.send('kts-bench', 9, '${VIP}'), 5);`;
const manyVip = (vrid) => (vrid <= 254 ? `198.51.100.${vrid}` : `203.0.113.${vrid - 254}`);

let serial = 0;
/** --profile-ours: node's own flags (the daemon's children inherit them: fork passes execArgv on). */
/** --node-args "…": extra node options for our daemons (inherited by their children), for experiments. */
const NODE_ARGS = opt('--node-args', '').split(' ').filter((a) => a !== '');
const profileArgs = (id) => [...NODE_ARGS, ...(PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, id)}`])];
/** One daemon of `impl` ('ours' | 'keepalived') on host h. Both run VRRP only (-P), logging to a file. */
function startDaemon(impl, h, text) {
  const id = `${impl}-${h}-${serial++}`;
  const cf = join(dir, `${id}.conf`);
  writeFileSync(cf, text);
  const pids = ['-p', join(dir, `${id}.pid`), '-r', join(dir, `${id}.vrrp.pid`), '-c', join(dir, `${id}.check.pid`)];
  const argv =
    impl === 'ours'
      ? ['node', ...profileArgs(id), join(ROOT, 'bin/keepalived-ts.js'), '-f', cf, '-n', '-l', '-P', ...pids, '--log-dir', join(dir, `${id}.events`)]
      : ['/usr/sbin/keepalived', '-f', cf, '-n', '-l', '-P', ...pids];
  const p = start(NS[h], argv, `${id}.log`);
  p.vrrpPidFile = join(dir, `${id}.vrrp.pid`);
  return p;
}

async function waitFile(file, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (!existsSync(file) || readFileSync(file, 'utf8').trim() === '') {
    if (Date.now() > end) throw new Error(`timed out waiting for ${file}`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------- takeover pair

/**
 * One pair for one implementation: a (150) master, b (100) backup; SIGKILL a's group → b takes over
 * (crash); a restarted preempts; SIGTERM a → b takes over (graceful). A client pings the VIP every
 * 5 ms throughout. Returns the on-wire and client times in ms.
 */
async function takeoverPair(impl, mode, mac) {
  const cap = await startCapture(`${impl}-${mode.name}-${serial}`);
  const r = cap.reader;
  const ms = mode.advertInt * 1000;
  const cfg = { version: mode.version, advertInt: mode.advertInt, instances: 1, vipOf: () => VIP };
  const fromA = (p) => p.kind === 'vrrp' && p.src === IP.a && p.prio > 0;
  const fromB = (p) => p.kind === 'vrrp' && p.src === IP.b;
  const replyFromB = (p) => p.kind === 'icmp' && p.src === VIP && p.smac === mac.b;
  // b's gratuitous ARP for the VIP: what moves the client (its time says how long b's effects took).
  const garpFromB = (p) => p.kind === 'arp' && p.smac === mac.b && p.spa === VIP;
  // The client: a UDP datagram to the VIP's closed port 9 every 5 ms; whoever holds the VIP answers
  // with an ICMP port unreachable from the VIP (icmp_ratelimit is 0 on a and b), seen on the wire.
  const ping = start(NS.c, ['node', '-e', CLIENT], `client-${serial}.txt`);
  let a = startDaemon(impl, 'a', conf('a', cfg));
  let b;
  try {
    await waitPacket(r, 0, fromA, 15000, 'a to become master');
    b = startDaemon(impl, 'b', conf('b', cfg));
    await waitFile(b.vrrpPidFile, 15000);
    await sleep(3 * ms + 1000);

    // Crash: SIGKILL of a's whole process group.
    let mark = readPackets(r).length;
    if (r.packets.slice(mark - 20).some(fromB)) throw new Error('b advertised while a was master (before the crash)');
    await stop(a, 'SIGKILL');
    const firstB = await waitPacket(r, mark, fromB, 10 * ms + 5000, 'b to take over after the crash');
    const lastA = r.packets.slice(0, firstB.index).filter(fromA).at(-1);
    await sleep(Math.max(300, 2 * ms));
    const replyB = readPackets(r).slice(firstB.index).find((p) => replyFromB(p) && p.t >= lastA.t);
    const garpB = readPackets(r).slice(firstB.index - 1).find((p) => garpFromB(p) && p.t >= lastA.t);
    const crash = { wire: (firstB.pkt.t - lastA.t) * 1000, client: replyB ? (replyB.t - lastA.t) * 1000 : NaN, garp: garpB ? (garpB.t - lastA.t) * 1000 : NaN };
    flushVips('a');

    // a comes back and preempts; b goes back to BACKUP and falls silent.
    mark = readPackets(r).length;
    a = startDaemon(impl, 'a', conf('a', cfg));
    const aBack = await waitPacket(r, mark, fromA, 10 * ms + 15000, 'a to preempt');
    await sleep(3 * ms + 1000);
    const afterPreempt = readPackets(r).slice(aBack.index);
    const bSilentSince = afterPreempt.filter(fromB).at(-1);
    if (bSilentSince && bSilentSince.t > aBack.pkt.t + 0.5) throw new Error('b still advertising after a preempted');

    // Graceful: SIGTERM to a's main process → priority-0 advert → b after its skew time.
    mark = readPackets(r).length;
    const stopping = stop(a, 'SIGTERM');
    const zero = await waitPacket(r, mark, (p) => p.kind === 'vrrp' && p.src === IP.a && p.prio === 0, 10000, "a's priority-0 advert");
    const firstB2 = await waitPacket(r, zero.index, fromB, 10 * ms + 5000, 'b to take over after the graceful stop');
    await stopping;
    await sleep(Math.max(300, 2 * ms));
    const replyB2 = readPackets(r).slice(firstB2.index - 1).find((p) => replyFromB(p) && p.t >= zero.pkt.t);
    const garpB2 = readPackets(r).slice(firstB2.index - 1).find((p) => garpFromB(p) && p.t >= zero.pkt.t);
    const graceful = { wire: (firstB2.pkt.t - zero.pkt.t) * 1000, client: replyB2 ? (replyB2.t - zero.pkt.t) * 1000 : NaN, garp: garpB2 ? (garpB2.t - zero.pkt.t) * 1000 : NaN };
    return { crash, graceful };
  } finally {
    await stop(a, 'SIGTERM');
    if (b) await stop(b, 'SIGTERM');
    await stop(ping, 'SIGKILL');
    await stop(cap.proc, 'SIGTERM');
    flushVips('a');
    flushVips('b');
  }
}

// ---------------------------------------------------------------- resources

/**
 * a master of N instances, b backup; CPU of each whole process group over a window, RSS at its end,
 * and false takeovers on the wire (an advert of b for a VRID whose previous advert came from a).
 */
async function resources(impl, c) {
  const cap = await startCapture(`${impl}-res-${c.name}-${serial}`);
  const r = cap.reader;
  const cfg = { version: 3, advertInt: c.advertInt, instances: c.instances, vipOf: manyVip };
  const vrid = (i) => (c.instances === 1 ? 51 : i);
  let a;
  let b;
  const peaks = startPeaks();
  try {
    a = startDaemon(impl, 'a', conf('a', cfg));
    peaks.add('a', a.pid);
    const seen = new Set();
    await waitPacket(r, 0, (p) => {
      if (p.kind === 'vrrp' && p.src === IP.a && p.prio > 0) seen.add(p.vrid);
      return seen.size >= c.instances;
    }, 30000, `a to be master of ${c.instances}`);
    const bStart = readPackets(r).length;
    b = startDaemon(impl, 'b', conf('b', cfg));
    peaks.add('b', b.pid);
    await waitFile(b.vrrpPidFile, 15000);
    await sleep(SETTLE_S * 1000);
    const startPeak = peaks.stop();
    const mark = readPackets(r).length;
    const la0 = loadavg();
    const u0 = { a: groupUsage(a.pid), b: groupUsage(b.pid), t: performance.now(), wall: Date.now() / 1000 };
    await sleep(WINDOW_S * 1000);
    const u1 = { a: groupUsage(a.pid), b: groupUsage(b.pid), t: performance.now(), wall: Date.now() / 1000 };
    const secs = (u1.t - u0.t) / 1000;
    if (MEM) {
      for (const [who, p] of [['master', a], ['backup', b]]) {
        log(`${impl} ${c.name} ${who} memory:`, groupMemory(p.pid).join('; '));
        if (impl !== 'ours') continue;
        // Ours says where its heap is: the Memory line of its SIGUSR2 stats (in this run's directory).
        const stats = join(dir, 'keepalived-ts.stats');
        rmSync(stats, { force: true });
        process.kill(Number(readFileSync(p.vrrpPidFile, 'utf8')), 'SIGUSR2');
        const end = Date.now() + 3000;
        while (!existsSync(stats) && Date.now() < end) await sleep(50);
        await sleep(100);
        log(`${impl} ${c.name} ${who} VRRP child:`, /^Memory: .*$/m.exec(existsSync(stats) ? readFileSync(stats, 'utf8') : '')?.[0] ?? 'no stats');
      }
    }
    if (THREADS) {
      for (const [who, k] of [['master', 'a'], ['backup', 'b']]) log(`${impl} ${c.name} ${who} threads:`, threadShares(u0[k], u1[k], secs).join('; '));
    }
    // What the capture still holds in its buffer reaches the file (the advert rate counts to u1).
    await sleep(500);
    const pk = readPackets(r);
    // False takeover: the backup advertising at all while the master runs (b starts as BACKUP and a
    // never stops here). Counted per episode: a b advert whose VRID's previous advert was a's.
    // Those while b was starting (from its launch to the window) are counted apart.
    const lastSrc = new Map();
    let falseTakeovers = 0;
    let startupFalseTakeovers = 0;
    const vridsHit = new Set();
    let bAdverts = 0;
    for (let i = 0; i < pk.length; i++) {
      const p = pk[i];
      if (p.kind !== 'vrrp') continue;
      if (i >= bStart && p.src === IP.b && p.prio > 0 && lastSrc.get(p.vrid) !== IP.b) {
        if (i >= mark) falseTakeovers++;
        else startupFalseTakeovers++;
      }
      if (i >= mark && p.src === IP.b) {
        bAdverts++;
        vridsHit.add(p.vrid);
      }
      lastSrc.set(p.vrid, p.src);
    }
    // On the capture's clock, inside the window only (the capture goes on while --mem reads).
    const aAdverts = pk.slice(mark).filter((p) => p.kind === 'vrrp' && p.src === IP.a && p.prio > 0 && p.t >= u0.wall && p.t < u1.wall).length;
    void vrid;
    return {
      seconds: secs,
      load: la0,
      master: { cpu: (100 * (u1.a.ns - u0.a.ns)) / 1e9 / secs, cpuTicks: (100 * (u1.a.ticks - u0.a.ticks)) / CLK_TCK / secs, rssMB: u1.a.rss / 2 ** 20, startPeakMB: startPeak.a.group, startPeakProcMB: startPeak.a.proc, maxProcRssMB: u1.a.maxRss / 2 ** 20, procs: u1.a.procs },
      backup: { cpu: (100 * (u1.b.ns - u0.b.ns)) / 1e9 / secs, cpuTicks: (100 * (u1.b.ticks - u0.b.ticks)) / CLK_TCK / secs, rssMB: u1.b.rss / 2 ** 20, startPeakMB: startPeak.b.group, startPeakProcMB: startPeak.b.proc, maxProcRssMB: u1.b.maxRss / 2 ** 20, procs: u1.b.procs },
      falseTakeovers,
      startupFalseTakeovers,
      falseTakeoverVrids: vridsHit.size,
      bAdverts,
      masterAdvertRate: aAdverts / (u1.wall - u0.wall),
    };
  } finally {
    peaks.stop();
    if (a) await stop(a, 'SIGTERM');
    if (b) await stop(b, 'SIGTERM');
    await stop(cap.proc, 'SIGTERM');
    flushVips('a');
    flushVips('b');
  }
}

// ---------------------------------------------------------------- statistics and report

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((x, y) => x - y);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const range = (xs) => {
  const s = xs.filter(Number.isFinite);
  return s.length ? [Math.min(...s), Math.max(...s)] : [NaN, NaN];
};
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const stat = (xs) => `${f1(median(xs))} (${range(xs).map(f1).join('–')})`;

/** keepalived's timers (RFC 5798 §6.1, keepalived's vrrp.c): skew = (256 − prio) × advert_int / 256. */
const skewMs = (advertInt, prio) => ((256 - prio) * advertInt * 1000) / 256;
const masterDownMs = (advertInt, prio) => 3 * advertInt * 1000 + skewMs(advertInt, prio);

async function main() {
  if (process.getuid?.() !== 0) throw new Error('run as root (network namespaces)');
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('build first: npm run build');
  const t0 = Date.now();
  const loadStart = loadavg();
  const mac = buildLab();
  log(`lab ${PREFIX}*, macs`, mac, `load ${loadStart.join(' ')}`);
  const modes = [
    { name: 'v2-1s', version: 2, advertInt: 1, reps: REPS_V2 },
    { name: 'v3-100ms', version: 3, advertInt: 0.1, reps: REPS_V3 },
  ];
  const takeover = {};
  for (const mode of modes) {
    takeover[mode.name] = { ours: [], keepalived: [] };
    for (let rep = 0; rep < mode.reps; rep++) {
      // Alternate which one goes first in each repetition so drift in the machine's load is shared.
      const order = rep % 2 === 0 ? ['ours', 'keepalived'] : ['keepalived', 'ours'];
      for (const impl of order) {
        try {
          const res = await takeoverPair(impl, mode, mac);
          takeover[mode.name][impl].push(res);
          log(`${mode.name} ${impl} rep ${rep + 1}: crash ${f1(res.crash.wire)} ms (GARP ${f1(res.crash.garp)}, client ${f1(res.crash.client)}), graceful ${f1(res.graceful.wire)} ms (GARP ${f1(res.graceful.garp)}, client ${f1(res.graceful.client)})`);
        } catch (e) {
          log(`${mode.name} ${impl} rep ${rep + 1} FAILED: ${e.message}`);
          takeover[mode.name][impl].push({ error: e.message });
        }
      }
    }
  }
  const resCases = [
    { name: '1 @ v3 0.1 s', instances: 1, advertInt: 0.1 },
    { name: '50 @ v3 0.1 s', instances: 50, advertInt: 0.1 },
    { name: '255 @ v3 0.1 s', instances: 255, advertInt: 0.1 },
    { name: '50 @ v3 10 ms', instances: 50, advertInt: 0.01, key: '50@10ms' },
  ].filter((c) => RES_ONLY === undefined || RES_ONLY.includes(c.key ?? String(c.instances)));
  const res = {};
  for (const [i, c] of resCases.entries()) {
    res[c.name] = {};
    for (const impl of i % 2 === 0 ? ['ours', 'keepalived'] : ['keepalived', 'ours']) {
      try {
        res[c.name][impl] = await resources(impl, c);
        const x = res[c.name][impl];
        log(`${c.name} ${impl}: master ${f2(x.master.cpu)} % (ticks ${f2(x.master.cpuTicks)} %) ${f1(x.master.rssMB)} MB (start peak ${f1(x.master.startPeakMB)}, one process ${f1(x.master.startPeakProcMB)}), backup ${f2(x.backup.cpu)} % (ticks ${f2(x.backup.cpuTicks)} %) ${f1(x.backup.rssMB)} MB (start peak ${f1(x.backup.startPeakMB)}, one process ${f1(x.backup.startPeakProcMB)}), false takeovers ${x.falseTakeovers} (at b's start ${x.startupFalseTakeovers}), load ${x.load.join(' ')}`);
      } catch (e) {
        log(`${c.name} ${impl} FAILED: ${e.message}`);
        res[c.name][impl] = { error: e.message };
      }
    }
  }
  const loadEnd = loadavg();

  // ---- report (Markdown on stdout)
  const out = [];
  out.push(`Run ${new Date(t0).toISOString().slice(0, 16)}Z, ${((Date.now() - t0) / 1000).toFixed(0)} s, load average ${loadStart.join(' ')} at start, ${loadEnd.join(' ')} at end; repetitions: v2 ${REPS_V2}, v3 ${REPS_V3} (pairs per implementation); resource window ${WINDOW_S} s, opened ${SETTLE_S} s after the backup started.`);
  out.push('');
  out.push('| takeover (ms, median (min–max)) | goal | ours on the wire | keepalived on the wire | ours, client | keepalived, client |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  const goals = [];
  for (const mode of modes) {
    const md = masterDownMs(mode.advertInt, PRIO.b);
    const sk = skewMs(mode.advertInt, PRIO.b);
    for (const kind of ['crash', 'graceful']) {
      const goal = kind === 'crash' ? md + 1 : sk + 1;
      const get = (impl, k) => takeover[mode.name][impl].filter((x) => !x.error).map((x) => x[kind][k]);
      const fails = (impl) => takeover[mode.name][impl].filter((x) => x.error).length;
      const fl = (impl) => (fails(impl) ? ` [${fails(impl)} failed]` : '');
      out.push(`| ${mode.name} ${kind === 'crash' ? 'crash (SIGKILL)' : 'graceful (SIGTERM)'} | ≤ ${f1(goal)} | ${stat(get('ours', 'wire'))}${fl('ours')} | ${stat(get('keepalived', 'wire'))}${fl('keepalived')} | ${stat(get('ours', 'client'))} | ${stat(get('keepalived', 'client'))} |`);
      const m = median(get('ours', 'wire'));
      goals.push(`${mode.name} ${kind}: median ${f1(m)} ms vs goal ≤ ${f1(goal)} ms (${kind === 'crash' ? 'master-down' : 'skew'} ${f1(kind === 'crash' ? md : sk)} + 1) — ${m <= goal ? 'MET' : 'NOT met'}`);
    }
  }
  out.push('');
  out.push('| resources (v3) | ours master CPU % / RSS MB (start peak) | keepalived master CPU % / RSS MB (start peak) | ours backup CPU % / RSS MB (start peak) | keepalived backup CPU % / RSS MB (start peak) | false takeovers in the window ours / keepalived | … while b starts, ours / keepalived | master adverts/s ours / keepalived (expected) | load (1 min) ours / keepalived |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const cell = (x, role) => (x && !x.error ? `${f2(x[role].cpu)} / ${f1(x[role].rssMB)} (${f1(x[role].startPeakMB)})` : `failed: ${x?.error ?? '?'}`);
  for (const c of resCases) {
    const o = res[c.name].ours;
    const k = res[c.name].keepalived;
    out.push(`| ${c.name} | ${cell(o, 'master')} | ${cell(k, 'master')} | ${cell(o, 'backup')} | ${cell(k, 'backup')} | ${o?.falseTakeovers ?? '?'} / ${k?.falseTakeovers ?? '?'} | ${o?.startupFalseTakeovers ?? '?'} / ${k?.startupFalseTakeovers ?? '?'} | ${f1(o?.masterAdvertRate)} / ${f1(k?.masterAdvertRate)} (${c.instances / c.advertInt}) | ${o?.load?.[0] ?? '?'} / ${k?.load?.[0] ?? '?'} |`);
    if (o && !o.error && k && !k.error) {
      for (const role of ['master', 'backup']) {
        goals.push(`CPU ${c.name} ${role}: ours ${f2(o[role].cpu)} % vs keepalived ${f2(k[role].cpu)} % — ${o[role].cpu <= k[role].cpu ? 'MET' : 'NOT met'}; RSS ours ${f1(o[role].rssMB)} MB (largest process ${f1(o[role].maxProcRssMB)} MB, ${o[role].procs} processes; ${f1(o[role].startPeakMB)} MB at most while starting) — ${o[role].rssMB <= 80 ? 'MET' : 'NOT met'} (≤ 80 MB for the whole group)`);
      }
    }
  }
  const t10 = res['50 @ v3 10 ms'];
  if (t10?.ours && !t10.ours.error) goals.push(`false takeovers at 10 ms: ours ${t10.ours.falseTakeovers} in the window + ${t10.ours.startupFalseTakeovers} while the backup started, keepalived ${t10.keepalived?.falseTakeovers ?? '?'} + ${t10.keepalived?.startupFalseTakeovers ?? '?'} — ${t10.ours.falseTakeovers + t10.ours.startupFalseTakeovers === 0 ? 'MET' : 'NOT met'}`);
  out.push('');
  out.push('Goals:');
  for (const g of goals) out.push(`- ${g}`);
  console.log(out.join('\n'));
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ loadStart, loadEnd, takeover, resources: res, goals }, null, 2));
}

main()
  .catch((e) => {
    log(`bench failed: ${e.stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
