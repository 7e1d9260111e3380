import type { Observable } from 'rxjs';

/**
 * The VRRP transport: how one node's adverts leave and arrive. The simulated LAN
 * (src/adapters/sim-lan.ts) and the raw-socket adapter implement the same interface, so the engine
 * cannot tell a simulation from the wire.
 *
 * Packets are real bytes: `payload` is the VRRP message as encoded by src/protocol; the IP header's
 * fields that the receive checks read (source, destination, TTL / hop limit) travel beside it.
 */
export interface VrrpPacket {
  /** Interface the packet leaves by / arrived on. */
  ifname: string;
  family: 'ipv4' | 'ipv6';
  /** IP source: the sender's primary address on that interface. */
  src: string;
  /** IP destination: the VRRP multicast group, or a unicast peer. */
  dst: string;
  /** TTL (IPv4) or hop limit (IPv6); undefined when the socket cannot see it. */
  ttl?: number;
  /** The VRRP message bytes (no IP header). */
  payload: Uint8Array;
}

export interface ReceivedVrrpPacket extends VrrpPacket {
  /** When it arrived, on the engine's clock (a run's: when its last advert did). */
  at: number;
  /** Set when this stands for a run of a watch (VrrpTransport.watchSteady), not one datagram. */
  run?: SteadyRun;
}

/**
 * Adverts a watch counted: identical to the watched one (which the packet carrying this repeats),
 * the last at the packet's `at`.
 */
export interface SteadyRun {
  /** How many since the watch began or its previous run; 0 only on a run that ends the watch. */
  count: number;
  /** When the first of them arrived (the engine's clock); `at` when count is 0. */
  firstAt: number;
  /** Largest interval between two consecutive adverts, the one before the run included (ms). */
  maxGapMs: number;
  /**
   * The watch is over: something else came for that VRID (it follows this run), the engine asked
   * (unwatchSteady), or Master_Down_Timer came within `handoverMs` of expiring from `at`.
   */
  ended: boolean;
}

/** Adverts a steady advert (VrrpTransport.advertSteady) sent, on the engine's clock. */
export interface SteadyAdvertRun {
  /** How many since it began or its previous run (0 on a run that only ends it). */
  count: number;
  firstAt: number;
  lastAt: number;
  /** Largest interval between two consecutive sends, the one before the run included (ms). */
  maxGapMs: number;
  /** The grid's next point: where the engine's own advert timer takes over when it ended. */
  nextDueAt: number;
  /** Sends that failed (a failure ends it: the engine's own send path then reports). */
  errors: number;
  ended: boolean;
}

/**
 * A MASTER's steady state, handed to the transport: send the advert it last sent for (ifname,
 * family, vrid) again at every point of the grid from `nextDueAt`, every `intervalMs`, and report
 * runs to `onRun` (synchronously from unadvertSteady and collectSteady, else from the loop).
 */
export interface SteadyAdvertise {
  ifname: string;
  family: 'ipv4' | 'ipv6';
  vrid: number;
  intervalMs: number;
  nextDueAt: number;
  onRun: (run: SteadyAdvertRun) => void;
}

/**
 * A BACKUP's steady state, handed to the transport: count the adverts identical to `packet`
 * (source, destination, TTL and bytes) without delivering them one by one, and end the watch
 * `handoverMs` before `expireMs` (its Master_Down_Interval) passes with none.
 */
export interface SteadyWatch {
  packet: ReceivedVrrpPacket;
  expireMs: number;
  handoverMs: number;
}

export interface VrrpTransport {
  send(pkt: VrrpPacket): void;
  readonly receive$: Observable<ReceivedVrrpPacket>;
  /**
   * Hand every packet already received (waiting in a socket behind a busy loop) to `receive$` now,
   * synchronously. A transport whose packets carry their receive time (`at`) from the kernel has
   * them: a Master_Down_Timer counted from `at` may expire while a newer advert still waits unread,
   * and the engine drains before it acts on that expiry. Optional: the simulated LAN delivers each
   * packet at its own time and has nothing waiting.
   */
  drain?(): void;
  /**
   * Watch a steady advert stream (see SteadyWatch); false when this transport cannot (the engine
   * then goes on hearing every advert). Optional: the simulated LAN has no cost per packet to save.
   * While a watch lasts, its runs arrive on `receive$` in order with the VRID's other packets.
   */
  watchSteady?(watch: SteadyWatch): boolean;
  /** End the watch of (ifname, family, vrid) now; its last run arrives on `receive$` before this returns. */
  unwatchSteady?(ifname: string, family: 'ipv4' | 'ipv6', vrid: number): void;
  /**
   * Send a MASTER's steady advert from below JavaScript (see SteadyAdvertise); false when this
   * transport cannot, or sent nothing for that VRID lately (the engine keeps its own timer).
   */
  advertSteady?(req: SteadyAdvertise): boolean;
  /** Stop it now; its last run reaches `onRun` before this returns. */
  unadvertSteady?(ifname: string, family: 'ipv4' | 'ipv6', vrid: number): void;
  /** Every watch's and steady advert's run so far (those with something in it), now; they go on. */
  collectSteady?(): void;
}
