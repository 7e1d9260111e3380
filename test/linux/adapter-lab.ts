import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { JsonlProcess } from '../helpers/jsonl-process.js';
import { createLab, type NetnsLab } from '../helpers/netns.js';
import { tcpdumpListening } from '../helpers/tcpdump.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** The adapter runner (test/linux/runner.ts) started inside `ns`. */
export async function startRunner(lab: NetnsLab, ns: string): Promise<Runner> {
  const p = new JsonlProcess(lab.spawn(ns, [process.execPath, '--import', 'tsx', resolve(ROOT, 'test/linux/runner.ts')], { cwd: ROOT }));
  await p.waitFor((e) => e['ready'] === true, 20_000);
  return new Runner(p);
}

/**
 * Two hosts on a bridge, each with an adapter runner whose transport has eth0 open for IPv4 and
 * IPv6 (the VRRP group joined). The lab is cleaned up here if the setup fails; else by the caller.
 */
export async function startRunnerPair(tag: string): Promise<{ lab: NetnsLab; a: Runner; b: Runner }> {
  const lab = createLab(2, { tag });
  try {
    const [a, b] = await Promise.all([startRunner(lab, lab.hosts[0]!.ns), startRunner(lab, lab.hosts[1]!.ns)]);
    for (const r of [a, b]) {
      for (const family of ['ipv4', 'ipv6']) {
        const opened = await r.call('open', { ifname: 'eth0', family });
        if (opened['ok'] !== true) throw new Error(`open eth0 ${family}: ${JSON.stringify(opened)}`);
      }
    }
    return { lab, a, b };
  } catch (e) {
    lab.cleanup();
    throw e;
  }
}

export class Runner {
  constructor(readonly proc: JsonlProcess) {}

  async call(op: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const r = await this.proc.request({ op, ...args }, 15_000);
    if (r['threw'] !== undefined) throw new Error(`${op} threw: ${String(r['threw'])}`);
    return r['result'] as Record<string, unknown>;
  }

  /** Events (rx, link, ...) seen from index `from` on that match. */
  events(kind: string, from = 0): Array<Record<string, unknown>> {
    return this.proc.events.slice(from).filter((e) => e['event'] === kind);
  }

  waitEvent(pred: (e: Record<string, unknown>) => boolean, from = 0, timeoutMs = 5_000): Promise<Record<string, unknown>> {
    return this.proc.waitFor(pred, timeoutMs, from);
  }

  get mark(): number {
    return this.proc.events.length;
  }
}

/**
 * tcpdump on the switch's bridge (`-l -n -v`, line-buffered): the wire as a third party sees it.
 * `stop()` ends it by pid and resolves with everything it printed.
 */
export class Capture {
  private out = '';
  private constructor(private readonly proc: ChildProcess) {
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (d: string) => void (this.out += d));
  }

  static async start(lab: NetnsLab, filter: string[]): Promise<Capture> {
    const proc = lab.spawn(lab.switchNs, ['tcpdump', '-i', 'br0', '-l', '-n', '-v', '-e', '--immediate-mode', ...filter]);
    const cap = new Capture(proc);
    await tcpdumpListening(proc);
    return cap;
  }

  get text(): string {
    return this.out;
  }

  /** Wait until the output matches, then return it. */
  async waitFor(re: RegExp, timeoutMs = 5_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (!re.test(this.out)) {
      if (Date.now() > end) throw new Error(`capture never matched ${re}; got:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.out;
  }

  stop(): void {
    if (this.proc.pid !== undefined && this.proc.exitCode === null) {
      try {
        process.kill(-this.proc.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  }
}
