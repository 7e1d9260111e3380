/**
 * ha_suspend on the real kernel, in network namespaces: a daemon running the checker side only
 * (-C) with a virtual_server 192.0.2.100:80 that has ha_suspend, whose real server 192.0.2.2:8080 is
 * an HTTP server in another namespace that reports every request it gets. The VIP is not on the
 * daemon's host at start: no request arrives for several delay_loops. `ip addr add` of the VIP in
 * the daemon's namespace (what VRRP does on becoming MASTER) activates the checker: requests arrive
 * every delay_loop. `ip addr del` (BACKUP again) suspends it: they stop. keepalived's log lines say
 * so, and the checker side's event log holds the two address inputs.
 * (This kernel has no IPVS: the checker side keeps its table in the recording twin.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type NetnsLab } from '../helpers/netns.js';
import { JsonlProcess } from '../helpers/jsonl-process.js';
import { EventLog } from '../../src/store/event-log.js';
import type { EventRecord } from '../../src/store/schema.js';
import { count, ROOT, startDaemon, waitFor, type RunningDaemon } from './daemons.js';

const VIP = '192.0.2.100';
const RS = '192.0.2.2';
const PORT = 8080;
const SERVICE = `service [${RS}]:tcp:${PORT} for VS [${VIP}]:tcp:80`;
let lab: NetnsLab;
let dir: string;
let daemon: RunningDaemon;
let server: JsonlProcess;

const requests = (): number => server.events.filter((e) => e['event'] === 'request').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const conf = `global_defs {
  router_id lb-has
}
virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  ha_suspend
  real_server ${RS} ${PORT} {
    weight 1
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
}
`;

beforeAll(async () => {
  lab = createLab(2, { tag: 'has' });
  dir = mkdtempSync(join(tmpdir(), 'kts-ha-suspend-'));
  writeFileSync(join(dir, 'has.conf'), conf);
  server = new JsonlProcess(lab.spawn(lab.hosts[1]!.ns, [process.execPath, resolve(ROOT, 'test/helpers/servers/http.mjs'), String(PORT)]));
  await server.waitFor((e) => e['ready'] === true, 10_000);
}, 30_000);

afterAll(() => {
  lab?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ha_suspend: checkers follow the virtual server address on this host', () => {
  const ns = () => lab.hosts[0]!.ns;

  it('without the VIP on the host, the checker starts suspended: no request for several delay_loops', async () => {
    daemon = startDaemon(lab, ns(), 'has', join(dir, 'has.conf'), dir, ['-C']);
    await waitFor('the checker side', () => daemon.output().includes('Starting the checkers: 1 virtual server(s), 1 checker(s)'), 30_000);
    await waitFor('the deactivation', () => daemon.output().includes(`Deactivating healthchecker for ${SERVICE}`), 10_000);
    // delay_loop 1 s and warmup up to 1 s: an active checker would have probed 3 times by now.
    await sleep(3500);
    expect(requests()).toBe(0);
    expect(daemon.output()).not.toContain(`Activating healthchecker for ${SERVICE}`);
  }, 45_000);

  it('ip addr add of the VIP activates it: requests arrive every delay_loop', async () => {
    lab.exec(ns(), ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'eth0']);
    await waitFor('the activation', () => daemon.output().includes(`Activating healthchecker for ${SERVICE}`), 10_000);
    await waitFor('requests', () => requests() >= 3, 10_000);
  }, 20_000);

  it('ip addr del of the VIP suspends it: requests stop', async () => {
    lab.exec(ns(), ['ip', 'addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
    await waitFor('the suspension', () => daemon.output().includes(`Suspending healthchecker for ${SERVICE}`), 10_000);
    // A probe already under way when the address left may still land; connect_timeout 1 s bounds it.
    await sleep(1000);
    const before = requests();
    await sleep(3500);
    expect(requests()).toBe(before);
    expect(count(daemon.output(), `Activating healthchecker for ${SERVICE}`)).toBe(1);
  }, 20_000);

  it("the checker side's event log holds the startup suspended and the two address inputs", async () => {
    process.kill(daemon.proc.pid!, 'SIGTERM');
    expect(await daemon.exited).toBe(0);
    const reader = await EventLog.openReader(join(dir, 'log-has-checkers'));
    const inputs: EventRecord[] = [];
    try {
      for await (const r of reader.read()) if (r.kind === 'input' && r.actor === `rs/${VIP}:80/${RS}:${PORT}#0`) inputs.push(r);
    } finally {
      await reader.close();
    }
    expect(inputs[0]?.data).toMatchObject({ type: 'startup', suspended: true });
    const address = inputs.filter((r) => r.type === 'vsAddress').map((r) => r.data);
    expect(address).toEqual([
      { type: 'vsAddress', at: expect.any(Number), present: true, address: VIP },
      { type: 'vsAddress', at: expect.any(Number), present: false, address: VIP },
    ]);
  }, 20_000);

  it('with the VIP already on two interfaces at start, it checks at once and is suspended only when the last one goes', async () => {
    lab.exec(ns(), ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'eth0']);
    lab.exec(ns(), ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'lo']);
    const again = startDaemon(lab, ns(), 'has2', join(dir, 'has.conf'), dir, ['-C']);
    await waitFor('the checker side', () => again.output().includes('Starting the checkers: 1 virtual server(s), 1 checker(s)'), 30_000);
    await waitFor('the activation at start', () => again.output().includes(`Activating healthchecker for ${SERVICE}`), 10_000);
    expect(again.output()).not.toContain('Deactivating healthchecker');
    const first = requests();
    await waitFor('requests', () => requests() >= first + 2, 10_000);
    // Still on lo: the address has not left the host.
    lab.exec(ns(), ['ip', 'addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
    const kept = requests();
    await waitFor('requests while on lo', () => requests() >= kept + 2, 10_000);
    expect(again.output()).not.toContain('Suspending healthchecker');
    lab.exec(ns(), ['ip', 'addr', 'del', `${VIP}/32`, 'dev', 'lo']);
    await waitFor('the suspension', () => again.output().includes(`Suspending healthchecker for ${SERVICE}`), 10_000);
    process.kill(again.proc.pid!, 'SIGTERM');
    expect(await again.exited).toBe(0);
  }, 45_000);
});
