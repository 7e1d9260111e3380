/**
 * The transport against the real keepalived (2.2.7, the reference): keepalived in host 0, our
 * transport in host 1, v3 at 0.1 s adverts for one IPv4 and one IPv6 instance.
 *  - While we advertise priority 200, keepalived (priority 100) accepts our adverts and stays
 *    BACKUP: it sends nothing. (Had it found them invalid — TTL, checksum, source — it would have
 *    taken over after its master-down interval, ~0.36 s.)
 *  - When we stop, it takes over; its adverts reach our transport with TTL / hop limit 255 and
 *    TOS 0xC0, and src/protocol's receive checks accept them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateAdvert } from '../../src/protocol/index.js';
import { JsonlProcess } from '../helpers/jsonl-process.js';
import { createLab, type NetnsLab } from '../helpers/netns.js';
import { startRunner, type Runner } from './adapter-lab.js';

const CONF = `
global_defs {
  router_id kts_interop
}
vrrp_instance V4 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 0.1
  version 3
  virtual_ipaddress {
    192.0.2.100/32
  }
}
vrrp_instance V6 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 100
  advert_int 0.1
  version 3
  virtual_ipaddress {
    2001:db8::100/128
  }
}
`;

let lab: NetnsLab;
let dir: string;
let ours: Runner;
let keepalived: JsonlProcess;
let ourLl: string;
let theirLl: string;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fromKeepalived = (e: Record<string, unknown>): boolean =>
  e['event'] === 'rx' && (e['src'] === '192.0.2.1' || e['src'] === theirLl);

beforeAll(async () => {
  lab = createLab(2, { tag: 'lnxka' });
  dir = mkdtempSync(join(tmpdir(), 'kts-lnxka-'));
  try {
    writeFileSync(join(dir, 'keepalived.conf'), CONF);
    ours = await startRunner(lab, lab.hosts[1]!.ns);
    ourLl = (await ours.call('lookup', { ifname: 'eth0' }))['ll'] as string;
    theirLl = lab.exec(lab.hosts[0]!.ns, ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link']).match(/inet6 (fe80::[0-9a-f:]+)\//)![1]!;
    expect(await ours.call('open', { ifname: 'eth0', family: 'ipv4' })).toEqual({ ok: true });
    expect(await ours.call('open', { ifname: 'eth0', family: 'ipv6' })).toEqual({ ok: true });
  } catch (e) {
    lab.cleanup();
    throw e;
  }
});

afterAll(() => {
  lab?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('interop with keepalived 2.2.7', () => {
  it('keepalived accepts our adverts (stays BACKUP), then takes over and we receive and accept its adverts', async () => {
    await ours.call('advertise-start', {
      name: 'v4', ifname: 'eth0', src: '192.0.2.2', dst: '224.0.0.18', intervalMs: 100,
      advert: { version: 3, type: 1, vrid: 51, priority: 200, maxAdverIntCs: 10, addresses: ['192.0.2.100'], family: 'ipv4' },
    });
    await ours.call('advertise-start', {
      name: 'v6', ifname: 'eth0', src: ourLl, dst: 'ff02::12', intervalMs: 100,
      advert: { version: 3, type: 1, vrid: 52, priority: 200, maxAdverIntCs: 10, addresses: ['2001:db8::100'], family: 'ipv6' },
    });
    const ns = lab.hosts[0]!.ns;
    keepalived = new JsonlProcess(
      lab.spawn(ns, ['keepalived', '-n', '-l', '-D', '-P', '-f', join(dir, 'keepalived.conf'), '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid'), '-c', join(dir, 'c.pid')]),
    );
    // Its log goes to stdout/stderr as plain text: JsonlProcess keeps non-JSON lines as {text}.
    const logged = (re: RegExp) => (): boolean => re.test(keepalived.stderr) || keepalived.events.some((e) => re.test(String(e['text'] ?? '')));
    for (const re of [/\(V4\) Entering BACKUP STATE/, /\(V6\) Entering BACKUP STATE/]) {
      const seen = logged(re);
      for (let i = 0; i < 100 && !seen(); i++) await sleep(50);
      expect(seen(), `keepalived log:\n${keepalived.stderr}${keepalived.events.map((e) => e['text']).join('\n')}`).toBe(true);
    }
    const mark = ours.mark;
    // Three master-down intervals with our adverts flowing: keepalived must stay silent.
    await sleep(1100);
    expect(ours.events('rx', mark).filter(fromKeepalived)).toEqual([]);
    expect(logged(/Entering MASTER STATE/)()).toBe(false);

    await ours.call('advertise-stop', { name: 'v4' });
    await ours.call('advertise-stop', { name: 'v6' });
    const from = ours.mark;
    const v4 = await ours.waitEvent((e) => fromKeepalived(e) && e['family'] === 'ipv4', from, 3000);
    const v6 = await ours.waitEvent((e) => fromKeepalived(e) && e['family'] === 'ipv6', from, 3000);
    expect(v4).toMatchObject({ src: '192.0.2.1', dst: '224.0.0.18', ttl: 255, tos: 0xc0 });
    expect(v6).toMatchObject({ src: theirLl, dst: 'ff02::12', ttl: 255 });
    const common = { version: 3 as const, advertIntCs: 10, skipCheckAdvAddr: false, unicastPeers: [] };
    const r4 = validateAdvert(Buffer.from(v4['payload'] as string, 'hex'), {
      ...common, vrid: 51, family: 'ipv4', vips: ['192.0.2.100'], multicastGroup: '224.0.0.18', ttl: 255, src: '192.0.2.1', dst: '224.0.0.18',
    });
    const r6 = validateAdvert(Buffer.from(v6['payload'] as string, 'hex'), {
      ...common, vrid: 52, family: 'ipv6', vips: ['2001:db8::100'], multicastGroup: 'ff02::12', ttl: 255, src: theirLl, dst: 'ff02::12',
    });
    expect(r4).toMatchObject({ ok: true });
    expect(r6).toMatchObject({ ok: true });
  });
});
