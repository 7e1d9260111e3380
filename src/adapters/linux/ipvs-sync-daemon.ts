/**
 * lvs_sync_daemon following its VRRP instance, as keepalived.conf(5) says: with an instance named,
 * only the master sync daemon runs while the instance is MASTER and only the backup one otherwise;
 * without one, both run for as long as keepalived does. Stopping keepalived stops both. The kernel's
 * sync daemons then carry established connections across a failover.
 *
 * The plan is pure (wantedSyncDaemons); SyncDaemonFollower applies the changes through the IPVS
 * adapter and never throws: it returns each kernel answer.
 */
import type { LvsSyncDaemon } from '../../config/types.js';
import { IP_VS_STATE } from '../../protocol/ipvs.js';
import type { IpvsResult } from '../ipvs-types.js';
import { syncDaemonSpec, type NetlinkIpvs } from './ipvs-netlink.js';

export type SyncRole = 'MASTER' | 'BACKUP';
/** The VRRP instance's state as the engine names it; 'STOP' when keepalived stops. */
export type FollowedState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

/** Which sync daemons run for a state; `undefined`: no VRRP instance is named (both run). */
export function wantedSyncDaemons(state: FollowedState | undefined): SyncRole[] {
  if (state === 'STOP') return [];
  if (state === undefined) return ['MASTER', 'BACKUP'];
  return state === 'MASTER' ? ['MASTER'] : ['BACKUP'];
}

const STATE_OF: Record<SyncRole, typeof IP_VS_STATE.MASTER | typeof IP_VS_STATE.BACKUP> = {
  MASTER: IP_VS_STATE.MASTER,
  BACKUP: IP_VS_STATE.BACKUP,
};

export class SyncDaemonFollower {
  private readonly running = new Set<SyncRole>();
  /** False until the first follow(): what runs in the kernel then is not known to be ours. */
  private swept = false;

  constructor(
    private readonly ipvs: Pick<NetlinkIpvs, 'startSyncDaemon' | 'stopSyncDaemon'>,
    private readonly cfg: LvsSyncDaemon,
    /** The VRID of the instance it follows: the default sync id. */
    private readonly vrid?: number,
  ) {}

  /** The roles started by this follower and not stopped since. */
  roles(): SyncRole[] {
    return [...this.running].sort();
  }

  /** Bring the kernel's sync daemons to what `state` wants: stop first (a role changes), then start. */
  async follow(state: FollowedState | undefined): Promise<Array<{ action: 'start' | 'stop'; role: SyncRole; result: IpvsResult }>> {
    const want = new Set(wantedSyncDaemons(state));
    const out: Array<{ action: 'start' | 'stop'; role: SyncRole; result: IpvsResult }> = [];
    if (!this.swept) {
      // A daemon left by an earlier run (a crash) in a role not wanted now: stop it. One that is
      // not running refuses, which is fine and not reported.
      this.swept = true;
      for (const role of ['MASTER', 'BACKUP'] as const) {
        if (want.has(role)) continue;
        const result = await this.ipvs.stopSyncDaemon(STATE_OF[role]);
        if (result.ok) out.push({ action: 'stop', role, result });
      }
    }
    for (const role of [...this.running]) {
      if (want.has(role)) continue;
      const result = await this.ipvs.stopSyncDaemon(STATE_OF[role]);
      // Not running any more is what stopping wants.
      if (result.ok || result.errno === 'ESRCH' || result.errno === 'ENOENT') this.running.delete(role);
      out.push({ action: 'stop', role, result });
    }
    for (const role of want) {
      if (this.running.has(role)) continue;
      let result = await this.ipvs.startSyncDaemon(syncDaemonSpec(this.cfg, role, this.vrid));
      if (!result.ok && result.errno === 'EEXIST') {
        // Left by an earlier run (a crash): restart it with this configuration's parameters.
        await this.ipvs.stopSyncDaemon(STATE_OF[role]);
        result = await this.ipvs.startSyncDaemon(syncDaemonSpec(this.cfg, role, this.vrid));
      }
      if (result.ok) this.running.add(role);
      out.push({ action: 'start', role, result });
    }
    return out;
  }
}
