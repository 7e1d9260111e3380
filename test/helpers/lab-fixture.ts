import { resolve } from 'node:path';
import type { Checker, CheckerCommon } from '../../src/config/types.js';
import type { ProbeResult, ProbeTarget } from '../../src/adapters/probes/types.js';
import { JsonlProcess } from './jsonl-process.js';
import { createLab, type NetnsLab } from './netns.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const SERVERS = resolve(ROOT, 'test/helpers/servers');

/** A probe lab: host 0 is the client (runs the probes), host 1 the server. */
export interface ProbeLab {
  lab: NetnsLab;
  client: JsonlProcess;
  serverHost: NetnsLab['hosts'][number];
  /** Start `test/helpers/servers/<script>` in the server namespace; waits for its {ready} line. */
  server(script: string, args?: string[]): Promise<JsonlProcess>;
  probe(target: ProbeTarget, abortAfterMs?: number): Promise<ProbeResult>;
  genhash(argv: string[]): Promise<{ rc: number; out: string; err: string }>;
  close(): void;
}

export async function startProbeLab(tag: string): Promise<ProbeLab> {
  const lab = createLab(2, { tag });
  try {
    const clientNs = lab.hosts[0]!.ns;
    const client = new JsonlProcess(
      lab.spawn(clientNs, [process.execPath, '--import', 'tsx', resolve(ROOT, 'test/helpers/probe-runner.ts')], { cwd: ROOT }),
    );
    await client.waitFor((e) => e['ready'] === true, 20_000);
    return {
      lab,
      client,
      serverHost: lab.hosts[1]!,
      async server(script, args = []) {
        const p = new JsonlProcess(lab.spawn(lab.hosts[1]!.ns, [process.execPath, resolve(SERVERS, script), ...args]));
        await p.waitFor((e) => e['ready'] === true, 10_000);
        return p;
      },
      async probe(target, abortAfterMs) {
        const r = await client.request({ op: 'probe', target, abortAfterMs }, 30_000);
        if (r['threw'] !== undefined) throw new Error(`probe threw: ${String(r['threw'])}`);
        return r['result'] as ProbeResult;
      },
      async genhash(argv) {
        const r = await client.request({ op: 'genhash', argv }, 30_000);
        if (r['threw'] !== undefined) throw new Error(`genhash threw: ${String(r['threw'])}`);
        return r as unknown as { rc: number; out: string; err: string };
      },
      close: () => lab.cleanup(),
    };
  } catch (e) {
    lab.cleanup();
    throw e;
  }
}

const POS = { file: 'test', line: 1, column: 1 };

/** Checker common options with keepalived's defaults and a short connect_timeout for tests. */
export function common(over: Partial<CheckerCommon> = {}): CheckerCommon {
  return { connectTimeoutMs: 1000, retry: 1, delayBeforeRetryMs: 1000, pos: POS, ...over };
}

export function target(address: string, port: number, checker: Checker, extra: Partial<ProbeTarget> = {}): ProbeTarget {
  return { address, port, checker, ...extra };
}
