#!/usr/bin/env node
// Config check benchmark (run on the built dist/: `npm run bench:config`).
//
// Generates 1,000 virtual servers x 3 real servers with HTTP_GET (43,000 lines) into a temp file and
// measures, in one run, several repetitions each (median and range):
//   1. in-process loadConfigText (parse + build + validate), goal <= 50 ms;
//   2. `node bin/keepalived-ts.js -t -f FILE` as a whole process;
//   3. `keepalived -t -f FILE` (the real one, Debian package), when installed; goal for 2: <= 2x of 3.
// Usage: node bench/config-parse.mjs [--reps N] [--json]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { bigConfigText } from './lib/big-config.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const reps = Number(args[args.indexOf('--reps') + 1]) || 9;
const asJson = args.includes('--json');


function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], n: s.length };
}

/** CPU time of reaped children (user + system), from /proc/self/stat (Linux, 10 ms ticks). */
function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: index 13 = cutime, 14 = cstime (proc(5) fields 16 and 17).
    return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

// Wall time on a shared machine counts the waits for a CPU; CPU time is reported beside it.
function timeProcess(cmd, argv) {
  const c0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  return { ms: performance.now() - t0, cpuMs: childrenCpuMs() - c0, status: r.status, stderr: r.stderr ?? '', error: r.error };
}

/** Which code bin/keepalived-ts.js runs: the single-file bundle when it is newer than dist/ (see the launcher). */
function launcherRuns() {
  const bundle = join(ROOT, 'dist/cli/main.bundle.js');
  if (!existsSync(bundle)) return 'dist/ (no bundle)';
  const t = statSync(bundle).mtimeMs;
  for (const d of ['dist/cli', 'dist/config']) {
    for (const f of readdirSync(join(ROOT, d))) {
      if (f.endsWith('.js') && f !== 'main.bundle.js' && statSync(join(ROOT, d, f)).mtimeMs > t) return 'dist/ (bundle older)';
    }
  }
  return 'dist/cli/main.bundle.js';
}

const dir = mkdtempSync(join(tmpdir(), 'kts-bench-config-'));
try {
  const text = bigConfigText();
  const file = join(dir, 'big.conf');
  writeFileSync(file, text);
  const lines = text.split('\n').length - 1;

  const { loadConfigText } = await import(join(ROOT, 'dist/config/load.js'));
  // Warm-up (JIT), then measured repetitions.
  let res = loadConfigText(text, file);
  if (!res.config) throw new Error(`generated config has errors: ${res.diagnostics[0]?.message}`);
  const inProc = [];
  const inProcCpu = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    res = loadConfigText(text, file);
    inProc.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    inProcCpu.push((c.user + c.system) / 1000);
  }

  const ours = [];
  const oursCpu = [];
  let oursStatus;
  for (let i = 0; i < reps; i++) {
    const r = timeProcess(process.execPath, [join(ROOT, 'bin/keepalived-ts.js'), '-t', '-f', file]);
    ours.push(r.ms);
    oursCpu.push(r.cpuMs);
    oursStatus = r.status;
  }

  const real = [];
  const realCpu = [];
  let realStatus;
  let realNote = '';
  const kaPath = ['/usr/sbin/keepalived', '/usr/local/sbin/keepalived'].find((p) => existsSync(p));
  if (kaPath) {
    for (let i = 0; i < reps; i++) {
      const r = timeProcess(kaPath, ['-t', '-f', file]);
      if (r.error) {
        realNote = String(r.error);
        break;
      }
      real.push(r.ms);
      realCpu.push(r.cpuMs);
      realStatus = r.status;
      realNote = r.stderr.split('\n').filter(Boolean).slice(0, 2).join(' | ');
    }
  } else realNote = 'keepalived not installed';

  const result = {
    node: process.version,
    lines,
    virtualServers: res.config.virtualServers.length,
    realServers: res.config.virtualServers.reduce((n, v) => n + v.realServers.length, 0),
    loadavg: (await import('node:os')).loadavg()[0],
    inProcessMs: stats(inProc),
    inProcessCpuMs: stats(inProcCpu),
    keepalivedTsRuns: launcherRuns(),
    keepalivedTsProcessMs: { ...stats(ours), exit: oursStatus },
    keepalivedTsProcessCpuMs: stats(oursCpu),
    keepalivedProcessMs: real.length ? { ...stats(real), exit: realStatus, note: realNote } : { note: realNote },
    keepalivedProcessCpuMs: real.length ? stats(realCpu) : undefined,
  };
  if (asJson) console.log(JSON.stringify(result, null, 2));
  else {
    const f = (s) => `${s.median.toFixed(1)} ms (range ${s.min.toFixed(1)}-${s.max.toFixed(1)}, n=${s.n})`;
    console.log(`config: ${lines} lines, ${result.virtualServers} virtual servers, ${result.realServers} real servers`);
    console.log(`load average (1 min): ${result.loadavg.toFixed(1)} on ${(await import('node:os')).cpus().length} CPUs`);
    console.log(`in-process loadConfigText:          wall ${f(result.inProcessMs)}; CPU ${f(result.inProcessCpuMs)}`);
    console.log(`keepalived-ts -t -f (whole process): wall ${f(result.keepalivedTsProcessMs)}; CPU ${f(result.keepalivedTsProcessCpuMs)}; exit ${oursStatus}; runs ${result.keepalivedTsRuns}`);
    if (real.length) {
      console.log(`keepalived -t -f (whole process):    wall ${f(result.keepalivedProcessMs)}; CPU ${f(result.keepalivedProcessCpuMs)}; exit ${realStatus}${realNote ? ` (${realNote})` : ''}`);
      console.log(`ratio keepalived-ts / keepalived:    wall ${(result.keepalivedTsProcessMs.median / result.keepalivedProcessMs.median).toFixed(2)}x, CPU ${(result.keepalivedTsProcessCpuMs.median / result.keepalivedProcessCpuMs.median).toFixed(2)}x`);
    } else console.log(`keepalived: ${realNote}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
