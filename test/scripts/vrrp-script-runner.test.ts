import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VrrpScript } from '../../src/config/types.js';
import { VrrpScriptRunner, trackedScripts, type ScriptChange } from '../../src/adapters/scripts/vrrp-script-runner.js';
import { ManualTimers, processGone, scriptDir, waitFor, writeScript } from './helpers.js';

const { dir, cleanup } = scriptDir('runner');
afterAll(cleanup);

function vrrpScript(argv: string[], extra: Partial<VrrpScript> = {}): VrrpScript {
  return {
    name: 'chk',
    script: { argv },
    intervalMs: 40,
    weight: 0,
    weightReverse: false,
    rise: 1,
    fall: 1,
    initFail: false,
    pos: { file: 'keepalived.conf', line: 1, column: 1 },
    ...extra,
  };
}

function harness(script: VrrpScript, opts: { enableScriptSecurity?: boolean; killGraceMs?: number } = {}) {
  const changes: ScriptChange[] = [];
  const logs: string[] = [];
  const runner = new VrrpScriptRunner(script, {
    onChange: (c) => changes.push(c),
    log: (l) => logs.push(l),
    globals: { enableScriptSecurity: opts.enableScriptSecurity ?? false },
    ...(opts.killGraceMs !== undefined ? { killGraceMs: opts.killGraceMs } : {}),
  });
  return { runner, changes, logs };
}

/** A script that exits with the next code of a list file each run, repeating the last one. */
const SEQUENCE = writeScript(
  dir,
  'sequence.sh',
  `f="$1"
c=$(head -n1 "$f")
if [ "$(wc -l < "$f")" -gt 1 ]; then tail -n +2 "$f" > "$f.tmp"; mv "$f.tmp" "$f"; fi
exit "$c"`,
);

describe('VrrpScriptRunner on real scripts', () => {
  it('turns exit codes into ok/failed changes through rise and fall, reporting only changes', async () => {
    const codes = join(dir, 'codes1');
    // rise 2, fall 2: good from the start; 0 (INIT → good, no report), 1, 0 (reset), 1, 1 → failed;
    // 0, 1 (reset), 0, 0 → ok again; stays 0.
    writeFileSync(codes, ['0', '1', '0', '1', '1', '0', '1', '0', '0'].join('\n') + '\n');
    const h = harness(vrrpScript([SEQUENCE, codes], { rise: 2, fall: 2, timeoutMs: 5000 }));
    h.runner.start();
    await waitFor(() => h.runner.runs >= 11, 8000, '11 runs');
    await h.runner.stop();
    expect(h.changes).toEqual([
      { name: 'chk', ok: false },
      { name: 'chk', ok: true },
    ]);
    expect(h.logs).toContain('Script `chk` now returning 1');
    expect(h.logs).toContain('VRRP_Script(chk) failed (exited with status 1)');
    expect(h.logs).toContain('VRRP_Script(chk) succeeded');
  });

  it('init_fail starts failed and needs rise successes', async () => {
    const codes = join(dir, 'codes2');
    writeFileSync(codes, '0\n');
    const h = harness(vrrpScript([SEQUENCE, codes], { rise: 3, initFail: true, timeoutMs: 5000 }));
    expect(h.runner.ok).toBe(false);
    h.runner.start();
    await waitFor(() => h.runner.runs >= 2, 5000);
    expect(h.changes).toEqual([]);
    await waitFor(() => h.changes.length === 1, 5000, 'the rise');
    await h.runner.stop();
    expect(h.runner.runs).toBeGreaterThanOrEqual(3);
    expect(h.changes).toEqual([{ name: 'chk', ok: true }]);
  });

  it('the first failure counts at once while INIT, even with fall 3', async () => {
    const h = harness(vrrpScript(['/bin/false'], { fall: 3, timeoutMs: 5000 }));
    h.runner.start();
    await waitFor(() => h.changes.length === 1, 5000);
    await h.runner.stop();
    expect(h.changes[0]).toEqual({ name: 'chk', ok: false });
  });

  it('on timeout kills the whole process group, the grandchild included, and counts a failure', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    // The grandchild ignores SIGTERM: only the SIGKILL to the group reaches it.
    const hang = writeScript(
      dir,
      'hang.sh',
      `( trap '' TERM; exec sleep 30 ) &
echo $! > "${pidFile}"
sleep 30`,
    );
    const h = harness(vrrpScript([hang], { intervalMs: 10_000, timeoutMs: 300 }), { killGraceMs: 300 });
    h.runner.start();
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 5000, 'the grandchild');
    const grandchild = Number(readFileSync(pidFile, 'utf8').trim());
    expect(processGone(grandchild)).toBe(false);
    await waitFor(() => h.changes.length === 1, 5000, 'the timeout');
    expect(h.changes[0]).toEqual({ name: 'chk', ok: false });
    await waitFor(() => processGone(grandchild), 3000, 'the grandchild to die');
    expect(h.logs.some((l) => l.includes('timed out after 300 ms - process group killed'))).toBe(true);
    expect(h.logs).toContain('VRRP_Script(chk) timed_out');
    await h.runner.stop();
  });

  it('does not start a second copy while one still runs', async () => {
    const slow = writeScript(dir, 'slow.sh', 'sleep 0.3');
    const h = harness(vrrpScript([slow], { intervalMs: 100, timeoutMs: 2000 }));
    h.runner.start();
    await waitFor(() => h.runner.runs >= 1, 5000);
    await h.runner.stop();
    expect(h.logs.some((l) => l === 'Track script chk is already running, expect idle - skipping run')).toBe(true);
    expect(h.changes).toEqual([]);
  });

  it('runs the script as its user (nobody)', async () => {
    const outDir = join(dir, 'out');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(outDir);
    chmodSync(outDir, 0o777);
    const out = join(outDir, 'id');
    const who = writeScript(dir, 'who.sh', `id -u > "${out}"; id -g >> "${out}"`);
    const h = harness({ ...vrrpScript([who]), script: { argv: [who], user: 'nobody' } });
    h.runner.start();
    await waitFor(() => h.runner.runs >= 1, 5000);
    await h.runner.stop();
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual(['65534', '65534']);
    expect(h.changes).toEqual([]);
  });

  it('global script_user applies when the script names no user', async () => {
    const outDir = join(dir, 'out-global');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(outDir);
    chmodSync(outDir, 0o777);
    const out = join(outDir, 'id');
    const who = writeScript(dir, 'who-global.sh', `id -u > "${out}"`);
    const runner = new VrrpScriptRunner(vrrpScript([who]), {
      onChange: () => {},
      log: () => {},
      globals: { enableScriptSecurity: true, scriptUser: { user: 'nobody' } },
    });
    runner.start();
    await waitFor(() => runner.runs >= 1, 5000);
    await runner.stop();
    expect(readFileSync(out, 'utf8').trim()).toBe('65534');
  });

  it('a script removed after start: each run fails with a log line, the runner goes on', async () => {
    const p = writeScript(dir, 'vanish.sh', 'exit 0');
    const h = harness(vrrpScript([p], { intervalMs: 60, timeoutMs: 2000 }));
    h.runner.start();
    await waitFor(() => h.runner.runs >= 1, 5000);
    const { unlinkSync } = await import('node:fs');
    unlinkSync(p);
    await waitFor(() => h.changes.length === 1, 5000, 'the failure');
    const runs = h.runner.runs;
    await waitFor(() => h.runner.runs >= runs + 2, 5000, 'more runs');
    await h.runner.stop();
    expect(h.changes).toEqual([{ name: 'chk', ok: false }]);
    expect(h.logs.some((l) => l.startsWith(`Track script chk: cannot run ${p}`) && l.includes('ENOENT'))).toBe(true);
  });

  it('a missing script: a clear log line, failed, never a crash', async () => {
    const h = harness(vrrpScript([join(dir, 'no-such-script.sh')]));
    h.runner.start();
    await waitFor(() => h.changes.length === 1, 2000);
    await h.runner.stop();
    expect(h.changes).toEqual([{ name: 'chk', ok: false }]);
    expect(h.runner.status).toBe('DISABLED');
    expect(h.logs.some((l) => l.startsWith('Disabling track script chk since not found/accessible') && l.includes('no-such-script.sh'))).toBe(true);
  });

  it('a script that is not executable: logged and failed', async () => {
    const p = writeScript(dir, 'noexec.sh', 'exit 0', 0o644);
    const h = harness(vrrpScript([p]));
    h.runner.start();
    await waitFor(() => h.changes.length === 1, 2000);
    await h.runner.stop();
    expect(h.changes).toEqual([{ name: 'chk', ok: false }]);
    expect(h.logs.some((l) => l.includes('since not executable') && l.includes(p))).toBe(true);
  });

  it('enable_script_security refuses a world-writable script run as root, and never runs it', async () => {
    const marker = join(dir, 'ran-insecure');
    const p = writeScript(dir, 'insecure.sh', `touch "${marker}"`, 0o777);
    chmodSync(p, 0o777);
    const h = harness(vrrpScript([p]), { enableScriptSecurity: true });
    h.runner.start();
    await waitFor(() => h.changes.length === 1, 2000);
    await new Promise((r) => setTimeout(r, 150));
    await h.runner.stop();
    expect(existsSync(marker)).toBe(false);
    expect(h.changes).toEqual([{ name: 'chk', ok: false }]);
    const line = h.logs.find((l) => l.startsWith('Disabling track script chk due to insecure'));
    expect(line).toContain(`script ${p} is world-writable`);
  });

  it('without enable_script_security the same script runs, with a SECURITY VIOLATION warning', async () => {
    const p = writeScript(dir, 'insecure-ok.sh', 'exit 0', 0o777);
    chmodSync(p, 0o777);
    const h = harness(vrrpScript([p]));
    h.runner.start();
    await waitFor(() => h.runner.runs >= 1, 2000);
    await h.runner.stop();
    expect(h.logs.some((l) => l.startsWith('SECURITY VIOLATION') && l.includes(p))).toBe(true);
    expect(h.changes).toEqual([]);
  });

  it('runs on the injected timers: first run at once, the next one interval later', async () => {
    const count = join(dir, 'count');
    const tick = writeScript(dir, 'tick.sh', `echo x >> "${count}"`);
    const timers = new ManualTimers();
    const runner = new VrrpScriptRunner(vrrpScript([tick], { intervalMs: 5000, timeoutMs: 4000 }), {
      onChange: () => {},
      log: () => {},
      timers,
    });
    runner.start();
    expect(timers.armed()).toEqual([0]);
    timers.advance(0);
    await waitFor(() => runner.runs === 1, 5000);
    // next run armed one interval after the first started; no timeout left armed
    expect(timers.armed()).toEqual([5000]);
    timers.advance(4999);
    await new Promise((r) => setTimeout(r, 100));
    expect(runner.runs).toBe(1);
    timers.advance(1);
    await waitFor(() => runner.runs === 2, 5000);
    await runner.stop();
    expect(timers.armed()).toEqual([]);
    expect(readFileSync(count, 'utf8')).toBe('x\nx\n');
  });

  it('runs only the scripts something tracks', () => {
    const a = vrrpScript(['/bin/true'], { name: 'a' });
    const b = vrrpScript(['/bin/true'], { name: 'b' });
    const c = vrrpScript(['/bin/true'], { name: 'c' });
    const used = trackedScripts({
      vrrpScripts: [a, b, c],
      vrrpInstances: [{ trackScript: [{ name: 'a' }] }],
      vrrpSyncGroups: [{ trackScript: [{ name: 'c' }] }],
    });
    expect(used.map((s) => s.name)).toEqual(['a', 'c']);
  });
});
