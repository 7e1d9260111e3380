import { basename } from 'node:path';
import { formatDiagnostic } from '../config/diagnostics.js';
import { loadConfigFile } from '../config/load.js';
import type { KeepalivedConfig } from '../config/types.js';
import { vrrpMachineKit } from '../engine/machines.js';
import { protocolCodec } from '../engine/protocol-codec.js';
import { Simulation, type Fault, type TimelineEntry } from '../engine/simulation.js';
import { explainReason } from '../replay/explain.js';
import { runLogged, SimulationLogs } from '../engine/simulation-log.js';
import { EventLogError } from '../store/errors.js';
import { parseSimulateArgs, SIMULATE_USAGE, type UnresolvedFault } from './simulate-args.js';

/**
 * `keepalived-ts simulate FILE...`: the given node configurations (one file per node) on the
 * simulated LAN, on virtual time, with scripted faults; prints the timeline of states per instance
 * and node. Exit 0 on a run, 1 when a configuration has errors, 2 on a usage error.
 */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out(`${SIMULATE_USAGE}\n`);
    return 0;
  }
  const parsed = parseSimulateArgs(argv);
  if (!parsed.ok) {
    err(`keepalived-ts simulate: ${parsed.error}\n${SIMULATE_USAGE}\n`);
    return 2;
  }
  const args = parsed.args;

  const nodes: Array<{ name: string; file: string; config: KeepalivedConfig }> = [];
  let failed = false;
  for (const file of args.files) {
    const res = loadConfigFile(file);
    for (const d of res.diagnostics) err(`${formatDiagnostic(d)}\n`);
    if (res.config === undefined) {
      failed = true;
      continue;
    }
    nodes.push({ name: '', file, config: res.config });
  }
  if (failed) return 1;

  // Node names: router_id, unless two nodes share one (or it is the default): then the file's base name.
  const ids = nodes.map((n) => n.config.globalDefs.routerId);
  for (const [i, n] of nodes.entries()) {
    const id = ids[i]!;
    const unique = id !== '' && ids.indexOf(id) === ids.lastIndexOf(id);
    n.name = unique ? id : basename(n.file).replace(/\.conf$/, '');
  }
  const names = nodes.map((n) => n.name);
  if (new Set(names).size !== names.length) {
    err(`keepalived-ts simulate: two nodes are both called ${names.find((n, i) => names.indexOf(n) !== i)}\n`);
    return 2;
  }
  const resolve = (who: string): string | undefined => {
    const byName = nodes.find((n) => n.name === who);
    if (byName) return byName.name;
    const byFile = nodes.find((n) => basename(n.file) === who || basename(n.file).replace(/\.conf$/, '') === who);
    if (byFile) return byFile.name;
    return nodes.find((n) => n.config.globalDefs.routerId === who)?.name;
  };
  const faults: Fault[] = [];
  for (const f of args.faults) {
    const r = resolveFault(f, resolve, names);
    if (typeof r === 'string') {
      err(`keepalived-ts simulate: ${r} (nodes: ${names.join(', ')})\n`);
      return 2;
    }
    faults.push(r);
  }

  // With --log-dir every node writes a real event log, so a simulated failover replays like a real one.
  let logs: SimulationLogs | undefined;
  if (args.logDir !== undefined) {
    try {
      logs = await SimulationLogs.open({ dir: args.logDir, configs: new Map(nodes.map((n) => [n.name, n.config])), programVersion: await programVersion() });
    } catch (e) {
      err(`keepalived-ts simulate: ${e instanceof EventLogError || e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
  }
  const sim = new Simulation({
    ...(logs ? { journal: logs.journalFactory() } : {}),
    nodes: nodes.map((n) => ({ name: n.name, config: n.config })),
    machines: vrrpMachineKit,
    codec: protocolCodec,
    seed: args.seed,
    link: { loss: args.loss, ...(args.delayMs !== undefined ? { delayMs: args.delayMs } : {}) },
    faults,
  });
  const started = performance.now();
  if (logs) {
    await runLogged(sim, args.durationMs, logs);
    await logs.close();
  } else sim.runUntil(args.durationMs);
  const wallMs = performance.now() - started;

  const addresses = nodes.map((n) => ({
    node: n.name,
    file: n.file,
    interfaces: Object.fromEntries([...sim.nodes.get(n.name)!.addresses].map(([ifname, a]) => [ifname, a.ipv4])),
  }));
  const timeline = sim.timeline();
  const final = sim.states();
  const malformed = sim.malformed();

  if (args.json) {
    out(`${JSON.stringify({ nodes: addresses, durationMs: args.durationMs, seed: args.seed, timeline, final, malformed, steps: sim.steps(), lan: sim.lan.stats }, null, 2)}\n`);
    return 0;
  }

  const lines: string[] = [];
  lines.push(`simulating ${nodes.length} node(s) for ${seconds(args.durationMs)} of virtual time (seed ${args.seed}${args.loss > 0 ? `, loss ${args.loss}` : ''})`);
  for (const a of addresses) {
    const ifs = Object.entries(a.interfaces).map(([i, addr]) => `${i} ${addr}`).join(', ');
    lines.push(`  node ${a.node}  ${ifs}  (${a.file})`);
  }
  lines.push('');
  lines.push('timeline:');
  const nodeW = Math.max(4, ...names.map((n) => n.length));
  const instW = Math.max(8, ...final.map((f) => f.instance.length));
  for (const e of timeline) lines.push(`  ${formatEntry(e, nodeW, instW)}`);
  lines.push('');
  lines.push('final states:');
  const byInstance = new Map<string, typeof final>();
  for (const f of final) {
    const key = `${f.instance} (vrid ${f.vrid})`;
    byInstance.set(key, [...(byInstance.get(key) ?? []), f]);
  }
  for (const [key, list] of byInstance) {
    const parts = list.map((f) => `${f.node} ${f.state ?? 'down'}${f.priority !== undefined ? ` (priority ${f.priority})` : ''}`);
    lines.push(`  ${key}: ${parts.join(', ')}`);
  }
  const malformedLines: string[] = [];
  for (const [node, insts] of Object.entries(malformed)) {
    for (const [inst, reasons] of Object.entries(insts)) {
      malformedLines.push(`  ${node} ${inst}: ${Object.entries(reasons).map(([r, n]) => `${r} ${n}`).join(', ')}`);
    }
  }
  if (malformedLines.length > 0) lines.push('', 'packets dropped by the receive checks:', ...malformedLines);
  if (logs) lines.push('', 'event logs (keepalived-ts replay DIR...):', ...nodes.map((n) => `  ${n.name}: ${logs!.dirOf(n.name)}`));
  lines.push('', `${sim.steps()} machine events, ${sim.lan.stats.sent} packets sent, ${sim.lan.stats.delivered} delivered, in ${wallMs.toFixed(0)} ms`);
  out(`${lines.join('\n')}\n`);
  return 0;
}

function resolveFault(f: UnresolvedFault, resolve: (n: string) => string | undefined, all: string[]): Fault | string {
  const one = (n: string): string | undefined => resolve(n);
  switch (f.kind) {
    case 'partition': {
      const a: string[] = [];
      for (const n of f.a) {
        const r = one(n);
        if (r === undefined) return `--partition: no node ${n}`;
        a.push(r);
      }
      let b: string[];
      if (f.b === '*') b = all.filter((n) => !a.includes(n));
      else {
        b = [];
        for (const n of f.b) {
          const r = one(n);
          if (r === undefined) return `--partition: no node ${n}`;
          b.push(r);
        }
      }
      return { ...f, a, b };
    }
    default: {
      const r = one(f.node);
      if (r === undefined) return `--${f.kind === 'linkDown' ? 'link-down' : f.kind}: no node ${f.node}`;
      return { ...f, node: r };
    }
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

function formatEntry(e: TimelineEntry, nodeW: number, instW: number): string {
  const at = seconds(e.at).padStart(10);
  if (e.fault !== undefined) return `${at}  ${e.node.padEnd(nodeW)}  ${'*'.padEnd(instW)}  ${e.fault}`;
  const change = `${e.from} -> ${e.to}`.padEnd(17);
  return `${at}  ${e.node.padEnd(nodeW)}  ${(e.instance ?? '').padEnd(instW)}  ${change}  ${e.reason ? explainReason(e.reason) : ''}`;
}

async function programVersion(): Promise<string> {
  try {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
