import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checker, HttpUrl } from '../../src/config/types.js';
import { md5Hex } from '../../src/adapters/probes/digest.js';
import type { JsonlProcess } from '../helpers/jsonl-process.js';
import { common, startProbeLab, target, type ProbeLab } from '../helpers/lab-fixture.js';

let lab: ProbeLab;
let web: JsonlProcess;
let tlsWeb: JsonlProcess;
let certDir: string;
const HTTP_PORT = 7080;
const TLS_PORT = 7443;

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'kts-probes-cert-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=kts-test.example', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')],
    { stdio: 'ignore' },
  );
  lab = await startProbeLab('http');
  web = await lab.server('http.mjs', [String(HTTP_PORT)]);
  tlsWeb = await lab.server('http.mjs', [String(TLS_PORT), '--tls', join(certDir, 'cert.pem'), join(certDir, 'key.pem')]);
});
afterAll(() => {
  lab?.close();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

function url(over: Partial<HttpUrl> = {}): HttpUrl {
  return { path: '/', statusCode: [], ...over };
}
function httpGet(urls: HttpUrl[], over: Partial<Extract<Checker, { type: 'HTTP_GET' | 'SSL_GET' }>> = {}): Checker {
  return { type: 'HTTP_GET', urls, ...common(), ...over };
}
async function set(p: JsonlProcess, cmd: Record<string, unknown>): Promise<void> {
  await p.request(cmd);
}
/** The request head the server saw last. */
function requestCount(p: JsonlProcess): number {
  return p.events.filter((e) => e['event'] === 'request').length;
}

/**
 * The head of the server's latest request, once the server has reported more than `before`
 * requests: its report is a line on its stdout, which can trail the answer the probe already got.
 */
async function lastHead(p: JsonlProcess, before: number): Promise<string> {
  const end = Date.now() + 5000;
  while (requestCount(p) <= before && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  const reqs = p.events.filter((e) => e['event'] === 'request');
  return String(reqs[reqs.length - 1]?.['head']);
}

describe('HTTP_GET against a real server whose status and body the test switches', () => {
  it('is up on 200, down when the server turns 503, up again with status_code 500-599', async () => {
    await set(web, { mode: 'normal', status: 200, body: 'alive\n' });
    const t = target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url()]));
    expect(await lab.probe(t)).toMatchObject({ ok: true });
    await set(web, { status: 503 });
    const down = await lab.probe(t);
    expect(down.ok).toBe(false);
    expect(down.reason).toMatch(/HTTP status code error \(503\)/);
    expect(await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url({ statusCode: [[500, 599]] })])))).toMatchObject({ ok: true });
  });

  it('compares the MD5 digest of the body: the right one passes, a changed body fails', async () => {
    const body = 'page version 1\n';
    await set(web, { mode: 'normal', status: 200, body });
    const t = target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url({ digest: md5Hex(body).toUpperCase() })]));
    expect(await lab.probe(t)).toMatchObject({ ok: true });
    await set(web, { body: 'page version 2\n' });
    const r = await lab.probe(t);
    expect(r.ok).toBe(false);
    expect(r.reason).toContain(`MD5 digest error (got ${md5Hex('page version 2\n')})`);
  });

  it('sends keepalived\'s request: HTTP/1.0, KeepAliveClient, Host = address:port', async () => {
    await set(web, { mode: 'normal', status: 200 });
    const before1 = requestCount(web);
    await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url({ path: '/health?x=1' })])));
    expect(await lastHead(web, before1)).toBe(`GET /health?x=1 HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: ${lab.serverHost.ipv4}:${HTTP_PORT}\r\n\r\n`);
  });

  it('virtualhost becomes the Host header (url over checker over real/virtual server); http_protocol 1.1 and 1.0C add Connection: close', async () => {
    await set(web, { mode: 'normal', status: 200 });
    const before2 = requestCount(web);
    await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url()], { httpProtocol: '1.1' }), { virtualhost: 'vs.example' }));
    expect(await lastHead(web, before2)).toBe('GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: vs.example\r\n\r\n');
    const before3 = requestCount(web);
    await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url()], { httpProtocol: '1.0C', virtualhost: 'checker.example' }), { virtualhost: 'vs.example' }));
    expect(await lastHead(web, before3)).toBe('GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: checker.example\r\n\r\n');
    const before4 = requestCount(web);
    await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url({ virtualhost: 'url.example' })], { virtualhost: 'checker.example' })));
    expect(await lastHead(web, before4)).toContain('\r\nHost: url.example\r\n');
  });

  it('works over IPv6 with a bracketed Host header', async () => {
    await set(web, { mode: 'normal', status: 200 });
    const before5 = requestCount(web);
    expect(await lab.probe(target(lab.serverHost.ipv6, HTTP_PORT, httpGet([url()])))).toMatchObject({ ok: true });
    expect(await lastHead(web, before5)).toContain(`\r\nHost: [${lab.serverHost.ipv6}]:${HTTP_PORT}\r\n`);
  });

  it('checks every url in order and names the one that failed; urlIndex checks just one', async () => {
    await set(web, { mode: 'normal', status: 200, body: 'same for all\n' });
    const urls = [url({ path: '/a' }), url({ path: '/b', digest: '00000000000000000000000000000000' })];
    const r = await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet(urls)));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^\/b: MD5 digest error/);
    expect(await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet(urls), { urlIndex: 0 }))).toMatchObject({ ok: true });
  });

  it('regex must match the body', async () => {
    await set(web, { mode: 'normal', status: 200, body: 'status: green\n' });
    expect(await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url({ regex: 'status: (green|yellow)' })])))).toMatchObject({ ok: true });
    expect(await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url({ regex: 'status: red' })])))).toMatchObject({ ok: false, reason: '/: Regex match failed' });
  });

  it('a server that answers with garbage is down', async () => {
    await set(web, { mode: 'garbage' });
    const r = await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url()])));
    expect(r.ok).toBe(false);
  });

  it('a server that closes in the middle of the header, or of the body, is down', async () => {
    await set(web, { mode: 'headeronly-close' });
    const a = await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url()])));
    expect(a).toMatchObject({ ok: false, reason: '/: Read, no data received' });
    await set(web, { mode: 'midclose' });
    const b = await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url()])));
    expect(b.ok).toBe(false);
    expect(b.reason).toMatch(/content_length \(1000\) does not match received bytes \(10\)|ECONNRESET/);
  });

  it('a server that accepts and never answers is timed out at connect_timeout', async () => {
    await set(web, { mode: 'silent' });
    const r = await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url()], { connectTimeoutMs: 500 })));
    expect(r).toMatchObject({ ok: false, reason: '/: Timeout HTTP read' });
    expect(r.durationMs).toBeGreaterThanOrEqual(490);
    expect(r.durationMs).toBeLessThan(1500);
  });

  it('a response that never ends is timed out too', async () => {
    await set(web, { mode: 'trickle' });
    const r = await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url()], { connectTimeoutMs: 700 })));
    expect(r).toMatchObject({ ok: false, reason: '/: Timeout HTTP read' });
    expect(r.durationMs).toBeLessThan(1700);
  });

  it('a keep-alive server is done once Content-Length bytes have arrived (no wait for the close)', async () => {
    await set(web, { mode: 'keepalive', status: 200, body: 'kept\n' });
    const r = await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url({ digest: md5Hex('kept\n') })], { connectTimeoutMs: 5000 })));
    expect(r).toMatchObject({ ok: true });
    expect(r.durationMs).toBeLessThan(2500);
  });

  it('a closed port fails at once', async () => {
    const r = await lab.probe(target(lab.serverHost.ipv4, 7999, httpGet([url()])));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/Connection failed.*ECONNREFUSED/);
  });
});

describe('SSL_GET against a TLS server with a self-signed certificate', () => {
  const sslGet = (over: Partial<Extract<Checker, { type: 'HTTP_GET' | 'SSL_GET' }>> = {}, urls = [url()]): Checker => ({
    type: 'SSL_GET',
    urls,
    ...common(),
    ...over,
  });

  it('is up, and the digest is over the decrypted body', async () => {
    await set(tlsWeb, { mode: 'normal', status: 200, body: 'secret page\n' });
    const r = await lab.probe(target(lab.serverHost.ipv4, TLS_PORT, sslGet({}, [url({ digest: md5Hex('secret page\n') })])));
    expect(r).toMatchObject({ ok: true });
  });

  it('sends the virtualhost as SNI when enable_sni is set, and no SNI otherwise', async () => {
    await set(tlsWeb, { mode: 'normal', status: 200 });
    const before = tlsWeb.events.length;
    const before6 = requestCount(tlsWeb);
    await lab.probe(target(lab.serverHost.ipv4, TLS_PORT, sslGet({ enableSni: true, virtualhost: 'www.sni.example' })));
    const sni = await tlsWeb.waitFor((e) => e['event'] === 'sni', 2000, before);
    expect(sni['servername']).toBe('www.sni.example');
    expect(await lastHead(tlsWeb, before6)).toContain('\r\nHost: www.sni.example\r\n');
    const before2 = tlsWeb.events.length;
    await lab.probe(target(lab.serverHost.ipv4, TLS_PORT, sslGet({ virtualhost: 'www.sni.example' })));
    const none = await tlsWeb.waitFor((e) => e['event'] === 'sni', 2000, before2);
    expect(none['servername']).toBeNull();
  });

  it('a plain-HTTP server on the SSL_GET port fails the handshake', async () => {
    await set(web, { mode: 'normal', status: 200 });
    const r = await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, sslGet()));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/SSL handshake|Timeout/);
  });

  it('a TLS server that never answers after the handshake is timed out', async () => {
    await set(tlsWeb, { mode: 'silent' });
    const r = await lab.probe(target(lab.serverHost.ipv4, TLS_PORT, sslGet({ connectTimeoutMs: 500 })));
    expect(r).toMatchObject({ ok: false, reason: '/: Timeout HTTP read' });
    await set(tlsWeb, { mode: 'normal' });
  });
});

describe('genhash against the same servers', () => {
  it('prints the MD5 of the body the server serves, as genhash does', async () => {
    const body = 'digest me please\n';
    await set(web, { mode: 'normal', status: 200, body });
    const before7 = requestCount(web);
    const r = await lab.genhash(['-s', lab.serverHost.ipv4, '-p', String(HTTP_PORT), '-u', '/index.html']);
    expect(r).toMatchObject({ rc: 0, out: `${md5Hex(body)}\n`, err: '' });
    expect(await lastHead(web, before7)).toBe(`GET /index.html HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: ${lab.serverHost.ipv4}:${HTTP_PORT}\r\n\r\n`);
  });

  it('the digest genhash prints is the one HTTP_GET accepts', async () => {
    await set(web, { mode: 'normal', status: 200, body: 'round trip\n' });
    const g = await lab.genhash(['--server', lab.serverHost.ipv4, '--port', String(HTTP_PORT), '--url', '/']);
    const digest = g.out.trim();
    expect(await lab.probe(target(lab.serverHost.ipv4, HTTP_PORT, httpGet([url({ digest })])))).toMatchObject({ ok: true });
  });

  it('-v shows the header and body dumps and the digest sections', async () => {
    const body = 'verbose\n';
    await set(web, { mode: 'normal', status: 200, body });
    const before8 = requestCount(web);
    const r = await lab.genhash(['-v', '-s', lab.serverHost.ipv4, '-p', String(HTTP_PORT), '-u', '/v', '-V', 'v.example', '-P', '1.1']);
    expect(r.rc).toBe(0);
    expect(r.out).toContain('-----------------------[    HTTP Header Buffer    ]-----------------------\n0000  48 54 54 50 2f 31 2e 30 - 20 32 30 30 20 53 74 61   HTTP/1.0 200 Sta\n');
    expect(r.out).toContain('-----------------------[ HTTP Header Ascii Buffer ]-----------------------\nHTTP/1.0 200 Status\r\n');
    expect(r.out).toContain('-----------------------[        HTML Buffer        ]-----------------------\n0000  76 65 72 62 6f 73 65 0a -                           verbose.        \n');
    expect(r.out).toContain(`-----------------------[ HTML hash final resulting ]-----------------------\n${md5Hex(body)}\n\nGlobal response time for [/v] = `);
    expect(await lastHead(web, before8)).toBe('GET /v HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: v.example\r\n\r\n');
  });

  it('-S -I -V hashes over TLS and sends SNI', async () => {
    await set(tlsWeb, { mode: 'normal', status: 200, body: 'tls body\n' });
    const before = tlsWeb.events.length;
    const r = await lab.genhash(['-S', '-I', '-V', 'gen.sni.example', '-s', lab.serverHost.ipv4, '-p', String(TLS_PORT), '-u', '/']);
    expect(r).toMatchObject({ rc: 0, out: `${md5Hex('tls body\n')}\n` });
    expect((await tlsWeb.waitFor((e) => e['event'] === 'sni', 2000, before))['servername']).toBe('gen.sni.example');
  });

  it('a refused connection prints genhash\'s message; a silent server times out at -t', async () => {
    const r = await lab.genhash(['-s', lab.serverHost.ipv4, '-p', '7999', '-u', '/']);
    expect(r).toMatchObject({ rc: 1, out: 'Connection failed\n' });
    await set(web, { mode: 'silent' });
    const t = await lab.genhash(['-s', lab.serverHost.ipv4, '-p', String(HTTP_PORT), '-u', '/', '-t', '1']);
    expect(t).toMatchObject({ rc: 1, out: 'Timeout WEB read\n' });
    await set(web, { mode: 'normal' });
  });
});
