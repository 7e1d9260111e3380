import type { TransitionReason } from '../machines/vrrp/contract.js';

/**
 * Render why a VRRP instance changed state, in the words an operator reads in a post-mortem:
 * "no advert from 192.0.2.11 for 3.609 s (master-down interval)". Replay's timeline, its HTML page
 * and the daemon's log lines share these words, so a cause reads the same everywhere.
 */
export function explainReason(reason: TransitionReason): string {
  switch (reason.code) {
    case 'startup':
      return 'instance started';
    case 'ownerStartup':
      return 'address owner (priority 255) starts as master';
    case 'masterDownTimeout': {
      const from = reason.lastMaster ? `from ${reason.lastMaster} ` : '';
      return `no advert ${from}for ${seconds(reason.masterDownIntervalMs)} (master-down interval)`;
    }
    case 'masterStopped':
      return `master ${reason.from} stopped (priority-0 advert): takeover after skew time`;
    case 'higherPriorityAdvert':
      return reason.priority === reason.ourPriority
        ? `advert from ${reason.from}, priority ${reason.priority} = ours, higher address wins`
        : `advert from ${reason.from}, priority ${reason.priority} > ours ${reason.ourPriority}`;
    case 'preempt':
      return `preempting ${reason.from}: priority ${reason.priority} < ours ${reason.ourPriority}`;
    case 'interfaceDown':
      return `interface ${reason.name} down`;
    case 'interfaceUp':
      return `interface ${reason.name} up`;
    case 'scriptFailed':
      return `track_script ${reason.name} failed`;
    case 'scriptRecovered':
      return `track_script ${reason.name} recovered`;
    case 'priorityChange':
      return `${reason.by} → priority ${reason.to} (was ${reason.from})`;
    case 'syncGroup':
      return `sync group ${reason.group} moved to ${reason.state}`;
    case 'shutdown':
      return 'stopped (priority-0 advert sent if master)';
  }
}

/** 3609.375 ms → "3.609 s": keepalived's logs and the RFC talk in seconds. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}
