import type { Fault } from '../engine/simulation.js';

/**
 * The arguments of `keepalived-ts simulate`, parsed purely (no I/O) so they can be tested alone.
 *
 *   simulate FILE... [--duration 60s] [--kill NODE@T] [--stop NODE@T] [--start NODE@T]
 *            [--partition A,B@T1[-T2]] [--link-down NODE:IF@T1[-T2]] [--script NODE:NAME=ok|fail@T]
 *            [--loss P] [--delay MS] [--seed N] [--json] [--log-dir DIR]
 *
 * Times: `60s`, `1.5s`, `250ms`, `2m`, `1h`, or a bare number of seconds. A partition separates the
 * nodes before the comma from those after it (`A+C,B` puts A and C on one side); `A` alone cuts A
 * from every other node.
 */
export interface SimulateArgs {
  files: string[];
  durationMs: number;
  faults: UnresolvedFault[];
  loss: number;
  delayMs?: number;
  seed: number;
  json: boolean;
  /** Write one event log per node under this directory (replay reads them). */
  logDir?: string;
}

/** A fault whose node names are still as the user wrote them (router_id or file base name). */
export type UnresolvedFault = Fault | { kind: 'partition'; a: string[]; b: '*'; from: number; to?: number };

export type ParseResult = { ok: true; args: SimulateArgs } | { ok: false; error: string };

export const SIMULATE_USAGE = `usage: keepalived-ts simulate FILE... [--duration 60s] [--kill NODE@T] [--stop NODE@T]
         [--start NODE@T] [--partition A,B@T1[-T2]] [--link-down NODE:IF@T1[-T2]]
         [--script NODE:NAME=ok|fail@T] [--loss P] [--delay MS] [--seed N] [--json] [--log-dir DIR]
  One FILE per node (keepalived.conf). NODE = router_id or the file's base name.
  --kill is a crash (no priority-0 advert); --stop is a graceful stop (priority-0 advert).
  --log-dir DIR writes one event log per node under DIR, for keepalived-ts replay.`;

/** `60s` → 60000; undefined when not a time. */
export function parseTime(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return n * factor;
}

function parseSpan(text: string): { from: number; to?: number } | undefined {
  const dash = text.indexOf('-');
  if (dash < 0) {
    const from = parseTime(text);
    return from === undefined ? undefined : { from };
  }
  const from = parseTime(text.slice(0, dash));
  const to = parseTime(text.slice(dash + 1));
  if (from === undefined || to === undefined || to < from) return undefined;
  return { from, to };
}

function splitAt(value: string): [string, string] | undefined {
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return undefined;
  return [value.slice(0, at), value.slice(at + 1)];
}

export function parseSimulateArgs(argv: string[]): ParseResult {
  const args: SimulateArgs = { files: [], durationMs: 60_000, faults: [], loss: 0, seed: 1, json: false };
  const fail = (error: string): ParseResult => ({ ok: false, error });
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      args.files.push(a);
      continue;
    }
    let name = a;
    let value: string | undefined;
    const eq = a.indexOf('=');
    if (eq > 0) {
      name = a.slice(0, eq);
      value = a.slice(eq + 1);
    }
    if (name === '--json') {
      args.json = true;
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) return fail(`${name} needs a value`);
    }
    switch (name) {
      case '--duration': {
        const t = parseTime(value);
        if (t === undefined || t <= 0) return fail(`--duration: not a time: ${value}`);
        args.durationMs = t;
        break;
      }
      case '--kill':
      case '--stop':
      case '--start': {
        const parts = splitAt(value);
        const at = parts && parseTime(parts[1]);
        if (!parts || at === undefined) return fail(`${name}: expected NODE@TIME, got ${value}`);
        args.faults.push({ kind: name.slice(2) as 'kill' | 'stop' | 'start', node: parts[0], at });
        break;
      }
      case '--partition': {
        const parts = splitAt(value);
        const span = parts && parseSpan(parts[1]);
        if (!parts || !span) return fail(`--partition: expected A,B@T1[-T2], got ${value}`);
        const sides = parts[0].split(',');
        if (sides.length > 2 || sides.some((s) => s === '')) return fail(`--partition: expected A,B@T1[-T2], got ${value}`);
        const a = sides[0]!.split('+');
        const fault: UnresolvedFault = sides.length === 2
          ? { kind: 'partition', a, b: sides[1]!.split('+'), from: span.from }
          : { kind: 'partition', a, b: '*', from: span.from };
        if (span.to !== undefined) fault.to = span.to;
        args.faults.push(fault);
        break;
      }
      case '--link-down': {
        const parts = splitAt(value);
        const span = parts && parseSpan(parts[1]);
        const colon = parts ? parts[0].indexOf(':') : -1;
        if (!parts || !span || colon <= 0 || colon === parts[0].length - 1) {
          return fail(`--link-down: expected NODE:IF@T1[-T2], got ${value}`);
        }
        const fault: Fault = { kind: 'linkDown', node: parts[0].slice(0, colon), ifname: parts[0].slice(colon + 1), from: span.from };
        if (span.to !== undefined) fault.to = span.to;
        args.faults.push(fault);
        break;
      }
      case '--script': {
        const parts = splitAt(value);
        const m = parts && /^([^:]+):([^=]+)=(ok|fail)$/.exec(parts[0]);
        const at = parts && parseTime(parts[1]);
        if (!parts || !m || at === undefined) return fail(`--script: expected NODE:NAME=ok|fail@T, got ${value}`);
        args.faults.push({ kind: 'script', node: m[1]!, script: m[2]!, ok: m[3] === 'ok', at });
        break;
      }
      case '--loss': {
        const p = Number(value);
        if (!Number.isFinite(p) || p < 0 || p > 1) return fail(`--loss: a probability between 0 and 1, got ${value}`);
        args.loss = p;
        break;
      }
      case '--delay': {
        const d = Number(value);
        if (!Number.isFinite(d) || d < 0) return fail(`--delay: milliseconds, got ${value}`);
        args.delayMs = d;
        break;
      }
      case '--log-dir': {
        if (value === '') return fail('--log-dir needs a directory');
        args.logDir = value;
        break;
      }
      case '--seed': {
        const n = Number(value);
        if (!Number.isInteger(n)) return fail(`--seed: an integer, got ${value}`);
        args.seed = n;
        break;
      }
      default:
        return fail(`unknown option ${name}`);
    }
  }
  if (args.files.length === 0) return fail('no configuration file given');
  return { ok: true, args };
}
