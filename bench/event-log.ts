/**
 * Event log benchmark: batched append, reading back, and log growth in steady state with the
 * stream summarizer. Run: `npx tsx bench/event-log.ts [events]` (default 1,000,000).
 * Figures go to bench/README.md ("Event log").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '../src/store/event-log.js';
import { directoryBytes } from '../src/store/retention.js';
import type { NewEvent } from '../src/store/schema.js';
import { StreamSummarizer } from '../src/store/summarizer.js';

const N = Number(process.argv[2] ?? 1_000_000);
const BATCH = 100;

function advert(i: number, actor: string, src: string): NewEvent {
  return {
    wallTime: 1_750_000_000_000 + i * 10,
    monoTime: i * 10,
    node: 'lb1',
    actor,
    kind: 'input',
    type: 'advert',
    data: { type: 'advert', at: i * 10, src, priority: 150, maxAdverIntCs: 100, addresses: ['192.0.2.100', '192.0.2.101'] },
  };
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

async function appendAndRead(dir: string): Promise<void> {
  const log = await EventLog.open(dir, { node: 'lb1' });
  const sample = JSON.stringify({ ...advert(0, 'vrrp/VI_1', '192.0.2.11'), seq: 1, v: 1 }).length;
  let emitted = 0;
  log.committed$.subscribe(() => emitted++);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i += BATCH) {
    const batch: NewEvent[] = [];
    for (let k = 0; k < BATCH; k++) batch.push(advert(i + k, `vrrp/VI_${(i + k) % 8}`, '192.0.2.11'));
    log.append(batch);
    if ((i / BATCH) % 10 === 9) {
      // Let the batch in flight complete; wait for the disk only if it falls far behind.
      if (log.stats().backlog > 50_000) await log.flush();
      else await new Promise((r) => setImmediate(r));
    }
  }
  await log.flush();
  const appendS = (performance.now() - t0) / 1000;
  const appendCpu = cpuSeconds(c0);
  const st = log.stats();
  console.log(`append: ${N} events of ~${sample} B in batches of ${BATCH}: ${appendS.toFixed(2)} s = ${Math.round(N / appendS)} events/s; CPU ${appendCpu.toFixed(2)} s (all threads)` +
    ` (${st.batches} LevelDB batches, emitted ${emitted}, late ${st.late}, lost ${st.lost})`);
  await log.close();

  const reader = await EventLog.openReader(dir);
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  let n = 0;
  for await (const _r of reader.read()) n++;
  const readS = (performance.now() - t1) / 1000;
  console.log(`read: ${n} events in ${readS.toFixed(2)} s = ${Math.round(n / readS)} events/s; CPU ${cpuSeconds(c1).toFixed(2)} s`);
  // The same in batches, as replay reads: one await per LevelDB read instead of one per record.
  const tb = performance.now();
  const cb = process.cpuUsage();
  let nb = 0;
  for await (const batch of reader.readBatches()) nb += batch.length;
  const readBS = (performance.now() - tb) / 1000;
  console.log(`read in batches: ${nb} events in ${readBS.toFixed(2)} s = ${Math.round(nb / readBS)} events/s; CPU ${cpuSeconds(cb).toFixed(2)} s`);
  const t2 = performance.now();
  let m = 0;
  for await (const _r of reader.read({ actor: 'vrrp/VI_3' })) m++;
  const actorS = (performance.now() - t2) / 1000;
  console.log(`read --actor (1 in 8): ${m} events, scanned ${n} in ${actorS.toFixed(2)} s = ${Math.round(n / actorS)} scanned/s`);
  await reader.close();
  console.log(`directory: ${((await directoryBytes(dir)) / 1024 / 1024).toFixed(1)} MiB for ${n} events`);
}

/**
 * Steady state: per node, 10 BACKUP instances hear their master's advert every second and 10 MASTER
 * instances have their advert timer fire every second and send an advert. 30 virtual minutes go through the
 * summarizer (flushed every 60 s, as the engine does) into the log.
 */
async function steadyGrowth(dir: string): Promise<void> {
  const log = await EventLog.open(dir, { node: 'lb1' });
  const summarizer = new StreamSummarizer({
    key: (e) => {
      const d = e.data as { src?: string; timer?: string; type?: string };
      if (e.kind === 'input' && e.type === 'advert') return `${e.actor}|advert|${d.src}`;
      if (e.kind === 'input' && e.type === 'timer') return `${e.actor}|timer|${d.timer}`;
      if (e.kind === 'effect' && e.type === 'sendAdvert') return `${e.actor}|sendAdvert`;
      return undefined;
    },
    fields: (e) => {
      const { at: _at, ...rest } = e.data as { at?: number };
      return rest;
    },
  });
  const instances = 20;
  const minutes = 30;
  const base = 1_750_000_000_000;
  let bytes = 0;
  let records = 0;
  const write = (evs: NewEvent[]) => {
    for (const r of log.append(evs)) {
      bytes += JSON.stringify(r).length;
      records++;
    }
  };
  const mk = (t: number, actor: string, kind: NewEvent['kind'], type: string, data: unknown): NewEvent => ({ wallTime: base + t, monoTime: t, node: 'lb1', actor, kind, type, data });
  // Warm-up minute (each stream's first event is logged as is), then measure.
  let measuredFrom = { bytes: 0, records: 0 };
  for (let t = 0; t <= (minutes + 1) * 60_000; t += 1000) {
    if (t === 60_000) measuredFrom = { bytes, records };
    for (let k = 0; k < instances; k++) {
      const actor = `vrrp/VI_${k}`;
      if (k % 2 === 0) {
        write(summarizer.offer(mk(t, actor, 'input', 'advert', { type: 'advert', at: t, src: '192.0.2.12', priority: 150, maxAdverIntCs: 100, addresses: ['192.0.2.100'] })));
      } else {
        write(summarizer.offer(mk(t, actor, 'input', 'timer', { type: 'timer', at: t, timer: 'advert' })));
        write(summarizer.offer(mk(t, actor, 'effect', 'sendAdvert', { type: 'sendAdvert', version: 2, vrid: k, priority: 150, maxAdverIntCs: 100, addresses: ['192.0.2.100'] })));
      }
    }
    if (t % 60_000 === 0) write(summarizer.flush(t));
  }
  await log.flush();
  const perInstanceMinute = (bytes - measuredFrom.bytes) / instances / minutes;
  const recPerInstanceMinute = (records - measuredFrom.records) / instances / minutes;
  console.log(`steady state: ${instances} instances x ${minutes} min (adverts every 1 s): ${recPerInstanceMinute.toFixed(2)} records and ${Math.round(perInstanceMinute)} B per instance per minute (record JSON; one event per second unsummarised would be ~${Math.round((60 * 230))} B)`);
  await log.close();
}

const root = mkdtempSync(join(tmpdir(), 'kts-bench-eventlog-'));
try {
  await appendAndRead(join(root, 'throughput'));
  await steadyGrowth(join(root, 'steady'));
} finally {
  rmSync(root, { recursive: true, force: true });
}
