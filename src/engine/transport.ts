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
  /** When it arrived, on the engine's clock. */
  at: number;
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
}
