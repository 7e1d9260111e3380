/**
 * The IPVS side of the checker process: the table the checker engine wants, kept in a recording
 * twin (the model), and — where the kernel has IPVS — the kernel brought into line with it.
 *
 * Why a model: the engine's effects are deltas ("add this destination"). At start the engine's
 * startup effects build the model; the kernel is then reconciled against it once (which also
 * removes what a crashed run left behind, and takes lvs_flush's clean slate as it is), and from
 * then on every effect goes to the model and to the kernel. When the kernel refuses one, the
 * refusal is logged with the service and the kernel is reconciled against the model again: the
 * table converges on what the checks say instead of drifting by one failed delta.
 *
 * Without IPVS in the kernel only the model runs: checks, notifies and fifo lines go on.
 */
import { RecordingIpvs } from '../adapters/ipvs-recording.js';
import { serviceKey, type IpvsAdapter, type IpvsEffect, type IpvsResult, type IpvsServiceId, type IpvsTableEntry } from '../adapters/ipvs-types.js';
import type { NetlinkIpvs, ReconcileReport } from '../adapters/linux/ipvs-netlink.js';

export type KernelIpvs = Pick<NetlinkIpvs, 'apply' | 'reconcile' | 'removeServices'>;

export class CheckerIpvs implements IpvsAdapter {
  readonly model = new RecordingIpvs();
  private chain: Promise<unknown> = Promise.resolve();
  /** False until the kernel has been reconciled against the startup model. */
  private live = false;
  /** -I at stop: the kernel keeps its table, only the model follows the shutdown. */
  private frozen = false;
  /** Reconciles run after a refusal (tests, status). */
  reconciles = 0;

  constructor(
    private readonly kernel: KernelIpvs | undefined,
    private readonly log: (line: string) => void,
  ) {}

  get hasKernel(): boolean {
    return this.kernel !== undefined;
  }

  apply(effect: IpvsEffect): Promise<IpvsResult> {
    return this.serial(async () => {
      const modelled = await this.model.apply(effect);
      if (this.kernel === undefined || !this.live || this.frozen) return modelled;
      const r = await this.kernel.apply(effect);
      if (r.ok) return r;
      const svc = serviceKey(effect.type === 'ipvsAddService' ? effect.service.id : effect.service);
      this.log(`IPVS: ${effect.type} on ${svc} refused (${r.errno}: ${r.message}); reconciling the table`);
      await this.reconcileNow();
      return r;
    });
  }

  /** The kernel made equal to the model (at start; after a refusal). */
  goLive(): Promise<ReconcileReport | undefined> {
    return this.serial(async () => {
      if (this.kernel === undefined) return undefined;
      const report = await this.reconcileNow();
      this.live = true;
      return report;
    });
  }

  /** Stop programming the kernel (-I: dont-release-ipvs). */
  freeze(): void {
    this.frozen = true;
  }

  /** Remove our services from the kernel (stop without -I): whatever the shutdown effects missed. */
  release(ids: readonly IpvsServiceId[]): Promise<IpvsResult> {
    return this.serial(async () => {
      if (this.kernel === undefined || this.frozen) return { ok: true } as IpvsResult;
      return this.kernel.removeServices(ids);
    });
  }

  /** Everything queued so far has been carried out. */
  idle(): Promise<void> {
    return this.serial(async () => undefined);
  }

  table(): Promise<IpvsTableEntry[]> {
    return this.model.table();
  }

  private async reconcileNow(): Promise<ReconcileReport | undefined> {
    if (this.kernel === undefined) return undefined;
    this.reconciles++;
    const report = await this.kernel.reconcile(this.model.snapshot());
    if (!report.ok) {
      const failed = report.applied.filter((a) => !a.result.ok).length;
      this.log(`IPVS: reconcile left ${failed} operation(s) refused${report.unmappable.length > 0 ? `, ${report.unmappable.length} service(s) not expressible` : ''}`);
    }
    return report;
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.then(f, f);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
