/**
 * The metrics side without networking: the Prometheus text exposition (families, label escaping,
 * one state sample per state), the HTTP endpoints on loopback, the per-instance counting transport
 * (and its use_vmac send route), the sync group's own state, and the metrics port's sources.
 */
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ReceivedVrrpPacket, VrrpPacket, VrrpTransport } from '../../src/engine/transport.js';
import { escapeLabelValue, InstanceTransport, MetricsServer, PROMETHEUS_CONTENT_TYPE, renderPrometheus, type MetricsSnapshot } from '../../src/daemon/metrics.js';
import { syncGroupState, SyncGroupWatch } from '../../src/daemon/sync-group-state.js';
import { metricsPortFor } from '../../src/daemon/vrrp-process.js';

const snapshot = (): MetricsSnapshot => ({
  node: 'lb-a',
  pid: 42,
  uptimeSeconds: 7,
  instances: [
    { name: 'VI_1', interface: 'eth0', family: 'ipv4', virtualRouterId: 51, state: 'MASTER', priority: 150, effectivePriority: 140, transitions: 2, advertsSent: 30, advertsReceived: 4, drops: { ttl: 3, 'auth-pass': 1 }, master: '192.0.2.1', vips: ['192.0.2.100'] },
    { name: 'we"ird\\na\nme', interface: 'eth1', family: 'ipv6', virtualRouterId: 7, state: 'BACKUP', priority: 100, effectivePriority: 100, transitions: 1, advertsSent: 0, advertsReceived: 9, drops: {}, vips: [] },
  ],
  foreignVrids: [{ interface: 'eth0', family: 'ipv4', vrid: 99, received: 5 }],
  transport: { sent: 30, received: 13, sendErrors: 1, malformed: 0 },
});

/** name{labels} -> value, from the exposition text (comments skipped). */
function samples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

describe('Prometheus text exposition', () => {
  it('has HELP and TYPE for each family, counters end in _total, and every sample line is name{labels} value', () => {
    const text = renderPrometheus(snapshot());
    expect(text.endsWith('\n')).toBe(true);
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(types.length).toBeGreaterThan(8);
    for (const [name, type] of types) {
      expect(text).toContain(`# HELP ${name} `);
      if (type === 'counter') expect(name.endsWith('_total')).toBe(true);
    }
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+="(?:[^"\\\n]|\\[\\"n])*"(,[a-z_]+="(?:[^"\\\n]|\\[\\"n])*")*\})? -?[0-9.e+NaInf]+$/);
    }
  });

  it('gives one state sample per state, 1 only for the current one, and the priorities, counters and drops per reason', () => {
    const s = samples(renderPrometheus(snapshot()));
    expect(s.get('keepalived_ts_vrrp_state{instance="VI_1",state="MASTER"}')).toBe(1);
    for (const st of ['INIT', 'BACKUP', 'FAULT', 'STOP']) expect(s.get(`keepalived_ts_vrrp_state{instance="VI_1",state="${st}"}`)).toBe(0);
    expect(s.get('keepalived_ts_vrrp_priority{instance="VI_1"}')).toBe(150);
    expect(s.get('keepalived_ts_vrrp_effective_priority{instance="VI_1"}')).toBe(140);
    expect(s.get('keepalived_ts_vrrp_transitions_total{instance="VI_1"}')).toBe(2);
    expect(s.get('keepalived_ts_vrrp_adverts_sent_total{instance="VI_1"}')).toBe(30);
    expect(s.get('keepalived_ts_vrrp_adverts_received_total{instance="VI_1"}')).toBe(4);
    expect(s.get('keepalived_ts_vrrp_dropped_total{instance="VI_1",reason="ttl"}')).toBe(3);
    expect(s.get('keepalived_ts_vrrp_dropped_total{instance="VI_1",reason="auth-pass"}')).toBe(1);
    expect(s.get('keepalived_ts_vrrp_vips{instance="VI_1"}')).toBe(1);
    expect(s.get('keepalived_ts_vrrp_instance_info{instance="VI_1",interface="eth0",vrid="51",family="ipv4"}')).toBe(1);
    expect(s.get('keepalived_ts_vrrp_send_errors_total')).toBe(1);
    expect(s.get('keepalived_ts_vrrp_foreign_vrid_received_total{interface="eth0",family="ipv4",vrid="99"}')).toBe(5);
    expect(s.get('keepalived_ts_uptime_seconds')).toBe(7);
  });

  it('escapes backslash, double quote and newline in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const s = samples(renderPrometheus(snapshot()));
    expect(s.get('keepalived_ts_vrrp_state{instance="we\\"ird\\\\na\\nme",state="BACKUP"}')).toBe(1);
  });
});

describe('MetricsServer on 127.0.0.1', () => {
  it('serves /metrics as text 0.0.4, /status as the JSON snapshot, 404 elsewhere, 405 for POST', async () => {
    let calls = 0;
    const server = await MetricsServer.listen(0, () => {
      calls++;
      return snapshot();
    });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const m = await fetch(`${base}/metrics`);
      expect(m.status).toBe(200);
      expect(m.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
      expect(await m.text()).toBe(renderPrometheus(snapshot()));
      const st = await fetch(`${base}/status`);
      expect(st.headers.get('content-type')).toBe('application/json');
      expect(await st.json()).toEqual(snapshot());
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
      expect(calls).toBe(2);
    } finally {
      await server.close();
    }
  });
});

class FakeTransport implements VrrpTransport {
  readonly rx = new Subject<ReceivedVrrpPacket>();
  readonly receive$ = this.rx.asObservable();
  readonly sent: VrrpPacket[] = [];
  send(pkt: VrrpPacket): void {
    this.sent.push(pkt);
  }
}

const pkt = (ifname: string, vrid: number, len = 20): ReceivedVrrpPacket => {
  const payload = new Uint8Array(len);
  payload[0] = 0x31;
  if (len > 1) payload[1] = vrid;
  return { ifname, family: 'ipv4', src: '192.0.2.9', dst: '224.0.0.18', payload, at: 0 };
};

describe('InstanceTransport', () => {
  it('counts sent and received packets per interface, family and VRID (byte 1), ignoring runts', () => {
    const inner = new FakeTransport();
    const t = new InstanceTransport(inner);
    const seen: ReceivedVrrpPacket[] = [];
    t.receive$.subscribe((p) => seen.push(p));
    inner.rx.next(pkt('eth0', 51));
    inner.rx.next(pkt('eth0', 51));
    inner.rx.next(pkt('eth0', 52));
    inner.rx.next(pkt('eth1', 51));
    inner.rx.next(pkt('eth0', 51, 1));
    t.send(pkt('eth0', 51));
    expect(t.received('eth0', 'ipv4', 51)).toBe(2);
    expect(t.received('eth0', 'ipv4', 52)).toBe(1);
    expect(t.received('eth1', 'ipv4', 51)).toBe(1);
    expect(t.received('eth0', 'ipv6', 51)).toBe(0);
    expect(t.sent('eth0', 'ipv4', 51)).toBe(1);
    expect(seen).toHaveLength(5);
    expect(t.foreign(new Set([InstanceTransport.key('eth0', 'ipv4', 51)]))).toEqual([
      { interface: 'eth0', family: 'ipv4', vrid: 52, received: 1 },
      { interface: 'eth1', family: 'ipv4', vrid: 51, received: 1 },
    ]);
    expect(inner.sent.map((p) => p.ifname)).toEqual(['eth0']);
    t.close();
  });

  it('use_vmac: sends a routed VRID by its vmac, and hides what the send-only vmac socket hears; unrouting restores both', () => {
    const inner = new FakeTransport();
    const t = new InstanceTransport(inner);
    const seen: string[] = [];
    t.receive$.subscribe((p) => seen.push(p.ifname));
    t.route('eth0', 'ipv4', 51, 'vrrp.51');
    t.send(pkt('eth0', 51));
    t.send(pkt('eth0', 52));
    inner.rx.next(pkt('vrrp.51', 51));
    inner.rx.next(pkt('eth0', 51));
    expect(inner.sent.map((p) => p.ifname)).toEqual(['vrrp.51', 'eth0']);
    expect(t.sent('eth0', 'ipv4', 51)).toBe(1);
    expect(seen).toEqual(['eth0']);
    t.route('eth0', 'ipv4', 51, undefined);
    t.send(pkt('eth0', 51));
    inner.rx.next(pkt('vrrp.51', 51));
    expect(inner.sent.map((p) => p.ifname)).toEqual(['vrrp.51', 'eth0', 'eth0']);
    expect(seen).toEqual(['eth0', 'vrrp.51']);
    t.close();
  });

  it("gives each unit only its own instances' packets; a unit that replaced another keeps them when the old one closes", () => {
    const inner = new FakeTransport();
    const t = new InstanceTransport(inner);
    const groupSeen: number[] = [];
    const soloSeen: number[] = [];
    const group = t.forInstances([
      { interface: 'eth0', family: 'ipv4', virtualRouterId: 51 },
      { interface: 'eth1', family: 'ipv4', virtualRouterId: 52 },
    ]);
    const solo = t.forInstances([{ interface: 'eth0', family: 'ipv4', virtualRouterId: 53 }]);
    group.receive$.subscribe((p) => groupSeen.push(p.payload[1]!));
    solo.receive$.subscribe((p) => soloSeen.push(p.payload[1]!));
    inner.rx.next(pkt('eth0', 51));
    inner.rx.next(pkt('eth1', 52));
    inner.rx.next(pkt('eth0', 52)); // VRID 52 on another interface: nobody's
    inner.rx.next(pkt('eth0', 53));
    inner.rx.next(pkt('eth0', 54)); // foreign: counted, handed to nobody
    inner.rx.next(pkt('vrrp.51', 51, 1)); // a runt: nobody's
    expect(groupSeen).toEqual([51, 52]);
    expect(soloSeen).toEqual([53]);
    expect(t.received('eth0', 'ipv4', 54)).toBe(1);
    // A unit's sends go out as the shared transport's do (and are counted there).
    solo.send(pkt('eth0', 53));
    expect(t.sent('eth0', 'ipv4', 53)).toBe(1);
    expect(inner.sent).toHaveLength(1);
    // A reload: the new unit for VRID 53 takes over the key before the old one closes.
    const solo2 = t.forInstances([{ interface: 'eth0', family: 'ipv4', virtualRouterId: 53 }]);
    const solo2Seen: number[] = [];
    solo2.receive$.subscribe((p) => solo2Seen.push(p.payload[1]!));
    solo.close();
    inner.rx.next(pkt('eth0', 53));
    expect(soloSeen).toEqual([53]);
    expect(solo2Seen).toEqual([53]);
    group.close();
    inner.rx.next(pkt('eth0', 51));
    expect(groupSeen).toEqual([51, 52]);
    solo2.close();
    t.close();
  });
});

describe('sync group state', () => {
  it('is FAULT when any member is, the shared state when all agree, undefined while they differ or in INIT', () => {
    expect(syncGroupState(['MASTER', 'FAULT'])).toBe('FAULT');
    expect(syncGroupState(['MASTER', 'MASTER'])).toBe('MASTER');
    expect(syncGroupState(['BACKUP', 'BACKUP'])).toBe('BACKUP');
    expect(syncGroupState(['STOP', 'STOP'])).toBe('STOP');
    expect(syncGroupState(['MASTER', 'BACKUP'])).toBeUndefined();
    expect(syncGroupState(['INIT', 'INIT'])).toBeUndefined();
    expect(syncGroupState([])).toBeUndefined();
  });

  it('SyncGroupWatch reports each change of the group state once, and ignores non-members', () => {
    const g = new SyncGroupWatch('G1', ['VI_1', 'VI_2']);
    expect(g.transition('VI_1', 'BACKUP')).toBeUndefined();
    expect(g.transition('VI_2', 'BACKUP')).toBe('BACKUP');
    expect(g.transition('VI_1', 'MASTER')).toBeUndefined();
    expect(g.transition('VI_2', 'MASTER')).toBe('MASTER');
    expect(g.transition('VI_9', 'FAULT')).toBeUndefined();
    expect(g.transition('VI_1', 'FAULT')).toBe('FAULT');
    expect(g.transition('VI_2', 'FAULT')).toBeUndefined();
    expect(g.state).toBe('FAULT');
  });
});

describe('metrics port', () => {
  it('comes from the option, else KEEPALIVED_TS_METRICS_PORT, and a bad value means none', () => {
    expect(metricsPortFor({ metricsPort: 9100 }, { KEEPALIVED_TS_METRICS_PORT: '9200' })).toBe(9100);
    expect(metricsPortFor({}, { KEEPALIVED_TS_METRICS_PORT: '9200' })).toBe(9200);
    expect(metricsPortFor({}, {})).toBeUndefined();
    expect(metricsPortFor({}, { KEEPALIVED_TS_METRICS_PORT: 'x' })).toBeUndefined();
    expect(metricsPortFor({}, { KEEPALIVED_TS_METRICS_PORT: '70000' })).toBeUndefined();
  });
});
