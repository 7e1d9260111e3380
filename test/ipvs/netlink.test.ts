/**
 * The kernel adapter on the host. This host's kernel has no IPVS (the real-kernel tests run in the
 * VM: vm.test.ts), so here: opening it is a typed refusal, never a crash; and the adapter's own
 * policy (which refusals are retried, how a refusal names its service) through its transport seam.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { NetlinkIpvs, errnoName, syncDaemonSpec, type GenlReply, type GenlTransport } from '../../src/adapters/linux/ipvs-netlink.js';
import { GENL_ID_CTRL, attr, encodeGenlPayload } from '../../src/protocol/genetlink.js';
import { IP_VS_STATE } from '../../src/protocol/ipvs.js';

describe('NetlinkIpvs on this host', () => {
  it('open() resolves the IPVS family where the kernel has IPVS, and answers ENOENT where it has not', async () => {
    const r = await NetlinkIpvs.open();
    if (existsSync('/proc/net/ip_vs')) {
      expect(r.ok).toBe(true);
      if (r.ok) r.ipvs.close();
    } else {
      expect(r).toEqual({ ok: false, errno: 'ENOENT', message: 'generic netlink family IPVS: the kernel has no IPVS (modprobe ip_vs)' });
    }
  });
});

/** A transport that answers from a script: the controller's family reply, then the given replies in order. */
function scripted(replies: GenlReply[]): GenlTransport & { sent: Array<{ family: number; cmd: number }> } {
  const sent: Array<{ family: number; cmd: number }> = [];
  return {
    sent,
    async request(family, payload) {
      sent.push({ family, cmd: payload[0]! });
      if (family === GENL_ID_CTRL) return { ok: true, payloads: [encodeGenlPayload(1, 1, [attr.u16(1, 32)])] };
      return replies.shift() ?? { ok: true, payloads: [] };
    },
    close() {},
  };
}

describe('NetlinkIpvs policy', () => {
  const svc = { type: 'address', protocol: 'TCP', address: '192.0.2.10', port: 80, family: 'ipv4' } as const;
  const dest = { address: '198.51.100.1', port: 80, family: 'ipv4', weight: 1, method: 'NAT' } as const;

  it('a transient refusal (ENOBUFS) is retried and logged; the retry succeeds', async () => {
    const t = scripted([{ ok: false, errno: 105 }]);
    const log: string[] = [];
    const o = await NetlinkIpvs.open({ transport: t, log: (l) => log.push(l), retryDelayMs: 1 });
    expect(o.ok).toBe(true);
    if (!o.ok) return;
    expect(o.ipvs.familyId).toBe(32);
    expect(await o.ipvs.apply({ type: 'ipvsAddDest', service: svc, dest })).toEqual({ ok: true });
    expect(t.sent.filter((s) => s.family === 32).map((s) => s.cmd)).toEqual([5, 5]);
    expect(log).toEqual(['IPVS: add [198.51.100.1]:80 weight 1 in TCP 192.0.2.10:80: no buffer space available (ENOBUFS); retrying']);
  });

  it('a definite refusal (EEXIST) is not retried and names the service', async () => {
    const t = scripted([{ ok: false, errno: 17 }]);
    const o = await NetlinkIpvs.open({ transport: t });
    if (!o.ok) throw new Error(o.message);
    const r = await o.ipvs.apply({ type: 'ipvsAddService', service: { id: svc, scheduler: 'rr', flags: [] } });
    expect(r).toEqual({ ok: false, errno: 'EEXIST', message: 'add service TCP 192.0.2.10:80: file already exists (EEXIST)' });
    expect(t.sent.filter((s) => s.family === 32)).toHaveLength(1);
  });

  it('effects go out in the order given, even when not awaited one by one', async () => {
    const t = scripted([]);
    const o = await NetlinkIpvs.open({ transport: t });
    if (!o.ok) throw new Error(o.message);
    await Promise.all([
      o.ipvs.apply({ type: 'ipvsAddService', service: { id: svc, scheduler: 'rr', flags: [] } }),
      o.ipvs.apply({ type: 'ipvsAddDest', service: svc, dest }),
      o.ipvs.apply({ type: 'ipvsEditDest', service: svc, dest: { ...dest, weight: 0 } }),
      o.ipvs.apply({ type: 'ipvsDelService', service: svc }),
    ]);
    expect(t.sent.filter((s) => s.family === 32).map((s) => s.cmd)).toEqual([1, 5, 6, 3]);
  });

  it('errno names as the kernel has them', () => {
    expect([errnoName(2), errnoName(3), errnoName(17), errnoName(22)]).toEqual(['ENOENT', 'ESRCH', 'EEXIST', 'EINVAL']);
  });

  it("lvs_sync_daemon's sync id defaults to the VRRP instance's VRID, then 0", () => {
    expect(syncDaemonSpec({ interface: 'eth1', vrrpInstance: 'VI_1' }, 'MASTER', 51)).toEqual({ state: IP_VS_STATE.MASTER, mcastIfn: 'eth1', syncId: 51 });
    expect(syncDaemonSpec({ interface: 'eth1', vrrpInstance: 'VI_1', syncId: 9, port: 8900, ttl: 2, maxlen: 1400, group: 'ff02::81' }, 'BACKUP')).toEqual({
      state: IP_VS_STATE.BACKUP,
      mcastIfn: 'eth1',
      syncId: 9,
      syncMaxlen: 1400,
      mcastGroup: 'ff02::81',
      mcastPort: 8900,
      mcastTtl: 2,
    });
  });
});

describe('lvs_sync_daemon following VRRP (plan)', () => {
  it('MASTER runs the master daemon only, any other state the backup only, no instance both, stop none', async () => {
    const { wantedSyncDaemons } = await import('../../src/adapters/linux/ipvs-sync-daemon.js');
    expect(wantedSyncDaemons('MASTER')).toEqual(['MASTER']);
    for (const s of ['BACKUP', 'FAULT', 'INIT'] as const) expect(wantedSyncDaemons(s)).toEqual(['BACKUP']);
    expect(wantedSyncDaemons(undefined)).toEqual(['MASTER', 'BACKUP']);
    expect(wantedSyncDaemons('STOP')).toEqual([]);
  });
});
