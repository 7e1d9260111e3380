import { describe, expect, it } from 'vitest';
import { runAttempt } from '../../src/adapters/probes/attempt.js';
import { probeFor, runProbe } from '../../src/adapters/probes/index.js';
import type { Checker } from '../../src/config/types.js';
import { common, target } from '../helpers/lab-fixture.js';

// No traffic here: these run in the test process with inputs that never reach a socket.
const never = new AbortController().signal;

describe('runAttempt: the guarantee every probe is built on', () => {
  it('settles at the deadline when the body never finishes, and releases what it registered', async () => {
    let released = 0;
    const r = await runAttempt(never, 150, 'too slow', (ctl) => {
      ctl.onSettle(() => released++);
    });
    expect(r).toMatchObject({ ok: false, reason: 'too slow' });
    expect(r.durationMs).toBeGreaterThanOrEqual(140);
    expect(released).toBe(1);
  });

  it('turns a throwing or rejecting body into ok:false', async () => {
    expect(await runAttempt(never, 1000, 't', () => {
      throw new Error('boom');
    })).toMatchObject({ ok: false, reason: 'boom' });
    expect(await runAttempt(never, 1000, 't', async () => {
      await Promise.resolve();
      throw Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' });
    })).toMatchObject({ ok: false, reason: 'ECONNREFUSED: connect refused' });
  });

  it('the first finish wins; a release that throws does not stop the others', async () => {
    let second = false;
    const r = await runAttempt(never, 1000, 't', (ctl) => {
      ctl.onSettle(() => {
        throw new Error('already closed');
      });
      ctl.onSettle(() => (second = true));
      ctl.finish({ ok: true, weight: 3 });
      ctl.finish({ ok: false, reason: 'late' });
    });
    expect(r).toMatchObject({ ok: true, weight: 3 });
    expect(second).toBe(true);
  });

  it('an already aborted signal ends the attempt before it starts', async () => {
    const ac = new AbortController();
    ac.abort();
    let ran = false;
    expect(await runAttempt(ac.signal, 1000, 't', () => void (ran = true))).toMatchObject({ ok: false, reason: 'aborted' });
    expect(ran).toBe(false);
  });
});

describe('every probe returns ok:false on unusable input instead of throwing', () => {
  const checkers: Checker[] = [
    { type: 'TCP_CHECK', ...common() },
    { type: 'HTTP_GET', urls: [{ path: '/', statusCode: [] }], ...common() },
    { type: 'SSL_GET', urls: [{ path: '/', statusCode: [] }], ...common() },
    { type: 'SMTP_CHECK', ...common() },
    { type: 'DNS_CHECK', dnsType: 'A', dnsName: 'x.example', ...common() },
    { type: 'UDP_CHECK', ...common() },
    { type: 'PING_CHECK', ...common() },
  ];
  for (const c of checkers) {
    it(`${c.type} with an address that is not an IP`, async () => {
      expect(await runProbe(target('not-an-address', 80, c), never)).toMatchObject({ ok: false, reason: 'invalid address not-an-address' });
      expect(await runProbe(target('192.0.2.2', 70000, c), never)).toMatchObject({ ok: false, reason: 'invalid port 70000' });
    });
  }

  it('a bad http_protocol, DNS name or UDP payload is reported, not thrown', async () => {
    // Each fails on its own bad setting before any socket is opened.
    const http: Checker = { type: 'HTTP_GET', urls: [{ path: '/', statusCode: [] }], httpProtocol: '2.0', ...common() };
    expect(await runProbe(target('192.0.2.2', 9, http), never)).toMatchObject({ ok: false, reason: '/: invalid http_protocol 2.0' });
    const dns: Checker = { type: 'DNS_CHECK', dnsType: 'A', dnsName: 'bad..name', ...common() };
    expect(await runProbe(target('192.0.2.2', 53, dns), never)).toMatchObject({ ok: false, reason: 'empty label in bad..name' });
    const udp: Checker = { type: 'UDP_CHECK', payload: 'zz', ...common() };
    expect(await runProbe(target('192.0.2.2', 9, udp), never)).toMatchObject({ ok: false, reason: "payload: invalid hex digit 'z' in \"zz\"" });
    const misc: Checker = { type: 'MISC_CHECK', miscPath: { argv: [] }, miscDynamic: false, ...common() };
    expect(await runProbe(target('192.0.2.2', 9, misc), never)).toMatchObject({ ok: false, reason: 'empty misc_path' });
  });

  it('FILE_CHECK is not a network probe', async () => {
    const r = await probeFor('FILE_CHECK')(target('192.0.2.2', 0, { type: 'FILE_CHECK', trackFile: 'f', ...common() }), never);
    expect(r).toMatchObject({ ok: false, reason: 'FILE_CHECK is not probed here' });
  });
});
