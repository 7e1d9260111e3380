/**
 * The effect adapters on a real kernel: VIPs on netlink, gratuitous ARP / unsolicited NA on
 * AF_PACKET, and the link monitor. Host 0 runs the adapters (test/linux/runner.ts) inside its
 * namespace; host 1 is the client whose neighbour table must learn the VIP; tcpdump watches the bridge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type NetnsLab } from '../helpers/netns.js';
import { Capture, startRunner, type Runner } from './adapter-lab.js';

let lab: NetnsLab;
let node: Runner;
let nodeNs: string;
let clientNs: string;
let nodeMac: string;

const ipAddr = (ns: string, dev = 'eth0'): string => lab.exec(ns, ['ip', 'addr', 'show', 'dev', dev]);

beforeAll(async () => {
  lab = createLab(2, { tag: 'lnxfx' });
  try {
    nodeNs = lab.hosts[0]!.ns;
    clientNs = lab.hosts[1]!.ns;
    lab.exec(clientNs, ['sysctl', '-q', '-w', 'net.ipv4.conf.all.arp_accept=1', 'net.ipv4.conf.eth0.arp_accept=1']);
    node = await startRunner(lab, nodeNs);
    nodeMac = (await node.call('lookup', { ifname: 'eth0' }))['mac'] as string;
  } catch (e) {
    lab.cleanup();
    throw e;
  }
});

afterAll(() => lab?.cleanup());

describe('VIPs on netlink', () => {
  const vip4 = { address: '192.0.2.100', prefixLen: 32, family: 'ipv4', label: 'eth0:1' };
  const vip6 = { address: '2001:db8::100', prefixLen: 128, family: 'ipv6' };

  it('adds 192.0.2.100/32 with label eth0:1 and 2001:db8::100/128: ip addr shows them', async () => {
    expect(await node.call('vip-add', { vip: vip4, dev: 'eth0' })).toEqual({ ok: true, changed: true });
    expect(await node.call('vip-add', { vip: vip6, dev: 'eth0' })).toEqual({ ok: true, changed: true });
    const text = ipAddr(nodeNs);
    expect(text).toMatch(/inet 192\.0\.2\.100\/32 scope global eth0:1/);
    expect(text).toMatch(/inet6 2001:db8::100\/128 scope global nodad/);
  });

  it('adding the same VIP twice is harmless', async () => {
    expect(await node.call('vip-add', { vip: vip4, dev: 'eth0' })).toEqual({ ok: true, changed: false });
    expect(await node.call('vip-add', { vip: vip6, dev: 'eth0' })).toEqual({ ok: true, changed: false });
    expect(ipAddr(nodeNs).match(/192\.0\.2\.100\//g)).toHaveLength(1);
  });

  it('lists the VIPs with their interface, label and prefix (the input of a start-up reconcile)', async () => {
    const r = (await node.call('vip-list')) as { ok: boolean; addresses: Array<Record<string, unknown>> };
    expect(r.ok).toBe(true);
    expect(r.addresses).toContainEqual(expect.objectContaining({ ifname: 'eth0', address: '192.0.2.100', prefixLen: 32, label: 'eth0:1', family: 'ipv4' }));
    expect(r.addresses).toContainEqual(expect.objectContaining({ ifname: 'eth0', address: '2001:db8::100', prefixLen: 128, family: 'ipv6' }));
  });

  it('honours dev, scope and brd', async () => {
    lab.exec(nodeNs, ['ip', 'link', 'add', 'vipd0', 'type', 'veth', 'peer', 'name', 'vipd0p']);
    const vip = { address: '198.51.100.7', prefixLen: 24, family: 'ipv4', dev: 'vipd0', scope: 'link', brd: '+' };
    expect(await node.call('vip-add', { vip, dev: 'eth0' })).toEqual({ ok: true, changed: true });
    expect(ipAddr(nodeNs, 'vipd0')).toMatch(/inet 198\.51\.100\.7\/24 brd 198\.51\.100\.255 scope link vipd0/);
    expect(await node.call('vip-remove', { vip, dev: 'eth0' })).toEqual({ ok: true, changed: true });
    expect(ipAddr(nodeNs, 'vipd0')).not.toContain('198.51.100.7');
  });

  it('removes them: ip addr no longer shows them; removing again is harmless', async () => {
    expect(await node.call('vip-remove', { vip: vip4, dev: 'eth0' })).toEqual({ ok: true, changed: true });
    expect(await node.call('vip-remove', { vip: vip6, dev: 'eth0' })).toEqual({ ok: true, changed: true });
    const text = ipAddr(nodeNs);
    expect(text).not.toContain('192.0.2.100');
    expect(text).not.toContain('2001:db8::100');
    expect(await node.call('vip-remove', { vip: vip4, dev: 'eth0' })).toEqual({ ok: true, changed: false });
  });

  it('with the device index known (a takeover skips the lookup) the VIP goes on that device; an index that is gone falls back to the name', async () => {
    const ifindex = (await node.call('lookup', { ifname: 'eth0' }))['ifindex'] as number;
    expect(ifindex).toBeGreaterThan(0);
    const vip = { address: '192.0.2.103', prefixLen: 32, family: 'ipv4' };
    expect(await node.call('vip-add', { vip, dev: 'eth0', ifindex })).toEqual({ ok: true, changed: true });
    expect(ipAddr(nodeNs)).toContain('192.0.2.103/32');
    expect(await node.call('vip-remove', { vip, dev: 'eth0', ifindex })).toEqual({ ok: true, changed: true });
    expect(ipAddr(nodeNs)).not.toContain('192.0.2.103');
    // A device recreated since: its old index no longer exists (ENODEV), the name is looked up.
    expect(await node.call('vip-add', { vip, dev: 'eth0', ifindex: 99_999 })).toEqual({ ok: true, changed: true });
    expect(ipAddr(nodeNs)).toContain('192.0.2.103/32');
    expect(await node.call('vip-remove', { vip, dev: 'eth0', ifindex: 99_999 })).toEqual({ ok: true, changed: true });
    expect(ipAddr(nodeNs)).not.toContain('192.0.2.103');
  });

  it('a VIP the kernel refuses gives a clear error, and the adapter keeps working', async () => {
    lab.exec(nodeNs, ['ip', 'link', 'add', 'nov6', 'type', 'veth', 'peer', 'name', 'nov6p']);
    lab.exec(nodeNs, ['sysctl', '-q', '-w', 'net.ipv6.conf.nov6.disable_ipv6=1']);
    const refused = await node.call('vip-add', { vip: { address: '2001:db8::200', prefixLen: 128, family: 'ipv6' }, dev: 'nov6' });
    expect(refused).toMatchObject({ ok: false, code: 'EACCES' });
    expect(refused['error']).toMatch(/^cannot add 2001:db8::200\/128 dev nov6: .*EACCES/);
    const noDev = await node.call('vip-add', { vip: { address: '192.0.2.101', prefixLen: 32, family: 'ipv4' }, dev: 'nosuch0' });
    expect(noDev).toMatchObject({ ok: false, code: 'ENODEV' });
    expect(noDev['error']).toContain('nosuch0');
    // Still alive and working.
    expect(await node.call('vip-add', { vip: { address: '192.0.2.102', prefixLen: 32, family: 'ipv4' }, dev: 'eth0' })).toEqual({ ok: true, changed: true });
    expect(ipAddr(nodeNs)).toContain('192.0.2.102/32');
  });
});

describe('virtual routes on netlink', () => {
  const route = { dst: '203.0.113.0/24', via: '192.0.2.2', dev: 'eth0', metric: 7, words: ['203.0.113.0/24', 'via', '192.0.2.2', 'dev', 'eth0', 'metric', '7'] };

  it('adds a route with proto keepalived (ip route shows it), twice harmlessly, and removes it', async () => {
    expect(await node.call('route-add', { route })).toEqual({ ok: true, changed: true });
    expect(lab.exec(nodeNs, ['ip', 'route', 'show', '203.0.113.0/24'])).toMatch(/203\.0\.113\.0\/24 via 192\.0\.2\.2 dev eth0 proto keepalived metric 7/);
    expect(await node.call('route-add', { route })).toEqual({ ok: true, changed: false });
    expect(await node.call('route-remove', { route })).toEqual({ ok: true, changed: true });
    expect(lab.exec(nodeNs, ['ip', 'route', 'show', '203.0.113.0/24'])).toBe('');
    expect(await node.call('route-remove', { route })).toEqual({ ok: true, changed: false });
  });

  it('blackhole routes in another table, and IPv6 routes', async () => {
    const bh = { dst: '198.51.100.0/24', table: '100', words: ['blackhole', '198.51.100.0/24', 'table', '100'] };
    expect(await node.call('route-add', { route: bh })).toEqual({ ok: true, changed: true });
    expect(lab.exec(nodeNs, ['ip', 'route', 'show', 'table', '100'])).toMatch(/blackhole 198\.51\.100\.0\/24 proto keepalived/);
    const v6 = { dst: '2001:db8:1::/48', via: '2001:db8::2', dev: 'eth0' };
    expect(await node.call('route-add', { route: v6 })).toEqual({ ok: true, changed: true });
    expect(lab.exec(nodeNs, ['ip', '-6', 'route', 'show', '2001:db8:1::/48'])).toMatch(/2001:db8:1::\/48 via 2001:db8::2 dev eth0 proto keepalived/);
  });

  it('a route the kernel refuses (unreachable gateway) is a clear error', async () => {
    const r = await node.call('route-add', { route: { dst: '203.0.113.0/25', via: '198.51.100.1', dev: 'eth0' } });
    expect(r).toMatchObject({ ok: false, code: 'ENETUNREACH' });
    expect(r['error']).toMatch(/^cannot add route 203\.0\.113\.0\/25: network unreachable/);
  });
});

describe('use_vmac: a macvlan with the virtual MAC', () => {
  it('creates vrrp.51 on eth0 with 00:00:5e:00:01:33, mode private, up; again harmlessly; removes it', async () => {
    const vmac = { vrid: 51, family: 'ipv4', parent: 'eth0' };
    expect(await node.call('vmac-create', { vmac })).toMatchObject({ ok: true, changed: true, name: 'vrrp.51', mac: '00:00:5e:00:01:33' });
    const text = lab.exec(nodeNs, ['ip', '-d', 'link', 'show', 'vrrp.51']);
    expect(text).toMatch(/vrrp\.51@eth0: <[^>]*\bUP\b/);
    expect(text).toContain('link/ether 00:00:5e:00:01:33');
    expect(text).toMatch(/macvlan mode private/);
    expect(await node.call('vmac-create', { vmac })).toMatchObject({ ok: true, changed: false });
    expect(await node.call('vmac-remove', { vmac })).toMatchObject({ ok: true, changed: true });
    expect(lab.exec(nodeNs, ['ip', 'link', 'show'])).not.toContain('vrrp.51');
    expect(await node.call('vmac-remove', { vmac })).toMatchObject({ ok: true, changed: false });
  });

  it('the IPv6 vmac is vrrp6.VRID with 00:00:5e:00:02:VRID; a missing parent is a clear error', async () => {
    const v6 = { vrid: 7, family: 'ipv6', parent: 'eth0' };
    expect(await node.call('vmac-create', { vmac: v6 })).toMatchObject({ ok: true, name: 'vrrp6.7', mac: '00:00:5e:00:02:07' });
    expect(lab.exec(nodeNs, ['ip', 'link', 'show', 'vrrp6.7'])).toContain('link/ether 00:00:5e:00:02:07');
    const bad = await node.call('vmac-create', { vmac: { vrid: 8, family: 'ipv4', parent: 'nosuch0' } });
    expect(bad).toMatchObject({ ok: false, code: 'ENODEV' });
    expect(bad['error']).toContain('nosuch0');
  });
});

describe('gratuitous ARP and unsolicited NA on AF_PACKET', () => {
  it('a gratuitous ARP makes the client learn the sender MAC for the VIP; tcpdump shows who-has X tell X', async () => {
    const cap = await Capture.start(lab, ['arp']);
    try {
      expect(await node.call('garp', { ifname: 'eth0', address: '192.0.2.100' })).toEqual({ ok: true, bytes: 42 });
      const text = await cap.waitFor(/Request who-has 192\.0\.2\.100/);
      expect(text).toMatch(/Request who-has 192\.0\.2\.100 (\(ff:ff:ff:ff:ff:ff\) )?tell 192\.0\.2\.100/);
      expect(text).toContain(`${nodeMac} > ff:ff:ff:ff:ff:ff, ethertype ARP`);
    } finally {
      cap.stop();
    }
    let neigh = '';
    for (let i = 0; i < 40 && !neigh.includes(nodeMac); i++) {
      neigh = lab.exec(clientNs, ['ip', 'neigh', 'show', '192.0.2.100']);
      if (!neigh.includes(nodeMac)) await new Promise((r) => setTimeout(r, 25));
    }
    expect(neigh).toContain(`192.0.2.100 dev eth0 lladdr ${nodeMac}`);
  });

  it('a second GARP with another MAC (a new master) moves the client entry', async () => {
    const vmac = '00:00:5e:00:01:33';
    expect(await node.call('garp', { ifname: 'eth0', address: '192.0.2.100', mac: vmac })).toMatchObject({ ok: true });
    let neigh = '';
    for (let i = 0; i < 40 && !neigh.includes(vmac); i++) {
      neigh = lab.exec(clientNs, ['ip', 'neigh', 'show', '192.0.2.100']);
      if (!neigh.includes(vmac)) await new Promise((r) => setTimeout(r, 25));
    }
    expect(neigh).toContain(`lladdr ${vmac}`);
  });

  it('an unsolicited NA shows in tcpdump as a neighbor advertisement for the target, router and override set', async () => {
    const cap = await Capture.start(lab, ['icmp6 and ip6[40] == 136']);
    try {
      expect(await node.call('na', { ifname: 'eth0', vip: '2001:db8::100' })).toEqual({ ok: true, bytes: 86 });
      const text = await cap.waitFor(/tgt is 2001:db8::100/);
      expect(text).toMatch(/> ff02::1: \[icmp6 sum ok\] ICMP6, neighbor advertisement, length 32, tgt is 2001:db8::100, Flags \[router, override\]/);
      expect(text).toMatch(/hlim 255/);
      expect(text).toContain(`destination link-address option (2), length 8 (1): ${nodeMac}`);
    } finally {
      cap.stop();
    }
  });

  it('a send on a missing interface is an error result, not a throw', async () => {
    const r = await node.call('garp-raw', { ifindex: 9999 });
    expect(r).toMatchObject({ ok: false, code: 'ENXIO' });
  });
});

describe('link monitor', () => {
  it('ip link set down / up yields down and up events; deleting yields deleted', async () => {
    // A veth pair inside the namespace (this kernel has no dummy driver): running once both ends are up.
    lab.exec(nodeNs, ['ip', 'link', 'add', 'mon0', 'type', 'veth', 'peer', 'name', 'mon0p']);
    lab.exec(nodeNs, ['ip', 'link', 'set', 'mon0p', 'up']);
    lab.exec(nodeNs, ['ip', 'link', 'set', 'mon0', 'up']);
    const started = await node.call('monitor');
    expect(started['links']).toContain('mon0');
    const from = node.mark;
    lab.exec(nodeNs, ['ip', 'link', 'set', 'mon0', 'down']);
    expect(await node.waitEvent((e) => e['event'] === 'link' && e['ifname'] === 'mon0', from)).toMatchObject({ state: 'down', previous: 'up' });
    const from2 = node.mark;
    lab.exec(nodeNs, ['ip', 'link', 'set', 'mon0', 'up']);
    expect(await node.waitEvent((e) => e['event'] === 'link' && e['ifname'] === 'mon0', from2)).toMatchObject({ state: 'up', previous: 'down' });
    const from3 = node.mark;
    lab.exec(nodeNs, ['ip', 'link', 'del', 'mon0']);
    await node.waitEvent((e) => e['event'] === 'link' && e['ifname'] === 'mon0' && e['state'] === 'deleted', from3);
    // The kernel may report the carrier loss (down) before RTM_DELLINK; never an up.
    const states = node.events('link', from3).filter((e) => e['ifname'] === 'mon0').map((e) => e['state']);
    expect(states.at(-1)).toBe('deleted');
    expect(states.filter((s) => s !== 'down' && s !== 'deleted')).toEqual([]);
  });

  it('a change that leaves the state as it was (an MTU change) emits nothing', async () => {
    const from = node.mark;
    lab.exec(nodeNs, ['ip', 'link', 'set', 'eth0', 'mtu', '1400']);
    lab.exec(nodeNs, ['ip', 'link', 'set', 'eth0', 'mtu', '1500']);
    // A down/up on another link afterwards proves the monitor saw the mtu changes already.
    lab.exec(nodeNs, ['ip', 'link', 'set', 'vipd0p', 'up']);
    lab.exec(nodeNs, ['ip', 'link', 'set', 'vipd0', 'up']);
    await node.waitEvent((e) => e['event'] === 'link' && e['ifname'] === 'vipd0', from);
    expect(node.events('link', from).filter((e) => e['ifname'] === 'eth0')).toEqual([]);
  });
});
