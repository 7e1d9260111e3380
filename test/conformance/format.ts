/**
 * The conformance case format (README.md beside this file describes it for people): the types of
 * the lines in `input.jsonl` / `expected.jsonl` and of `case.json`, and the reader that turns a
 * case directory into them. Pure data handling; the runner is conformance.test.ts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Transition, VrrpAction, VrrpInput, VrrpTimer } from '../../src/machines/vrrp/contract.js';

/** A time in an expected line: exact (within 1e-6 ms), or a window for what the sources give only approximately. */
export type AtSpec = number | { min: number; max: number };

/** One router of a multi-node (`nodes`) case. */
export interface NodeSpec {
  /** keepalived.conf of that node, relative to the case directory. */
  conf: string;
  primaryAddress: string;
}

export interface CaseSpec {
  description: string;
  /** Where the expected behaviour comes from: RFC section, keepalived.conf(5) option, keepalived source or lab run. */
  sources: string[];
  /** Single-node case: the router under test's primary address (tie-break, advert source). */
  primaryAddress?: string;
  /** Per-instance override of `primaryAddress` (an instance on another interface). */
  primaryAddresses?: Record<string, string>;
  /**
   * false (default): every timer expiry is an explicit `timer` input and the runner asserts it was
   * armed for exactly that time, and that no armed timer was left to pass unfired.
   * true: the runner fires armed timers itself at their deadlines (as the engine's scheduler does),
   * for cases whose sources fix an outcome but not the mechanism (preempt_delay).
   */
  autoTimers?: boolean;
  /** autoTimers: fire timers up to this time after the last input. */
  until?: number;
  /** Multi-node case on a tiny built-in LAN (split brain): see README.md. */
  nodes?: Record<string, NodeSpec>;
  /** Multi-node: one-way delay of every advert, ms (default 0.5). */
  latencyMs?: number;
}

/** An advert as it would come off the wire: encoded and validated by src/protocol before the machine sees it. */
export interface PacketSpec {
  src: string;
  dst?: string;
  version: 2 | 3;
  vrid?: number;
  priority: number;
  maxAdverIntCs: number;
  addresses: string[];
  ttl?: number;
}

export type InputLine =
  | { kind: 'input'; instance: string; at: number; input: VrrpInput; node?: string }
  | { kind: 'packet'; instance: string; at: number; packet: PacketSpec; node?: string }
  | { kind: 'partition'; at: number; groups: string[][] }
  | { kind: 'heal'; at: number };

export interface ActionMatch {
  action: VrrpAction;
  /** Compare only the fields listed in `action` (the rest is free). */
  partial: boolean;
  /** How many times it must occur in the step: [min, max]. Default [1, 1]. */
  count: [number, number];
}

export type ExpectedLine =
  | { kind: 'action'; at: AtSpec; instance: string; node?: string; match: ActionMatch }
  | { kind: 'transition'; at: AtSpec; instance: string; node?: string; transition: Transition; reasonFields: string[] }
  | { kind: 'drop'; at: AtSpec; instance: string; node?: string; reason: string }
  /** Assert the deadline of one armed timer once every input with at <= this `at` ran. */
  | { kind: 'armed'; at: number; instance: string; timer: VrrpTimer; deadline: number }
  /** Assert exactly which timers are armed at that point. */
  | { kind: 'armedSet'; at: number; instance: string; timers: VrrpTimer[] }
  /** Assert the instance's state (view()) at that point. */
  | { kind: 'state'; at: number; instance: string; node?: string; state: string }
  /** Multi-node: this action occurs at least once within the window (any step). */
  | { kind: 'eventually'; at: AtSpec; instance: string; node: string; match: ActionMatch }
  /** Multi-node: this action never occurs within the window. */
  | { kind: 'never'; at: AtSpec; instance: string; node: string; match: ActionMatch };

export interface LoadedCase {
  name: string;
  dir: string;
  spec: CaseSpec;
  /** Single-node: node.conf text. */
  conf?: string;
  inputs: InputLine[];
  expected: ExpectedLine[];
}

function parseJsonl(text: string, file: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('//')) return;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not JSON: ${(e as Error).message}`);
    }
  });
  return out;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}

function atSpec(v: unknown, what: string): AtSpec {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'min' in v && 'max' in v) {
    const o = v as { min: unknown; max: unknown };
    return { min: num(o.min, `${what}.min`), max: num(o.max, `${what}.max`) };
  }
  throw new Error(`${what}: expected a number or {min,max}, got ${JSON.stringify(v)}`);
}

function countSpec(o: Record<string, unknown>, what: string): [number, number] {
  if (o.optional === true) return [0, 1];
  if (Array.isArray(o.count) && o.count.length === 2) return [num(o.count[0], `${what}.count[0]`), num(o.count[1], `${what}.count[1]`)];
  return [1, 1];
}

export function parseInputLine(o: Record<string, unknown>, where: string): InputLine {
  const node = o.node === undefined ? undefined : str(o.node, `${where}.node`);
  if ('partition' in o) {
    const groups = o.partition as unknown;
    if (!Array.isArray(groups)) throw new Error(`${where}: partition must be an array of node-name arrays`);
    return { kind: 'partition', at: num(o.at, `${where}.at`), groups: groups as string[][] };
  }
  if ('heal' in o) return { kind: 'heal', at: num(o.at, `${where}.at`) };
  const instance = str(o.instance, `${where}.instance`);
  if ('packet' in o) {
    return { kind: 'packet', instance, node, at: num(o.at, `${where}.at`), packet: o.packet as PacketSpec };
  }
  if ('input' in o) {
    const input = o.input as VrrpInput;
    return { kind: 'input', instance, node, at: num(input.at, `${where}.input.at`), input };
  }
  throw new Error(`${where}: an input line needs "input", "packet", "partition" or "heal"`);
}

export function parseExpectedLine(o: Record<string, unknown>, where: string): ExpectedLine {
  const instance = str(o.instance, `${where}.instance`);
  const node = o.node === undefined ? undefined : str(o.node, `${where}.node`);
  if ('armed' in o) {
    const a = o.armed as { timer: VrrpTimer; deadline: number };
    return { kind: 'armed', at: num(o.at, `${where}.at`), instance, timer: a.timer, deadline: num(a.deadline, `${where}.armed.deadline`) };
  }
  if ('armedSet' in o) return { kind: 'armedSet', at: num(o.at, `${where}.at`), instance, timers: o.armedSet as VrrpTimer[] };
  if ('state' in o) return { kind: 'state', at: num(o.at, `${where}.at`), instance, node, state: str(o.state, `${where}.state`) };
  const at = atSpec(o.at, `${where}.at`);
  if ('eventually' in o || 'never' in o) {
    const action = (o.eventually ?? o.never) as VrrpAction;
    const match: ActionMatch = { action, partial: o.partial === true, count: [1, 1] };
    return { kind: 'eventually' in o ? 'eventually' : 'never', at, instance, node: str(node, `${where}.node`), match };
  }
  if ('action' in o) {
    return { kind: 'action', at, instance, node, match: { action: o.action as VrrpAction, partial: o.partial === true, count: countSpec(o, where) } };
  }
  if ('transition' in o) {
    const t = o.transition as Transition;
    // Beyond from/to/code, a case compares exactly the reason fields it lists.
    const reasonFields = Object.keys(t.reason ?? {}).filter((k) => k !== 'code');
    return { kind: 'transition', at, instance, node, transition: t, reasonFields };
  }
  if ('drop' in o) return { kind: 'drop', at, instance, node, reason: str((o.drop as { reason: unknown }).reason, `${where}.drop.reason`) };
  throw new Error(`${where}: an expected line needs action, transition, drop, armed, armedSet, state, eventually or never`);
}

export function loadCase(dir: string, name: string): LoadedCase {
  const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseSpec;
  if (typeof spec.description !== 'string' || !Array.isArray(spec.sources) || spec.sources.length === 0) {
    throw new Error(`${name}/case.json: needs "description" and a non-empty "sources"`);
  }
  const inputs = parseJsonl(readFileSync(join(dir, 'input.jsonl'), 'utf8'), `${name}/input.jsonl`).map((o, i) =>
    parseInputLine(o, `${name}/input.jsonl:${i + 1}`),
  );
  const expected = parseJsonl(readFileSync(join(dir, 'expected.jsonl'), 'utf8'), `${name}/expected.jsonl`).map((o, i) =>
    parseExpectedLine(o, `${name}/expected.jsonl:${i + 1}`),
  );
  const confPath = join(dir, 'node.conf');
  const conf = existsSync(confPath) ? readFileSync(confPath, 'utf8') : undefined;
  return { name, dir, spec, conf, inputs, expected };
}

/** Every directory under `root` that holds a case.json, sorted by name. */
export function listCases(root: string): string[] {
  return readdirSync(root)
    .filter((n) => statSync(join(root, n)).isDirectory() && existsSync(join(root, n, 'case.json')))
    .sort();
}

export function atMatches(spec: AtSpec, at: number): boolean {
  const EPS = 1e-6;
  if (typeof spec === 'number') return Math.abs(spec - at) <= EPS;
  return at >= spec.min - EPS && at <= spec.max + EPS;
}

export function atKey(spec: AtSpec): string {
  return typeof spec === 'number' ? String(spec) : `${spec.min}..${spec.max}`;
}

/** Does `actual` match an expected action (all fields, or the listed ones when partial)? Addresses compare as given. */
export function actionMatches(expected: VrrpAction, partial: boolean, actual: VrrpAction): boolean {
  const e = expected as unknown as Record<string, unknown>;
  const a = actual as unknown as Record<string, unknown>;
  const keys = partial ? Object.keys(e) : [...new Set([...Object.keys(e), ...Object.keys(a)])];
  return keys.every((k) => JSON.stringify(e[k]) === JSON.stringify(a[k]));
}

export function transitionMatches(expected: Transition, reasonFields: string[], actual: Transition): boolean {
  // A case may accept several reason codes where its sources do not tell them apart: "code": ["a", "b"].
  const codes: unknown = expected.reason.code;
  const codeOk = Array.isArray(codes) ? codes.includes(actual.reason.code) : codes === actual.reason.code;
  if (expected.from !== actual.from || expected.to !== actual.to || !codeOk) return false;
  const e = expected.reason as unknown as Record<string, unknown>;
  const a = actual.reason as unknown as Record<string, unknown>;
  return reasonFields.every((k) => {
    const ev = e[k];
    const av = a[k];
    if (typeof ev === 'number' && typeof av === 'number') return Math.abs(ev - av) <= 1e-6;
    return JSON.stringify(ev) === JSON.stringify(av);
  });
}
