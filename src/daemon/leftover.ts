/**
 * VIPs a previous run left on the host, read from the event log's committed effects: per
 * instance, the addresses of its last addVips not followed by a removeVips. A run that ended
 * gracefully logged its removeVips; a crash (SIGKILL, power loss) did not, and those addresses
 * are what the next start must take away before it takes part in an election.
 */
import type { EventRecord } from '../store/schema.js';

export interface EffectLogSource {
  read(q?: { fromSeq?: number }): AsyncIterable<EventRecord>;
}

/** Fold records (in seq order) into the VIPs still held at the end. Pure: tests feed it arrays. */
export function heldAtEnd(records: Iterable<EventRecord>): Set<string> {
  const held = new Map<string, Set<string>>();
  for (const rec of records) foldRecord(held, rec);
  return union(held);
}

function foldRecord(held: Map<string, Set<string>>, rec: EventRecord): void {
  if (rec.kind !== 'effect' || (rec.type !== 'addVips' && rec.type !== 'removeVips')) return;
  const addresses = (rec.data as { addresses?: unknown }).addresses;
  if (!Array.isArray(addresses)) return;
  let set = held.get(rec.actor);
  if (set === undefined) held.set(rec.actor, (set = new Set()));
  for (const a of addresses) {
    if (typeof a !== 'string') continue;
    if (rec.type === 'addVips') set.add(a);
    else set.delete(a);
  }
}

function union(held: Map<string, Set<string>>): Set<string> {
  const out = new Set<string>();
  for (const s of held.values()) for (const a of s) out.add(a);
  return out;
}

export async function leftoverVips(log: EffectLogSource): Promise<Set<string>> {
  const held = new Map<string, Set<string>>();
  for await (const rec of log.read()) foldRecord(held, rec);
  return union(held);
}
