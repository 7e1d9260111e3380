import type { VrrpSyncGroup } from '../../config/types.js';
import type { Transition, VrrpInput } from './contract.js';
import type { SyncGroupInputFrom } from './context.js';

/**
 * keepalived's vrrp_sync_group, as a pure rule: when one member makes a transition, which
 * `syncGroup` input does each other member get, in the same engine step?
 *
 * - → MASTER: the others go MASTER (keepalived vrrp_sync_master).
 * - MASTER → BACKUP: the others go BACKUP (vrrp_sync_backup).
 * - → FAULT: the others go FAULT and remember who is faulty (vrrp_sync_fault).
 * - FAULT → BACKUP / MASTER: the member's fault cleared; the others forget it and leave FAULT if
 *   nobody else holds the group down (keepalived's num_member_fault reaching 0).
 * - FAULT → FAULT: the member stayed in FAULT but its OWN fault began or ended (it was held only
 *   by the group, or still is): the others must count it, or stop counting it — FAULT when it
 *   began (reason interfaceDown / scriptFailed), BACKUP when it ended (interfaceUp /
 *   scriptRecovered). Without this, two members failing in turn would never agree again.
 * - → STOP / INIT: nothing (the daemon is stopping every member anyway).
 *
 * Each input carries `from` (the member) and `group`, an optional extension of the contract's
 * syncGroup input, so a member can count which members hold the group down. The machine works
 * without them too (then any BACKUP/MASTER releases every fault).
 */
export function syncGroupInputs(
  group: VrrpSyncGroup,
  member: string,
  transition: Transition,
  at: number,
): Array<{ instance: string; input: VrrpInput }> {
  let state: SyncGroupInputFrom['state'] | undefined;
  if (transition.to === 'MASTER') state = 'MASTER';
  else if (transition.to === 'BACKUP') state = 'BACKUP';
  else if (transition.to === 'FAULT') {
    const code = transition.reason.code;
    state = transition.from === 'FAULT' && (code === 'interfaceUp' || code === 'scriptRecovered') ? 'BACKUP' : 'FAULT';
  }
  if (state === undefined) return [];
  const out: Array<{ instance: string; input: VrrpInput }> = [];
  for (const other of group.group) {
    if (other === member) continue;
    const input: SyncGroupInputFrom = { type: 'syncGroup', at, state, from: member, group: group.name };
    out.push({ instance: other, input });
  }
  return out;
}
