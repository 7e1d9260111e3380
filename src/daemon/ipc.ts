/**
 * Messages between the parent (watchdog) and the VRRP child. The parent loads and checks every
 * configuration and sends the typed result: parsing never runs on the VRRP process's event loop.
 * The channel is Node's IPC with `serialization: 'advanced'` (structured clone).
 */
import type { KeepalivedConfig } from '../config/types.js';
import type { ReloadReport } from './vrrp-process.js';

export interface ChildSettings {
  logConsole: boolean;
  logDetail: boolean;
  logDir?: string;
  keepVipsAtExit: boolean;
}

export type ParentMessage =
  | { type: 'start'; config: KeepalivedConfig; settings: ChildSettings }
  | { type: 'reload'; config: KeepalivedConfig };

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'startFailed'; error: string }
  | { type: 'reloaded'; report: ReloadReport };

export function isParentMessage(m: unknown): m is ParentMessage {
  return typeof m === 'object' && m !== null && ((m as { type?: unknown }).type === 'start' || (m as { type?: unknown }).type === 'reload');
}
