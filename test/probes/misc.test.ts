import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { miscExitOutcome, miscProbe, MISC_KILL_GRACE_MS } from '../../src/adapters/probes/misc.js';
import type { Checker } from '../../src/config/types.js';
import { common, target } from '../helpers/lab-fixture.js';

// MISC_CHECK sends no traffic: these run the probe in the test process itself.
const dir = mkdtempSync(join(tmpdir(), 'kts-probes-misc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const misc = (argv: string[], over: Partial<Extract<Checker, { type: 'MISC_CHECK' }>> = {}): Checker => ({
  type: 'MISC_CHECK',
  miscPath: { argv },
  miscDynamic: false,
  ...common(),
  ...over,
});
const run = (c: Checker, extra = {}, signal = new AbortController().signal) => miscProbe(target('192.0.2.2', 80, c, extra), signal);
const sh = (script: string, ...args: string[]): string[] => ['/bin/sh', '-c', script, 'sh', ...args];

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}
async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 100 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 20));
  return readFileSync(path, 'utf8').trim();
}

describe('MISC_CHECK exit codes', () => {
  it('0 is up, 1 is down, other codes are down without misc_dynamic', async () => {
    expect(await run(misc(sh('exit 0')))).toMatchObject({ ok: true });
    expect(await run(misc(sh('exit 1')))).toMatchObject({ ok: false, reason: 'misc_path exited with status 1' });
    expect(await run(misc(sh('exit 7')))).toMatchObject({ ok: false });
  });

  it('misc_dynamic: 2..255 is up with weight = status - 2; 1 is still down', async () => {
    expect(await run(misc(sh('exit 12'), { miscDynamic: true }))).toMatchObject({ ok: true, weight: 10 });
    expect(await run(misc(sh('exit 255'), { miscDynamic: true }))).toMatchObject({ ok: true, weight: 253 });
    expect(await run(misc(sh('exit 2'), { miscDynamic: true }))).toMatchObject({ ok: true, weight: 0 });
    expect(await run(misc(sh('exit 1'), { miscDynamic: true }))).toMatchObject({ ok: false });
    expect((await run(misc(sh('exit 0'), { miscDynamic: true }))).weight).toBeUndefined();
  });

  it('the exit-status mapping on its own', () => {
    expect(miscExitOutcome(0, null, true)).toEqual({ ok: true });
    expect(miscExitOutcome(3, null, true)).toEqual({ ok: true, weight: 1 });
    expect(miscExitOutcome(null, 'SIGKILL', true)).toMatchObject({ ok: false });
  });

  it('runs argv without a shell: arguments reach the program verbatim', async () => {
    const weird = 'a b; exit 1 $(false) `false`';
    expect(await run(misc(sh('[ "$1" = "$2" ]', weird, weird)))).toMatchObject({ ok: true });
    expect(await run(misc(['/bin/test', weird, '=', weird]))).toMatchObject({ ok: true });
  });

  it('a program that does not exist is down, not a crash', async () => {
    const r = await run(misc(['/nonexistent/kts-check']));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/ENOENT/);
  });

  it('runs as the configured user', async () => {
    const nobody = misc(sh('[ "$(id -u)" = 65534 ]'), { miscPath: { argv: sh('[ "$(id -u)" = 65534 ]'), user: 'nobody' } });
    expect(await run(nobody)).toMatchObject({ ok: true });
    expect(await run(misc(sh('exit 0'), { miscPath: { argv: sh('exit 0'), user: 'no-such-user-kts' } }))).toMatchObject({
      ok: false,
      reason: 'unknown user no-such-user-kts',
    });
  });
});

describe('MISC_CHECK misc_timeout', () => {
  it('a hanging script is down at misc_timeout and its whole process group is killed', async () => {
    const pidFile = join(dir, 'hang.pid');
    const r = await run(misc(sh('sleep 30 & echo $! > "$1"; wait', pidFile), { miscTimeoutMs: 300 }));
    expect(r).toMatchObject({ ok: false, reason: 'misc_path timed out after 300 ms' });
    expect(r.durationMs).toBeGreaterThanOrEqual(290);
    expect(r.durationMs).toBeLessThan(1300);
    const grandchild = Number(await waitForFile(pidFile));
    for (let i = 0; i < 50 && running(grandchild); i++) await new Promise((res) => setTimeout(res, 20));
    expect(running(grandchild)).toBe(false);
  });

  it('members that ignore SIGTERM get SIGKILL after the grace period', async () => {
    const pidFile = join(dir, 'stubborn.pid');
    const r = await run(misc(sh('trap "" TERM; sleep 30 & echo $! > "$1"; wait', pidFile), { miscTimeoutMs: 200 }));
    expect(r.ok).toBe(false);
    const grandchild = Number(await waitForFile(pidFile));
    await new Promise((res) => setTimeout(res, 200));
    expect(running(grandchild)).toBe(true);
    await new Promise((res) => setTimeout(res, MISC_KILL_GRACE_MS + 300));
    expect(running(grandchild)).toBe(false);
  });

  it('without misc_timeout the timeout is delay_loop', async () => {
    const r = await run(misc(sh('sleep 30')), { delayLoopMs: 250 });
    expect(r).toMatchObject({ ok: false, reason: 'misc_path timed out after 250 ms' });
  });

  it('an abort ends the attempt and kills the script', async () => {
    const pidFile = join(dir, 'abort.pid');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const r = await run(misc(sh('echo $$ > "$1"; exec sleep 30', pidFile), { miscTimeoutMs: 5000 }), {}, ac.signal);
    expect(r).toMatchObject({ ok: false, reason: 'aborted' });
    const pid = Number(await waitForFile(pidFile));
    for (let i = 0; i < 50 && running(pid); i++) await new Promise((res) => setTimeout(res, 20));
    expect(running(pid)).toBe(false);
  });
});
