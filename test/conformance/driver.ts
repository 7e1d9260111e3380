/**
 * Drives the product's VRRP steppers through one conformance case and checks the outputs against
 * the expected lines. The product's functions are passed in (`Product`) so this file depends only
 * on the contract: the runner (conformance.test.ts) wires the real ones.
 *
 * Two modes (README.md):
 * - single node: the inputs are fed one by one; the outputs of each step are compared in order
 *   (actions as a multiset within one (instance, at) group, transitions exactly);
 * - multi-node (`nodes` in case.json): the routers share a tiny LAN inside this file: every
 *   sendAdvert is delivered to the other nodes after `latencyMs` unless a partition separates them,
 *   and timers fire at their deadlines. The expected lines are then assertions over windows of time,
 *   because the requirement (split-brain heal) fixes an outcome, not a mechanism.
 */
import type { Diagnostic } from '../../src/config/diagnostics.js';
import type { KeepalivedConfig, VrrpInstance, VrrpSyncGroup } from '../../src/config/types.js';
import type {
  Transition,
  VrrpAction,
  VrrpInput,
  VrrpStepResult,
  VrrpStepper,
  VrrpTimer,
} from '../../src/machines/vrrp/contract.js';
import {
  actionMatches,
  atKey,
  atMatches,
  transitionMatches,
  type ActionMatch,
  type AtSpec,
  type ExpectedLine,
  type InputLine,
  type LoadedCase,
  type PacketSpec,
} from './format.js';

export interface Product {
  load(text: string, file: string): { config?: KeepalivedConfig; diagnostics: Diagnostic[] };
  /** A stepper for one instance of `config` (the runner passes what the stepper needs from the rest of it). */
  createStepper(instance: VrrpInstance, config: KeepalivedConfig, primaryAddress: string | undefined): VrrpStepper<unknown>;
  /** The inputs a sync group sends its other members when `member` made `transition`. */
  syncInputs(group: VrrpSyncGroup, member: string, transition: Transition, at: number): Array<{ instance: string; input: VrrpInput }>;
  /** Encode the packet and run the protocol's receive validation; the advert input or the drop reason. */
  receive(packet: PacketSpec, instance: VrrpInstance, at: number): { ok: true; input: VrrpInput } | { ok: false; reason: string; detail: string };
}

const EPS = 1e-6;

/** What one step (or one drop) produced, as the comparison sees it. */
interface Rec {
  at: number;
  node: string;
  instance: string;
  actions: VrrpAction[];
  transitions: Transition[];
  drops: string[];
}

interface Runtime {
  node: string;
  name: string;
  config: VrrpInstance;
  stepper: VrrpStepper<unknown>;
  snapshot: unknown;
  timers: Map<VrrpTimer, number>;
  primaryAddress?: string;
}

export class CaseFailure extends Error {}

function fmt(v: unknown): string {
  return JSON.stringify(v);
}

function isTimerAction(a: VrrpAction): boolean {
  return a.type === 'armTimer' || a.type === 'cancelTimer';
}

/** Load one node's configuration; a case whose config does not load is a broken case. */
function loadNode(product: Product, text: string, file: string): KeepalivedConfig {
  const r = product.load(text, file);
  if (!r.config) {
    throw new CaseFailure(`${file} does not load:\n${r.diagnostics.map((d) => `  ${d.pos.file}:${d.pos.line}:${d.pos.column}: ${d.severity}: ${d.message}`).join('\n')}`);
  }
  return r.config;
}

/** The per-case world: instances with their snapshots and armed timers, and everything they output. */
class World {
  readonly records: Rec[] = [];
  readonly runtimes = new Map<string, Runtime>();
  readonly configs = new Map<string, KeepalivedConfig>();
  /** Called with every sendAdvert (multi-node delivery). */
  onAdvert?: (from: Runtime, at: number, a: Extract<VrrpAction, { type: 'sendAdvert' }>) => void;

  constructor(private readonly product: Product) {}

  key(node: string, instance: string): string {
    return `${node}/${instance}`;
  }

  addNode(node: string, config: KeepalivedConfig, primary: (instance: string) => string | undefined): void {
    this.configs.set(node, config);
    for (const inst of config.vrrpInstances) {
      const primaryAddress = primary(inst.name);
      const stepper = this.product.createStepper(inst, config, primaryAddress);
      const rt: Runtime = { node, name: inst.name, config: inst, stepper, snapshot: undefined, timers: new Map(), primaryAddress };
      this.runtimes.set(this.key(node, inst.name), rt);
      const r = stepper.init(0);
      rt.snapshot = r.snapshot;
      this.apply(rt, 0, r, false);
    }
  }

  get(node: string, instance: string): Runtime {
    const rt = this.runtimes.get(this.key(node, instance));
    if (!rt) throw new CaseFailure(`no instance ${instance}${node ? ` on node ${node}` : ''} in the configuration`);
    return rt;
  }

  /** Record a step's outputs, track its timers, and (for a transition) move the rest of its sync group. */
  private apply(rt: Runtime, at: number, r: VrrpStepResult<unknown>, propagate: boolean): void {
    for (const a of r.actions) {
      if (a.type === 'armTimer') rt.timers.set(a.timer, at + a.delayMs);
      else if (a.type === 'cancelTimer') rt.timers.delete(a.timer);
    }
    const actions = r.actions.filter((a) => !isTimerAction(a));
    if (actions.length > 0 || r.transition) {
      this.records.push({ at, node: rt.node, instance: rt.name, actions, transitions: r.transition ? [r.transition] : [], drops: [] });
    }
    for (const a of actions) if (a.type === 'sendAdvert') this.onAdvert?.(rt, at, a);
    // Only the member that moved by itself drives its group; members moved by the group do not
    // echo it back (the sync-group helper already addressed every other member).
    if (propagate && r.transition && rt.config.syncGroup) {
      const config = this.configs.get(rt.node)!;
      const group = config.vrrpSyncGroups.find((g) => g.name === rt.config.syncGroup);
      if (group) {
        for (const { instance, input } of this.product.syncInputs(group, rt.name, r.transition, at)) {
          this.step(this.get(rt.node, instance), input, false);
        }
      }
    }
  }

  step(rt: Runtime, input: VrrpInput, propagate = true): void {
    const r = rt.stepper.step(rt.snapshot, input);
    rt.snapshot = r.snapshot;
    this.apply(rt, input.at, r, propagate);
  }

  /** A `timer` input: the timer must be armed for exactly this time; it is consumed by firing. */
  fire(rt: Runtime, timer: VrrpTimer, at: number, explicit: boolean): void {
    const deadline = rt.timers.get(timer);
    if (explicit && (deadline === undefined || Math.abs(deadline - at) > EPS)) {
      throw new CaseFailure(
        `${rt.name}: input fires timer ${timer} at ${at}, but it is ${deadline === undefined ? 'not armed' : `armed for ${deadline}`}` +
          ` (armed: ${fmt(Object.fromEntries(rt.timers))})`,
      );
    }
    rt.timers.delete(timer);
    this.step(rt, { type: 'timer', at, timer });
  }

  receive(rt: Runtime, packet: PacketSpec, at: number): void {
    const r = this.product.receive(packet, rt.config, at);
    if (r.ok) this.step(rt, r.input);
    else this.records.push({ at, node: rt.node, instance: rt.name, actions: [], transitions: [], drops: [r.reason] });
  }

  /** The earliest armed timer across all instances (ties: instance order, then timer name). */
  nextTimer(): { rt: Runtime; timer: VrrpTimer; deadline: number } | undefined {
    let best: { rt: Runtime; timer: VrrpTimer; deadline: number } | undefined;
    for (const rt of this.runtimes.values()) {
      for (const [timer, deadline] of [...rt.timers].sort((a, b) => a[0].localeCompare(b[0]))) {
        if (!best || deadline < best.deadline - EPS) best = { rt, timer, deadline };
      }
    }
    return best;
  }
}

// ---------------------------------------------------------------- comparison of step outputs

interface Group {
  at: number;
  node: string;
  instance: string;
  actions: VrrpAction[];
  transitions: Transition[];
  drops: string[];
}

interface ExpectedGroup {
  at: AtSpec;
  node: string;
  instance: string;
  actions: ActionMatch[];
  transitions: Array<{ transition: Transition; reasonFields: string[] }>;
  drops: string[];
  lines: ExpectedLine[];
}

function groupActual(records: Rec[]): Group[] {
  const out: Group[] = [];
  for (const r of records) {
    const last = out[out.length - 1];
    if (last && last.node === r.node && last.instance === r.instance && Math.abs(last.at - r.at) <= EPS) {
      last.actions.push(...r.actions);
      last.transitions.push(...r.transitions);
      last.drops.push(...r.drops);
    } else {
      out.push({ at: r.at, node: r.node, instance: r.instance, actions: [...r.actions], transitions: [...r.transitions], drops: [...r.drops] });
    }
  }
  return out;
}

function groupExpected(lines: ExpectedLine[]): ExpectedGroup[] {
  const out: ExpectedGroup[] = [];
  for (const l of lines) {
    if (l.kind !== 'action' && l.kind !== 'transition' && l.kind !== 'drop') continue;
    const node = l.node ?? '';
    const last = out[out.length - 1];
    let g: ExpectedGroup;
    if (last && last.node === node && last.instance === l.instance && atKey(last.at) === atKey(l.at)) g = last;
    else {
      g = { at: l.at, node, instance: l.instance, actions: [], transitions: [], drops: [], lines: [] };
      out.push(g);
    }
    g.lines.push(l);
    if (l.kind === 'action') g.actions.push(l.match);
    else if (l.kind === 'transition') g.transitions.push({ transition: l.transition, reasonFields: l.reasonFields });
    else g.drops.push(l.reason);
  }
  return out;
}

/** Match a multiset of actions against expectations with counts; returns a complaint or undefined. */
function matchActions(expected: ActionMatch[], actual: VrrpAction[]): string | undefined {
  const claimed = new Array<boolean>(actual.length).fill(false);
  // Exact expectations claim first, so a partial one cannot steal the action an exact one needs.
  const order = [...expected].sort((a, b) => Number(a.partial) - Number(b.partial));
  for (const e of order) {
    let n = 0;
    for (let i = 0; i < actual.length && n < e.count[1]; i++) {
      if (!claimed[i] && actionMatches(e.action, e.partial, actual[i]!)) {
        claimed[i] = true;
        n++;
      }
    }
    if (n < e.count[0]) return `expected ${e.count[0] === e.count[1] ? e.count[0] : `${e.count[0]}..${e.count[1]}`}× ${fmt(e.action)}${e.partial ? ' (partial)' : ''}, found ${n}`;
  }
  const extra = actual.filter((_, i) => !claimed[i]);
  if (extra.length > 0) return `unexpected action(s): ${extra.map(fmt).join(', ')}`;
  return undefined;
}

function describeGroup(g: Group | undefined): string {
  if (!g) return '  (nothing more)';
  const lines = [
    ...g.transitions.map((t) => `  at ${g.at} ${g.node ? `${g.node}/` : ''}${g.instance} transition ${fmt(t)}`),
    ...g.actions.map((a) => `  at ${g.at} ${g.node ? `${g.node}/` : ''}${g.instance} action ${fmt(a)}`),
    ...g.drops.map((d) => `  at ${g.at} ${g.node ? `${g.node}/` : ''}${g.instance} drop ${d}`),
  ];
  return lines.join('\n');
}

function describeExpected(g: ExpectedGroup | undefined): string {
  if (!g) return '  (nothing more)';
  return g.lines.map((l) => `  ${fmt(l)}`).join('\n');
}

function allOptional(g: ExpectedGroup): boolean {
  return g.transitions.length === 0 && g.drops.length === 0 && g.actions.every((a) => a.count[0] === 0);
}

export function compareSteps(expectedLines: ExpectedLine[], records: Rec[]): void {
  const E = groupExpected(expectedLines);
  const A = groupActual(records);
  let i = 0;
  let j = 0;
  while (i < E.length || j < A.length) {
    const eg = E[i];
    const ag = A[j];
    if (eg && ag && eg.node === ag.node && eg.instance === ag.instance && atMatches(eg.at, ag.at)) {
      const problems: string[] = [];
      if (eg.transitions.length !== ag.transitions.length || eg.transitions.some((t, k) => !transitionMatches(t.transition, t.reasonFields, ag.transitions[k]!))) {
        problems.push('transitions differ');
      }
      const act = matchActions(eg.actions, ag.actions);
      if (act) problems.push(act);
      if (fmt(eg.drops) !== fmt(ag.drops)) problems.push('drops differ');
      if (problems.length > 0) {
        throw new CaseFailure(`at ${atKey(eg.at)} ${eg.instance}: ${problems.join('; ')}\nexpected:\n${describeExpected(eg)}\nactual:\n${describeGroup(ag)}\nprevious actual steps:\n${A.slice(Math.max(0, j - 3), j).map(describeGroup).join('\n')}`);
      }
      i++;
      j++;
    } else if (eg && allOptional(eg)) {
      i++;
    } else {
      throw new CaseFailure(
        `outputs diverge (expected group ${i + 1}, actual group ${j + 1})\nexpected next:\n${describeExpected(eg)}\nactual next:\n${describeGroup(ag)}\nprevious actual steps:\n${A.slice(Math.max(0, j - 3), j).map(describeGroup).join('\n')}`,
      );
    }
  }
}

// ---------------------------------------------------------------- point-in-time checks

type Check = Extract<ExpectedLine, { kind: 'armed' | 'armedSet' | 'state' }>;

function runCheck(world: World, c: Check): void {
  const rt = world.get(c.kind === 'state' ? (c.node ?? '') : '', c.instance);
  if (c.kind === 'armed') {
    const d = rt.timers.get(c.timer);
    if (d === undefined || Math.abs(d - c.deadline) > EPS) {
      throw new CaseFailure(`at ${c.at} ${c.instance}: timer ${c.timer} should be armed for ${c.deadline}, is ${d === undefined ? 'not armed' : d} (armed: ${fmt(Object.fromEntries(rt.timers))})`);
    }
  } else if (c.kind === 'armedSet') {
    const names = [...rt.timers.keys()].sort();
    if (fmt(names) !== fmt([...c.timers].sort())) {
      throw new CaseFailure(`at ${c.at} ${c.instance}: armed timers should be ${fmt([...c.timers].sort())}, are ${fmt(Object.fromEntries(rt.timers))}`);
    }
  } else {
    const s = rt.stepper.view(rt.snapshot).state;
    if (s !== c.state) throw new CaseFailure(`at ${c.at} ${c.node ? `${c.node}/` : ''}${c.instance}: state should be ${c.state}, is ${s}`);
  }
}

// ---------------------------------------------------------------- single node

export function runSingleNode(product: Product, kase: LoadedCase): void {
  if (kase.conf === undefined) throw new CaseFailure(`${kase.name}: no node.conf`);
  const world = new World(product);
  const config = loadNode(product, kase.conf, `${kase.name}/node.conf`);
  world.addNode('', config, (name) => kase.spec.primaryAddresses?.[name] ?? kase.spec.primaryAddress);
  const auto = kase.spec.autoTimers === true;

  const checks = kase.expected.filter((l): l is Check => l.kind === 'armed' || l.kind === 'armedSet' || l.kind === 'state').sort((a, b) => a.at - b.at);
  let nextCheck = 0;

  const fireDue = (limit: number, inclusive: boolean): void => {
    for (;;) {
      const t = world.nextTimer();
      if (!t || (inclusive ? t.deadline > limit + EPS : t.deadline >= limit - EPS)) return;
      world.fire(t.rt, t.timer, t.deadline, false);
    }
  };
  const checksBefore = (t: number): void => {
    while (nextCheck < checks.length && checks[nextCheck]!.at < t) {
      const c = checks[nextCheck++]!;
      if (auto) fireDue(c.at, true);
      runCheck(world, c);
    }
  };

  for (const line of kase.inputs) {
    if (line.kind === 'partition' || line.kind === 'heal') throw new CaseFailure('partition/heal need a multi-node case');
    checksBefore(line.at);
    if (auto) fireDue(line.at, false);
    else {
      // Every expiry must be in input.jsonl: a timer left to pass silently is a case or a machine bug.
      for (const rt of world.runtimes.values()) {
        for (const [timer, deadline] of rt.timers) {
          if (deadline < line.at - EPS) {
            throw new CaseFailure(`${rt.name}: timer ${timer} armed for ${deadline} would have fired before the input at ${line.at}; input.jsonl has no timer input for it`);
          }
        }
      }
    }
    const rt = world.get('', line.instance);
    if (line.kind === 'packet') world.receive(rt, line.packet, line.at);
    else if (line.input.type === 'timer') world.fire(rt, line.input.timer, line.at, true);
    else world.step(rt, line.input);
  }
  if (auto && kase.spec.until !== undefined) {
    checksBefore(kase.spec.until);
    fireDue(kase.spec.until, true);
  }
  checksBefore(Infinity);
  compareSteps(kase.expected, world.records);
}

// ---------------------------------------------------------------- multi-node (a tiny LAN)

export function runMultiNode(product: Product, kase: LoadedCase, readConf: (file: string) => string): void {
  const nodes = kase.spec.nodes!;
  const until = kase.spec.until;
  if (until === undefined) throw new CaseFailure('a multi-node case needs "until"');
  const latency = kase.spec.latencyMs ?? 0.5;
  const world = new World(product);
  let partition: string[][] | undefined;
  const connected = (a: string, b: string): boolean => !partition || partition.some((g) => g.includes(a) && g.includes(b));

  interface Delivery {
    at: number;
    seq: number;
    to: Runtime;
    input: VrrpInput;
  }
  const deliveries: Delivery[] = [];
  let seq = 0;
  world.onAdvert = (from, at, a) => {
    for (const rt of world.runtimes.values()) {
      if (rt.node === from.node || !connected(from.node, rt.node)) continue;
      if (rt.config.virtualRouterId !== a.vrid || rt.config.version !== a.version) continue;
      deliveries.push({
        at: at + latency,
        seq: seq++,
        to: rt,
        input: { type: 'advert', at: at + latency, src: from.primaryAddress ?? '', priority: a.priority, maxAdverIntCs: a.maxAdverIntCs, addresses: [...a.addresses] },
      });
    }
  };
  for (const [name, n] of Object.entries(nodes)) {
    world.addNode(name, loadNode(product, readConf(n.conf), `${kase.name}/${n.conf}`), () => n.primaryAddress);
  }

  const inputs = [...kase.inputs];
  const states = kase.expected.filter((l): l is Extract<ExpectedLine, { kind: 'state' }> => l.kind === 'state').sort((a, b) => a.at - b.at);
  let k = 0;
  let s = 0;
  // Discrete events in time order; at one instant: case inputs, then deliveries, then timers.
  for (let guard = 0; guard < 1_000_000; guard++) {
    const nextInput = inputs[k]?.at ?? Infinity;
    deliveries.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const nextDelivery = deliveries[0]?.at ?? Infinity;
    const timer = world.nextTimer();
    const nextTimer = timer?.deadline ?? Infinity;
    const t = Math.min(nextInput, nextDelivery, nextTimer);
    while (s < states.length && states[s]!.at < t) runCheck(world, states[s++]!);
    if (t > until) break;
    if (nextInput <= t + EPS) {
      const line = inputs[k++]!;
      if (line.kind === 'partition') partition = line.groups;
      else if (line.kind === 'heal') partition = undefined;
      else if (line.kind === 'packet') world.receive(world.get(line.node ?? '', line.instance), line.packet, line.at);
      else world.step(world.get(line.node ?? '', line.instance), line.input);
    } else if (nextDelivery <= t + EPS) {
      const d = deliveries.shift()!;
      world.step(d.to, d.input);
    } else if (timer) {
      world.fire(timer.rt, timer.timer, timer.deadline, false);
    }
  }
  while (s < states.length) runCheck(world, states[s++]!);

  // Window assertions over everything that happened.
  for (const l of kase.expected) {
    if (l.kind === 'eventually' || l.kind === 'never') {
      const hits = world.records.filter(
        (r) => r.node === l.node && r.instance === l.instance && atMatches(l.at, r.at) && r.actions.some((a) => actionMatches(l.match.action, l.match.partial, a)),
      );
      if (l.kind === 'eventually' && hits.length === 0) {
        throw new CaseFailure(`${l.node}/${l.instance}: expected ${fmt(l.match.action)} within ${atKey(l.at)}, never happened\ntrace:\n${trace(world.records)}`);
      }
      if (l.kind === 'never' && hits.length > 0) {
        throw new CaseFailure(`${l.node}/${l.instance}: ${fmt(l.match.action)} must not happen within ${atKey(l.at)}, happened at ${hits.map((h) => h.at).join(', ')}\ntrace:\n${trace(world.records)}`);
      }
    } else if (l.kind === 'transition') {
      const hit = world.records.some(
        (r) => r.node === (l.node ?? '') && r.instance === l.instance && atMatches(l.at, r.at) && r.transitions.some((t) => transitionMatches(l.transition, l.reasonFields, t)),
      );
      if (!hit) throw new CaseFailure(`${l.node}/${l.instance}: expected transition ${fmt(l.transition)} within ${atKey(l.at)}\ntrace:\n${trace(world.records)}`);
    } else if (l.kind === 'action') {
      const hit = world.records.some(
        (r) => r.node === (l.node ?? '') && r.instance === l.instance && atMatches(l.at, r.at) && r.actions.some((a) => actionMatches(l.match.action, l.match.partial, a)),
      );
      if (!hit) throw new CaseFailure(`${l.node}/${l.instance}: expected ${fmt(l.match.action)} within ${atKey(l.at)}\ntrace:\n${trace(world.records)}`);
    }
  }
}

/** The interesting part of a multi-node run, for failure messages (periodic adverts left out). */
function trace(records: Rec[]): string {
  return records
    .filter((r) => r.transitions.length > 0 || r.actions.some((a) => a.type !== 'sendAdvert' || a.priority === 0))
    .map((r) => describeGroup({ ...r }))
    .join('\n');
}

export type { InputLine };
