/**
 * The checker side of the daemon on this host's kernel, which has no IPVS: one keepalived-ts daemon
 * with a vrrp_instance and a virtual_server whose two real servers are real HTTP servers in their
 * own namespaces. The checker child says once that IPVS is missing and keeps checking; VRRP still
 * elects; a real server whose HTTP check fails is removed (log), its notify_down runs and its
 * lvs_notify_fifo line appears; when it recovers, notify_up runs, the RS UP line appears and it is
 * added back. VI_1's state reaches the checker side through the watchdog (lvs_sync_daemon follows
 * it). SIGTERM stops both children. The children run at vrrp_priority / checker_priority, the
 * watchdog parent 10 nicer than it was started (process-priority.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type NetnsLab } from '../helpers/netns.js';
import { JsonlProcess } from '../helpers/jsonl-process.js';
import { NO_IPVS_MESSAGE } from '../../src/daemon/checker-process.js';
import { count, hasVip, ROOT, startDaemon, threadNices, waitFor, type RunningDaemon } from './daemons.js';

const VIP = '192.0.2.100';
const RS1 = '192.0.2.2';
const RS2 = '192.0.2.3';
const PORT = 8080;
let lab: NetnsLab;
let dir: string;
let daemon: RunningDaemon;
let rs1: JsonlProcess;
let fifoText = '';
let notifyOut: string;

const notifyLines = (): string => (existsSync(notifyOut) ? readFileSync(notifyOut, 'utf8') : '');

function realServer(addr: string): string {
  return `  real_server ${addr} ${PORT} {
    weight 1
    notify_up "${join(dir, 'notify.sh')} up ${addr}"
    notify_down "${join(dir, 'notify.sh')} down ${addr}"
    HTTP_GET {
      url {
        path /
        status_code 200
      }
      connect_timeout 1
      retry 1
      delay_before_retry 0.2
    }
  }
`;
}

function conf(): string {
  return `global_defs {
  router_id lb-chk
  vrrp_version 3
  lvs_notify_fifo ${join(dir, 'lvs.fifo')}
  lvs_sync_daemon eth0 VI_1
  vrrp_priority -5
  checker_priority 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 61
  priority 150
  advert_int 0.25
  virtual_ipaddress {
    ${VIP}/24
  }
}
virtual_server ${VIP} ${PORT} {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
${realServer(RS1)}${realServer(RS2)}}
`;
}

async function httpServer(ns: string): Promise<JsonlProcess> {
  const p = new JsonlProcess(lab.spawn(ns, [process.execPath, resolve(ROOT, 'test/helpers/servers/http.mjs'), String(PORT)]));
  await p.waitFor((e) => e['ready'] === true, 10_000);
  return p;
}

beforeAll(async () => {
  lab = createLab(3, { tag: 'chk' });
  dir = mkdtempSync(join(tmpdir(), 'kts-checker-side-'));
  notifyOut = join(dir, 'notify.out');
  writeFileSync(join(dir, 'notify.sh'), `#!/bin/sh\necho "$@" >> ${notifyOut}\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'chk.conf'), conf());
  // The fifo exists before the daemon opens it, with a reader of ours on it.
  execFileSync('mkfifo', ['-m', '0600', join(dir, 'lvs.fifo')]);
  const reader = lab.spawn(lab.hosts[0]!.ns, ['cat', join(dir, 'lvs.fifo')]);
  reader.stdout?.on('data', (b: Buffer) => (fifoText += b.toString()));
  rs1 = await httpServer(lab.hosts[1]!.ns);
  await httpServer(lab.hosts[2]!.ns);
}, 30_000);

afterAll(() => {
  lab?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the checker side of the daemon, on a kernel without IPVS', () => {
  it('says once that IPVS is missing, checks anyway, and VRRP still elects', async () => {
    daemon = startDaemon(lab, lab.hosts[0]!.ns, 'chk', join(dir, 'chk.conf'), dir);
    await waitFor('VRRP to elect', () => daemon.output().includes('(VI_1) Entering MASTER STATE') && hasVip(lab, lab.hosts[0]!.ns, VIP), 30_000);
    await waitFor('the checker child to start', () => daemon.output().includes('Starting the checkers: 1 virtual server(s), 2 checker(s)'), 30_000);
    expect(count(daemon.output(), NO_IPVS_MESSAGE)).toBe(1);
    expect(existsSync(join(dir, 'chk.check.pid'))).toBe(true);
    // The VRRP child's transitions reach the checker child through the watchdog (lvs_sync_daemon).
    await waitFor('the checker side to hear VI_1 is MASTER', () => /Keepalived_healthcheckers\[\d+\]: lvs_sync_daemon: VI_1 is MASTER/.test(daemon.output()), 10_000);
    // Both real servers are being probed (each HTTP server saw a request).
    await rs1.waitFor((e) => e['event'] === 'request', 10_000);
    // Priorities: every thread of each child at its configured nice value, every thread of the
    // parent 10 nicer than this test runs (it yields the cores to its children).
    const base = threadNices(process.pid)[0]!;
    const pidOf = (f: string): number => Number.parseInt(readFileSync(join(dir, f), 'utf8'), 10);
    expect(new Set(threadNices(pidOf('chk.vrrp.pid')))).toEqual(new Set([-5]));
    expect(new Set(threadNices(pidOf('chk.check.pid')))).toEqual(new Set([3]));
    expect(new Set(threadNices(daemon.proc.pid!))).toEqual(new Set([Math.min(19, base + 10)]));
    expect(daemon.output()).toContain('VRRP child process priority set to -5 (vrrp_priority)');
    expect(daemon.output()).toContain('Healthcheck child process priority set to 3 (checker_priority)');
  }, 60_000);

  it('a real server whose HTTP check fails leaves the VS: notify_down runs and its fifo line appears', async () => {
    rs1.send({ id: 1, status: 503 });
    await waitFor('the removal', () => daemon.output().includes(`Removing service [${RS1}]:tcp:${PORT} from VS [${VIP}]:tcp:${PORT}`), 15_000);
    await waitFor('notify_down', () => notifyLines().includes(`down ${RS1}`), 10_000);
    await waitFor('the fifo line', () => fifoText.includes(`RS [${RS1}]:tcp:${PORT} [${VIP}]:tcp:${PORT} DOWN\n`), 10_000);
    expect(daemon.output()).toMatch(/HTTP_GET on service \[192\.0\.2\.2\]:tcp:8080 failed/);
    // The healthy one stays: nothing ran for it.
    expect(notifyLines()).not.toContain(RS2);
    expect(count(daemon.output(), NO_IPVS_MESSAGE)).toBe(1);
  }, 30_000);

  it('recovery runs notify_up, writes the RS UP line and adds the server back', async () => {
    const adds = count(daemon.output(), `Adding service [${RS1}]:tcp:${PORT} to VS [${VIP}]:tcp:${PORT}`);
    rs1.send({ id: 2, status: 200 });
    await waitFor('notify_up', () => notifyLines().includes(`up ${RS1}`), 15_000);
    await waitFor('the fifo line', () => fifoText.includes(`RS [${RS1}]:tcp:${PORT} [${VIP}]:tcp:${PORT} UP\n`), 10_000);
    await waitFor('the re-add', () => count(daemon.output(), `Adding service [${RS1}]:tcp:${PORT} to VS [${VIP}]:tcp:${PORT}`) > adds, 10_000);
    expect(notifyLines().trim().split('\n')).toEqual([`down ${RS1}`, `up ${RS1}`]);
  }, 30_000);

  it('SIGHUP keeps a dead real server out: its checker goes on in its state (keepalived migrate_checkers)', async () => {
    rs1.send({ id: 3, status: 503 });
    const removals = count(daemon.output(), `Removing service [${RS1}]:tcp:${PORT} from VS [${VIP}]:tcp:${PORT}`);
    await waitFor('the removal', () => count(daemon.output(), `Removing service [${RS1}]:tcp:${PORT} from VS [${VIP}]:tcp:${PORT}`) > removals, 15_000);
    // Its notify_down runs after the removal is logged: wait for its line before taking the baseline
    // (a CI run once read the baseline first and then saw that very line "appear" after the reload).
    await waitFor('notify_down', () => notifyLines().trim().split('\n').filter((l) => l === `down ${RS1}`).length === 2, 10_000);
    const notifies = notifyLines();
    const reloads = count(daemon.output(), 'Reload finished');
    const before = daemon.output().length;
    process.kill(daemon.proc.pid!, 'SIGHUP');
    await waitFor('the end of the reload', () => count(daemon.output(), 'Reload finished') > reloads, 20_000);
    // Two more delay_loops: the dead server is probed again and still fails; nothing changes.
    const requests = rs1.events.filter((e) => e['event'] === 'request').length;
    await rs1.waitFor((e) => e['event'] === 'request', 10_000, rs1.events.length);
    await new Promise((r) => setTimeout(r, 1500));
    const after = daemon.output().slice(before);
    expect(after).not.toContain(`Adding service [${RS1}]`);
    expect(after).not.toContain(`Removing service [${RS1}]`);
    expect(notifyLines()).toBe(notifies);
    expect(rs1.events.filter((e) => e['event'] === 'request').length).toBeGreaterThan(requests);
    rs1.send({ id: 4, status: 200 });
    await waitFor('the re-add', () => daemon.output().slice(before).includes(`Adding service [${RS1}]:tcp:${PORT} to VS [${VIP}]:tcp:${PORT}`), 15_000);
  }, 45_000);

  it('SIGHUP reloads the checker side on the new configuration; VRRP is untouched', async () => {
    const masters = count(daemon.output(), '(VI_1) Entering MASTER STATE');
    // RS2 leaves the configuration.
    writeFileSync(join(dir, 'chk.conf'), conf().replace(realServer(RS2), ''));
    process.kill(daemon.proc.pid!, 'SIGHUP');
    await waitFor('the reload', () => daemon.output().includes('Starting the checkers: 1 virtual server(s), 1 checker(s)'), 20_000);
    await waitFor('the end of the reload', () => /Keepalived_healthcheckers\[\d+\]: Reload finished/.test(daemon.output()), 10_000);
    expect(count(daemon.output(), '(VI_1) Entering MASTER STATE')).toBe(masters);
    expect(count(daemon.output(), 'Starting Healthcheck child process')).toBe(1);
    expect(count(daemon.output(), NO_IPVS_MESSAGE)).toBe(1);
    writeFileSync(join(dir, 'chk.conf'), conf());
  }, 30_000);

  it('a killed checker child is restarted by the watchdog and checks again; VRRP is untouched', async () => {
    const pid = Number.parseInt(readFileSync(join(dir, 'chk.check.pid'), 'utf8'), 10);
    const masters = count(daemon.output(), '(VI_1) Entering MASTER STATE');
    const requests = rs1.events.length;
    const starts = count(daemon.output(), 'Starting the checkers:');
    process.kill(pid, 'SIGKILL');
    await waitFor('the restart', () => daemon.output().includes('Restarting Healthcheck child process'), 10_000);
    await waitFor('the new checker side', () => count(daemon.output(), 'Starting the checkers:') === starts + 1, 30_000);
    await waitFor('new probes', () => rs1.events.length > requests, 10_000);
    expect(daemon.output()).toContain(`Healthcheck child process(${pid}) died: SIGKILL`);
    expect(count(daemon.output(), '(VI_1) Entering MASTER STATE')).toBe(masters);
    expect(hasVip(lab, lab.hosts[0]!.ns, VIP)).toBe(true);
  }, 45_000);

  it('SIGTERM stops both children and the watchdog exits 0', async () => {
    process.kill(daemon.proc.pid!, 'SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(daemon.output()).toContain('Stopped keepalived-ts');
    expect(existsSync(join(dir, 'chk.check.pid'))).toBe(false);
    // The checker side wrote its own event log beside the VRRP side's.
    expect(existsSync(join(dir, 'log-chk-checkers'))).toBe(true);
  }, 20_000);

  it('-C runs the checker side only: no VRRP child, no VIP', async () => {
    const only = startDaemon(lab, lab.hosts[0]!.ns, 'only', join(dir, 'chk.conf'), dir, ['-C']);
    await waitFor('the checker side', () => only.output().includes('Starting the checkers: 1 virtual server(s), 2 checker(s)'), 30_000);
    expect(only.output()).not.toContain('Starting VRRP child process');
    expect(hasVip(lab, lab.hosts[0]!.ns, VIP)).toBe(false);
    process.kill(only.proc.pid!, 'SIGTERM');
    expect(await only.exited).toBe(0);
  }, 45_000);

  it('a reload that brings the first virtual_server starts the checker child (the VRRP child asks the watchdog)', async () => {
    const vrrpOnly = conf().slice(0, conf().indexOf('virtual_server'));
    writeFileSync(join(dir, 'late.conf'), vrrpOnly.replace('virtual_router_id 61', 'virtual_router_id 62').replace(`${VIP}/24`, '192.0.2.110/24'));
    const late = startDaemon(lab, lab.hosts[0]!.ns, 'late', join(dir, 'late.conf'), dir);
    await waitFor('its VRRP side', () => late.output().includes('(VI_1) Entering BACKUP STATE'), 20_000);
    expect(late.output()).not.toContain('Starting Healthcheck child process');
    writeFileSync(join(dir, 'late.conf'), `${readFileSync(join(dir, 'late.conf'), 'utf8')}${conf().slice(conf().indexOf('virtual_server'))}`);
    process.kill(late.proc.pid!, 'SIGHUP');
    await waitFor('the checker child', () => late.output().includes('Starting Healthcheck child process'), 20_000);
    await waitFor('its checkers', () => late.output().includes('Starting the checkers: 1 virtual server(s), 2 checker(s)'), 30_000);
    expect(existsSync(join(dir, 'late.check.pid'))).toBe(true);
    process.kill(late.proc.pid!, 'SIGTERM');
    expect(await late.exited).toBe(0);
    expect(existsSync(join(dir, 'late.check.pid'))).toBe(false);
  }, 60_000);
});
