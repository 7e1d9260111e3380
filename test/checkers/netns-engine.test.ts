/**
 * The checker engine against real HTTP servers in network namespaces: the engine runs in the client
 * namespace (engine-runner.ts, real probes, real-time scheduler, recording IPVS twin), two real
 * servers run in the server namespace, and the test switches their behaviour.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checker, VirtualServer } from '../../src/config/types.js';
import { JsonlProcess } from '../helpers/jsonl-process.js';
import { createLab, type NetnsLab } from '../helpers/netns.js';
import { POS, realServer, virtualServer } from './fixtures.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PORT_A = 7181;
const PORT_B = 7182;
const RETRY = 2;

let lab: NetnsLab;
let engine: JsonlProcess;
let webA: JsonlProcess;
let webB: JsonlProcess;
let serverIp: string;

function httpGet(): Checker {
  return {
    type: 'HTTP_GET',
    urls: [{ path: '/health', statusCode: [] }],
    connectTimeoutMs: 1000,
    retry: RETRY,
    delayBeforeRetryMs: 150,
    delayLoopMs: 300,
    warmupMs: 0,
    pos: POS,
  };
}

async function startServer(port: number): Promise<JsonlProcess> {
  const p = new JsonlProcess(lab.spawn(lab.hosts[1]!.ns, [process.execPath, resolve(ROOT, 'test/helpers/servers/http.mjs'), String(port)]));
  await p.waitFor((e) => e['ready'] === true, 10_000);
  return p;
}

/** The twin's table after the latest IPVS call. */
function table(): string[] {
  const calls = engine.events.filter((e) => e['event'] === 'ipvs');
  return ((calls.at(-1)?.['dests'] as string[] | undefined) ?? []).slice().sort();
}

/** Wait until the table (as reported after the latest IPVS call) equals `want`. */
async function tableBecomes(want: string[], timeoutMs = 10_000): Promise<void> {
  const sorted = JSON.stringify([...want].sort());
  if (JSON.stringify(table()) === sorted) return;
  await engine.waitFor(
    (e) => e['event'] === 'ipvs' && JSON.stringify(((e['dests'] as string[]) ?? []).slice().sort()) === sorted,
    timeoutMs,
    engine.events.length,
  );
}

/** The twin's call removing `port`'s destination, at or after event index `from`. */
function removed(port: number, from: number, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  return engine.waitFor((e) => {
    const eff = e['effect'] as { type: string; dest?: { port: number } } | undefined;
    return e['event'] === 'ipvs' && eff?.type === 'ipvsDelDest' && eff.dest?.port === port;
  }, timeoutMs, from);
}

/** The checker transition to down of the real server on `port`, at or after event index `from`. */
function wentDown(port: number, from: number): { data: { reason: { attempts: number; reason?: string } } } | undefined {
  return engine.events
    .slice(from)
    .find((e) => e['event'] === 'transition' && e['type'] === 'down' && String(e['actor']).endsWith(`:${port}#0`)) as never;
}

const requests = (p: JsonlProcess, from: number) => p.events.slice(from).filter((e) => e['event'] === 'request').length;

beforeAll(async () => {
  lab = createLab(2, { tag: 'chk' });
  serverIp = lab.hosts[1]!.ipv4;
  webA = await startServer(PORT_A);
  webB = await startServer(PORT_B);
  const vs: VirtualServer = virtualServer(
    [realServer(serverIp, { port: PORT_A, checkers: [httpGet()] }), realServer(serverIp, { port: PORT_B, checkers: [httpGet()] })],
    { delayLoopMs: 300 },
  );
  engine = new JsonlProcess(
    lab.spawn(lab.hosts[0]!.ns, [process.execPath, '--import', 'tsx', resolve(ROOT, 'test/checkers/engine-runner.ts'), JSON.stringify({ virtualServers: [vs] })], {
      cwd: ROOT,
    }),
  );
  await engine.waitFor((e) => e['ready'] === true, 20_000);
});

afterAll(() => {
  lab?.cleanup();
});

describe('checker engine in network namespaces, recording IPVS twin', () => {
  const A = () => `${serverIp}:${PORT_A}=1`;
  const B = () => `${serverIp}:${PORT_B}=1`;

  it('starts with both healthy real servers in the table', async () => {
    await tableBecomes([A(), B()]);
    // Let each checker run (before its first result a single failure is enough, as in keepalived).
    // A second request means the first probe's result is in.
    for (const web of [webA, webB]) await web.waitFor(() => requests(web, 0) >= 2, 5000);
  });

  it('drops a real server that answers 503 after retry+1 failed checks, and adds it back when it answers 200', async () => {
    const mark = webA.events.length;
    const eventsMark = engine.events.length;
    await webA.request({ status: 503 });
    await removed(PORT_A, eventsMark);
    expect(table()).not.toContain(A());
    // keepalived: the failure is retried `retry` times before the server is taken out.
    expect(requests(webA, mark)).toBeGreaterThanOrEqual(RETRY + 1);
    const down = wentDown(PORT_A, eventsMark)!;
    expect(down.data.reason.attempts).toBe(RETRY + 1);
    expect(down.data.reason.reason).toMatch(/503/);

    await webA.request({ status: 200 });
    await tableBecomes([A(), B()]);
  });

  it('marks down a server that accepts and never answers, and the checker keeps going until it recovers', async () => {
    const eventsMark = engine.events.length;
    await webB.request({ mode: 'silent' });
    await removed(PORT_B, eventsMark);
    expect(table()).not.toContain(B());
    expect(wentDown(PORT_B, eventsMark)!.data.reason.attempts).toBe(RETRY + 1);
    // Still probing while down: the server keeps seeing requests.
    const mark = webB.events.length;
    await webB.waitFor((e) => e['event'] === 'request', 5000, mark);
    await webB.request({ mode: 'normal' });
    await tableBecomes([A(), B()]);
  });

  it('a server that sends garbage, or closes mid-answer, is marked down after retry and nothing crashes', async () => {
    for (const mode of ['garbage', 'midclose', 'headeronly-close']) {
      const eventsMark = engine.events.length;
      await webB.request({ mode });
      await removed(PORT_B, eventsMark);
      expect(wentDown(PORT_B, eventsMark)!.data.reason.attempts).toBe(RETRY + 1);
      await webB.request({ mode: 'normal' });
      await tableBecomes([A(), B()]);
    }
    expect(engine.proc.exitCode).toBeNull();
    expect(engine.stderr).toBe('');
  });

  it('a real server whose port closes goes down, and comes back when it listens again', async () => {
    const eventsMark = engine.events.length;
    webA.proc.kill('SIGKILL');
    await removed(PORT_A, eventsMark);
    expect(table()).not.toContain(A());
    webA = await startServer(PORT_A);
    await tableBecomes([A(), B()]);
  });

  it('stop empties the table: destinations and the service go', async () => {
    engine.proc.stdin?.write('stop\n');
    const ev = await engine.waitFor((e) => e['event'] === 'stopped', 5000);
    expect(ev['services']).toBe(0);
    expect(table()).toEqual([]);
  });
});
