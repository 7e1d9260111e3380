/**
 * Runs the whole checker engine inside a lab namespace (`ip netns exec NS node --import tsx
 * engine-runner.ts CONFIG_JSON`): real probes, the real-time scheduler, the memory journal and the
 * recording IPVS twin. It prints JSON lines:
 *   {ready: true}
 *   {event: 'ipvs', t, effect, result, dests}       every call the twin got, with the table after it
 *   {event: 'transition', t, actor, type, data}    every transition the journal committed
 *   {event: 'stopped', t, services}                 after `stop` on stdin
 * CONFIG_JSON: {virtualServers: VirtualServer[]}.
 */
import { createInterface } from 'node:readline';
import type { GlobalDefs, VirtualServer } from '../../src/config/types.js';
import { runProbe } from '../../src/adapters/probes/index.js';
import { RecordingIpvs } from '../../src/adapters/ipvs-recording.js';
import { CheckerEngine } from '../../src/engine/checkers.js';
import { MemoryJournal } from '../../src/engine/memory-journal.js';
import { RealTimeScheduler } from '../../src/engine/scheduler.js';

const out = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const { virtualServers } = JSON.parse(process.argv[2] ?? '{}') as { virtualServers: VirtualServer[] };

const scheduler = new RealTimeScheduler();
const journal = new MemoryJournal({ maxRecords: 10_000 });
const ipvs = new RecordingIpvs({
  onCall: (call, twin) => {
    const dests = twin.snapshot().flatMap((s) => s.dests.map((d) => `${d.address}:${d.port}=${d.weight}`));
    out({ event: 'ipvs', t: Math.round(scheduler.now()), effect: call.effect, result: call.result, dests });
  },
});
journal.committed$.subscribe((rec) => {
  if (rec.kind === 'transition') out({ event: 'transition', t: Math.round(rec.monoTime), actor: rec.actor, type: rec.type, data: rec.data });
});
const engine = new CheckerEngine({
  config: { virtualServers, globalDefs: { routerId: 'lab' } as GlobalDefs },
  scheduler,
  journal,
  runProbe,
});
engine.attachIpvs(ipvs);
engine.start();
out({ ready: true });

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stop') return;
  void engine.stop().then(() => {
    // Let the adapter's queue drain before reporting.
    setTimeout(() => {
      out({ event: 'stopped', t: Math.round(scheduler.now()), services: ipvs.snapshot().length });
      process.exit(0);
    }, 20);
  });
});
