import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checker } from '../../src/config/types.js';
import type { JsonlProcess } from '../helpers/jsonl-process.js';
import { common, startProbeLab, target, type ProbeLab } from '../helpers/lab-fixture.js';

let lab: ProbeLab;
let garbage: JsonlProcess;
const GARBAGE_PORT = 7053;

async function waitUntil(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  lab = await startProbeLab('dns');
  const h = lab.serverHost;
  // A real DNS server (Debian's dnsmasq), authoritative for one made-up name, no upstream.
  const dnsmasq = lab.lab.spawn(h.ns, [
    'dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts', '--no-poll', '--conf-file=/dev/null', '--pid-file',
    `--listen-address=${h.ipv4}`, `--listen-address=${h.ipv6}`, '--bind-interfaces', '--port=53',
    '--host-record=www.probe.example,192.0.2.80,2001:db8::80', '--log-facility=-', '--user=root', '--group=root',
  ]);
  let log = '';
  dnsmasq.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  dnsmasq.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  await waitUntil(() => /started, version/.test(log), 5000);
  garbage = await lab.server('udp.mjs', [String(GARBAGE_PORT)]);
});
afterAll(() => lab?.close());

const check = (dnsType: string, dnsName: string, over = {}): Checker => ({ type: 'DNS_CHECK', dnsType, dnsName, ...common(over) });

describe('DNS_CHECK against dnsmasq', () => {
  it('an A query for a name the server knows is up (IPv4 and IPv6 transport)', async () => {
    expect(await lab.probe(target(lab.serverHost.ipv4, 53, check('A', 'www.probe.example')))).toMatchObject({ ok: true });
    expect(await lab.probe(target(lab.serverHost.ipv6, 53, check('AAAA', 'www.probe.example.')))).toMatchObject({ ok: true });
  });

  it('a non-zero RCODE is down (dnsmasq refuses what it does not serve: SOA of ".", the default)', async () => {
    const r = await lab.probe(target(lab.serverHost.ipv4, 53, check('SOA', '.')));
    expect(r).toMatchObject({ ok: false, reason: 'DNS error (rcode = 5)' });
  });

  it('a port with no DNS server behind it fails on the ICMP unreachable, long before the timeout', async () => {
    const r = await lab.probe(target(lab.serverHost.ipv4, 54, check('A', 'www.probe.example', { connectTimeoutMs: 5000 })));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/ECONNREFUSED/);
    expect(r.durationMs).toBeLessThan(2500);
  });

  it('garbage and answers with another id are ignored until the timeout', async () => {
    await garbage.request({ mode: 'reply:ffff8180000100000000000000' });
    const r = await lab.probe(target(lab.serverHost.ipv4, GARBAGE_PORT, check('A', 'x.example', { connectTimeoutMs: 500 })));
    expect(r).toMatchObject({ ok: false, reason: 'DNS read timeout' });
    await garbage.request({ mode: 'reply:0001' });
    expect(await lab.probe(target(lab.serverHost.ipv4, GARBAGE_PORT, check('A', 'x.example', { connectTimeoutMs: 300 })))).toMatchObject({ ok: false, reason: 'DNS read timeout' });
  });

  it('a silent server is timed out', async () => {
    await garbage.request({ mode: 'silent' });
    const r = await lab.probe(target(lab.serverHost.ipv4, GARBAGE_PORT, check('A', 'x.example', { connectTimeoutMs: 400 })));
    expect(r).toMatchObject({ ok: false, reason: 'DNS read timeout' });
    expect(r.durationMs).toBeLessThan(1400);
  });
});
