/**
 * CheckerIpvs, the checker side's IPVS path, against a scripted kernel: the startup effects only
 * build the model, the kernel is reconciled against it once (goLive), later effects go to both, a
 * refusal is logged with its service and followed by a reconcile against the model, -I freezes
 * the kernel's table, and release removes our services.
 */
import { describe, expect, it } from 'vitest';
import type { IpvsEffect, IpvsResult, IpvsServiceId, IpvsTableEntry } from '../../src/adapters/ipvs-types.js';
import type { ReconcileReport } from '../../src/adapters/linux/ipvs-netlink.js';
import { CheckerIpvs, type KernelIpvs } from '../../src/daemon/checker-ipvs.js';

const svc: IpvsServiceId = { type: 'address', protocol: 'TCP', address: '192.0.2.10', port: 80, family: 'ipv4' };
const dest = (last: number, weight = 1) => ({ address: `192.0.2.${last}`, port: 80, family: 'ipv4' as const, weight, method: 'NAT' as const });
const addService: IpvsEffect = { type: 'ipvsAddService', service: { id: svc, scheduler: 'rr', flags: [] } };

class FakeKernel implements KernelIpvs {
  applied: IpvsEffect[] = [];
  reconciled: IpvsTableEntry[][] = [];
  removed: IpvsServiceId[][] = [];
  refuse: IpvsResult | undefined;
  async apply(effect: IpvsEffect): Promise<IpvsResult> {
    this.applied.push(effect);
    return this.refuse ?? { ok: true };
  }
  async reconcile(wanted: readonly IpvsTableEntry[]): Promise<ReconcileReport> {
    this.reconciled.push(structuredClone([...wanted]));
    return { ok: true, applied: [], unmappable: [] };
  }
  async removeServices(ids: readonly IpvsServiceId[]): Promise<IpvsResult> {
    this.removed.push([...ids]);
    return { ok: true };
  }
}

function setup(): { kernel: FakeKernel; ipvs: CheckerIpvs; log: string[] } {
  const kernel = new FakeKernel();
  const log: string[] = [];
  return { kernel, ipvs: new CheckerIpvs(kernel, (l) => log.push(l)), log };
}

describe('CheckerIpvs: the checker side between the engine and the kernel', () => {
  it('startup effects build the model only; goLive reconciles the kernel against it; later effects reach both', async () => {
    const { kernel, ipvs } = setup();
    await ipvs.apply(addService);
    await ipvs.apply({ type: 'ipvsAddDest', service: svc, dest: dest(21) });
    expect(kernel.applied).toEqual([]);
    await ipvs.goLive();
    expect(kernel.reconciled).toHaveLength(1);
    expect(kernel.reconciled[0]![0]!.dests.map((d) => d.address)).toEqual(['192.0.2.21']);
    const del: IpvsEffect = { type: 'ipvsDelDest', service: svc, dest: { address: '192.0.2.21', port: 80 } };
    expect(await ipvs.apply(del)).toEqual({ ok: true });
    expect(kernel.applied).toEqual([del]);
    expect((await ipvs.table())[0]!.dests).toEqual([]);
  });

  it('a refusal is logged with the service and the kernel is reconciled against the model', async () => {
    const { kernel, ipvs, log } = setup();
    await ipvs.apply(addService);
    await ipvs.goLive();
    kernel.refuse = { ok: false, errno: 'ESRCH', message: 'no such service' };
    const r = await ipvs.apply({ type: 'ipvsAddDest', service: svc, dest: dest(22) });
    expect(r.ok).toBe(false);
    expect(log.some((l) => l.includes('ipvsAddDest on TCP [192.0.2.10]:80 refused (ESRCH'))).toBe(true);
    expect(kernel.reconciled).toHaveLength(2);
    // The model has what the engine decided, so the reconcile puts the destination in.
    expect(kernel.reconciled[1]![0]!.dests.map((d) => d.address)).toEqual(['192.0.2.22']);
    expect(ipvs.reconciles).toBe(2);
  });

  it('freeze (-I) leaves the kernel alone; release removes our services unless frozen', async () => {
    const { kernel, ipvs } = setup();
    await ipvs.apply(addService);
    await ipvs.goLive();
    await ipvs.release([svc]);
    expect(kernel.removed).toEqual([[svc]]);
    ipvs.freeze();
    await ipvs.apply({ type: 'ipvsDelService', service: svc });
    await ipvs.release([svc]);
    expect(kernel.applied).toEqual([]);
    expect(kernel.removed).toHaveLength(1);
  });

  it('without a kernel it keeps the table in the model and never fails for lack of IPVS', async () => {
    const ipvs = new CheckerIpvs(undefined, () => undefined);
    expect(ipvs.hasKernel).toBe(false);
    expect(await ipvs.goLive()).toBeUndefined();
    expect(await ipvs.apply(addService)).toEqual({ ok: true });
    expect(await ipvs.apply({ type: 'ipvsAddDest', service: svc, dest: dest(23) })).toEqual({ ok: true });
    expect((await ipvs.table())[0]!.dests.map((d) => d.address)).toEqual(['192.0.2.23']);
    expect(await ipvs.release([svc])).toEqual({ ok: true });
  });
});
