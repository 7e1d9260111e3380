/**
 * A simulated 2-node failover written to real LevelDB event logs (one per node), the way
 * `simulate --log-dir` writes them: the material every replay test reads.
 *
 *   lb1 192.0.2.10 priority 100                 lb2 192.0.2.11 priority 150, track_script chk_nginx weight -60
 *   t=0    both start; lb2 becomes MASTER (shorter master-down interval)
 *   t=10s  lb2's chk_nginx fails: 150 → 90, lb1 (100) takes over
 *   t=20s  chk_nginx recovers: lb2 (150) preempts back
 *   t=30s  lb2 crashes (no priority-0 advert): lb1 takes over after its master-down interval
 *   t=40s  lb2 starts again and preempts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigText } from '../../src/config/load.js';
import type { KeepalivedConfig } from '../../src/config/types.js';
import { vrrpMachineKit } from '../../src/engine/machines.js';
import { protocolCodec } from '../../src/engine/protocol-codec.js';
import { runLogged, SimulationLogs } from '../../src/engine/simulation-log.js';
import { Simulation, type Fault } from '../../src/engine/simulation.js';
import { nodeConfigText, type LabNode } from '../engine/lab.js';

export const EPOCH = Date.UTC(2026, 10, 25, 3, 10, 0);

export const LB1: LabNode = { routerId: 'lb1', instances: [{ name: 'VI_1', vrid: 51, priority: 100 }] };
export const LB2: LabNode = {
  routerId: 'lb2',
  scripts: [{ name: 'chk_nginx', weight: -60 }],
  instances: [{ name: 'VI_1', vrid: 51, priority: 150, trackScript: [{ name: 'chk_nginx' }] }],
};

export const FAULTS: Fault[] = [
  { kind: 'script', node: 'lb2', script: 'chk_nginx', ok: false, at: 10_000 },
  { kind: 'script', node: 'lb2', script: 'chk_nginx', ok: true, at: 20_000 },
  { kind: 'kill', node: 'lb2', at: 30_000 },
  { kind: 'start', node: 'lb2', at: 40_000 },
];

export function configOf(node: LabNode): KeepalivedConfig {
  const res = loadConfigText(nodeConfigText(node), `${node.routerId}.conf`);
  if (res.config === undefined) throw new Error(`bad lab config: ${JSON.stringify(res.diagnostics)}`);
  return res.config;
}

export interface Recorded {
  root: string;
  dirs: { lb1: string; lb2: string };
}

export async function recordFailover(opts: { clockOffsetMs?: Record<string, number>; untilMs?: number; root?: string } = {}): Promise<Recorded> {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'kts-replay-'));
  const configs = new Map([
    ['lb1', configOf(LB1)],
    ['lb2', configOf(LB2)],
  ]);
  const logs = await SimulationLogs.open({ dir: root, configs, epochMs: EPOCH, ...(opts.clockOffsetMs ? { clockOffsetMs: opts.clockOffsetMs } : {}), programVersion: 'keepalived-ts test' });
  try {
    const sim = new Simulation({
      nodes: [...configs].map(([name, config]) => ({ name, config })),
      machines: vrrpMachineKit,
      codec: protocolCodec,
      faults: FAULTS,
      journal: logs.journalFactory(),
    });
    await runLogged(sim, opts.untilMs ?? 50_000, logs);
  } finally {
    await logs.close();
  }
  return { root, dirs: { lb1: logs.dirOf('lb1'), lb2: logs.dirOf('lb2') } };
}
