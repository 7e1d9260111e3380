/**
 * What the daemon's processes tell one another. The watchdog (native/watchdog.c) gives each child
 * Node's IPC channel (JSON lines) and its settings in the environment; each child loads the
 * configuration itself, in a loader process of its own (config-elsewhere.ts), so parsing never runs
 * on the VRRP process's event loop and the watchdog needs no configuration at all.
 */
import type { KeepalivedConfig } from '../config/types.js';

/** Where the children find their settings: set by `keepalived-ts -n` before it becomes the watchdog. */
export const CHILD_SETTINGS_ENV = 'KTS_CHILD_SETTINGS';

/** A child's exit status when its configuration has errors at start: the watchdog then stops (EX_CONFIG). */
export const EXIT_CONFIG = 78;

export interface ChildSettings {
  configFile: string;
  /** -i: the config id for @id lines. */
  configId?: string;
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

/** The settings from the environment, or why they cannot be used (a child started by hand). */
export function childSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): { ok: true; settings: ChildSettings } | { ok: false; error: string } {
  const raw = env[CHILD_SETTINGS_ENV];
  if (raw === undefined) return { ok: false, error: `${CHILD_SETTINGS_ENV} is not set: this process is started by keepalived-ts, not by hand` };
  try {
    const s = JSON.parse(raw) as Partial<ChildSettings>;
    if (typeof s.configFile !== 'string' || typeof s.nice !== 'number' || typeof s.logConsole !== 'boolean' || typeof s.logDetail !== 'boolean' || typeof s.keepVipsAtExit !== 'boolean') {
      return { ok: false, error: `${CHILD_SETTINGS_ENV}: configFile, nice, logConsole, logDetail and keepVipsAtExit are required` };
    }
    return { ok: true, settings: s as ChildSettings };
  } catch (e) {
    return { ok: false, error: `${CHILD_SETTINGS_ENV}: ${(e as Error).message}` };
  }
}

/** A child's settings at its start; without them (a child started by hand) it says why and exits 1. */
export function childSettingsOrExit(tag: string): ChildSettings {
  const found = childSettingsFromEnv();
  if (found.ok) return found.settings;
  process.stderr.write(`${tag}: ${found.error}\n`);
  process.exit(1);
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

/** What a child sends the watchdog. The watchdog matches them as JSON text: keep `type` first. */
export type ChildMessage =
  /** The VRRP child: an instance entered a state (the watchdog forwards it to the checker child). */
  | VrrpStateMessage
  /** The VRRP child: the configuration (a reload) has virtual servers: the checker child should run. */
  | { type: 'checkersWanted' }
  /**
   * Either child: its signal handlers are in place. Signals for it wait in the watchdog until then
   * (Node's defaults would end the process on SIGHUP / SIGUSR2 and open the inspector on SIGUSR1).
   */
  | { type: 'ready' };

/** What the watchdog sends the VRRP child: a checker child (re)started and wants every state. */
export interface ResendStatesMessage {
  type: 'resendStates';
}

/** An instance's committed state: lvs_sync_daemon on the checker side follows the one it names. */
export interface VrrpStateMessage {
  type: 'vrrpState';
  instance: string;
  state: 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';
}

export function isVrrpStateMessage(m: unknown): m is VrrpStateMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'vrrpState' && typeof (m as { instance?: unknown }).instance === 'string';
}

export function isResendStatesMessage(m: unknown): m is ResendStatesMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'resendStates';
}
