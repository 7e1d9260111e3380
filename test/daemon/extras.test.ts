/**
 * The daemon's extras on real Linux networking, one lab of three namespaces: lb-a (priority 150)
 * and lb-b (100) run VI_1 (multicast, use_vmac, virtual_routes) and VI_2 (unicast) in sync group
 * G1, VRRP v2 with PASS auth; a third host floods malformed adverts at them.
 *   - /metrics and /status on 127.0.0.1 in each namespace (KEEPALIVED_TS_METRICS_PORT);
 *   - use_vmac: the macvlan vrrp.51 with 00:00:5e:00:01:33 holds the VIP, the adverts leave by it,
 *     and the backup learns the VIP at the virtual MAC;
 *   - virtual_routes: added as proto keepalived on MASTER only;
 *   - the sync group's notify script and smtp_alert mail (to an SMTP server on lb-a's loopback);
 *   - a bounded flood of bad adverts: no takeover, the master keeps its advert rate, every kind
 *     counted per reason in /metrics and in SIGUSR2's stats;
 *   - SIGTERM: the vmac and the route are gone, the backup takes over and says so in its metrics.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type NetnsLab } from '../helpers/netns.js';
import { dumpFiles } from '../../src/daemon/vrrp-process.js';
import { DAEMON, ROOT, waitFor, watched, type RunningDaemon } from './daemons.js';

// SIGUSR1/SIGUSR2 files of this file's daemons go to a directory of their own (the daemons inherit it).
process.env.KEEPALIVED_TS_DUMP_DIR = mkdtempSync(join(tmpdir(), 'kts-dump-'));
const { stats: STATS_FILE } = dumpFiles();


const PORT = 9650;
/** Packets per kind of bad advert (and per target for the unicast kind). */
const PER_KIND = 300;
/** Of a kind's packets, at least this many must be seen and counted. */
const MOST = 0.9 * PER_KIND;
const SMTP_PORT = 2525;
let lab: NetnsLab;
let dir: string;
let nsA: string;
let nsB: string;
let nsC: string;
let a: RunningDaemon;
let b: RunningDaemon;

function conf(routerId: string, priority: number, peer: string, extraGlobal: string, extraVi1: string): string {
  const auth = '  authentication {\n    auth_type PASS\n    auth_pass secret1\n  }\n';
  return `global_defs {
  router_id ${routerId}
${extraGlobal}}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  notify "${join(dir, 'notify.sh')} ${routerId}"
}
vrrp_instance VI_1 {
  state ${priority > 100 ? 'MASTER' : 'BACKUP'}
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
${auth}  virtual_ipaddress {
    192.0.2.100/24
  }
${extraVi1}}
vrrp_instance VI_2 {
  state ${priority > 100 ? 'MASTER' : 'BACKUP'}
  interface eth0
  virtual_router_id 52
  priority ${priority}
  advert_int 1
${auth}  unicast_peer {
    ${peer}
  }
  virtual_ipaddress {
    192.0.2.101/24
  }
}
`;
}

/** A minimal SMTP server: every message's DATA is appended to `out`, separated by a marker line. */
const SMTP_SERVER = `
const net = require('node:net'), fs = require('node:fs');
const out = process.argv[2];
net.createServer((s) => {
  s.write('220 test ESMTP\\r\\n');
  let buf = '', data = false, msg = '';
  s.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\r\\n')) >= 0) {
      const line = buf.slice(0, i); buf = buf.slice(i + 2);
      if (data) {
        if (line === '.') { fs.appendFileSync(out, msg + '----\\n'); msg = ''; data = false; s.write('250 queued\\r\\n'); }
        else msg += line + '\\n';
      } else if (/^DATA/i.test(line)) { data = true; s.write('354 go\\r\\n'); }
      else if (/^QUIT/i.test(line)) { s.end('221 bye\\r\\n'); }
      else { fs.appendFileSync(out, 'CMD ' + line + '\\n'); s.write('250 ok\\r\\n'); }
    }
  });
  s.on('error', () => {});
}).listen(${SMTP_PORT}, '127.0.0.1', () => console.log('listening'));
`;

function start(ns: string, name: string, file: string): RunningDaemon {
  const argv = [
    ...DAEMON, '-f', file, '-n', '-l',
    '-p', join(dir, `${name}.pid`), '-r', join(dir, `${name}.vrrp.pid`), '-c', join(dir, `${name}.check.pid`),
    '--log-dir', join(dir, `log-${name}`),
  ];
  const proc = lab.spawn(ns, argv, { cwd: ROOT, env: { ...process.env, KEEPALIVED_TS_METRICS_PORT: String(PORT) } });
  let out = '';
  proc.stdout?.on('data', (buf: Buffer) => (out += buf.toString()));
  proc.stderr?.on('data', (buf: Buffer) => (out += buf.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const d: RunningDaemon = { name, proc, output: () => out, exited, vrrpPid: () => Number.parseInt(readFileSync(join(dir, `${name}.vrrp.pid`), 'utf8'), 10) };
  watched.push(d);
  return d;
}

function curl(ns: string, path: string): string {
  try {
    return lab.exec(ns, ['curl', '-s', '--max-time', '2', `http://127.0.0.1:${PORT}${path}`]);
  } catch {
    return '';
  }
}

/** The value of one sample in /metrics, or undefined. */
function metric(ns: string, sample: string): number | undefined {
  const line = curl(ns, '/metrics')
    .split('\n')
    .find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

interface Status {
  instances: Array<{ name: string; state: string; transitions: number; advertsSent: number; drops: Record<string, number>; vips: string[] }>;
  foreignVrids: Array<{ vrid: number; received: number }>;
}

function status(ns: string): Status | undefined {
  try {
    return JSON.parse(curl(ns, '/status')) as Status;
  } catch {
    return undefined;
  }
}

const inst = (s: Status | undefined, name: string): Status['instances'][number] | undefined => s?.instances.find((i) => i.name === name);

beforeAll(() => {
  lab = createLab(3, { tag: 'xtr' });
  [nsA, nsB, nsC] = lab.hosts.map((h) => h.ns) as [string, string, string];
  dir = mkdtempSync(join(tmpdir(), 'kts-extras-test-'));
  writeFileSync(join(dir, 'notify.sh'), `#!/bin/sh\necho "$@" >> ${join(dir, 'notify.out')}\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'smtp.cjs'), SMTP_SERVER);
  const mail = `  notification_email {\n    ops@example.com\n  }\n  notification_email_from lb-a@example.com\n  smtp_server 127.0.0.1 ${SMTP_PORT}\n  smtp_connect_timeout 5\n  smtp_alert\n`;
  writeFileSync(join(dir, 'a.conf'), conf('lb-a', 150, '192.0.2.2', mail, '  use_vmac\n  virtual_routes {\n    203.0.113.0/24 via 192.0.2.254\n  }\n'));
  writeFileSync(join(dir, 'b.conf'), conf('lb-b', 100, '192.0.2.1', '', ''));
});

afterAll(() => {
  lab?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('daemon extras on real Linux networking', () => {
  it('lb-a becomes MASTER of both: /metrics and /status say so, the VIP sits on vrrp.51 (00:00:5e:00:01:33), the route is added, and the backup learns the VIP at the virtual MAC', async () => {
    const smtp = lab.spawn(nsA, ['node', join(dir, 'smtp.cjs'), join(dir, 'mail.out')]);
    await new Promise<void>((r) => smtp.stdout?.once('data', () => r()));
    b = start(nsB, 'b', join(dir, 'b.conf'));
    a = start(nsA, 'a', join(dir, 'a.conf'));
    await waitFor('lb-a MASTER of VI_1 and VI_2 in /metrics', () =>
      metric(nsA, 'keepalived_ts_vrrp_state{instance="VI_1",state="MASTER"}') === 1 && metric(nsA, 'keepalived_ts_vrrp_state{instance="VI_2",state="MASTER"}') === 1,
    );
    await waitFor('lb-b BACKUP of VI_1 in /status', () => inst(status(nsB), 'VI_1')?.state === 'BACKUP' && inst(status(nsB), 'VI_2')?.state === 'BACKUP');
    expect(metric(nsA, 'keepalived_ts_vrrp_priority{instance="VI_1"}')).toBe(150);
    expect(metric(nsA, 'keepalived_ts_vrrp_effective_priority{instance="VI_1"}')).toBe(150);

    const link = lab.exec(nsA, ['ip', '-d', 'link', 'show', 'vrrp.51']);
    expect(link).toContain('00:00:5e:00:01:33');
    expect(link).toMatch(/macvlan mode private/);
    await waitFor('the VIP on vrrp.51', () => lab.exec(nsA, ['ip', '-4', 'addr', 'show', 'dev', 'vrrp.51']).includes('inet 192.0.2.100/24'));
    expect(lab.exec(nsA, ['ip', '-4', 'addr', 'show', 'dev', 'eth0'])).not.toContain('192.0.2.100');
    await waitFor('the virtual route', () => lab.exec(nsA, ['ip', 'route', 'show', 'proto', 'keepalived']).includes('203.0.113.0/24 via 192.0.2.254'));
    expect(lab.exec(nsB, ['ip', 'route', 'show', 'proto', 'keepalived'])).toBe('');

    // Adverts leave by the vmac: its TX counter grows about one a second (advert_int 1).
    const tx = (): number => Number(/TX:[^\n]*\n\s*(\d+)\s+(\d+)/.exec(lab.exec(nsA, ['ip', '-s', 'link', 'show', 'vrrp.51']))?.[2] ?? 0);
    const tx0 = tx();
    await new Promise((r) => setTimeout(r, 2200));
    expect(tx() - tx0).toBeGreaterThanOrEqual(2);
    // Any packet to the VIP makes lb-b resolve it (curl to a closed port: the answer does not matter).
    try {
      lab.exec(nsB, ['curl', '-s', '--max-time', '1', 'http://192.0.2.100:9/']);
    } catch {
      /* the neighbour entry is what counts */
    }
    await waitFor('lb-b resolving the VIP', () => lab.exec(nsB, ['ip', 'neigh', 'show', '192.0.2.100']).includes('lladdr'), 3000);
    expect(lab.exec(nsB, ['ip', 'neigh', 'show', '192.0.2.100'])).toContain('lladdr 00:00:5e:00:01:33');
  });

  it('the sync group notify runs with GROUP G1 MASTER on lb-a and GROUP G1 BACKUP on lb-b; smtp_alert mails the instance and group transitions', async () => {
    const notifyOut = join(dir, 'notify.out');
    await waitFor('group notifies', () => existsSync(notifyOut) && /GROUP G1 MASTER/.test(readFileSync(notifyOut, 'utf8')) && /GROUP G1 BACKUP/.test(readFileSync(notifyOut, 'utf8')));
    const lines = readFileSync(notifyOut, 'utf8').split('\n');
    expect(lines.some((l) => l.startsWith('lb-a GROUP G1 MASTER'))).toBe(true);
    expect(lines.some((l) => l.startsWith('lb-b GROUP G1 BACKUP'))).toBe(true);
    expect(lines.some((l) => l.startsWith('lb-b GROUP G1 MASTER'))).toBe(false);
    const mailOut = join(dir, 'mail.out');
    await waitFor('the MASTER mails', () => existsSync(mailOut) && readFileSync(mailOut, 'utf8').includes('Subject: [lb-a] VRRP Group G1 - Entering MASTER state'));
    const mail = readFileSync(mailOut, 'utf8');
    expect(mail).toContain('CMD MAIL FROM:<lb-a@example.com>');
    expect(mail).toContain('CMD RCPT TO:<ops@example.com>');
    expect(mail).toContain('Subject: [lb-a] VRRP Instance VI_1 - Entering MASTER state');
    expect(mail).toContain('Subject: [lb-a] VRRP Instance VI_2 - Entering MASTER state');
    expect(mail).toContain('=> VRRP Instance is now owning VRRP VIPs <=');
    expect(mail).toContain('=> All VRRP group instances are now in MASTER state <=');
    expect(mail).toContain('X-Mailer: Keepalived');
  });

  it('a flood of malformed adverts from a third host: no takeover, the master keeps advertising, each kind counted per reason in /metrics and SIGUSR2', async () => {
    const before = { a: status(nsA)!, b: status(nsB)! };
    const proc = lab.spawn(nsC, ['node', '--import', 'tsx', join(ROOT, 'test/daemon/flood-entry.ts'), 'eth0', '192.0.2.3', String(PER_KIND), '192.0.2.1', '192.0.2.2'], { cwd: ROOT });
    let out = '';
    proc.stdout?.on('data', (buf: Buffer) => (out += buf.toString()));
    let done = false;
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    void exited.then(() => (done = true));
    // While the flood runs and 1.5 s after it, watch the master's advert counter: the times it moves
    // are the adverts going out, and none may come late (advert_int 1 s, polled every ~100 ms).
    const moves: number[] = [Date.now()];
    let lastSent = inst(before.a, 'VI_1')!.advertsSent;
    let endAt = Number.POSITIVE_INFINITY;
    while (Date.now() < endAt) {
      if (done && endAt === Number.POSITIVE_INFINITY) endAt = Date.now() + 1500;
      const n = inst(status(nsA), 'VI_1')?.advertsSent ?? lastSent;
      if (n !== lastSent) moves.push(Date.now());
      lastSent = n;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await exited).toBe(0);
    const flood = JSON.parse(out.trim().split('\n').pop()!) as { sent: Record<string, number>; stats: { sendErrors: number } };
    expect(flood.stats.sendErrors).toBe(0);
    expect(Object.values(flood.sent).reduce((x, y) => x + y, 0)).toBe(PER_KIND * 7);
    const gaps = moves.slice(1).map((t, i) => t - moves[i]!);
    expect(moves.length, 'adverts seen during the flood').toBeGreaterThanOrEqual(3);
    expect(Math.max(...gaps), `gaps ${gaps.join(' ')}`).toBeLessThan(1600);
    const after = { a: status(nsA)!, b: status(nsB)! };
    for (const side of ['a', 'b'] as const) {
      for (const name of ['VI_1', 'VI_2']) {
        expect(inst(after[side], name)!.state).toBe(side === 'a' ? 'MASTER' : 'BACKUP');
        expect(inst(after[side], name)!.transitions).toBe(inst(before[side], name)!.transitions);
      }
      const d1 = inst(after[side], 'VI_1')!.drops;
      const d0 = inst(before[side], 'VI_1')!.drops;
      // Each kind under its own reason: all 100 as a rule; a loaded host's socket buffer may shed a
      // few of a burst, never the kind's whole count, and nothing lands under another reason.
      for (const reason of ['ttl', 'auth-pass', 'advert-interval', 'vip-mismatch']) expect((d1[reason] ?? 0) - (d0[reason] ?? 0), `${side} ${reason}`).toBeGreaterThanOrEqual(MOST);
      expect(Object.values(d1).reduce((x, y) => x + y, 0) - Object.values(d0).reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(4 * PER_KIND);
      const u1 = inst(after[side], 'VI_2')!.drops['unicast-src'] ?? 0;
      const u0 = inst(before[side], 'VI_2')!.drops['unicast-src'] ?? 0;
      expect(u1 - u0, `${side} unicast-src`).toBeGreaterThanOrEqual(MOST);
      expect(u1 - u0, `${side} unicast-src`).toBeLessThanOrEqual(PER_KIND);
      expect(after[side].foreignVrids.find((f) => f.vrid === 53)?.received).toBeGreaterThanOrEqual(MOST);
    }
    const drops = inst(after.a, 'VI_1')!.drops;
    expect(metric(nsA, 'keepalived_ts_vrrp_dropped_total{instance="VI_1",reason="ttl"}')).toBe(drops['ttl']);
    expect(metric(nsB, 'keepalived_ts_vrrp_foreign_vrid_received_total{interface="eth0",family="ipv4",vrid="53"}')).toBe(after.b.foreignVrids.find((f) => f.vrid === 53)?.received);
    // SIGUSR2: the stats file (written in lb-a's mount namespace = ours) names the drops per reason.
    rmSync(STATS_FILE, { force: true });
    process.kill(a.vrrpPid()!, 'SIGUSR2');
    await waitFor('the stats file', () => existsSync(STATS_FILE) && readFileSync(STATS_FILE, 'utf8').includes('Dropped (ttl)'));
    const stats = readFileSync(STATS_FILE, 'utf8');
    expect(stats).toContain(`Dropped (ttl): ${drops['ttl']}`);
    expect(stats).toContain(`Dropped (auth-pass): ${drops['auth-pass']}`);
    expect(stats).toContain(`Dropped (unicast-src): ${inst(after.a, 'VI_2')!.drops['unicast-src']}`);
    expect(stats).toContain(`Foreign VRID 53 on eth0 (ipv4): ${after.a.foreignVrids.find((f) => f.vrid === 53)?.received}`);
  });

  it('SIGTERM on lb-a: the route and vrrp.51 are gone, lb-b takes over both and its metrics say MASTER', async () => {
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(lab.exec(nsA, ['ip', 'route', 'show', 'proto', 'keepalived'])).toBe('');
    expect(lab.exec(nsA, ['ip', 'link', 'show'])).not.toContain('vrrp.51');
    await waitFor('lb-b MASTER', () => metric(nsB, 'keepalived_ts_vrrp_state{instance="VI_1",state="MASTER"}') === 1 && metric(nsB, 'keepalived_ts_vrrp_state{instance="VI_2",state="MASTER"}') === 1);
    await waitFor('lb-b group MASTER notify', () => readFileSync(join(dir, 'notify.out'), 'utf8').includes('lb-b GROUP G1 MASTER'));
    b.proc.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  });
});
