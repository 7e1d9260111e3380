/**
 * Bench: `keepalived-ts replay` on a log of 1,000,000 events — the timeline (goal ≤ 3 s) and
 * `--verify` (events/s).
 *
 *   npx tsx bench/replay.ts [--events N] [--instances I] [--dir DIR] [--json]
 *
 * The log: 2 nodes × I vrrp_instances (default 20) at 1 s adverts on the simulated LAN, written by
 * `SimulationLogs` (what `simulate --log-dir` writes) WITHOUT folding steady streams, so every advert
 * sent and received and every advert-timer expiry is a record of its own (a daemon's log folds them;
 * unfolded is the worst case for replay: a million records to read, decode and re-run). lb2 is
 * killed every 10 virtual minutes and restarted a minute later, so the timeline has failovers.
 * With --dir an existing bench log is reused (it is generated there when absent).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigText } from '../src/config/load.js';
import type { KeepalivedConfig } from '../src/config/types.js';
import { vrrpMachineKit } from '../src/engine/machines.js';
import { MemoryJournal } from '../src/engine/memory-journal.js';
import { protocolCodec } from '../src/engine/protocol-codec.js';
import { SimulationLogs } from '../src/engine/simulation-log.js';
import { Simulation, type Fault } from '../src/engine/simulation.js';
import { formatTimeline } from '../src/replay/format.js';
import { closeLogs, openLogs } from '../src/replay/load.js';
import { mergeTimelines } from '../src/replay/merge.js';
import { scanLogs } from '../src/replay/scan.js';
import { verifyLog } from '../src/replay/verify.js';
import { nodeConfigText } from '../test/engine/lab.js';

const arg = (name: string, dflt: string | undefined): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const target = Number(arg('--events', '1000000'));
const instances = Number(arg('--instances', '20'));
const json = process.argv.includes('--json');
const given = arg('--dir', undefined);
const root = given ?? mkdtempSync(join(tmpdir(), 'kts-bench-replay-'));

async function generate(): Promise<{ seconds: number; virtualSeconds: number }> {
  const configs = new Map<string, KeepalivedConfig>();
  for (const [r, node] of ['lb1', 'lb2'].entries()) {
    const text = nodeConfigText({
      routerId: node,
      instances: Array.from({ length: instances }, (_, k) => ({ name: `VI_${k + 1}`, vrid: k + 1, priority: r === 1 ? 150 : 100 })),
    });
    const res = loadConfigText(text, `${node}.conf`);
    if (!res.config) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
    configs.set(node, res.config);
  }
  const faults: Fault[] = [];
  for (let t = 600_000; t < 1e8; t += 600_000) faults.push({ kind: 'kill', node: 'lb2', at: t }, { kind: 'start', node: 'lb2', at: t + 60_000 });
  const logs = await SimulationLogs.open({ dir: root, configs, epochMs: Date.UTC(2026, 0, 1), logOptions: { maxBacklog: 10_000_000 } });
  const sim = new Simulation({
    nodes: [...configs].map(([name, config]) => ({ name, config })),
    machines: vrrpMachineKit,
    codec: protocolCodec,
    faults,
    summarize: false,
    journal: logs.journalFactory(() => new MemoryJournal({ maxRecords: 1000 })),
  });
  const started = performance.now();
  let t = 0;
  while (logs.records() < target) {
    t += 30_000;
    sim.runUntil(t);
    await logs.flush();
  }
  await logs.close();
  return { seconds: (performance.now() - started) / 1000, virtualSeconds: t / 1000 };
}

const gen = given !== undefined && existsSync(join(root, 'lb1')) ? undefined : await generate();
const dirs = [join(root, 'lb1'), join(root, 'lb2')];

const cpu = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1e6;

// The floor: the store's read of every record (LevelDB iteration + decoding), nothing else.
let t0 = performance.now();
let c0 = process.cpuUsage();
let logs = await openLogs(dirs);
let readCount = 0;
// In batches, as replay reads (one await per LevelDB read, not per record).
for (const l of logs) for await (const batch of l.reader.readBatches()) readCount += batch.length;
await closeLogs(logs);
const readS = (performance.now() - t0) / 1000;
const readCpuS = cpu(process.cpuUsage(c0));

// Timeline: open, read every record, explain, align, merge, format — what `replay DIR DIR` does.
// CPU time beside wall time: the bench machine is shared, and CPU time is the fairer figure.
t0 = performance.now();
c0 = process.cpuUsage();
logs = await openLogs(dirs);
const scans = await scanLogs(logs);
const merged = mergeTimelines(scans);
const text = formatTimeline(merged);
const timelineS = (performance.now() - t0) / 1000;
const timelineCpuS = cpu(process.cpuUsage(c0));
const records = scans.reduce((n, s) => n + s.records, 0);
await closeLogs(logs);

t0 = performance.now();
c0 = process.cpuUsage();
logs = await openLogs(dirs);
const results = [];
for (const l of logs) results.push(await verifyLog(l));
const verifyS = (performance.now() - t0) / 1000;
const verifyCpuS = cpu(process.cpuUsage(c0));
await closeLogs(logs);
const inputs = results.reduce((n, r) => n + r.inputs, 0);
const divergences = results.reduce((n, r) => n + r.divergences, 0);

const out = {
  records,
  generation: gen,
  storeRead: { seconds: readS, cpuSeconds: readCpuS, records: readCount },
  timeline: { seconds: timelineS, cpuSeconds: timelineCpuS, recordsPerSecond: Math.round(records / timelineS), entries: merged.entries.length, lines: text.split('\n').length },
  verify: { seconds: verifyS, cpuSeconds: verifyCpuS, recordsPerSecond: Math.round(records / verifyS), inputsRerun: inputs, outputsMatched: results.reduce((n, r) => n + r.outputs, 0), divergences },
  offsetLb2Ms: merged.alignment.offsets.get('lb2')?.offsetMs,
};
if (json) console.log(JSON.stringify(out, null, 2));
else {
  if (gen) console.log(`generated ${records} records in ${gen.seconds.toFixed(1)} s (${gen.virtualSeconds} s of virtual time)`);
  console.log(`store read alone: ${readCount} records in ${readS.toFixed(2)} s wall, ${readCpuS.toFixed(2)} s CPU`);
  console.log(`timeline: ${records} records in ${timelineS.toFixed(2)} s wall, ${timelineCpuS.toFixed(2)} s CPU (${out.timeline.recordsPerSecond} records/s wall), ${merged.entries.length} entries`);
  console.log(`verify:   ${records} records in ${verifyS.toFixed(2)} s wall, ${verifyCpuS.toFixed(2)} s CPU (${out.verify.recordsPerSecond} records/s wall, ${Math.round(records / verifyCpuS)} per CPU second), ${inputs} inputs re-run, ${divergences} divergences`);
  console.log(`load average during the run: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}
if (given === undefined) rmSync(root, { recursive: true, force: true });
