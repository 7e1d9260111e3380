/**
 * A vrrp_sync_group's own state, for its notify scripts and mail (keepalived: notify_master /
 * notify_backup / notify_fault / notify_stop of the group, "VRRP Group ... - Entering ... state"):
 * FAULT as soon as one member is in FAULT (the group follows it), otherwise the state all members
 * share once they agree. While members are between states (a transition in progress) the group
 * keeps the state it had. INIT is never a group state worth telling.
 */
import type { VrrpState } from '../machines/vrrp/contract.js';
import type { NotifyState } from '../adapters/scripts/types.js';

/** The group's state from its members' states, or undefined while they disagree. */
export function syncGroupState(members: readonly VrrpState[]): NotifyState | undefined {
  if (members.length === 0) return undefined;
  if (members.includes('FAULT')) return 'FAULT';
  const first = members[0]!;
  if (first === 'INIT' || !members.every((s) => s === first)) return undefined;
  return first;
}

/** Follows the members' transitions and says when the group's state changes. */
export class SyncGroupWatch {
  private readonly states = new Map<string, VrrpState>();
  private current: NotifyState | undefined;

  constructor(
    readonly name: string,
    readonly members: readonly string[],
  ) {
    for (const m of members) this.states.set(m, 'INIT');
  }

  /** A member's committed transition; returns the group's new state when it changed. */
  transition(member: string, to: VrrpState): NotifyState | undefined {
    if (!this.states.has(member)) return undefined;
    this.states.set(member, to);
    const next = syncGroupState([...this.states.values()]);
    if (next === undefined || next === this.current) return undefined;
    this.current = next;
    return next;
  }

  get state(): NotifyState | undefined {
    return this.current;
  }
}
