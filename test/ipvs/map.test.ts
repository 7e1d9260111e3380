/**
 * keepalived's words → the kernel's IPVS values (ipvs-map.ts), and the reconcile plan (ipvs-diff.ts).
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { readFileSync } from 'node:fs';
import { loadConfigFile, loadConfigText } from '../../src/config/load.js';
import {
  destFromKernel,
  groupsOf,
  kernelIdentities,
  kernelServices,
  kernelTable,
  netmaskOf,
  schedFlagBits,
  schedFlagWords,
  serviceFromKernel,
  wantedTable,
  type KernelTableEntry,
} from '../../src/adapters/linux/ipvs-map.js';
import { describeOp, planReconcile } from '../../src/adapters/linux/ipvs-diff.js';
import { IP_VS_CONN_F, IP_VS_SVC_F, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, identityKey, type IpvsServiceSpec } from '../../src/protocol/ipvs.js';

function config(file: string) {
  const r = loadConfigFile(file);
  if (!r.config) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

describe('keepalived words → kernel values', () => {
  it('scheduler flags: sh-*/mh-* are flag-1/flag-2 bits, ops is one-packet', () => {
    expect(schedFlagBits(['sh-fallback', 'sh-port'])).toBe(IP_VS_SVC_F.SCHED1 | IP_VS_SVC_F.SCHED2);
    expect(schedFlagBits(['mh-port'])).toBe(IP_VS_SVC_F.SCHED2);
    expect(schedFlagBits(['flag-3', 'ops'])).toBe(IP_VS_SVC_F.SCHED3 | IP_VS_SVC_F.ONEPACKET);
    expect(schedFlagWords('sh', IP_VS_SVC_F.SCHED1 | IP_VS_SVC_F.SCHED2)).toEqual(['sh-fallback', 'sh-port']);
    expect(schedFlagWords('mh', IP_VS_SVC_F.SCHED2 | IP_VS_SVC_F.ONEPACKET)).toEqual(['mh-port', 'ops']);
    expect(schedFlagWords('rr', IP_VS_SVC_F.SCHED1)).toEqual(['flag-1']);
  });

  it('persistence_granularity: an IPv4 mask or prefix length; an IPv6 prefix length', () => {
    expect(netmaskOf('ipv4', undefined)).toBe(0xffffffff);
    expect(netmaskOf('ipv4', '255.255.255.0')).toBe(0xffffff00);
    expect(netmaskOf('ipv4', '16')).toBe(0xffff0000);
    expect(netmaskOf('ipv6', undefined)).toBe(128);
    expect(netmaskOf('ipv6', '64')).toBe(64);
    expect(netmaskOf('ipv6', '255.255.255.0')).toBeUndefined();
    expect(netmaskOf('ipv6', '129')).toBeUndefined();
  });

  it('a virtual_server_group expands to one kernel service per member, ranges included', () => {
    const r = loadConfigText(
      'virtual_server_group g {\n 192.0.2.20-22 8080\n 2001:db8::a-c 443\n fwmark 42\n}\n' +
        'virtual_server group g {\n lb_algo rr\n lb_kind DR\n protocol UDP\n real_server 198.51.100.1 8080 {\n }\n}\n',
      'g.conf',
    );
    const cfg = r.config!;
    const ids = kernelIdentities({ type: 'group', protocol: 'UDP', name: 'g' }, groupsOf(cfg));
    expect(ids).toEqual([
      { family: 'ipv4', protocol: IPPROTO_UDP, address: '192.0.2.20', port: 8080 },
      { family: 'ipv4', protocol: IPPROTO_UDP, address: '192.0.2.21', port: 8080 },
      { family: 'ipv4', protocol: IPPROTO_UDP, address: '192.0.2.22', port: 8080 },
      { family: 'ipv6', protocol: IPPROTO_UDP, address: '2001:db8::a', port: 443 },
      { family: 'ipv6', protocol: IPPROTO_UDP, address: '2001:db8::b', port: 443 },
      { family: 'ipv6', protocol: IPPROTO_UDP, address: '2001:db8::c', port: 443 },
      { family: 'ipv4', fwmark: 42 },
    ]);
    expect(kernelIdentities({ type: 'group', protocol: 'TCP', name: 'missing' }, groupsOf(cfg))).toEqual([]);
  });

  it("the article's virtual_server: rr, DR, persistence 10 s, three real servers at weight 1", () => {
    const cfg = config('conf/article-master.conf');
    const { table } = kernelTable(wantedTable(cfg), groupsOf(cfg));
    expect(table).toEqual([
      {
        service: {
          family: 'ipv4',
          protocol: IPPROTO_TCP,
          address: '192.168.79.180',
          port: 80,
          schedName: 'rr',
          flags: IP_VS_SVC_F.PERSISTENT,
          timeout: 10,
          netmask: 0xffffffff,
        },
        dests: ['128', '129', '131'].map((n) => ({
          address: `192.168.79.${n}`,
          port: 80,
          family: 'ipv4',
          fwdMethod: IP_VS_CONN_F.DROUTE,
          weight: 1,
          uThresh: 0,
          lThresh: 0,
        })),
      },
    ]);
  });

  it('test/ipvs-vm/lvs.conf: lvs_method overrides lb_kind, SCTP, sorry server when there are no real servers', () => {
    const cfg = config('test/ipvs-vm/lvs.conf');
    const { table, unmappable } = kernelTable(wantedTable(cfg), groupsOf(cfg));
    expect(unmappable).toEqual([]);
    expect(table).toHaveLength(18);
    const dr = table.find((e) => 'address' in e.service && e.service.address === '192.0.2.11')!;
    expect(dr.dests.map((d) => d.fwdMethod)).toEqual([IP_VS_CONN_F.DROUTE, IP_VS_CONN_F.TUNNEL]);
    expect(table.find((e) => 'protocol' in e.service && e.service.protocol === IPPROTO_SCTP)?.service.schedName).toBe('fo');
    const sorry = table.find((e) => 'address' in e.service && e.service.address === '192.0.2.37')!;
    expect(sorry.dests.map((d) => d.address)).toEqual(['198.51.100.99']);
    expect(readFileSync('test/ipvs-vm/lvs.conf', 'utf8')).toContain('sorry_server 198.51.100.99 80');
  });

  it('a kernel service and dest read back in keepalived words', () => {
    const s: IpvsServiceSpec = { family: 'ipv4', protocol: IPPROTO_TCP, address: '192.0.2.1', port: 80, schedName: 'sh', flags: 0x19, timeout: 30, netmask: 0xffffff00 };
    expect(serviceFromKernel(s)).toEqual({
      id: { type: 'address', protocol: 'TCP', address: '192.0.2.1', port: 80, family: 'ipv4' },
      scheduler: 'sh',
      flags: ['sh-fallback', 'sh-port'],
      persistenceTimeout: 30,
      persistenceGranularity: '255.255.255.0',
    });
    expect(destFromKernel({ address: '198.51.100.1', port: 80, family: 'ipv4', fwdMethod: 2, weight: 0, uThresh: 5, lThresh: 0 })).toEqual({
      address: '198.51.100.1',
      port: 80,
      family: 'ipv4',
      weight: 0,
      method: 'TUN',
      uthreshold: 5,
    });
    expect(kernelServices({ id: { type: 'fwmark', fwmark: 1, family: 'ipv6' }, scheduler: 'rr', flags: [], persistenceGranularity: '255.0.0.0' }, new Map())).toBeUndefined();
  });
});

describe('reconcile plan', () => {
  const svc = (address: string, over: Partial<IpvsServiceSpec> = {}): IpvsServiceSpec =>
    ({ family: 'ipv4', protocol: IPPROTO_TCP, address, port: 80, schedName: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff, ...over }) as IpvsServiceSpec;
  const dest = (n: number, weight = 1) => ({ address: `198.51.100.${n}`, port: 80, family: 'ipv4' as const, fwdMethod: 0, weight, uThresh: 0, lThresh: 0 });
  const wanted: KernelTableEntry[] = [
    { service: svc('192.0.2.1'), dests: [dest(1), dest(2)] },
    { service: svc('192.0.2.2'), dests: [dest(3)] },
  ];

  it('an empty kernel gets every service, each before its dests', () => {
    expect(planReconcile([], wanted).map(describeOp)).toEqual([
      'newService TCP 192.0.2.1:80',
      'newDest TCP 192.0.2.1:80 -> 198.51.100.1:80',
      'newDest TCP 192.0.2.1:80 -> 198.51.100.2:80',
      'newService TCP 192.0.2.2:80',
      'newDest TCP 192.0.2.2:80 -> 198.51.100.3:80',
    ]);
  });

  it('the same table needs nothing', () => {
    expect(planReconcile(structuredClone(wanted), wanted)).toEqual([]);
  });

  it('hand changes are undone: weight, missing dest, extra dest, scheduler, missing service', () => {
    const current: KernelTableEntry[] = [{ service: svc('192.0.2.1', { schedName: 'wlc' }), dests: [dest(1, 9), dest(7)] }];
    expect(planReconcile(current, wanted).map(describeOp)).toEqual([
      'delDest TCP 192.0.2.1:80 -> 198.51.100.7:80',
      'setService TCP 192.0.2.1:80',
      'setDest TCP 192.0.2.1:80 -> 198.51.100.1:80',
      'newDest TCP 192.0.2.1:80 -> 198.51.100.2:80',
      'newService TCP 192.0.2.2:80',
      'newDest TCP 192.0.2.2:80 -> 198.51.100.3:80',
    ]);
  });

  it("services that are not wanted stay unless foreign: 'remove'", () => {
    const current: KernelTableEntry[] = [...structuredClone(wanted), { service: svc('192.0.2.9'), dests: [dest(9)] }];
    expect(planReconcile(current, wanted)).toEqual([]);
    expect(planReconcile(current, wanted, { foreign: 'remove' }).map(describeOp)).toEqual(['delService TCP 192.0.2.9:80']);
  });
});

describe('reconcile plan, property', () => {
  const arbDest = fc.record({
    address: fc.constantFrom('198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4'),
    port: fc.constantFrom(80, 8080),
    family: fc.constant('ipv4' as const),
    fwdMethod: fc.constantFrom(0, 2, 3),
    weight: fc.integer({ min: 0, max: 5 }),
    uThresh: fc.constantFrom(0, 100),
    lThresh: fc.constantFrom(0, 10),
  });
  const arbEntry = fc.record({
    service: fc.record({
      family: fc.constant('ipv4' as const),
      protocol: fc.constantFrom(IPPROTO_TCP, IPPROTO_UDP),
      address: fc.constantFrom('192.0.2.1', '192.0.2.2', '192.0.2.3'),
      port: fc.constantFrom(80, 443),
      schedName: fc.constantFrom('rr', 'wlc', 'sh'),
      flags: fc.constantFrom(0, 1, 0x18),
      timeout: fc.constantFrom(0, 300),
      netmask: fc.constantFrom(0xffffffff, 0xffffff00),
    }),
    dests: fc.uniqueArray(arbDest, { maxLength: 4, selector: (d) => `${d.address}:${d.port}` }),
  });
  const arbTable = fc.uniqueArray(arbEntry, { maxLength: 6, selector: (e) => identityKey(e.service) });

  /** The kernel's rules, in memory: what applying a plan does. */
  function applyPlan(current: KernelTableEntry[], ops: ReturnType<typeof planReconcile>): KernelTableEntry[] {
    const t = new Map(structuredClone(current).map((e) => [identityKey(e.service), e]));
    for (const o of ops) {
      const k = identityKey(o.service);
      const dk = (d: { address: string; port: number }) => `${d.address}:${d.port}`;
      switch (o.op) {
        case 'newService':
          expect(t.has(k)).toBe(false);
          t.set(k, { service: o.service, dests: [] });
          break;
        case 'setService':
          t.get(k)!.service = o.service;
          break;
        case 'delService':
          expect(t.delete(k)).toBe(true);
          break;
        case 'newDest':
          expect(t.get(k)!.dests.some((d) => dk(d) === dk(o.dest))).toBe(false);
          t.get(k)!.dests.push(o.dest);
          break;
        case 'setDest': {
          const e = t.get(k)!;
          const i = e.dests.findIndex((d) => dk(d) === dk(o.dest));
          expect(i).toBeGreaterThanOrEqual(0);
          e.dests[i] = o.dest;
          break;
        }
        case 'delDest': {
          const e = t.get(k)!;
          const before = e.dests.length;
          e.dests = e.dests.filter((d) => dk(d) !== dk(o.dest));
          expect(e.dests.length).toBe(before - 1);
          break;
        }
      }
    }
    return [...t.values()];
  }
  const norm = (t: KernelTableEntry[]) =>
    t
      .map((e) => ({ service: e.service, dests: [...e.dests].sort((a, b) => `${a.address}:${a.port}`.localeCompare(`${b.address}:${b.port}`)) }))
      .sort((a, b) => identityKey(a.service).localeCompare(identityKey(b.service)));

  test.prop([arbTable, arbTable])("applying the plan gives the wanted table, every op legal for the kernel; then nothing is left to do", (current, wanted) => {
    const after = applyPlan(current, planReconcile(current, wanted, { foreign: 'remove' }));
    expect(norm(after)).toEqual(norm(wanted));
    expect(planReconcile(after, wanted, { foreign: 'remove' })).toEqual([]);
  });

  test.prop([arbTable, arbTable])("with foreign: 'keep', services not wanted are left exactly as they were", (current, wanted) => {
    const after = applyPlan(current, planReconcile(current, wanted));
    const wantedKeys = new Set(wanted.map((e) => identityKey(e.service)));
    expect(norm(after.filter((e) => !wantedKeys.has(identityKey(e.service))))).toEqual(norm(current.filter((e) => !wantedKeys.has(identityKey(e.service)))));
    expect(norm(after.filter((e) => wantedKeys.has(identityKey(e.service))))).toEqual(norm(wanted));
  });
});
