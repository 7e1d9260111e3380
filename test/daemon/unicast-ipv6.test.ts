/**
 * Two keepalived-ts daemons (host 0 priority 150, host 1 priority 100) and a client (host 2) on a
 * bridge in network namespaces, v3 at 0.25 s adverts:
 *  - IPv6: VIP 2001:db8::100/64, adverts from the link-local address to ff02::12 with hop limit
 *    255 (seen on the wire); election, takeover on SIGKILL, preempt back, each time the VIP moves
 *    (`ip -6 addr`) and the client's neighbour entry (made once by traffic) follows the unsolicited
 *    NA with no traffic of its own (`ip -6 neigh`).
 *    The hop limit is checked on receive: a forged higher-priority advert with hop limit 64 moves
 *    nothing, the same advert with 255 does (so it was the hop limit that was refused).
 *  - Unicast peers (unicast_src_ip / unicast_peer, IPv4): adverts go to the peer's address and
 *    none to 224.0.0.18; election, takeover on SIGKILL, preempt back, graceful handover.
 * Both pairs' event logs replay with 0 divergences and the timeline names the causes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type NetnsLab } from '../helpers/netns.js';
import { hasVip, startDaemon, waitFor, type RunningDaemon } from './daemons.js';
import {
  captureSwitch, count, hasVip6, instanceConf, macOf, makeClient, neighMac, replay, sendForgedAdvert6, sleep, touch, verifyLines,
} from './interop-lab.js';

const VIP6 = '2001:db8::100';
const VIP4 = '192.0.2.101';
let lab: NetnsLab;
let dir: string;
let nsA: string;
let nsB: string;
let nsC: string;
let macA: string;
let macB: string;
let a: RunningDaemon | undefined;
let b: RunningDaemon | undefined;
const started: RunningDaemon[] = [];

const stop = async (d: RunningDaemon | undefined, sig: NodeJS.Signals): Promise<void> => {
  if (!d || d.proc.exitCode !== null || d.proc.signalCode !== null) return;
  try {
    process.kill(sig === 'SIGKILL' ? -d.proc.pid! : d.proc.pid!, sig);
  } catch {
    return;
  }
  await d.exited;
};
const start = (ns: string, name: string, text: string): RunningDaemon => {
  const f = join(dir, `${name}.conf`);
  writeFileSync(f, text);
  const d = startDaemon(lab, ns, name, f, dir);
  started.push(d);
  return d;
};
const masters = (d: RunningDaemon | undefined): number => count(d!.output(), '(VI_1) Entering MASTER STATE');
const backups = (d: RunningDaemon | undefined): number => count(d!.output(), '(VI_1) Entering BACKUP STATE');

beforeAll(() => {
  lab = createLab(3, { tag: 'u19' });
  [nsA, nsB, nsC] = lab.hosts.map((h) => h.ns) as [string, string, string];
  dir = mkdtempSync(join(tmpdir(), 'kts-u19-'));
  macA = macOf(lab, nsA);
  macB = macOf(lab, nsB);
  makeClient(lab, nsC);
});

afterAll(async () => {
  for (const d of started) await stop(d, 'SIGKILL');
  lab?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('IPv6 VIPs with VRRPv3 between two keepalived-ts daemons', () => {
  const conf6 = (name: string, priority: number): string =>
    instanceConf({ routerId: name, priority, vips: [`${VIP6}/64`], advertInt: 0.25, vrid: 61 });

  it('election: the 150 node is MASTER with the VIP, adverts leave from its link-local address with hop limit 255; the client resolves the VIP to its MAC', async () => {
    const wire = await captureSwitch(lab, 'ip6 proto 112', true);
    try {
      a = start(nsA, 'v6a', conf6('v6a', 150));
      b = start(nsB, 'v6b', conf6('v6b', 100));
      await waitFor('a MASTER with the VIP', () => masters(a) > 0 && hasVip6(lab, nsA, VIP6));
      await waitFor('b BACKUP without the VIP', () => backups(b) > 0 && b!.output().lastIndexOf('Entering BACKUP') > b!.output().lastIndexOf('Entering MASTER') && !hasVip6(lab, nsB, VIP6));
      // The client talks to the VIP once: its neighbour entry resolves to a.
      touch(lab, nsC, VIP6);
      await waitFor('the client to resolve the VIP to a', () => neighMac(lab, nsC, VIP6) === macA, 3000);
      await sleep(300);
      // -v shows the IPv6 header (hlim); -i any -e shows the sender's MAC.
      const text = wire.lines().join('\n');
      const fromA = new RegExp(`${macA} ethertype IPv6[^\\n]*[(,] ?hlim 255, next-header VRRP[^\\n]*\\) fe80::[0-9a-f:]+ > ff02::12: VRRPv3`);
      expect(text).toMatch(fromA);
      expect(text).not.toMatch(/hlim (?!255)\d+[^\n]*next-header VRRP/);
    } finally {
      wire.stop();
    }
  });

  it('the hop limit is checked: a forged priority-254 advert with hop limit 64 moves nothing', async () => {
    const before = backups(a);
    sendForgedAdvert6(lab, nsC, { vrid: 61, priority: 254, advertIntCs: 25, vip: VIP6, hopLimit: 64, count: 4, gapMs: 100 });
    await sleep(300);
    expect(backups(a)).toBe(before);
    expect(hasVip6(lab, nsA, VIP6)).toBe(true);
  });

  it('master SIGKILLed: the backup takes over, the IPv6 VIP moves and the client follows its NA', async () => {
    const before = masters(b);
    await stop(a, 'SIGKILL');
    await waitFor('b MASTER with the VIP', () => masters(b) > before && hasVip6(lab, nsB, VIP6));
    await waitFor('the client to follow b', () => neighMac(lab, nsC, VIP6) === macB, 3000);
  });

  it('restarted, the 150 node clears its leftover VIP and preempts back; the VIP and the client\'s entry follow', async () => {
    const before = backups(b);
    // A crash removes nothing: the killed master's VIP is still on its interface until the restart.
    expect(hasVip6(lab, nsA, VIP6)).toBe(true);
    a = start(nsA, 'v6a', conf6('v6a', 150));
    await waitFor('a to clear the leftover VIP', () => a!.output().includes(`Removing VIP ${VIP6} left on eth0 by a previous run`));
    await waitFor('a MASTER with the VIP', () => a!.output().includes('(VI_1) Entering MASTER STATE') && hasVip6(lab, nsA, VIP6));
    await waitFor('b BACKUP without the VIP', () => backups(b) > before && !hasVip6(lab, nsB, VIP6));
    await waitFor('the client to follow a', () => neighMac(lab, nsC, VIP6) === macA, 3000);
  });

  it('control: the same forged advert with hop limit 255 is accepted (the master yields to priority 254)', async () => {
    const before = backups(a);
    sendForgedAdvert6(lab, nsC, { vrid: 61, priority: 254, advertIntCs: 25, vip: VIP6, hopLimit: 255, count: 2, gapMs: 100 });
    await waitFor('a to yield to the forged master', () => backups(a) > before, 3000);
    // The forger falls silent: a takes the group back after the master-down interval.
    await waitFor('a MASTER again with the VIP', () => a!.output().lastIndexOf('Entering MASTER STATE') > a!.output().lastIndexOf('Entering BACKUP STATE') && hasVip6(lab, nsA, VIP6), 5000);
  });

  it('the event logs replay with 0 divergences; the timeline names the takeover, the preemption and the forged master', async () => {
    await stop(a, 'SIGTERM');
    await stop(b, 'SIGTERM');
    const logs = [join(dir, 'log-v6a'), join(dir, 'log-v6b')];
    const v = await verifyLines(logs);
    expect(v.code).toBe(0);
    expect(v.lines).toHaveLength(2);
    for (const l of v.lines) expect(l).toMatch(/ 0 divergence\(s\)$/);
    const t = await replay(logs);
    expect(t.out).toMatch(/v6b +VI_1 +BACKUP -> MASTER +no advert from fe80::[0-9a-f:]+ for 0\.902 s \(master-down interval\)/);
    expect(t.out).toMatch(/v6b +VI_1 +MASTER -> BACKUP +advert from fe80::[0-9a-f:]+, priority 150 > ours 100/);
    expect(t.out).toMatch(/v6a +VI_1 +MASTER -> BACKUP +advert from fe80::[0-9a-f:]+, priority 254 > ours 150/);
  });
});

describe('unicast peers (unicast_src_ip / unicast_peer) between two keepalived-ts daemons', () => {
  const confU = (name: string, priority: number, self: string, peer: string): string =>
    instanceConf({ routerId: name, priority, vips: [`${VIP4}/24`], advertInt: 0.25, vrid: 62, extra: `  unicast_src_ip ${self}\n  unicast_peer {\n    ${peer}\n  }\n` });

  it('election over unicast: adverts go to the peer\'s address, none to 224.0.0.18; the 150 node holds the VIP', async () => {
    const wire = await captureSwitch(lab, 'ip proto 112');
    try {
      a = start(nsA, 'ua', confU('ua', 150, '192.0.2.1', '192.0.2.2'));
      b = start(nsB, 'ub', confU('ub', 100, '192.0.2.2', '192.0.2.1'));
      await waitFor('a MASTER with the VIP', () => masters(a) > 0 && hasVip(lab, nsA, VIP4));
      await waitFor('b BACKUP without the VIP', () => backups(b) > 0 && b!.output().lastIndexOf('Entering BACKUP') > b!.output().lastIndexOf('Entering MASTER') && !hasVip(lab, nsB, VIP4));
      await sleep(600);
      const text = wire.lines().join('\n');
      expect(text).toMatch(/192\.0\.2\.1 > 192\.0\.2\.2: VRRPv3/);
      expect(text).not.toMatch(/> 224\.0\.0\.18/);
    } finally {
      wire.stop();
    }
  });

  it('master SIGKILLed: the peer takes over and holds the VIP', async () => {
    const before = masters(b);
    await stop(a, 'SIGKILL');
    await waitFor('b MASTER with the VIP', () => masters(b) > before && hasVip(lab, nsB, VIP4));
  });

  it('restarted, the 150 node preempts back over unicast; then SIGTERM hands over after skew time', async () => {
    const before = backups(b);
    a = start(nsA, 'ua', confU('ua', 150, '192.0.2.1', '192.0.2.2'));
    await waitFor('a MASTER with the VIP', () => a!.output().includes('(VI_1) Entering MASTER STATE') && hasVip(lab, nsA, VIP4));
    await waitFor('b BACKUP without the VIP', () => backups(b) > before && !hasVip(lab, nsB, VIP4));
    const bMasters = masters(b);
    const t0 = Date.now();
    await stop(a, 'SIGTERM');
    await waitFor('b MASTER with the VIP', () => masters(b) > bMasters && hasVip(lab, nsB, VIP4), 5000);
    expect(Date.now() - t0).toBeLessThan(2000);
    await stop(b, 'SIGTERM');
  });

  it('the event logs replay with 0 divergences; the timeline names each takeover\'s cause', async () => {
    const logs = [join(dir, 'log-ua'), join(dir, 'log-ub')];
    const v = await verifyLines(logs);
    expect(v.code).toBe(0);
    expect(v.lines).toHaveLength(2);
    for (const l of v.lines) expect(l).toMatch(/ 0 divergence\(s\)$/);
    const t = await replay(logs);
    expect(t.out).toMatch(/ub +VI_1 +BACKUP -> MASTER +no advert from 192\.0\.2\.1 for 0\.902 s \(master-down interval\)/);
    expect(t.out).toMatch(/ub +VI_1 +MASTER -> BACKUP +advert from 192\.0\.2\.1, priority 150 > ours 100/);
    expect(t.out).toMatch(/ub +VI_1 +BACKUP -> MASTER +master 192\.0\.2\.1 stopped \(priority-0 advert\)/);
  });
});
