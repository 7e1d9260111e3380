/**
 * The event schema shared by the in-memory journal (simulate, tests) and the LevelDB event log.
 * Every record is one fact: an input that reached an actor, a transition it made (with the input
 * that caused it), an effect it asked for, or a summary of a steady stream of repeated inputs.
 * Bump EVENT_SCHEMA_VERSION on any incompatible change; readers refuse newer versions.
 */
export const EVENT_SCHEMA_VERSION = 1;

export type EventKind =
  /** Something from outside reached an actor: packet, timer expiry, link change, script result. */
  | 'input'
  /** An actor changed state; `cause` is the seq of the input that did it. */
  | 'transition'
  /** An actor asked the world to do something (send advert, add VIPs, GARP, notify, IPVS...). */
  | 'effect'
  /** A closed run of identical inputs: first, last, count, largest gap, the fields the machine reads. */
  | 'summary'
  /** Start of a run, a reload: the normalized configuration in force and the program's version. */
  | 'config'
  /** The log's own notes: a late write, a write error, a gap the process could not avoid. */
  | 'meta';

export interface EventRecord<D = unknown> {
  /** Contiguous sequence number in one log, assigned on append (starting at 1). */
  seq: number;
  /** Wall clock, ms since the epoch (the node's own clock; replay aligns clocks between nodes). */
  wallTime: number;
  /** Monotonic ms since the run started (virtual time under simulation). */
  monoTime: number;
  /** The node: global_defs router_id. */
  node: string;
  /** Actor id: 'vrrp/VI_1', 'sync/SG_1', 'rs/192.0.2.10:80/192.0.2.21:80', 'vs/192.0.2.10:80', 'engine'. */
  actor: string;
  kind: EventKind;
  /** Type within the kind: e.g. input 'advert' | 'timer' | 'interface' | 'script'; effect 'sendAdvert'. */
  type: string;
  data: D;
  /** For transitions and effects: seq of the input that caused them. */
  cause?: number;
  /** Set when the record reached the disk after its effect had already run (slow commit). */
  late?: boolean;
  /** Schema version that wrote the record. */
  v: number;
}

/** What an appender supplies; the journal assigns seq and v. */
export type NewEvent<D = unknown> = Omit<EventRecord<D>, 'seq' | 'v'>;

/**
 * A journal: the in-memory one (simulate, tests) and the LevelDB event log implement it.
 * `append` assigns seq numbers synchronously (so causes can refer to them at once) and commits in
 * the background; `committed$`-style subscription is on the concrete classes.
 */
export interface Journal {
  append(events: NewEvent[]): EventRecord[];
  /** Resolves when everything appended so far is committed (or failed and was reported). */
  flush(): Promise<void>;
  close(): Promise<void>;
}
