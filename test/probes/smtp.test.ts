import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checker } from '../../src/config/types.js';
import type { JsonlProcess } from '../helpers/jsonl-process.js';
import { common, startProbeLab, target, type ProbeLab } from '../helpers/lab-fixture.js';

let lab: ProbeLab;
let smtp: JsonlProcess;
const PORT = 7025;

beforeAll(async () => {
  lab = await startProbeLab('smtp');
  smtp = await lab.server('smtp.mjs', [String(PORT)]);
});
afterAll(() => lab?.close());

const check = (over: Partial<Extract<Checker, { type: 'SMTP_CHECK' }>> = {}): Checker => ({ type: 'SMTP_CHECK', ...common(), ...over });

describe('SMTP_CHECK against a small SMTP server', () => {
  it('runs the dialogue 220, HELO helo_name, 250, QUIT and is up', async () => {
    await smtp.request({ mode: 'ok' });
    const from = smtp.events.length;
    const r = await lab.probe(target(lab.serverHost.ipv4, PORT, check({ heloName: 'lb1.example' })));
    expect(r).toMatchObject({ ok: true });
    const lines = smtp.events.slice(from).filter((e) => e['event'] === 'line').map((e) => e['line']);
    expect(lines).toEqual(['HELO lb1.example', 'QUIT']);
  });

  it('uses keepalived\'s default HELO name', async () => {
    await smtp.request({ mode: 'ok' });
    const from = smtp.events.length;
    await lab.probe(target(lab.serverHost.ipv6, PORT, check()));
    const helo = await smtp.waitFor((e) => e['event'] === 'line', 2000, from);
    expect(helo['line']).toBe('HELO smtpchecker.keepalived.org');
  });

  it('reads a multi-line greeting to its end', async () => {
    await smtp.request({ mode: 'multiline' });
    expect(await lab.probe(target(lab.serverHost.ipv4, PORT, check()))).toMatchObject({ ok: true });
  });

  it('is down on a bad banner, a refused HELO, a hang-up after HELO, or garbage', async () => {
    await smtp.request({ mode: 'badbanner' });
    expect(await lab.probe(target(lab.serverHost.ipv4, PORT, check()))).toMatchObject({ ok: false, reason: 'Bad greeting banner (554)' });
    await smtp.request({ mode: 'badhelo' });
    expect(await lab.probe(target(lab.serverHost.ipv4, PORT, check()))).toMatchObject({ ok: false, reason: 'Bad HELO response (501)' });
    await smtp.request({ mode: 'close-after-helo' });
    expect((await lab.probe(target(lab.serverHost.ipv4, PORT, check()))).ok).toBe(false);
    await smtp.request({ mode: 'garbage' });
    expect(await lab.probe(target(lab.serverHost.ipv4, PORT, check()))).toMatchObject({ ok: false, reason: 'SMTP banner: not an SMTP reply' });
  });

  it('a server that never greets is timed out at connect_timeout', async () => {
    await smtp.request({ mode: 'silent' });
    const r = await lab.probe(target(lab.serverHost.ipv4, PORT, check({ connectTimeoutMs: 500 })));
    expect(r).toMatchObject({ ok: false, reason: 'SMTP read timeout' });
    expect(r.durationMs).toBeLessThan(1500);
  });

  it('a closed port fails at once', async () => {
    const r = await lab.probe(target(lab.serverHost.ipv4, 7026, check()));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/ECONNREFUSED/);
  });
});
