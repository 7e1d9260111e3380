/**
 * `keepalived-ts demo` end to end, as root: it must build its lab, elect lb1, survive lb1's crash
 * with lb2 answering the client on the VIP, print the timeline, exit 0 and leave no namespace.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './daemons.js';

let demo: ChildProcess | undefined;

afterAll(async () => {
  // A failed or timed-out run is interrupted: the demo's own SIGINT handler removes its lab.
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    demo.kill('SIGINT');
    await new Promise((r) => demo!.once('exit', r));
  }
});

describe('keepalived-ts demo', () => {
  it('shows the election, the takeover after SIGKILL and the client answered by the backup, then cleans up (exit 0)', async () => {
    demo = spawn('node', ['--import', 'tsx', join(ROOT, 'test/daemon/demo-entry.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    demo.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    demo.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((r) => demo!.once('exit', (c) => r(c)));
    expect(code, `stdout:\n${out}\nstderr:\n${err}`).toBe(0);
    expect(out).toContain('lb1: (VI_1) Entering MASTER STATE');
    expect(out).toContain('lb2: (VI_1) Entering BACKUP STATE');
    expect(out).toContain('client: curl http://192.0.2.100/ -> served by lb1');
    expect(out).toMatch(/lb2: \(VI_1\) Entering MASTER STATE +\(\d+ ms after the kill\)/);
    expect(out).toContain('client: curl http://192.0.2.100/ -> served by lb2   (answered by the backup)');
    // The timeline names the takeover and its cause.
    expect(out).toMatch(/lb2 +VI_1 +BACKUP -> MASTER/);
    expect(out).toContain('cleaned up: 4 namespaces deleted');
    const prefix = /prefix (kts-demo-\d+-)/.exec(out)?.[1];
    expect(prefix).toBeDefined();
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(prefix!);
  });
});
