import type { ScriptCommand } from '../../config/types.js';
import type { IpvsEffect } from '../../adapters/ipvs-types.js';

/**
 * The contract of the virtual-server actor: the health its real servers' checkers report goes in;
 * the IPVS table changes, notify scripts and lvs_notify_fifo lines that follow come out, as data.
 * Pure: the engine journals the actions and the adapters carry them out from the log.
 *
 * Real servers and checkers are named by their index in the virtual server's config (real_server
 * blocks in order; checker blocks in order inside each).
 */
export type VsInput =
  /**
   * The engine starts the virtual server once its checkers have started. `checkersUp[r][c]` is the
   * starting state of checker c of real server r (false for alpha checkers).
   * `quorumUp`: a reload — the quorum state the same virtual server had; when the start reaches it
   * again, its quorum_up / quorum_down notifier does not run a second time (keepalived carries
   * quorum_state_up across a reload).
   */
  | { type: 'startup'; at: number; checkersUp: boolean[][]; quorumUp?: boolean }
  /** A checker changed its verdict (or an alpha checker's first probe failed: `firstCheck`). */
  | { type: 'checker'; at: number; rs: number; checker: number; up: boolean; firstCheck?: boolean }
  /** MISC_CHECK misc_dynamic asked for a weight. */
  | { type: 'weight'; at: number; rs: number; checker: number; weight: number }
  /** Daemon stop: take the service down (omega: run the down notifiers on the way). */
  | { type: 'shutdown'; at: number };

export type VsAction =
  | IpvsEffect
  /** Run a notify script: a real server's notify_up/notify_down, or the VS's quorum_up/quorum_down. */
  | { type: 'notify'; target: 'rs' | 'vs'; name: string; state: 'UP' | 'DOWN'; script: ScriptCommand }
  /** One line for lvs_notify_fifo / notify_fifo, in keepalived's format, without the newline. */
  | { type: 'fifo'; line: string };

export type QuorumState = 'INIT' | 'UP' | 'DOWN' | 'STOPPED';

/** Why the quorum moved, with keepalived's numbers (its log: "Gained quorum 7+2=9 <= 9"). */
export interface QuorumReason {
  code: 'startup' | 'gained' | 'lost' | 'shutdown';
  quorum: number;
  hysteresis: number;
  threshold: number;
  weightSum: number;
}

export interface VsTransition {
  from: QuorumState;
  to: QuorumState;
  reason: QuorumReason;
}

/** A real server's health as the virtual server sees it, when it changed in a step. */
export interface RsChange {
  rs: number;
  alive: boolean;
  /** The weight IPVS has (or would have) for it: effective weight, 0 while inhibited. */
  weight: number;
  /** Checkers currently failed. */
  failedCheckers: number;
}

export interface VsStepResult<S> {
  state: S;
  actions: VsAction[];
  transition?: VsTransition;
  rsChanges: RsChange[];
}

export interface RsView {
  address: string;
  port: number;
  alive: boolean;
  /** In the IPVS table (alive, or inhibited at weight 0). */
  set: boolean;
  effectiveWeight: number;
  failedCheckers: number;
}

export interface VsView {
  quorum: QuorumState;
  weightSum: number;
  sorryServerActive: boolean;
  realServers: RsView[];
}
