/** Read each node's log once and build its timeline (timeline.ts). */
import { forEachRecord, priorContext, type OpenLog } from './load.js';
import { NodeScanner, type NodeScan, type ScanOptions } from './timeline.js';

export async function scanLog(log: OpenLog, opts: ScanOptions = {}): Promise<NodeScan> {
  const scanner = new NodeScanner(log.node, opts);
  for (const r of await priorContext(log)) scanner.add(r);
  await forEachRecord(log, (r) => scanner.add(r));
  return scanner.finish();
}

export async function scanLogs(logs: readonly OpenLog[], opts: ScanOptions = {}): Promise<NodeScan[]> {
  const out: NodeScan[] = [];
  for (const l of logs) out.push(await scanLog(l, opts));
  return out;
}
