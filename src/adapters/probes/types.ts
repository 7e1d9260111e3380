import type { ProbeSignal } from './cancel.js';
import type { Checker } from '../../config/types.js';

/**
 * One probe = one attempt of a real-server checker (keepalived's "checker thread" run once).
 * Retry, delay_before_retry, rise/fall, alpha and warmup belong to the checker statechart, which
 * calls a probe and reads its result; the probe itself only does the I/O and never throws.
 */
export interface ProbeResult {
  ok: boolean;
  /** Why it failed (or a note on success), in keepalived's words where keepalived logs one. */
  reason?: string;
  /** MISC_CHECK misc_dynamic: new weight */
  weight?: number;
  durationMs: number;
}

export interface ProbeTarget {
  /** The real server's address (connect_ip overrides it for the connection). */
  address: string;
  /** The real server's port (connect_port overrides it). */
  port: number;
  checker: Checker;
  /**
   * virtualhost inherited from the real server or the virtual server; HTTP_GET/SSL_GET use it
   * when neither the url nor the checker sets one (keepalived's lookup order).
   */
  virtualhost?: string;
  /**
   * The effective delay_loop (checker, else real server, else virtual server). keepalived
   * defaults misc_timeout to it.
   */
  delayLoopMs?: number;
  /**
   * HTTP_GET/SSL_GET: check only this url (keepalived walks the urls one per attempt);
   * undefined = check every url in order, failing on the first bad one.
   */
  urlIndex?: number;
}

export type Probe = (target: ProbeTarget, signal: ProbeSignal) => Promise<ProbeResult>;

/** Where a connecting probe goes and comes from: connect_ip/connect_port/bindto/bind_port/bind_if applied. */
export interface Endpoint {
  host: string;
  port: number;
  family: 4 | 6;
  localAddress?: string;
  localPort?: number;
}
