/** Small simulated runs written to event logs, for the verify and timeline tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeepalivedConfig } from '../../src/config/types.js';
import { vrrpMachineKit } from '../../src/engine/machines.js';
import { protocolCodec } from '../../src/engine/protocol-codec.js';
import { runLogged, SimulationLogs } from '../../src/engine/simulation-log.js';
import { Simulation, type Fault, type SimulationOptions } from '../../src/engine/simulation.js';
import type { LabNode } from '../engine/lab.js';
import { configOf, EPOCH } from './fixture.js';

export async function recordScenario(
  nodes: LabNode[],
  faults: Fault[],
  untilMs: number,
  opts: { root?: string; summarize?: boolean; transport?: SimulationOptions['transport'] } = {},
): Promise<{ root: string; dirs: string[] }> {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'kts-replay-sc-'));
  const configs = new Map<string, KeepalivedConfig>(nodes.map((n) => [n.routerId, configOf(n)]));
  const logs = await SimulationLogs.open({ dir: root, configs, epochMs: EPOCH });
  try {
    const sim = new Simulation({
      nodes: [...configs].map(([name, config]) => ({ name, config })),
      machines: vrrpMachineKit,
      codec: protocolCodec,
      faults,
      ...(opts.summarize === false ? { summarize: false } : {}),
      ...(opts.transport ? { transport: opts.transport } : {}),
      journal: logs.journalFactory(),
    });
    await runLogged(sim, untilMs, logs, 20_000);
  } finally {
    await logs.close();
  }
  return { root, dirs: nodes.map((n) => logs.dirOf(n.routerId)) };
}
