/**
 * Two keepalived-ts daemons on a bridge in network namespaces (v3, 250 ms adverts: calm enough on a loaded 2-core CI host): election,
 * takeover after the master's whole process group is SIGKILLed, a restart that clears the VIP its
 * crash left and preempts back, a SIGTERM handover, a SIGHUP with a bad configuration, and a
 * killed VRRP child that the watchdog restarts, a good SIGHUP that adds an instance without touching
 * the other, SIGUSR1's data dump and SIGUSR2's stats, and a notify script run on MASTER. The VIP is checked with `ip addr` each time.
 */
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type NetnsLab } from '../helpers/netns.js';
import { dumpFiles } from '../../src/daemon/vrrp-process.js';
import { count, hasVip, startDaemon, threadNices, vrrpConf, waitFor, type RunningDaemon } from './daemons.js';
import { main as replayMain } from '../../src/cli/replay.js';

// SIGUSR1/SIGUSR2 files of this file's daemons go to a directory of their own (the daemons inherit it).
process.env.KEEPALIVED_TS_DUMP_DIR = mkdtempSync(join(tmpdir(), 'kts-dump-'));
const { data: DATA_DUMP_FILE, stats: STATS_FILE, json: STATUS_JSON_FILE } = dumpFiles();


const VIP = '192.0.2.100';
const VIP2 = '192.0.2.101';
let lab: NetnsLab;
let dir: string;
let nsA: string;
let nsB: string;
let a: RunningDaemon;
let b: RunningDaemon;
/** a's notify script appends its arguments here (keepalived's notify: TYPE NAME STATE PRIORITY). */
let notifyOut: string;
const aConf = (): string => vrrpConf('lb-a', 150, VIP, `  notify ${join(dir, 'notify.sh')}\n`);

beforeAll(() => {
  lab = createLab(2, { tag: 'dmn' });
  nsA = lab.hosts[0]!.ns;
  nsB = lab.hosts[1]!.ns;
  dir = mkdtempSync(join(tmpdir(), 'kts-daemon-test-'));
  notifyOut = join(dir, 'notify.out');
  // It also says whether MALLOC_ARENA_MAX reached it (the watchdog sets it for its children only).
  writeFileSync(join(dir, 'notify.sh'), `#!/bin/sh\necho "$@" "arena=\${MALLOC_ARENA_MAX:-unset}" >> ${notifyOut}\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'a.conf'), aConf());
  writeFileSync(join(dir, 'b.conf'), vrrpConf('lb-b', 100, VIP));
});

afterAll(() => {
  lab?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('keepalived-ts daemon on real Linux networking', () => {
  it('elects the higher priority node: it logs MASTER and holds the VIP, the other is BACKUP without it', async () => {
    a = startDaemon(lab, nsA, 'a', join(dir, 'a.conf'), dir);
    b = startDaemon(lab, nsB, 'b', join(dir, 'b.conf'), dir);
    await waitFor('a to become MASTER', () => a.output().includes('(VI_1) Entering MASTER STATE') && hasVip(lab, nsA, VIP));
    await waitFor('b to be BACKUP', () => b.output().includes('(VI_1) Entering BACKUP STATE'));
    await waitFor('a to send gratuitous ARP', () => a.output().includes(`Sending gratuitous ARP on eth0 for ${VIP}`), 2000);
    // The notify script ran with keepalived's arguments, as an argv (no shell).
    await waitFor('the notify script', () => existsSync(notifyOut) && readFileSync(notifyOut, 'utf8').includes('INSTANCE VI_1 MASTER 150'), 5000);
    // The VRRP child ran with two malloc arenas (memory-budget.ts); its scripts get the user's environment.
    expect(readFileSync(`/proc/${a.vrrpPid()!}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
    expect(readFileSync(notifyOut, 'utf8')).toContain('INSTANCE VI_1 MASTER 150 arena=unset');
    // b may have won briefly if it started first; it must end as BACKUP without the VIP.
    await waitFor('b to end as BACKUP without the VIP', () => b.output().lastIndexOf('Entering BACKUP STATE') > b.output().lastIndexOf('Entering MASTER STATE') && !hasVip(lab, nsB, VIP));
    // The backup hears a's steady adverts through a steady watch (counted below JavaScript, by
    // the kernel filter: the daemon is not even woken for them), and its SIGUSR2 stats count them
    // as received.
    await new Promise((r) => setTimeout(r, 1500));
    rmSync(STATS_FILE, { force: true });
    process.kill(b.proc.pid!, 'SIGUSR2');
    await waitFor('b\'s stats', () => existsSync(STATS_FILE) && readFileSync(STATS_FILE, 'utf8').includes('Uptime'), 5000);
    const stats = readFileSync(STATS_FILE, 'utf8');
    const watched = Number(/counted by steady watches: (\d+)/.exec(stats)?.[1]);
    const received = Number(/Adverts received: (\d+)/.exec(stats)?.[1]);
    const inKernel = Number(/in the kernel \(eBPF filter\): (\d+)/.exec(stats)?.[1]);
    expect(watched).toBeGreaterThanOrEqual(3);
    expect(received).toBeGreaterThan(watched);
    expect(inKernel).toBeGreaterThanOrEqual(2);
    expect(inKernel).toBeLessThanOrEqual(watched);
    expect(stats).not.toMatch(/Kernel filter refused/);
    // The watch's hand-over deadlines are timed by the socket's steady thread, not the event loop.
    expect(Number(/watch deadlines they woke for: (\d+)/.exec(stats)?.[1])).toBeGreaterThanOrEqual(1);
    // The master's adverts go out from the addon's real-time sender thread (native/steady_sender.h).
    rmSync(STATS_FILE, { force: true });
    process.kill(a.proc.pid!, 'SIGUSR2');
    await waitFor("a's stats", () => existsSync(STATS_FILE) && readFileSync(STATS_FILE, 'utf8').includes('Uptime'), 5000);
    expect(readFileSync(STATS_FILE, 'utf8')).toMatch(/Steady threads: 1 \(real-time: 1\), adverts held by their watchdog: 0, /);
    // The VRRP child compiles its code at load and keeps it (watchdog.ts: a takeover runs code that
    // never ran before), and runs its own memory reducer instead of V8's (memory-budget.ts); the
    // pid file -r names it.
    const argv = readFileSync(`/proc/${b.vrrpPid()}/cmdline`, 'utf8').split('\0');
    expect(argv).toEqual(expect.arrayContaining(['--no-lazy', '--no-flush-bytecode', '--no-memory-reducer']));
    rmSync(STATS_FILE, { force: true });
  });

  it('takes over when the master is SIGKILLed (its whole process group): the VIP moves to the backup', async () => {
    const before = count(b.output(), 'Entering MASTER STATE');
    const garps = count(b.output(), `Sending gratuitous ARP on eth0 for ${VIP}`);
    process.kill(-a.proc.pid!, 'SIGKILL');
    await a.exited;
    await waitFor('b to take over', () => count(b.output(), 'Entering MASTER STATE') > before && hasVip(lab, nsB, VIP));
    await waitFor('b to send gratuitous ARP', () => count(b.output(), `Sending gratuitous ARP on eth0 for ${VIP}`) > garps, 2000);
    // A crash removes nothing: the dead master's VIP is still on its interface.
    expect(hasVip(lab, nsA, VIP)).toBe(true);
  });

  it('a restarted node removes the VIP its crash left, then preempts back', async () => {
    const before = count(b.output(), 'Entering BACKUP STATE');
    a = startDaemon(lab, nsA, 'a', join(dir, 'a.conf'), dir);
    await waitFor('a to clear the leftover VIP', () => a.output().includes(`Removing VIP ${VIP} left on eth0 by a previous run`));
    await waitFor('a to preempt', () => a.output().includes('(VI_1) Entering MASTER STATE') && hasVip(lab, nsA, VIP));
    await waitFor('b back to BACKUP without the VIP', () => count(b.output(), 'Entering BACKUP STATE') > before && !hasVip(lab, nsB, VIP));
  });

  it('SIGHUP with a bad configuration is refused with the reason; the daemon keeps running and keeps the VIP', async () => {
    const bMasters = count(b.output(), 'Entering MASTER STATE');
    writeFileSync(join(dir, 'a.conf'), `${aConf()}vrrp_instance {\n`);
    process.kill(a.proc.pid!, 'SIGHUP');
    await waitFor('the refusal', () => a.output().includes('Reload refused'));
    expect(a.output()).toMatch(/a\.conf:\d+:\d+: error:/);
    await new Promise((r) => setTimeout(r, 500));
    expect(a.proc.exitCode).toBeNull();
    expect(hasVip(lab, nsA, VIP)).toBe(true);
    expect(count(b.output(), 'Entering MASTER STATE')).toBe(bMasters);
    writeFileSync(join(dir, 'a.conf'), aConf());
  });

  it('SIGHUP with a good configuration adds VI_2 and leaves VI_1 untouched (state and VIP); SIGUSR1 dumps both, SIGUSR2 writes the stats', async () => {
    const vi1Entries = count(a.output(), '(VI_1) Entering');
    const vi2 = `vrrp_instance VI_2 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 52\n  priority 150\n  advert_int 0.25\n  virtual_ipaddress {\n    ${VIP2}/24\n  }\n}\n`;
    writeFileSync(join(dir, 'a.conf'), `${aConf()}${vi2}`);
    process.kill(a.proc.pid!, 'SIGHUP');
    await waitFor('the reload', () => a.output().includes('Reload finished: kept 1, stopped 0, started 1'));
    await waitFor('VI_2 to become MASTER', () => a.output().includes('(VI_2) Entering MASTER STATE') && hasVip(lab, nsA, VIP2));
    expect(count(a.output(), '(VI_1) Entering')).toBe(vi1Entries);
    expect(hasVip(lab, nsA, VIP)).toBe(true);
    rmSync(DATA_DUMP_FILE, { force: true });
    process.kill(a.proc.pid!, 'SIGUSR1');
    await waitFor('the data dump', () => existsSync(DATA_DUMP_FILE) && readFileSync(DATA_DUMP_FILE, 'utf8').includes('VI_2'), 5000);
    const dump = readFileSync(DATA_DUMP_FILE, 'utf8');
    expect(dump).toMatch(/VRRP Instance = VI_1\n {3}State = MASTER/);
    expect(dump).toMatch(/VRRP Instance = VI_2\n {3}State = MASTER/);
    const status = JSON.parse(readFileSync(STATUS_JSON_FILE, 'utf8')) as { instances: Array<{ name: string; state: string; vips: string[] }> };
    expect(status.instances.find((i) => i.name === 'VI_1')).toMatchObject({ state: 'MASTER', vips: [VIP] });
    rmSync(DATA_DUMP_FILE, { force: true });
    rmSync(STATUS_JSON_FILE, { force: true });
    rmSync(STATS_FILE, { force: true });
    process.kill(a.proc.pid!, 'SIGUSR2');
    await waitFor('the stats', () => existsSync(STATS_FILE) && readFileSync(STATS_FILE, 'utf8').includes('Uptime'), 5000);
    expect(readFileSync(STATS_FILE, 'utf8')).toMatch(/VRRP Instance: VI_2\n {2}Transitions: \d+/);
    expect(readFileSync(STATS_FILE, 'utf8')).toMatch(/Packets sent: [1-9]/);
    rmSync(STATS_FILE, { force: true });
  });

  it('a killed VRRP child is restarted by the watchdog and takes its place again', async () => {
    const child = a.vrrpPid();
    expect(child).toBeGreaterThan(0);
    const masters = count(a.output(), '(VI_1) Entering MASTER STATE');
    process.kill(child!, 'SIGKILL');
    await waitFor('the restart', () => a.output().includes('Restarting VRRP child process'));
    await waitFor('a MASTER again', () => count(a.output(), '(VI_1) Entering MASTER STATE') > masters && hasVip(lab, nsA, VIP), 20_000);
    expect(a.vrrpPid()).not.toBe(child);
    // Forked by the watchdog, which runs 10 nicer (process-priority.ts), at the daemon's own priority.
    const base = threadNices(process.pid)[0]!;
    expect(new Set(threadNices(a.vrrpPid()!))).toEqual(new Set([base]));
    expect(new Set(threadNices(a.proc.pid!))).toEqual(new Set([Math.min(19, base + 10)]));
    // The parent is the watchdog program itself (keepalived-ts -n became it by execve: same pid),
    // one thread, no Node in it.
    expect(readlinkSync(`/proc/${a.proc.pid!}/exe`)).toMatch(/\/kts_watchdog$/);
    expect(threadNices(a.proc.pid!)).toHaveLength(1);
    expect(Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${a.proc.pid!}/status`, 'utf8'))?.[1])).toBeLessThan(10 * 1024);
  });

  it('interface down: the master goes to FAULT and releases its VIP, the backup takes over; up again: it preempts back', async () => {
    const bMasters = count(b.output(), '(VI_1) Entering MASTER STATE');
    const aMasters = count(a.output(), '(VI_1) Entering MASTER STATE');
    lab.exec(nsA, ['ip', 'link', 'set', 'eth0', 'down']);
    await waitFor('a in FAULT', () => a.output().includes('(VI_1) Entering FAULT STATE') && !hasVip(lab, nsA, VIP));
    await waitFor('b to take over', () => count(b.output(), '(VI_1) Entering MASTER STATE') > bMasters && hasVip(lab, nsB, VIP));
    lab.exec(nsA, ['ip', 'link', 'set', 'eth0', 'up']);
    await waitFor('a MASTER again', () => count(a.output(), '(VI_1) Entering MASTER STATE') > aMasters && hasVip(lab, nsA, VIP));
    await waitFor('b without the VIP', () => !hasVip(lab, nsB, VIP));
  });

  it('SIGTERM stops gracefully: priority 0 sent, VIP removed, exit 0, and the backup takes over at once', async () => {
    const before = count(b.output(), 'Entering MASTER STATE');
    const t0 = Date.now();
    process.kill(a.proc.pid!, 'SIGTERM');
    expect(await a.exited).toBe(0);
    expect(a.output()).toContain('(VI_1) sent 0 priority');
    expect(a.output()).toContain('(VI_1) removing VIPs.');
    expect(hasVip(lab, nsA, VIP)).toBe(false);
    expect(hasVip(lab, nsA, VIP2)).toBe(false);
    await waitFor('b to take over', () => count(b.output(), 'Entering MASTER STATE') > before && hasVip(lab, nsB, VIP), 5000);
    // skew time at priority 100 and 250 ms adverts is 152 ms; a master-down wait would be 902 ms.
    expect(Date.now() - t0).toBeLessThan(2000);
    process.kill(b.proc.pid!, 'SIGTERM');
    expect(await b.exited).toBe(0);
    expect(hasVip(lab, nsB, VIP)).toBe(false);
  });

  it('the event logs the two daemons wrote replay: --verify re-runs every recorded input with 0 divergences, and the merged timeline names each takeover\'s cause', async () => {
    const dirs = [join(dir, 'log-a'), join(dir, 'log-b')];
    const run = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const code = await replayMain(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
      return { code, out, err };
    };
    const verify = await run([...dirs, '--verify']);
    expect(verify.err).toBe('');
    expect(verify.code).toBe(0);
    const perNode = verify.out.split('\n').filter((l) => l.startsWith('verify '));
    expect(perNode).toHaveLength(2);
    for (const line of perNode) expect(line).toMatch(/ 0 divergence\(s\)$/);

    const timeline = await run(dirs);
    expect(timeline.code).toBe(0);
    // The crash: b heard nothing from a for its master-down interval (3 × 250 ms + skew 152 ms).
    expect(timeline.out).toMatch(/lb-b +VI_1 +BACKUP -> MASTER +no advert from 192\.0\.2\.\d+ for 0\.902 s \(master-down interval\)/);
    // The graceful stop: a's priority-0 advert handed over after b's skew time.
    expect(timeline.out).toMatch(/lb-b +VI_1 +BACKUP -> MASTER +master 192\.0\.2\.\d+ stopped \(priority-0 advert\)/);
    // The restarted a preempted b: b yielded to a's higher priority.
    expect(timeline.out).toMatch(/lb-b +VI_1 +MASTER -> BACKUP +advert from 192\.0\.2\.\d+, priority 150 > ours 100/);
  });

  it('a VRRP child whose restart finds the configuration broken is not respawned: the daemon stops with status 1 and says why', async () => {
    const conf = join(dir, 'cfg.conf');
    writeFileSync(conf, vrrpConf('lb-cfg', 100, '192.0.2.120').replace('virtual_router_id 51', 'virtual_router_id 61'));
    const d = startDaemon(lab, nsA, 'cfg', conf, dir);
    await waitFor('its VRRP side', () => d.output().includes('(VI_1) Entering BACKUP STATE'), 20_000);
    const child = d.vrrpPid()!;
    writeFileSync(conf, 'vrrp_instance {\n');
    process.kill(child, 'SIGKILL');
    expect(await d.exited).toBe(1);
    expect(d.output()).toMatch(/cfg\.conf:\d+:\d+: error:/);
    expect(d.output()).toContain('Not respawning it: its configuration has errors; stopping');
    expect(existsSync(join(dir, 'cfg.pid'))).toBe(false);
    expect(existsSync(join(dir, 'cfg.vrrp.pid'))).toBe(false);
  }, 45_000);

  it('signals that come while a child is still loading wait for it: SIGHUP reloads, SIGUSR1 dumps, nothing dies and no inspector opens', async () => {
    const conf = join(dir, 'early.conf');
    writeFileSync(conf, vrrpConf('lb-early', 100, '192.0.2.121').replace('virtual_router_id 51', 'virtual_router_id 62'));
    const d = startDaemon(lab, nsA, 'early', conf, dir);
    // The watchdog writes the child's pid file as it forks it, long before Node has loaded the child.
    await waitFor('the VRRP child forked', () => d.vrrpPid() !== undefined && !Number.isNaN(d.vrrpPid()), 10_000);
    const child = d.vrrpPid()!;
    rmSync(DATA_DUMP_FILE, { force: true });
    process.kill(d.proc.pid!, 'SIGHUP');
    process.kill(d.proc.pid!, 'SIGUSR1');
    await waitFor('the reload', () => d.output().includes('Keepalived_vrrp') && d.output().includes('Reload finished'), 20_000);
    await waitFor('the data dump', () => existsSync(DATA_DUMP_FILE) && readFileSync(DATA_DUMP_FILE, 'utf8').includes('VI_1'), 10_000);
    expect(d.vrrpPid()).toBe(child);
    expect(d.output()).not.toContain('died');
    expect(d.output()).not.toContain('Debugger listening');
    process.kill(d.proc.pid!, 'SIGTERM');
    expect(await d.exited).toBe(0);
  }, 45_000);
});
