/**
 * `replay --what-if CONF...`: "would it have failed over with another priority / preempt_delay?"
 *
 * From the logs of all nodes, the EXTERNAL inputs are taken — when each node started, stopped
 * (gracefully) or crashed, and its tracked scripts and interfaces changed — on the aligned clock,
 * and the nodes are simulated together on the simulated LAN (src/engine/simulation.ts) twice:
 * with the configurations recorded in the logs (the baseline: it should tell the recorded story
 * again), and with the given configurations in place of the recorded ones (matched to nodes by
 * router_id, or by file name). Packets are not external: the simulation makes its own. Losses and
 * partitions leave no input of their own in a log and are not replayed.
 *
 * A crash leaves no record (a process killed with SIGKILL writes nothing, and open summaries are
 * lost); it is dated from the last record of the run or, later, the last advert another node heard
 * from it (a peer's master-down timeout says when: its time minus the master-down interval).
 */
import { basename } from 'node:path';
import { formatDiagnostic } from '../config/diagnostics.js';
import { loadConfigFile } from '../config/load.js';
import type { KeepalivedConfig } from '../config/types.js';
import { vrrpMachineKit } from '../engine/machines.js';
import { protocolCodec } from '../engine/protocol-codec.js';
import { Simulation, type Fault } from '../engine/simulation.js';
import type { Alignment } from './align.js';
import { lastAlive } from './crash.js';
import type { NodeScan } from './timeline.js';

/** Who was MASTER of an instance from `at` (ms after the first start) on. */
export interface MasterChange {
  at: number;
  masters: string[];
}

export interface InstanceOutcome {
  instance: string;
  vrid?: number;
  recorded: MasterChange[];
  baseline: MasterChange[];
  whatIf: MasterChange[];
  finalRecorded: Record<string, string>;
  finalBaseline: Record<string, string>;
  finalWhatIf: Record<string, string>;
  /** The what-if masters differ from the baseline's at some time. */
  changed: boolean;
}

export interface ExternalInput {
  node: string;
  /** ms after the first start (aligned clocks) */
  at: number;
  what: string;
}

export interface WhatIfReport {
  /** Wall time (reference clock) of time 0. */
  t0: number;
  horizonMs: number;
  nodes: Array<{ node: string; config: string }>;
  inputs: ExternalInput[];
  instances: InstanceOutcome[];
}

export type WhatIfResult = { ok: true; report: WhatIfReport } | { ok: false; errors: string[] };

export interface ExternalPlan {
  faults: Fault[];
  /** Changes of tracked interfaces that are not on the simulated LAN: fed to the engine directly. */
  direct: Array<{ node: string; at: number; ifname: string; up: boolean }>;
  inputs: ExternalInput[];
}

/** The external inputs of every node, as simulation faults on one clock (ms after t0). */
export function externalInputs(scans: readonly NodeScan[], alignment: Alignment, t0: number, lanInterfaces: ReadonlyMap<string, ReadonlySet<string>>): ExternalPlan {
  const plan: ExternalPlan = { faults: [], direct: [], inputs: [] };
  const off = (node: string): number => alignment.offsets.get(node)?.offsetMs ?? 0;
  for (const s of scans) {
    const o = off(s.node);
    const rel = (wall: number): number => Math.max(0, wall - o - t0);
    s.runs.forEach((run, k) => {
      const startAt = rel(run.startWall);
      if (k > 0 || startAt > 0) {
        plan.faults.push({ kind: 'start', node: s.node, at: startAt });
        plan.inputs.push({ node: s.node, at: startAt, what: 'started' });
      }
      if (run.end === 'stop') {
        const stop = s.entries.find((e) => e.kind === 'stop' && e.seq >= run.startSeq && e.seq <= run.endSeq);
        const at = rel(stop?.wallTime ?? run.endWall);
        plan.faults.push({ kind: 'stop', node: s.node, at });
        plan.inputs.push({ node: s.node, at, what: 'stopped (graceful)' });
      } else if (run.end === 'crash') {
        const at = Math.max(0, lastAlive(scans, alignment, s, run).lastAlive - t0 + 1);
        plan.faults.push({ kind: 'kill', node: s.node, at });
        plan.inputs.push({ node: s.node, at, what: 'crashed (dated from the last record or advert heard)' });
      }
    });
    // Scripts and interfaces: one change per (name, time), however many instances track it.
    const status = new Map<string, boolean>();
    for (const x of s.externals) {
      const key = `${x.type} ${x.name}`;
      if (status.get(key) === x.ok) continue;
      status.set(key, x.ok);
      const at = rel(x.wall);
      if (x.type === 'script') {
        plan.faults.push({ kind: 'script', node: s.node, script: x.name, ok: x.ok, at });
        plan.inputs.push({ node: s.node, at, what: `vrrp_script ${x.name} ${x.ok ? 'ok' : 'failed'}` });
      } else if (lanInterfaces.get(s.node)?.has(x.name)) {
        if (!x.ok) plan.faults.push({ kind: 'linkDown', node: s.node, ifname: x.name, from: at });
        else {
          // Up again: close the open linkDown of this interface.
          const open = [...plan.faults].reverse().find((f) => f.kind === 'linkDown' && f.node === s.node && f.ifname === x.name && f.to === undefined);
          if (open !== undefined && open.kind === 'linkDown') open.to = at;
        }
        plan.inputs.push({ node: s.node, at, what: `interface ${x.name} ${x.ok ? 'up' : 'down'}` });
      } else {
        plan.direct.push({ node: s.node, at, ifname: x.name, up: x.ok });
        plan.inputs.push({ node: s.node, at, what: `track_interface ${x.name} ${x.ok ? 'up' : 'down'}` });
      }
    }
  }
  plan.inputs.sort((a, b) => a.at - b.at);
  return plan;
}

function simulate(configs: Map<string, KeepalivedConfig>, plan: ExternalPlan, horizonMs: number): { changes: Map<string, MasterChange[]>; final: Map<string, Record<string, string>> } {
  const sim = new Simulation({
    nodes: [...configs].map(([name, config]) => ({ name, config })),
    machines: vrrpMachineKit,
    codec: protocolCodec,
    faults: plan.faults,
  });
  for (const d of plan.direct) sim.scheduler.at(d.at, () => sim.nodes.get(d.node)?.engine?.setInterface(d.ifname, d.up));
  sim.runUntil(horizonMs);
  const tracker = new MasterTracker();
  for (const e of sim.timeline()) {
    if (e.fault !== undefined) {
      if (/^killed|^stopped/.test(e.fault)) tracker.nodeDown(e.node, e.at);
    } else if (e.instance !== undefined && e.to !== undefined) tracker.set(e.instance, e.node, e.to, e.at);
  }
  const final = new Map<string, Record<string, string>>();
  for (const st of sim.states()) {
    const f = final.get(st.instance) ?? {};
    f[st.node] = st.state ?? 'down';
    final.set(st.instance, f);
  }
  return { changes: tracker.changes, final };
}

/** Who is MASTER of each instance over time, from a stream of state changes. */
class MasterTracker {
  readonly changes = new Map<string, MasterChange[]>();
  private readonly states = new Map<string, Map<string, string>>();

  set(instance: string, node: string, state: string, at: number): void {
    let m = this.states.get(instance);
    if (m === undefined) this.states.set(instance, (m = new Map()));
    m.set(node, state);
    this.note(instance, at);
  }

  nodeDown(node: string, at: number): void {
    for (const [instance, m] of this.states) if (m.delete(node)) this.note(instance, at);
  }

  private note(instance: string, at: number): void {
    const masters = [...(this.states.get(instance) ?? new Map<string, string>())].filter(([, s]) => s === 'MASTER').map(([n]) => n).sort();
    let list = this.changes.get(instance);
    if (list === undefined) this.changes.set(instance, (list = []));
    const last = list.at(-1);
    if (last !== undefined && last.masters.join() === masters.join()) return;
    // Changes within 1 ms are one: the old master hears the new one a link delay later.
    if (last !== undefined && at - last.at < 1) list.pop();
    if (list.at(-1)?.masters.join() === masters.join()) return;
    list.push({ at: list.length === 0 || last === undefined || at - last.at >= 1 ? at : last.at, masters });
  }
}

/** `scans` as mergeTimelines left them: entries on the aligned clock, crashes dated. */
export async function whatIf(scans: readonly NodeScan[], alignment: Alignment, files: readonly string[]): Promise<WhatIfResult> {
  const errors: string[] = [];
  const off = (node: string): number => alignment.offsets.get(node)?.offsetMs ?? 0;
  const recorded = new Map<string, KeepalivedConfig>();
  for (const s of scans) {
    const c = s.runs.find((r) => r.config !== undefined)?.config;
    if (c === undefined) errors.push(`${s.node}: the log holds no full configuration to re-simulate`);
    else recorded.set(s.node, c);
  }
  const replaced = new Map<string, { config: KeepalivedConfig; file: string }>();
  for (const file of files) {
    const res = loadConfigFile(file);
    const errs = res.diagnostics.filter((d) => d.severity === 'error');
    if (res.config === undefined) {
      errors.push(`${file}: configuration has errors${errs.length ? `:\n${errs.map((d) => `  ${formatDiagnostic(d)}`).join('\n')}` : ''}`);
      continue;
    }
    const id = res.config.globalDefs.routerId;
    const base = basename(file).replace(/\.conf$/, '');
    const node = scans.find((s) => s.node === id)?.node ?? scans.find((s) => s.node === base)?.node;
    if (node === undefined) {
      errors.push(`${file}: router_id ${JSON.stringify(id)} is none of the logged nodes (${scans.map((s) => s.node).join(', ')})`);
      continue;
    }
    if (replaced.has(node)) errors.push(`${file}: a second configuration for node ${node} (${replaced.get(node)!.file})`);
    replaced.set(node, { config: res.config, file });
  }
  if (errors.length > 0) return { ok: false, errors };

  const starts = scans.flatMap((s) => s.runs.map((r) => r.startWall - off(s.node)));
  if (starts.length === 0) return { ok: false, errors: ['the logs hold no start of the engine: nothing to re-simulate'] };
  const t0 = Math.min(...starts);
  const ends = scans.map((s) => (s.lastWall ?? t0) - off(s.node));
  const horizonMs = Math.max(...ends) - t0 + 1000;

  const lanIfs = (configs: Map<string, KeepalivedConfig>): Map<string, Set<string>> =>
    new Map([...configs].map(([n, c]) => [n, new Set(c.vrrpInstances.map((i) => i.interface))]));
  const whatIfConfigs = new Map([...recorded].map(([n, c]) => [n, replaced.get(n)?.config ?? c]));
  const basePlan = externalInputs(scans, alignment, t0, lanIfs(recorded));
  const ifPlan = externalInputs(scans, alignment, t0, lanIfs(whatIfConfigs));
  let baseline: ReturnType<typeof simulate>;
  let alt: ReturnType<typeof simulate>;
  try {
    baseline = simulate(recorded, basePlan, horizonMs);
    alt = simulate(whatIfConfigs, ifPlan, horizonMs);
  } catch (err) {
    return { ok: false, errors: [`the simulation refused: ${err instanceof Error ? err.message : String(err)}`] };
  }

  // The recorded story, on the same clock.
  const rec = new MasterTracker();
  const events = scans.flatMap((s) => s.entries.map((e) => ({ e, at: e.time - t0 }))).sort((a, b) => a.at - b.at);
  const finalRecorded = new Map<string, Record<string, string>>();
  for (const { e, at } of events) {
    if (e.kind === 'crash') rec.nodeDown(e.node, at);
    if (e.kind === 'transition' && e.instance !== undefined && e.to !== undefined && !e.instance.includes('/')) {
      rec.set(e.instance, e.node, e.to, at);
      const f = finalRecorded.get(e.instance) ?? {};
      f[e.node] = e.to;
      finalRecorded.set(e.instance, f);
    }
    if (e.kind === 'crash') for (const f of finalRecorded.values()) if (e.node in f) f[e.node] = 'down';
  }
  for (const s of scans) {
    const lastRun = s.runs.at(-1);
    if (lastRun?.end === 'crash') for (const f of finalRecorded.values()) if (s.node in f) f[s.node] = 'down';
  }

  const names: string[] = [];
  for (const c of whatIfConfigs.values()) for (const i of c.vrrpInstances) if (!names.includes(i.name)) names.push(i.name);
  const instances: InstanceOutcome[] = names.map((name) => {
    const b = baseline.changes.get(name) ?? [];
    const w = alt.changes.get(name) ?? [];
    const vrid = [...whatIfConfigs.values()].flatMap((c) => c.vrrpInstances).find((i) => i.name === name)?.virtualRouterId;
    const o: InstanceOutcome = {
      instance: name,
      recorded: rec.changes.get(name) ?? [],
      baseline: b,
      whatIf: w,
      finalRecorded: finalRecorded.get(name) ?? {},
      finalBaseline: baseline.final.get(name) ?? {},
      finalWhatIf: alt.final.get(name) ?? {},
      changed: !sameStory(b, w) || JSON.stringify(baseline.final.get(name)) !== JSON.stringify(alt.final.get(name)),
    };
    if (vrid !== undefined) o.vrid = vrid;
    return o;
  });
  return {
    ok: true,
    report: {
      t0,
      horizonMs,
      nodes: [...whatIfConfigs.keys()].map((n) => ({ node: n, config: replaced.get(n)?.file ?? 'recorded configuration' })),
      inputs: basePlan.inputs,
      instances,
    },
  };
}

/** Same masters in the same order, each change within 1 ms. */
function sameStory(a: MasterChange[], b: MasterChange[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => x.masters.join() === b[i]!.masters.join() && Math.abs(x.at - b[i]!.at) <= 1);
}

function story(list: MasterChange[]): string {
  if (list.length === 0) return 'no master';
  return list.map((c) => `${(c.at / 1000).toFixed(3)} s ${c.masters.length ? c.masters.join('+') : 'none'}`).join(', ');
}

function finals(f: Record<string, string>): string {
  const parts = Object.entries(f).map(([n, s]) => `${n} ${s}`);
  return parts.length ? parts.join(', ') : '-';
}

export function formatWhatIf(r: WhatIfReport): string {
  const lines: string[] = [];
  lines.push(`what-if: ${r.nodes.map((n) => `${n.node} (${n.config})`).join(', ')}; ${(r.horizonMs / 1000).toFixed(3)} s re-simulated from time 0 = ${new Date(r.t0).toISOString()}`);
  lines.push('external inputs replayed:');
  for (const i of r.inputs) lines.push(`  ${(i.at / 1000).toFixed(3).padStart(10)} s  ${i.node}  ${i.what}`);
  if (r.inputs.length === 0) lines.push('  (none besides the starts at time 0)');
  for (const o of r.instances) {
    lines.push('');
    lines.push(`${o.instance}${o.vrid !== undefined ? ` (vrid ${o.vrid})` : ''}: masters over time`);
    lines.push(`  recorded:                 ${story(o.recorded)}`);
    lines.push(`  re-simulated as recorded: ${story(o.baseline)}`);
    lines.push(`  what-if:                  ${story(o.whatIf)}`);
    lines.push(`  final: recorded ${finals(o.finalRecorded)}; what-if ${finals(o.finalWhatIf)}`);
    lines.push(o.changed ? '  => the outcome CHANGES with the what-if configuration' : '  => the outcome is the same');
  }
  return `${lines.join('\n')}\n`;
}

export function whatIfJson(r: WhatIfReport): unknown {
  return { ...r, t0Iso: new Date(r.t0).toISOString() };
}
