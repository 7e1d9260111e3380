/**
 * Messages between the parent (watchdog) and the VRRP child. The parent loads and checks every
 * configuration and sends the typed result: parsing never runs on the VRRP process's event loop.
 * The channel is Node's IPC with `serialization: 'advanced'` (structured clone).
 */
import type { KeepalivedConfig } from '../config/types.js';
import type { ReloadReport } from './vrrp-process.js';

export interface ChildSettings {
  /** The nice value the daemon was started with: a child's priority unless vrrp_priority / checker_priority set one. */
  nice: number;
  logConsole: boolean;
  logDetail: boolean;
  logDir?: string;
  metricsPort?: number;
  keepVipsAtExit: boolean;
  /** -I: the checker child leaves its IPVS services in the kernel at exit. */
  keepIpvsAtExit?: boolean;
}

/**
 * The part of a configuration the VRRP child runs on: global_defs, the vrrp_* blocks and the static
 * addresses and routes — never the virtual servers (the checker child's). A configuration of
 * thousands of real servers would otherwise be cloned over IPC, deserialised, fingerprinted and
 * journalled on the VRRP child's loop at every reload, stalling its adverts for tens of ms.
 */
export function vrrpPartOf(config: KeepalivedConfig): KeepalivedConfig {
  return { ...config, virtualServerGroups: [], virtualServers: [] };
}

export type ParentMessage =
  | { type: 'start'; config: KeepalivedConfig; settings: ChildSettings }
  | { type: 'reload'; config: KeepalivedConfig };

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'startFailed'; error: string }
  | { type: 'reloaded'; report: ReloadReport }
  /** The VRRP child: an instance entered a state (the parent forwards it to the checker child). */
  | VrrpStateMessage;

/** An instance's committed state: lvs_sync_daemon on the checker side follows the one it names. */
export interface VrrpStateMessage {
  type: 'vrrpState';
  instance: string;
  state: 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';
}

/** What the parent sends the checker child: the VRRP child's messages plus the instances' states. */
export type CheckerParentMessage = ParentMessage | VrrpStateMessage;

export function isCheckerParentMessage(m: unknown): m is CheckerParentMessage {
  return isParentMessage(m) || (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'vrrpState');
}

export function isParentMessage(m: unknown): m is ParentMessage {
  return typeof m === 'object' && m !== null && ((m as { type?: unknown }).type === 'start' || (m as { type?: unknown }).type === 'reload');
}
