/**
 * What replay reads from the records the engine and the log write: typed views of their `data`,
 * checked rather than trusted (a log is input: it may come from another version or be edited).
 */
import type { KeepalivedConfig } from '../config/types.js';
import type { TransitionReason, VrrpState } from '../machines/vrrp/contract.js';
import type { EventRecord } from '../store/schema.js';
import { explainReason } from './explain.js';

export const VRRP_ACTOR_PREFIX = 'vrrp/';

export function instanceOfActor(actor: string): string | undefined {
  return actor.startsWith(VRRP_ACTOR_PREFIX) ? actor.slice(VRRP_ACTOR_PREFIX.length) : undefined;
}

/** The engine's record at each start of a run: `{ routerId, instances: [...] }`. */
export function isRunStart(r: EventRecord): boolean {
  return r.kind === 'config' && r.actor === 'engine' && r.type === 'start';
}

export interface StartedInstance {
  name: string;
  interface?: string;
  vrid?: number;
  priority?: number;
  version?: number;
  primaryAddress?: string;
}

/** The instances a run started with (from the engine's start record). */
export function startedInstances(r: EventRecord): StartedInstance[] {
  const d = r.data as { instances?: unknown } | null;
  if (d === null || typeof d !== 'object' || !Array.isArray(d.instances)) return [];
  const out: StartedInstance[] = [];
  for (const i of d.instances as unknown[]) {
    if (i === null || typeof i !== 'object') continue;
    const o = i as Record<string, unknown>;
    if (typeof o.name !== 'string') continue;
    const s: StartedInstance = { name: o.name };
    if (typeof o.interface === 'string') s.interface = o.interface;
    if (typeof o.vrid === 'number') s.vrid = o.vrid;
    if (typeof o.priority === 'number') s.priority = o.priority;
    if (typeof o.version === 'number') s.version = o.version;
    if (typeof o.primaryAddress === 'string') s.primaryAddress = o.primaryAddress;
    out.push(s);
  }
  return out;
}

function looksLikeConfig(v: unknown): v is KeepalivedConfig {
  if (v === null || typeof v !== 'object') return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c.globalDefs === 'object' && c.globalDefs !== null && Array.isArray(c.vrrpInstances) && Array.isArray(c.vrrpScripts) && Array.isArray(c.vrrpSyncGroups)
  );
}

/**
 * The full normalized configuration a 'config' record carries, if it carries one:
 * `EventLog.writeConfig` stores `{ config, programVersion, schema }`; a start record that embeds the
 * configuration (`{ ..., config }` or the configuration itself) is accepted too.
 */
export function fullConfigOf(r: EventRecord): KeepalivedConfig | undefined {
  if (r.kind !== 'config') return undefined;
  const d = r.data as Record<string, unknown> | null;
  if (d === null || typeof d !== 'object') return undefined;
  if (looksLikeConfig(d.config)) return d.config;
  if (looksLikeConfig(d.normalized)) return d.normalized;
  if (looksLikeConfig(d)) return d;
  return undefined;
}

export function programVersionOf(r: EventRecord): string | undefined {
  const d = r.data as { programVersion?: unknown } | null;
  return d !== null && typeof d === 'object' && typeof d.programVersion === 'string' ? d.programVersion : undefined;
}

export interface TransitionData {
  from: VrrpState;
  to: VrrpState;
  reason: TransitionReason;
  /** Effective priority after the transition. */
  priority?: number;
}

const STATES: ReadonlySet<string> = new Set(['INIT', 'BACKUP', 'MASTER', 'FAULT', 'STOP']);

export function transitionData(r: EventRecord): TransitionData | undefined {
  if (r.kind !== 'transition') return undefined;
  const d = r.data as Record<string, unknown> | null;
  if (d === null || typeof d !== 'object') return undefined;
  if (typeof d.from !== 'string' || typeof d.to !== 'string' || !STATES.has(d.from) || !STATES.has(d.to)) return undefined;
  const reason = d.reason as TransitionReason | undefined;
  if (reason === undefined || reason === null || typeof reason !== 'object' || typeof reason.code !== 'string') return undefined;
  const t: TransitionData = { from: d.from as VrrpState, to: d.to as VrrpState, reason };
  if (typeof d.priority === 'number') t.priority = d.priority;
  return t;
}

/** Fields of an advert that identify it across sender and receiver: priority, interval, addresses. */
export function advertFields(d: { priority?: unknown; maxAdverIntCs?: unknown; addresses?: unknown }): string | undefined {
  if (typeof d.priority !== 'number' || typeof d.maxAdverIntCs !== 'number' || !Array.isArray(d.addresses)) return undefined;
  return `${d.priority}/${d.maxAdverIntCs}/${(d.addresses as unknown[]).join(',')}`;
}

/** explainReason, total: a reason from a damaged record or a newer program still gets words. */
export function reasonText(reason: TransitionReason): string {
  try {
    const t = explainReason(reason);
    if (typeof t === 'string') return t;
  } catch {
    /* fall through */
  }
  return `reason ${JSON.stringify(reason.code)}`;
}
