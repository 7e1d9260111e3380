/**
 * keepalived-ts and the real keepalived (2.2.7, Debian package) in one VRRP group, on a bridge in
 * network namespaces: keepalived in host 0 (192.0.2.1), our daemon in host 1 (192.0.2.2).
 * v3 at 0.25 s adverts: election, our master SIGKILLed (whole process group) → keepalived takes
 * over and holds the VIP; ours restarted with the higher priority preempts back; ours stopped
 * (SIGTERM) → keepalived takes over; ours restarted below keepalived, keepalived stopped gracefully
 * → ours takes over after its skew time. v2 at 1 s: keepalived master, ours takes over on its
 * graceful stop (skew time, not the 3.6 s master-down interval). The VIP is checked with `ip addr` each time; our event log then replays with
 * `replay --verify` giving 0 divergences and the timeline names each takeover's cause.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type NetnsLab } from '../helpers/netns.js';
import { hasVip, startDaemon, waitFor, type RunningDaemon } from './daemons.js';
import { count, instanceConf, replay, startKeepalived, verifyLines } from './interop-lab.js';

const VIP = '192.0.2.100';
let lab: NetnsLab;
let dir: string;
let nsK: string;
let nsO: string;
let ka: RunningDaemon | undefined;
let ours: RunningDaemon | undefined;

const kill = async (d: RunningDaemon | undefined, sig: NodeJS.Signals, group = false): Promise<void> => {
  if (!d || d.proc.exitCode !== null || d.proc.signalCode !== null) return;
  try {
    process.kill(group ? -d.proc.pid! : d.proc.pid!, sig);
  } catch {
    return;
  }
  await d.exited;
};

beforeAll(() => {
  lab = createLab(2, { tag: 'i19' });
  nsK = lab.hosts[0]!.ns;
  nsO = lab.hosts[1]!.ns;
  dir = mkdtempSync(join(tmpdir(), 'kts-i19-'));
});

afterAll(async () => {
  // Every process we started, by pid (whole group), then the namespaces.
  await kill(ours, 'SIGKILL', true);
  await kill(ka, 'SIGKILL', true);
  lab?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('interop with keepalived 2.2.7, v3 at 0.25 s adverts', () => {
  const kaConf = (): string => join(dir, 'ka.conf');
  const ourConf = (priority: number): string => {
    const f = join(dir, `ours-${priority}.conf`);
    writeFileSync(f, instanceConf({ routerId: 'kts-ours', priority, vips: [`${VIP}/24`], advertInt: 0.25 }));
    return f;
  };

  it('election: ours (150) becomes MASTER with the VIP, keepalived (100) stays BACKUP without it', async () => {
    writeFileSync(kaConf(), instanceConf({ routerId: 'ka', priority: 100, vips: [`${VIP}/24`], advertInt: 0.25 }));
    ka = startKeepalived(lab, nsK, 'ka', kaConf(), dir);
    ours = startDaemon(lab, nsO, 'ours', ourConf(150), dir);
    await waitFor('ours MASTER with the VIP', () => ours!.output().includes('(VI_1) Entering MASTER STATE') && hasVip(lab, nsO, VIP));
    await waitFor('keepalived BACKUP', () => ka!.output().includes('(VI_1) Entering BACKUP STATE'));
    await waitFor('keepalived BACKUP without the VIP', () => ka!.output().lastIndexOf('Entering BACKUP STATE') > ka!.output().lastIndexOf('Entering MASTER STATE') && !hasVip(lab, nsK, VIP));
    // It stays so: keepalived accepts our adverts (a master-down interval is 0.85 s).
    await new Promise((r) => setTimeout(r, 1200));
    expect(hasVip(lab, nsK, VIP)).toBe(false);
    expect(hasVip(lab, nsO, VIP)).toBe(true);
  });

  it('ours SIGKILLed (whole process group): keepalived becomes MASTER and holds the VIP', async () => {
    const before = count(ka!.output(), '(VI_1) Entering MASTER STATE');
    await kill(ours, 'SIGKILL', true);
    await waitFor('keepalived MASTER with the VIP', () => count(ka!.output(), '(VI_1) Entering MASTER STATE') > before && hasVip(lab, nsK, VIP));
  });

  it('ours restarted with the higher priority preempts back: the VIP moves to ours and leaves keepalived', async () => {
    const backups = count(ka!.output(), '(VI_1) Entering BACKUP STATE');
    ours = startDaemon(lab, nsO, 'ours', ourConf(150), dir);
    await waitFor('ours MASTER with the VIP', () => ours!.output().includes('(VI_1) Entering MASTER STATE') && hasVip(lab, nsO, VIP));
    await waitFor('keepalived BACKUP without the VIP', () => count(ka!.output(), '(VI_1) Entering BACKUP STATE') > backups && !hasVip(lab, nsK, VIP));
  });

  it('ours stopped gracefully (SIGTERM): keepalived takes over at once and holds the VIP', async () => {
    const before = count(ka!.output(), '(VI_1) Entering MASTER STATE');
    const t0 = Date.now();
    await kill(ours, 'SIGTERM');
    expect(hasVip(lab, nsO, VIP)).toBe(false);
    await waitFor('keepalived MASTER with the VIP', () => count(ka!.output(), '(VI_1) Entering MASTER STATE') > before && hasVip(lab, nsK, VIP), 5000);
    // keepalived's skew time at priority 100 is 0.152 s; without the priority-0 advert it would wait 0.902 s + process exit.
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('ours restarted below keepalived stays BACKUP; keepalived stopped gracefully → ours takes over after its skew time', async () => {
    ours = startDaemon(lab, nsO, 'ours', ourConf(50), dir);
    await waitFor('ours BACKUP', () => ours!.output().includes('(VI_1) Entering BACKUP STATE'));
    await new Promise((r) => setTimeout(r, 1200));
    expect(ours.output()).not.toContain('Entering MASTER STATE');
    expect(hasVip(lab, nsK, VIP)).toBe(true);
    const t0 = Date.now();
    await kill(ka, 'SIGTERM');
    expect(ka!.output()).toMatch(/\(VI_1\) sent 0 priority|Stopped/);
    await waitFor('ours MASTER with the VIP', () => ours!.output().includes('(VI_1) Entering MASTER STATE') && hasVip(lab, nsO, VIP), 5000);
    expect(hasVip(lab, nsK, VIP)).toBe(false);
    // skew time at priority 50 is 0.201 s; a master-down wait would be 0.951 s after keepalived's last advert.
    expect(Date.now() - t0).toBeLessThan(2000);
    await kill(ours, 'SIGTERM');
  });

  it('our event log replays: --verify gives 0 divergences, and the timeline names each takeover\'s cause', async () => {
    const logs = [join(dir, 'log-ours')];
    const v = await verifyLines(logs);
    expect(v.err).toBe('');
    expect(v.code).toBe(0);
    expect(v.lines).toHaveLength(1);
    expect(v.lines[0]).toMatch(/ 0 divergence\(s\)$/);
    const t = await replay(logs);
    expect(t.code).toBe(0);
    // The last takeover: keepalived's priority-0 advert on its graceful stop.
    expect(t.out).toMatch(/kts-ours +VI_1 +BACKUP -> MASTER +master 192\.0\.2\.1 stopped \(priority-0 advert\)/);
    // The first election and the preemption back after the restart: ours took the group from keepalived.
    expect(count(t.out, /kts-ours +VI_1 +BACKUP -> MASTER +preempting 192\.0\.2\.1: priority 100 < ours 150/)).toBe(2);
    // The graceful stop is on record too.
    expect(t.out).toMatch(/kts-ours +VI_1 +MASTER -> STOP +stopped \(priority-0 advert sent if master\)/);
  });
});

describe('interop with keepalived 2.2.7, v2 at 1 s adverts', () => {
  it('keepalived (150) MASTER, ours (100) BACKUP; keepalived stopped gracefully → ours takes over after skew time, not master-down', async () => {
    const kaConf = join(dir, 'ka2.conf');
    const oConf = join(dir, 'ours2.conf');
    writeFileSync(kaConf, instanceConf({ routerId: 'ka2', priority: 150, vips: [`${VIP}/24`], advertInt: 1, version: 2 }));
    writeFileSync(oConf, instanceConf({ routerId: 'kts-ours2', priority: 100, vips: [`${VIP}/24`], advertInt: 1, version: 2 }));
    ka = startKeepalived(lab, nsK, 'ka2', kaConf, dir);
    ours = startDaemon(lab, nsO, 'ours2', oConf, dir);
    await waitFor('keepalived MASTER with the VIP', () => ka!.output().includes('(VI_1) Entering MASTER STATE') && hasVip(lab, nsK, VIP), 10_000);
    await waitFor('ours BACKUP', () => ours!.output().includes('(VI_1) Entering BACKUP STATE'));
    // One more advert accepted: ours stays BACKUP.
    await new Promise((r) => setTimeout(r, 1100));
    expect(ours.output()).not.toContain('Entering MASTER STATE');
    const t0 = Date.now();
    await kill(ka, 'SIGTERM');
    await waitFor('ours MASTER with the VIP', () => ours!.output().includes('(VI_1) Entering MASTER STATE') && hasVip(lab, nsO, VIP), 5000);
    // skew time at priority 100, v2 1 s: 0.609 s; the master-down interval would be 3.609 s.
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(hasVip(lab, nsK, VIP)).toBe(false);
    await kill(ours, 'SIGTERM');
    const logs = [join(dir, 'log-ours2')];
    const v = await verifyLines(logs);
    expect(v.code).toBe(0);
    expect(v.lines).toHaveLength(1);
    expect(v.lines[0]).toMatch(/ 0 divergence\(s\)$/);
    const t = await replay(logs);
    expect(t.out).toMatch(/kts-ours2 +VI_1 +BACKUP -> MASTER +master 192\.0\.2\.1 stopped \(priority-0 advert\)/);
  });
});
