/**
 * Simulated runs write the same event log as the daemon (issue 4 part 5): one LevelDB log per node,
 * so a simulated failover replays (`keepalived-ts replay DIR...`) like a real one.
 *
 * The simulation journals into one MemoryJournal per node (its engines need a synchronous journal);
 * this module copies every committed record into that node's EventLog, in order. Two things are added
 * on the way:
 * - before each engine start (the engine's own 'config'/'start' record, which only summarises the
 *   configuration) a full 'config' record — the normalized configuration in force and the program's
 *   version, as `EventLog.writeConfig` writes it — so `replay --verify` can rebuild the machines;
 * - wall-clock time: the simulation's wall clock is its virtual time; a log gets `epochMs + the
 *   node's clock offset + virtual ms`, so logs of one run look like those of hosts whose clocks
 *   disagree a little (or a lot: tests give a node an offset and check that replay recovers it).
 * The log's seq numbers may start later than the journal's (an existing log is appended to), so
 * causes are shifted by the difference.
 */
import { join } from 'node:path';
import type { KeepalivedConfig } from '../config/types.js';
import { EventLog, type EventLogOptions } from '../store/event-log.js';
import { EVENT_SCHEMA_VERSION, type EventRecord, type NewEvent } from '../store/schema.js';
import type { SummaryData } from '../store/summarizer.js';
import { MemoryJournal } from './memory-journal.js';

export interface SimulationLogOptions {
  /** One sub-directory per node is created under it, named after the node. */
  dir: string;
  /** Node name → its configuration (the one the simulation runs). */
  configs: ReadonlyMap<string, KeepalivedConfig>;
  /** Wall-clock time of virtual time 0, ms since the epoch (default: now). */
  epochMs?: number;
  /** Per node: how far its wall clock is ahead of the true time, ms (default 0). */
  clockOffsetMs?: Readonly<Record<string, number>>;
  /** The program's version recorded with each configuration. */
  programVersion?: string;
  /** Passed to EventLog.open (retention, logger). */
  logOptions?: Omit<EventLogOptions, 'node'>;
}

/** The record kind/type of the full configuration, as EventLog.writeConfig writes it. */
export interface RecordedConfigData {
  config: KeepalivedConfig;
  programVersion: string;
  schema: number;
}

export class SimulationLogs {
  private constructor(
    private readonly logs: Map<string, EventLog>,
    private readonly opts: SimulationLogOptions,
    private readonly epochMs: number,
  ) {}

  /** Open (create) one log per node in `opts.dir/<node>`. */
  static async open(opts: SimulationLogOptions): Promise<SimulationLogs> {
    const logs = new Map<string, EventLog>();
    try {
      for (const node of opts.configs.keys()) {
        logs.set(node, await EventLog.open(join(opts.dir, safeName(node)), { ...(opts.logOptions ?? {}), node }));
      }
    } catch (err) {
      for (const l of logs.values()) await l.close().catch(() => undefined);
      throw err;
    }
    return new SimulationLogs(logs, opts, opts.epochMs ?? Date.now());
  }

  /** The directory of a node's log. */
  dirOf(node: string): string {
    return join(this.opts.dir, safeName(node));
  }

  /**
   * The journal factory to give the Simulation (`journal` option): a MemoryJournal per node whose
   * committed records are copied into the node's log.
   */
  journalFactory(base: (node: string) => MemoryJournal = () => new MemoryJournal()): (node: string) => MemoryJournal {
    return (node) => {
      const journal = base(node);
      const log = this.logs.get(node);
      if (log === undefined) throw new Error(`no event log opened for node ${node}`);
      const config = this.opts.configs.get(node)!;
      const offset = this.opts.clockOffsetMs?.[node] ?? 0;
      const epoch = this.epochMs + offset;
      // log seq − journal seq: grows by one with every configuration record we add.
      let shift: number | undefined;
      journal.committed$.subscribe((rec) => {
        const batch: NewEvent[] = [];
        if (rec.kind === 'config' && rec.actor === 'engine' && rec.type === 'start') {
          const data: RecordedConfigData = { config, programVersion: this.opts.programVersion ?? 'keepalived-ts simulate', schema: EVENT_SCHEMA_VERSION };
          batch.push({ wallTime: epoch + rec.wallTime, monoTime: rec.monoTime, node: rec.node, actor: 'engine', kind: 'config', type: 'config', data });
        }
        shift ??= log.lastSeq + 1 - rec.seq;
        shift += batch.length;
        batch.push(copy(rec, epoch, shift));
        log.append(batch);
      });
      return journal;
    };
  }

  /** Records in all the logs (their last seqs). */
  records(): number {
    let n = 0;
    for (const l of this.logs.values()) n += l.lastSeq;
    return n;
  }

  /** Wait until every node's log has written what it was given. */
  async flush(): Promise<void> {
    await Promise.all([...this.logs.values()].map((l) => l.flush()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.logs.values()].map((l) => l.close()));
  }
}

function copy(rec: EventRecord, epoch: number, shift: number): NewEvent {
  let data = rec.data;
  if (rec.kind === 'summary') {
    // A summary's first / last carry wall times of their own: on the same clock as the record.
    const d = rec.data as SummaryData;
    data = { ...d, first: { ...d.first, wallTime: epoch + d.first.wallTime }, last: { ...d.last, wallTime: epoch + d.last.wallTime } };
  }
  const ev: NewEvent = { wallTime: epoch + rec.wallTime, monoTime: rec.monoTime, node: rec.node, actor: rec.actor, kind: rec.kind, type: rec.type, data };
  if (rec.cause !== undefined) ev.cause = rec.cause + shift;
  return ev;
}

/** A node name as a directory name: router_ids are host names, but keep it to one path segment. */
export function safeName(node: string): string {
  const s = node.replace(/[^A-Za-z0-9._-]/g, '_');
  return s === '' || s === '.' || s === '..' ? `node_${s}` : s;
}

/** What runLogged needs of a Simulation (its virtual clock). */
export interface SteppableSimulation {
  runUntil(until: number): void;
}

/**
 * Run a simulation to `untilMs` with its logs attached. The simulation runs synchronously and the
 * logs write in the background, so it runs in slices of virtual time with a flush between them:
 * one unbroken run would pile every record up in the logs' in-memory backlog (which, bounded,
 * would drop the oldest).
 */
export async function runLogged(sim: SteppableSimulation, untilMs: number, logs: SimulationLogs, sliceMs = 60_000): Promise<void> {
  for (let t = Math.min(untilMs, sliceMs); ; t = Math.min(untilMs, t + sliceMs)) {
    sim.runUntil(t);
    await logs.flush();
    if (t >= untilMs) break;
  }
}
