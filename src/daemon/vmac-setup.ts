/**
 * use_vmac on the daemon's side: the instance's macvlan (00:00:5e:00:01:VRID, created by
 * VmacNetlink) and the ARP settings keepalived gives it, so that the VIPs on the vmac are answered
 * with the virtual MAC only:
 *   the base interface: arp_ignore 1 (answer only for its own addresses, not the vmac's VIPs) and
 *   arp_filter 1; the vmac: arp_ignore 1, rp_filter 0. The base's old values come back when its last vmac goes.
 * (IPv6 link-local replacement on the vmac is not done, as in VmacNetlink.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { VmacNetlink } from '../adapters/linux/index.js';
import type { VrrpInstance } from '../config/types.js';
import type { InterfaceFacts } from './linux-effects.js';

export type VmacSetupResult = { ok: true; name: string; facts: InterfaceFacts } | { ok: false; error: string };

function sysctlPath(ifname: string, key: string): string {
  return `/proc/sys/net/ipv4/conf/${ifname}/${key}`;
}

function readSysctl(ifname: string, key: string): string | undefined {
  try {
    return readFileSync(sysctlPath(ifname, key), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function writeSysctl(ifname: string, key: string, value: string): string | undefined {
  try {
    writeFileSync(sysctlPath(ifname, key), value);
    return undefined;
  } catch (e) {
    return `cannot set ${key}=${value} on ${ifname}: ${(e as Error).message}`;
  }
}

const BASE_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  ['arp_ignore', '1'],
  ['arp_filter', '1'],
];

export class VmacSetup {
  /** Base interface -> its sysctl values before the first vmac on it, and how many vmacs use it. */
  private readonly bases = new Map<string, { saved: Array<[string, string]>; users: number }>();

  constructor(
    private readonly netlink: VmacNetlink,
    private readonly warn: (line: string) => void,
  ) {}

  /** Create (or adopt) the instance's vmac; the facts are the vmac's, with the base's addresses. */
  async create(i: VrrpInstance, base: InterfaceFacts): Promise<VmacSetupResult> {
    const r = await this.netlink.create({ vrid: i.virtualRouterId, family: i.family, parent: i.interface, ...(i.useVmac ? { name: i.useVmac } : {}) });
    if (!r.ok) return { ok: false, error: r.error };
    if (r.ifindex === undefined) return { ok: false, error: `${r.name}: no ifindex` };
    if (i.family === 'ipv4') {
      let b = this.bases.get(i.interface);
      if (b === undefined) {
        const saved: Array<[string, string]> = [];
        for (const [k] of BASE_SETTINGS) {
          const v = readSysctl(i.interface, k);
          if (v !== undefined) saved.push([k, v]);
        }
        b = { saved, users: 0 };
        this.bases.set(i.interface, b);
        for (const [k, v] of BASE_SETTINGS) {
          const err = writeSysctl(i.interface, k, v);
          if (err) this.warn(err);
        }
      }
      b.users++;
      // The vmac answers ARP only for its own addresses (the VIPs), and takes packets whose reverse
      // path is the base interface (rp_filter 0), as keepalived sets them.
      for (const [k, v] of [['arp_ignore', '1'], ['rp_filter', '0']] as const) {
        const err = writeSysctl(r.name, k, v);
        if (err) this.warn(err);
      }
    }
    // Adverts from the vmac keep the base's address as their source, as keepalived sends them.
    const facts: InterfaceFacts = { ifindex: r.ifindex, mac: r.mac };
    if (base.ipv4 !== undefined) facts.ipv4 = base.ipv4;
    if (base.ipv6LinkLocal !== undefined) facts.ipv6LinkLocal = base.ipv6LinkLocal;
    return { ok: true, name: r.name, facts };
  }

  /** Delete the vmac; the base's settings are restored when it was the last one on it. */
  async remove(i: VrrpInstance): Promise<string | undefined> {
    const r = await this.netlink.remove({ vrid: i.virtualRouterId, family: i.family, parent: i.interface, ...(i.useVmac ? { name: i.useVmac } : {}) });
    const b = i.family === 'ipv4' ? this.bases.get(i.interface) : undefined;
    if (b !== undefined && --b.users <= 0) {
      this.bases.delete(i.interface);
      for (const [k, v] of b.saved) {
        const err = writeSysctl(i.interface, k, v);
        if (err) this.warn(err);
      }
    }
    return r.ok ? undefined : r.error;
  }

  close(): void {
    this.netlink.close();
  }
}
