import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonlProcess } from '../helpers/jsonl-process.js';
import { common, startProbeLab, target, type ProbeLab } from '../helpers/lab-fixture.js';

let lab: ProbeLab;
let port: JsonlProcess;
let silent: JsonlProcess;

beforeAll(async () => {
  lab = await startProbeLab('tcp');
  port = await lab.server('tcp.mjs', ['7001']);
  silent = await lab.server('http.mjs', ['7002']);
  await silent.request({ mode: 'silent' });
});
afterAll(() => lab?.close());

describe('TCP_CHECK against a real port in a namespace', () => {
  it('is up while the port is open, down once it closes, up again when it reopens', async () => {
    const t = target(lab.serverHost.ipv4, 7001, { type: 'TCP_CHECK', ...common() });
    expect((await lab.probe(t)).ok).toBe(true);
    await port.request({ open: false });
    const down = await lab.probe(t);
    expect(down.ok).toBe(false);
    expect(down.reason).toMatch(/ECONNREFUSED/);
    await port.request({ open: true });
    expect((await lab.probe(t)).ok).toBe(true);
  });

  it('connects over IPv6 too', async () => {
    const r = await lab.probe(target(lab.serverHost.ipv6, 7001, { type: 'TCP_CHECK', ...common() }));
    expect(r).toMatchObject({ ok: true });
  });

  it('a server that accepts and never answers is still up for TCP_CHECK (connect is all it asks)', async () => {
    const r = await lab.probe(target(lab.serverHost.ipv4, 7002, { type: 'TCP_CHECK', ...common() }));
    expect(r.ok).toBe(true);
  });

  it('connect_ip and connect_port override the real server address', async () => {
    const r = await lab.probe(
      target('192.0.2.250', 9, { type: 'TCP_CHECK', ...common({ connectIp: lab.serverHost.ipv4, connectPort: 7001 }) }),
    );
    expect(r.ok).toBe(true);
  });

  it('bindto sets the source address (the server sees the connection from it)', async () => {
    const client = lab.lab.hosts[0]!;
    const r = await lab.probe(
      target(lab.serverHost.ipv4, 7001, { type: 'TCP_CHECK', ...common({ bindto: client.ipv4, bindPort: 40001 }) }),
    );
    expect(r.ok).toBe(true);
    const bad = await lab.probe(
      target(lab.serverHost.ipv4, 7001, { type: 'TCP_CHECK', ...common({ bindto: '198.51.100.7' }) }),
    );
    expect(bad.ok).toBe(false);
    expect(bad.reason).toMatch(/EADDRNOTAVAIL/);
  });

  it('an address nobody answers times out at connect_timeout, not later', async () => {
    const r = await lab.probe(target('192.0.2.200', 7001, { type: 'TCP_CHECK', ...common({ connectTimeoutMs: 600 }) }));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/timeout/i);
    expect(r.durationMs).toBeGreaterThanOrEqual(590);
    expect(r.durationMs).toBeLessThan(1600);
  });

  it('an abort ends the attempt at once', async () => {
    const r = await lab.probe(target('192.0.2.200', 7001, { type: 'TCP_CHECK', ...common({ connectTimeoutMs: 5000 }) }), 100);
    expect(r).toMatchObject({ ok: false, reason: 'aborted' });
    expect(r.durationMs).toBeLessThan(2500);
  });
});
