import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checker } from '../../src/config/types.js';
import { common, startProbeLab, target, type ProbeLab } from '../helpers/lab-fixture.js';

let lab: ProbeLab;

beforeAll(async () => {
  lab = await startProbeLab('ping');
});
afterAll(() => lab?.close());

const check = (timeout = 1000): Checker => ({ type: 'PING_CHECK', ...common({ connectTimeoutMs: timeout }) });

describe('PING_CHECK: ICMP echo over a raw socket (the peer namespace answers by itself)', () => {
  it('is up when the peer answers, over IPv4 and IPv6', async () => {
    expect(await lab.probe(target(lab.serverHost.ipv4, 0, check()))).toMatchObject({ ok: true });
    expect(await lab.probe(target(lab.serverHost.ipv6, 0, check()))).toMatchObject({ ok: true });
  });

  it('is down at connect_timeout when nobody answers', async () => {
    const r = await lab.probe(target('192.0.2.201', 0, check(500)));
    expect(r).toMatchObject({ ok: false, reason: 'PING timeout' });
    expect(r.durationMs).toBeLessThan(1500);
    const r6 = await lab.probe(target('2001:db8::c9', 0, check(500)));
    expect(r6.ok).toBe(false);
  });

  it('is down once the peer stops answering echo requests', async () => {
    const ns = lab.serverHost.ns;
    lab.lab.exec(ns, ['sysctl', '-q', '-w', 'net.ipv4.icmp_echo_ignore_all=1']);
    try {
      expect(await lab.probe(target(lab.serverHost.ipv4, 0, check(500)))).toMatchObject({ ok: false });
    } finally {
      lab.lab.exec(ns, ['sysctl', '-q', '-w', 'net.ipv4.icmp_echo_ignore_all=0']);
    }
    expect(await lab.probe(target(lab.serverHost.ipv4, 0, check()))).toMatchObject({ ok: true });
  });
});
