import { loadConfigText } from '../../src/config/load.js';
import type { KeepalivedConfig } from '../../src/config/types.js';
import { vrrpMachineKit } from '../../src/engine/machines.js';
import { protocolCodec } from '../../src/engine/protocol-codec.js';
import { Simulation, type Fault, type SimulationOptions } from '../../src/engine/simulation.js';
import type { LinkProps } from '../../src/adapters/sim-lan.js';
import { nodeConfigText, type LabInstance, type LabNode } from '../engine/lab.js';

/** Config loading is the slow part of a short run: the same text loads once. */
const cache = new Map<string, KeepalivedConfig>();

export function loadNode(node: LabNode): KeepalivedConfig {
  const text = nodeConfigText(node);
  let config = cache.get(text);
  if (config === undefined) {
    const res = loadConfigText(text, `${node.routerId}.conf`);
    if (res.config === undefined) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
    config = res.config;
    if (cache.size > 2000) cache.clear();
    cache.set(text, config);
  }
  return config;
}

export interface LabRouter {
  /** One entry per VRID, in VRID order. */
  instances: Array<Omit<LabInstance, 'name' | 'vrid'>>;
  syncGroups?: LabNode['syncGroups'];
  scripts?: LabNode['scripts'];
}

/** Routers r1..rn on one LAN; VRIDs 1..m; router i's primary address is 192.0.2.(10+i). */
export function lab(
  routers: LabRouter[],
  opts: { seed?: number; link?: Partial<LinkProps>; faults?: Fault[]; afterStep?: SimulationOptions['afterStep'] } = {},
): Simulation {
  const nodes = routers.map((r, i) => ({
    name: `r${i + 1}`,
    config: loadNode({
      routerId: `r${i + 1}`,
      instances: r.instances.map((inst, k) => ({ ...inst, name: `VI_${k + 1}`, vrid: k + 1 })),
      ...(r.syncGroups ? { syncGroups: r.syncGroups } : {}),
      ...(r.scripts ? { scripts: r.scripts } : {}),
    }),
  }));
  return new Simulation({
    nodes,
    machines: vrrpMachineKit,
    codec: protocolCodec,
    seed: opts.seed ?? 1,
    ...(opts.link ? { link: opts.link } : {}),
    ...(opts.faults ? { faults: opts.faults } : {}),
    ...(opts.afterStep ? { afterStep: opts.afterStep } : {}),
  });
}

/** Address of router i (0-based), as the simulation assigns it. */
export const addressOf = (i: number): number => 10 + i;

/** Masters per VRID among running nodes. */
export function mastersByVrid(sim: Simulation): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const s of sim.states()) {
    if (!out.has(s.vrid)) out.set(s.vrid, []);
    if (s.state === 'MASTER') out.get(s.vrid)!.push(s.node);
  }
  return out;
}

/** keepalived's skew time in ms: (256 − priority) × advert interval / 256, in whole µs. */
export function skewMs(priority: number, advertIntMs: number): number {
  return Math.floor(((256 - priority) * advertIntMs * 1000) / 256) / 1000;
}

/** Master_Down_Interval in ms: 3 × advert interval + skew. */
export function masterDownMs(priority: number, advertIntMs: number): number {
  return 3 * advertIntMs + skewMs(priority, advertIntMs);
}
