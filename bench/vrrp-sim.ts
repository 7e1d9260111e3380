/**
 * Bench: 3 routers × 255 VRRP instances at 1 s adverts for one hour of virtual time on the simulated
 * LAN. Every advert is encoded (src/protocol), delivered, decoded and validated, and fed to its
 * machine; the journal folds the steady streams. Prints wall time, machine events/s and the ratio
 * to real time (goal ≥ 1,000×).
 *
 *   npx tsx bench/vrrp-sim.ts [--hours H] [--instances N] [--breakdown] [--json] [--v8-pretenuring]
 *
 * --v8-pretenuring leaves V8's allocation-site pretenuring on (what the CLI turns off), for an A/B.
 *
 * --breakdown times the machine steps and the codec separately (adds a little overhead).
 */
import { loadConfigText } from '../src/config/load.js';
import { tuneGarbageCollector } from '../src/engine/gc-tuning.js';
import type { VrrpCodec } from '../src/engine/codec.js';
import { vrrpMachineKit } from '../src/engine/machines.js';
import type { VrrpMachineKit } from '../src/engine/node.js';
import { protocolCodec } from '../src/engine/protocol-codec.js';
import { Simulation } from '../src/engine/simulation.js';
import { nodeConfigText } from '../test/engine/lab.js';

// As `keepalived-ts simulate` does at its start (src/cli/main.ts; why: src/engine/gc-tuning.ts).
if (!process.argv.includes('--v8-pretenuring')) tuneGarbageCollector();

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const hours = arg('--hours', 1);
const instances = arg('--instances', 255);
const routers = 3;

const nodes = [];
for (let r = 0; r < routers; r++) {
  const text = nodeConfigText({
    routerId: `lb${r + 1}`,
    instances: Array.from({ length: instances }, (_, k) => {
      const vrid = k + 1;
      // Spread the masters: each router is the highest priority for a third of the VRIDs.
      return { name: `VI_${vrid}`, vrid, priority: 100 + ((vrid + r) % routers) * 10 };
    }),
  });
  const res = loadConfigText(text, `lb${r + 1}.conf`);
  if (!res.config) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  nodes.push({ name: `lb${r + 1}`, config: res.config });
}

const breakdown = process.argv.includes('--breakdown');
const spent = { machineMs: 0, encodeMs: 0, validateMs: 0 };
const machines: VrrpMachineKit = breakdown
  ? {
      syncGroupInputs: vrrpMachineKit.syncGroupInputs,
      createStepper: (i, g, o) => {
        const s = vrrpMachineKit.createStepper(i, g, o);
        return {
          init: (at) => s.init(at),
          view: (snap) => s.view(snap),
          step: (snap, input) => {
            const t = performance.now();
            const r = s.step(snap, input);
            spent.machineMs += performance.now() - t;
            return r;
          },
        };
      },
    }
  : vrrpMachineKit;
const codec: VrrpCodec = breakdown
  ? {
      encode: (a, o) => {
        const t = performance.now();
        const r = protocolCodec.encode(a, o);
        spent.encodeMs += performance.now() - t;
        return r;
      },
      validate: (p, c) => {
        const t = performance.now();
        const r = protocolCodec.validate(p, c);
        spent.validateMs += performance.now() - t;
        return r;
      },
    }
  : protocolCodec;

const sim = new Simulation({ nodes, machines, codec, seed: 1, maxRecords: 1_000_000 });
const horizon = hours * 3_600_000;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
sim.runUntil(horizon);
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;

const steps = sim.steps();
let records = 0;
for (const rt of sim.nodes.values()) records += rt.journal.size;
const masters = sim.states().filter((s) => s.state === 'MASTER').length;
const result = {
  routers,
  instances,
  virtualSeconds: horizon / 1000,
  wallSeconds: +(wallMs / 1000).toFixed(2),
  cpuSeconds: +(cpuMs / 1000).toFixed(2),
  machineEvents: steps,
  machineEventsPerSecond: Math.round(steps / (wallMs / 1000)),
  machineEventsPerCpuSecond: Math.round(steps / (cpuMs / 1000)),
  packetsSent: sim.lan.stats.sent,
  packetsDelivered: sim.lan.stats.delivered,
  ratioToRealTime: Math.round(horizon / wallMs),
  ratioToRealTimeCpu: Math.round(horizon / cpuMs),
  ...(breakdown
    ? {
        machineStepMs: Math.round(spent.machineMs),
        encodeMs: Math.round(spent.encodeMs),
        validateMs: Math.round(spent.validateMs),
        engineAndLanMs: Math.round(wallMs - spent.machineMs - spent.encodeMs - spent.validateMs),
      }
    : {}),
  journalRecords: records,
  journalRecordsPerInstancePerMinute: +(records / (routers * instances) / (horizon / 60_000)).toFixed(2),
  masters,
  malformed: Object.keys(sim.malformed()).length,
  node: process.version,
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(36)} ${v}`);
}
