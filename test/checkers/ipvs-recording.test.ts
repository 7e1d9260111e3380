import { describe, expect, it } from 'vitest';
import { RecordingIpvs } from '../../src/adapters/ipvs-recording.js';
import { serviceKey, type IpvsDest, type IpvsServiceId } from '../../src/adapters/ipvs-types.js';

const svc: IpvsServiceId = { type: 'address', protocol: 'TCP', address: '192.0.2.100', port: 80, family: 'ipv4' };
const dest = (address: string, weight = 1): IpvsDest => ({ address, port: 80, family: 'ipv4', weight, method: 'NAT' });

describe('recording IPVS twin', () => {
  it('keeps the table as the kernel would and records every call with its answer', async () => {
    const ipvs = new RecordingIpvs();
    expect(await ipvs.apply({ type: 'ipvsAddService', service: { id: svc, scheduler: 'wrr', flags: [] } })).toEqual({ ok: true });
    await ipvs.apply({ type: 'ipvsAddDest', service: svc, dest: dest('192.0.2.21', 3) });
    await ipvs.apply({ type: 'ipvsAddDest', service: svc, dest: dest('192.0.2.22') });
    await ipvs.apply({ type: 'ipvsEditDest', service: svc, dest: dest('192.0.2.21', 0) });
    await ipvs.apply({ type: 'ipvsDelDest', service: svc, dest: { address: '192.0.2.22', port: 80 } });
    expect(await ipvs.table()).toEqual([{ service: { id: svc, scheduler: 'wrr', flags: [] }, dests: [dest('192.0.2.21', 0)] }]);
    expect(ipvs.calls.map((c) => c.effect.type)).toEqual(['ipvsAddService', 'ipvsAddDest', 'ipvsAddDest', 'ipvsEditDest', 'ipvsDelDest']);
  });

  it('refuses what the kernel refuses: duplicates, missing services and destinations', async () => {
    const ipvs = new RecordingIpvs();
    expect(await ipvs.apply({ type: 'ipvsAddDest', service: svc, dest: dest('192.0.2.21') })).toMatchObject({ ok: false, errno: 'ESRCH' });
    await ipvs.apply({ type: 'ipvsAddService', service: { id: svc, scheduler: 'rr', flags: [] } });
    expect(await ipvs.apply({ type: 'ipvsAddService', service: { id: svc, scheduler: 'rr', flags: [] } })).toMatchObject({ ok: false, errno: 'EEXIST' });
    await ipvs.apply({ type: 'ipvsAddDest', service: svc, dest: dest('192.0.2.21') });
    expect(await ipvs.apply({ type: 'ipvsAddDest', service: svc, dest: dest('192.0.2.21') })).toMatchObject({ ok: false, errno: 'EEXIST' });
    expect(await ipvs.apply({ type: 'ipvsEditDest', service: svc, dest: dest('192.0.2.29') })).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(await ipvs.apply({ type: 'ipvsDelDest', service: svc, dest: { address: '192.0.2.29', port: 80 } })).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(ipvs.calls.filter((c) => !c.result.ok)).toHaveLength(5);
    // A service goes with its destinations.
    await ipvs.apply({ type: 'ipvsDelService', service: svc });
    expect(ipvs.snapshot()).toEqual([]);
  });

  it('tells services apart by protocol, fwmark and group', () => {
    expect(new Set([
      serviceKey(svc),
      serviceKey({ ...svc, protocol: 'UDP' }),
      serviceKey({ type: 'fwmark', fwmark: 1, family: 'ipv4' }),
      serviceKey({ type: 'fwmark', fwmark: 1, family: 'ipv6' }),
      serviceKey({ type: 'group', protocol: 'TCP', name: 'web' }),
    ]).size).toBe(5);
  });
});
