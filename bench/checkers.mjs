#!/usr/bin/env node
/**
 * Checker bench (issue 6, first item): 2,000 real servers — 1,000 TCP_CHECK + 1,000 HTTP_GET — at
 * delay_loop 1 s against local servers on loopback; CPU and RSS of our checker side.
 *
 *   npm run build && node bench/checkers.mjs [--reps N] [--warmup S] [--window S] [--json FILE] [--profile DIR [--heap]]
 *
 * Servers: two child node processes on 127.0.0.1 — one with 1,000 plain TCP listeners
 * (ports 20000–20999), one with 1,000 HTTP servers (ports 21000–21999) answering 200. Each prints,
 * once a second, how many connections it accepted: that tells us the checks really run (≈ 1,000/s
 * each), so a low CPU figure cannot come from checks that silently never happen.
 *
 * The daemon runs as it would in production, checker side only:
 *   node bin/keepalived-ts.js -C -n -l -f CONF --log-dir DIR (pid files in the temp dir)
 * The host kernel has no IPVS, so the checker side uses the recording twin by itself.
 * Sampled from /proc: the checker child (pid from its pid file) and the whole process group
 * (parent + child), utime+stime over the window, RSS at the end of the window.
 *
 * Everything we start is in its own process group (detached) and killed by pgid on every exit path;
 * the temp dir is removed (unless --keep-tmp).
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const REPS = Number(opt('--reps', '3'));
const WARMUP_S = Number(opt('--warmup', '10'));
const WINDOW_S = Number(opt('--window', '30'));
const JSON_OUT = opt('--json', undefined);
const KEEP = args.includes('--keep-tmp');
/** --profile DIR: the daemon's processes write a V8 CPU profile of the window there (bench/lib/cpu-profile.mjs). */
const PROFILE_DIR = opt('--profile', undefined);
const N_TCP = 1000;
const N_HTTP = 1000;
const TCP_BASE = 20000;
const HTTP_BASE = 21000;
const GOAL_PCT = 20;

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const PAGE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;
const dir = mkdtempSync(join(tmpdir(), 'kts-bench-chk-'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);

// ---------------------------------------------------------------- processes and cleanup

const groups = new Set();
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
  if (!KEEP) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

/** Start argv in a process group of its own; stdout piped (servers) or to a file. */
function start(argv, outName, pipeOut = false, env = process.env) {
  const fd = openSync(join(dir, outName), 'a');
  const proc = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', pipeOut ? 'pipe' : fd, fd], cwd: ROOT, env });
  closeSync(fd);
  groups.add(proc.pid);
  const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  proc.once('exit', () => groups.delete(proc.pid));
  return { pid: proc.pid, proc, exited, name: outName };
}

async function stop(p, graceMs = 5000) {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  try {
    process.kill(p.pid, 'SIGTERM');
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
}

// ---------------------------------------------------------------- the servers

/** One process, `n` listeners from `base`; prints accepted connections per second. */
const serverSource = (kind, base, n) => `
const net = require('node:net'), http = require('node:http');
let accepted = 0, listening = 0;
for (let i = 0; i < ${n}; i++) {
  const srv = ${kind === 'http'
    ? `http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok\\n'); })`
    : `net.createServer((s) => { s.on('error', () => {}); s.end(); })`};
  srv.on('connection', () => accepted++);
  srv.on('error', (e) => { console.error('listen ${kind} ' + (${base} + i) + ': ' + e.message); process.exit(1); });
  srv.listen(${base} + i, '127.0.0.1', () => { if (++listening === ${n}) console.log('ready'); });
}
setInterval(() => { console.log('accepted ' + accepted); accepted = 0; }, 1000);
`;

function startServer(kind, base, n) {
  const p = start([process.execPath, '-e', serverSource(kind, base, n)], `server-${kind}.err`, true);
  p.perSecond = [];
  p.ready = new Promise((resolve, reject) => {
    let buf = '';
    p.proc.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'ready') resolve();
        else if (line.startsWith('accepted ')) p.perSecond.push(Number(line.slice(9)));
      }
    });
    p.exited.then(() => reject(new Error(`${kind} server exited: ${readFileSync(join(dir, `server-${kind}.err`), 'utf8')}`)));
  });
  return p;
}

// ---------------------------------------------------------------- the config

function configText() {
  const out = ['global_defs {', '  router_id kts_bench_checkers', '}', ''];
  const vs = (port, first, n, check) => {
    out.push(`virtual_server 127.0.0.1 ${port} {`, '  delay_loop 1', '  lb_algo rr', '  lb_kind NAT', '  protocol TCP', '');
    for (let i = 0; i < n; i++) {
      out.push(`  real_server 127.0.0.1 ${first + i} {`, '    weight 1', `    ${check}`, '  }');
    }
    out.push('}', '');
  };
  vs(80, TCP_BASE, N_TCP, 'TCP_CHECK {\n      connect_timeout 3\n    }');
  vs(8080, HTTP_BASE, N_HTTP, 'HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n      connect_timeout 3\n    }');
  return out.join('\n');
}

// ---------------------------------------------------------------- /proc sampling

/** utime+stime (ticks), RSS (bytes), pgrp of one pid; undefined when gone. */
function procStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces/parens: fields start after the last ')'.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { pgrp: Number(f[2]), ticks: Number(f[11]) + Number(f[12]), rss: Number(f[21]) * PAGE };
  } catch {
    return undefined;
  }
}

/** Per pid of the group: ticks and RSS. */
function groupStat(pgid) {
  const out = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && st.pgrp === pgid) out.set(Number(name), st);
  }
  return out;
}

async function readPid(file, timeoutMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid > 0) return pid;
    }
    await sleep(100);
  }
  throw new Error(`no pid in ${file} after ${timeoutMs} ms`);
}

// ---------------------------------------------------------------- one rep

async function rep(i, conf, tcpSrv, httpSrv) {
  const logDir = join(dir, `log-${i}`);
  const checkersPid = join(dir, `checkers-${i}.pid`);
  const argv = [
    process.execPath, join(ROOT, 'bin/keepalived-ts.js'), '-C', '-n', '-l', '-f', conf, '--log-dir', logDir,
    '-p', join(dir, `main-${i}.pid`), '-r', join(dir, `vrrp-${i}.pid`), '-c', checkersPid,
  ];
  const env = PROFILE_DIR
    ? {
        ...process.env,
        NODE_OPTIONS: `--import ${join(ROOT, 'bench/lib/cpu-profile.mjs')}`,
        KTS_PROF_DIR: PROFILE_DIR,
        KTS_PROF_DELAY_MS: String(WARMUP_S * 1000),
        KTS_PROF_MS: String(WINDOW_S * 1000),
        ...(args.includes('--heap') ? { KTS_PROF_KIND: 'heap' } : {}),
      }
    : process.env;
  const d = start(argv, `daemon-${i}.out`, false, env);
  try {
    const childPid = await readPid(checkersPid, 15000);
    log(`rep ${i + 1}: daemon pid ${d.pid}, checker child ${childPid}; warm-up ${WARMUP_S} s`);
    await sleep(WARMUP_S * 1000);
    if (d.proc.exitCode !== null) throw new Error(`daemon exited early (see ${d.name})`);
    const load0 = loadavg();
    const c0 = procStat(childPid);
    const g0 = groupStat(d.pid);
    const tcp0 = tcpSrv.perSecond.length;
    const http0 = httpSrv.perSecond.length;
    const t0 = process.hrtime.bigint();
    await sleep(WINDOW_S * 1000);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const c1 = procStat(childPid);
    const g1 = groupStat(d.pid);
    const load1 = loadavg();
    if (!c0 || !c1) throw new Error('checker child disappeared during the window');
    let gTicks = 0;
    let gRss = 0;
    for (const [pid, st] of g1) {
      gTicks += st.ticks - (g0.get(pid)?.ticks ?? 0);
      gRss += st.rss;
    }
    const mean = (a) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);
    // Drop the first second of the window: it straddles the window's start.
    const tcpRate = mean(tcpSrv.perSecond.slice(tcp0 + 1));
    const httpRate = mean(httpSrv.perSecond.slice(http0 + 1));
    const r = {
      childCpuPct: (100 * (c1.ticks - c0.ticks)) / CLK_TCK / secs,
      groupCpuPct: (100 * gTicks) / CLK_TCK / secs,
      childRssMB: c1.rss / 1048576,
      groupRssMB: gRss / 1048576,
      processes: g1.size,
      tcpConnPerS: tcpRate,
      httpConnPerS: httpRate,
      load: [load0, load1],
      windowS: secs,
    };
    log(
      `rep ${i + 1}: checker child ${r.childCpuPct.toFixed(1)} % CPU, ${r.childRssMB.toFixed(0)} MB; ` +
        `group (${r.processes} procs) ${r.groupCpuPct.toFixed(1)} %, ${r.groupRssMB.toFixed(0)} MB; ` +
        `conn/s tcp ${tcpRate.toFixed(0)} http ${httpRate.toFixed(0)}; load ${load0.join(' ')} → ${load1.join(' ')}`,
    );
    return r;
  } finally {
    await stop(d);
  }
}

// ---------------------------------------------------------------- main

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ missing: run `npm run build` first');
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, configText());
  log(`config: ${conf} (2 virtual servers × 1,000 real servers, delay_loop 1); temp dir ${dir}`);
  const tcpSrv = startServer('tcp', TCP_BASE, N_TCP);
  const httpSrv = startServer('http', HTTP_BASE, N_HTTP);
  await Promise.all([tcpSrv.ready, httpSrv.ready]);
  log('servers ready');
  const idleLoad = loadavg();
  const reps = [];
  for (let i = 0; i < REPS; i++) {
    reps.push(await rep(i, conf, tcpSrv, httpSrv));
    await sleep(2000);
  }
  const keys = ['childCpuPct', 'groupCpuPct', 'childRssMB', 'groupRssMB', 'tcpConnPerS', 'httpConnPerS'];
  const summary = {};
  for (const k of keys) {
    const v = reps.map((r) => r[k]);
    summary[k] = { median: median(v), min: Math.min(...v), max: Math.max(...v) };
  }
  const goalMet = summary.childCpuPct.median <= GOAL_PCT;
  const fmt = (k, unit, d = 1) =>
    `${summary[k].median.toFixed(d)} ${unit} (${summary[k].min.toFixed(d)}–${summary[k].max.toFixed(d)})`;
  console.log(`Checkers bench: ${N_TCP} TCP_CHECK + ${N_HTTP} HTTP_GET at delay_loop 1 s, ${REPS} reps × ${WINDOW_S} s after ${WARMUP_S} s warm-up`);
  console.log(`  node ${process.version}, CLK_TCK ${CLK_TCK}, load before ${idleLoad.join(' ')}`);
  console.log(`  checker child CPU : ${fmt('childCpuPct', '%')}   (goal ≤ ${GOAL_PCT} % of one core: ${goalMet ? 'MET' : 'NOT MET'})`);
  console.log(`  process group CPU : ${fmt('groupCpuPct', '%')}`);
  console.log(`  checker child RSS : ${fmt('childRssMB', 'MB', 0)}`);
  console.log(`  process group RSS : ${fmt('groupRssMB', 'MB', 0)}`);
  console.log(`  server conn/s     : tcp ${fmt('tcpConnPerS', '', 0)}, http ${fmt('httpConnPerS', '', 0)}`);
  console.log(`  load (start→end of each window): ${reps.map((r) => `${r.load[0][0]}→${r.load[1][0]}`).join(', ')}`);
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ reps, summary, goalMet, idleLoad, node: process.version }, null, 2));
  await Promise.all([stop(tcpSrv), stop(httpSrv)]);
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(cleanup);
