import type { AddressFamily, LvsMethod, LvsProtocol, LvsScheduler } from '../config/types.js';

/**
 * The IPVS adapter's interface: services and destinations as data, one effect at a time. Two
 * implementations share it: the generic-netlink one (family "IPVS", a real kernel) and the
 * recording twin (ipvs-recording.ts) that keeps the table in memory on hosts without IPVS.
 *
 * A service is named by what keepalived names it by: address + port + protocol, a fwmark, or a
 * virtual_server_group (which the netlink adapter expands to its members).
 */
export type IpvsServiceId =
  | { type: 'address'; protocol: LvsProtocol; address: string; port: number; family: AddressFamily }
  | { type: 'fwmark'; fwmark: number; family: AddressFamily }
  | { type: 'group'; protocol: LvsProtocol; name: string };

export interface IpvsService {
  id: IpvsServiceId;
  scheduler: LvsScheduler;
  /** Scheduler flags as keepalived names them (sh-port, sh-fallback, mh-port, mh-fallback, ops...). */
  flags: string[];
  /** Seconds; undefined = not persistent. */
  persistenceTimeout?: number;
  persistenceGranularity?: string;
}

/** A destination: where a real server (or the sorry server) sits in a service. */
export interface IpvsDest {
  address: string;
  port: number;
  family: AddressFamily;
  weight: number;
  method: LvsMethod;
  uthreshold?: number;
  lthreshold?: number;
}

export type IpvsDestId = Pick<IpvsDest, 'address' | 'port'>;

export type IpvsEffect =
  | { type: 'ipvsAddService'; service: IpvsService }
  | { type: 'ipvsDelService'; service: IpvsServiceId }
  | { type: 'ipvsAddDest'; service: IpvsServiceId; dest: IpvsDest }
  | { type: 'ipvsDelDest'; service: IpvsServiceId; dest: IpvsDestId }
  /** Change a destination in place (inhibit_on_failure's weight 0, misc_dynamic weights). */
  | { type: 'ipvsEditDest'; service: IpvsServiceId; dest: IpvsDest };

export type IpvsEffectType = IpvsEffect['type'];

/** The kernel's answer to one effect. `errno` names as the kernel has them (EEXIST, ENOENT...). */
export type IpvsResult = { ok: true } | { ok: false; errno: string; message: string };

/** One service of the table as read back, with its destinations in insertion order. */
export interface IpvsTableEntry {
  service: IpvsService;
  dests: IpvsDest[];
}

export interface IpvsAdapter {
  apply(effect: IpvsEffect): Promise<IpvsResult>;
  /** The table as it is now (the kernel's, or the twin's). */
  table(): Promise<IpvsTableEntry[]>;
}

/** A stable text key for a service id (maps, logs): `TCP [192.0.2.10]:80`, `FWM 1 ipv4`, `GROUP web TCP`. */
export function serviceKey(id: IpvsServiceId): string {
  switch (id.type) {
    case 'address':
      return `${id.protocol} [${id.address}]:${id.port}`;
    case 'fwmark':
      return `FWM ${id.fwmark} ${id.family}`;
    case 'group':
      return `GROUP ${id.name} ${id.protocol}`;
  }
}

export function destKey(d: IpvsDestId): string {
  return `[${d.address}]:${d.port}`;
}
