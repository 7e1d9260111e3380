import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UdpChecker } from '../../src/adapters/probes/udp.js';
import type { JsonlProcess } from '../helpers/jsonl-process.js';
import { common, startProbeLab, target, type ProbeLab } from '../helpers/lab-fixture.js';

let lab: ProbeLab;
let echo: JsonlProcess;
const PORT = 7161;

beforeAll(async () => {
  lab = await startProbeLab('udp');
  echo = await lab.server('udp.mjs', [String(PORT)]);
});
afterAll(() => lab?.close());

const check = (over: Partial<UdpChecker> = {}, timeout = 400): UdpChecker => ({ type: 'UDP_CHECK', ...common({ connectTimeoutMs: timeout }), ...over });

describe('UDP_CHECK against a UDP echo server', () => {
  it('sends the configured payload (keepalived HEX_STR) and, with require_reply, is up on the echo', async () => {
    await echo.request({ mode: 'echo' });
    const from = echo.events.length;
    const r = await lab.probe(target(lab.serverHost.ipv4, PORT, check({ payload: 'Ab12f 3', requireReply: true })));
    expect(r).toMatchObject({ ok: true });
    const d = await echo.waitFor((e) => e['event'] === 'datagram', 1000, from);
    expect(d['hex']).toBe('ab120f03');
  });

  it('without require_reply silence is success (no ICMP error) and a closed port is down', async () => {
    await echo.request({ mode: 'silent' });
    expect(await lab.probe(target(lab.serverHost.ipv4, PORT, check()))).toMatchObject({ ok: true });
    const closed = await lab.probe(target(lab.serverHost.ipv4, PORT + 1, check({}, 5000)));
    expect(closed.ok).toBe(false);
    expect(closed.reason).toMatch(/ECONNREFUSED/);
    expect(closed.durationMs).toBeLessThan(2500);
  });

  it('with require_reply silence is down at connect_timeout', async () => {
    await echo.request({ mode: 'silent' });
    const r = await lab.probe(target(lab.serverHost.ipv6, PORT, check({ requireReply: true })));
    expect(r).toMatchObject({ ok: false, reason: 'UDP no reply' });
    expect(r.durationMs).toBeGreaterThanOrEqual(390);
    expect(r.durationMs).toBeLessThan(1400);
  });

  it('checks the reply against require_reply HEX_STR (X = any nibble) and the length bounds', async () => {
    await echo.request({ mode: 'reply:cafe0042' });
    expect(await lab.probe(target(lab.serverHost.ipv4, PORT, check({ requireReplyData: 'caXe 00' })))).toMatchObject({ ok: true });
    expect(await lab.probe(target(lab.serverHost.ipv4, PORT, check({ requireReplyData: 'beef' })))).toMatchObject({ ok: false, reason: 'UDP reply data mismatch' });
    expect(await lab.probe(target(lab.serverHost.ipv4, PORT, check({ requireReply: true, maxReplyLength: 3 })))).toMatchObject({ ok: false });
    expect(await lab.probe(target(lab.serverHost.ipv4, PORT, check({ requireReply: true, minReplyLength: 4, maxReplyLength: 4 })))).toMatchObject({ ok: true });
  });
});
