/**
 * IPVS on a real kernel, from the host's test run: boots the throwaway VM (scripts/ipvs-vm/) and
 * runs test/ipvs-vm/*.vmtest.ts inside it. This host's kernel has no IPVS, so this is the only place
 * the netlink adapter meets a real one. If the VM cannot start, this fails: it is never skipped.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';

function run(cmd: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
}

describe('IPVS in a VM with Debian’s kernel', () => {
  it('every VM test passes: the table ipvsadm -Ln shows is the configuration, reconcile, effects, errors, timeouts, sync daemon, flush, LVS-NAT traffic, health checks driving it', async () => {
    const { code, out } = await run('scripts/ipvs-vm/test.sh', { KTS_VM_TIMEOUT: '330' });
    const summary = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)];
    // Show the VM's report when anything is off.
    if (code !== 0 || summary.length === 0) console.log(out);
    expect(code).toBe(0);
    expect(summary.length).toBeGreaterThan(0);
    for (const m of summary) expect(m[2]).toBe('0');
    expect(summary.reduce((n, m) => n + Number(m[1]), 0)).toBeGreaterThanOrEqual(25);
  }, 360_000);
});
