/**
 * Loader for the small N-API addon in native/ (kts_net.node): AF_PACKET frame send, and IPv4 / IPv6
 * raw sockets that report each datagram's kernel receive time (and, for IPv6, the hop limit), and a
 * CLOCK_MONOTONIC timerfd (MonoTimer) for the real-time scheduler's precise timers.
 * Loaded lazily, so code that never sends a GARP or opens a VRRP socket runs without it; a missing
 * build is a typed error, not a throw at import time.
 *
 * Build: `cd native && node "$(dirname "$(which npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js" rebuild --nodedir=/usr`
 * (KTS_NET_ADDON=/path/to/kts_net.node overrides where it is looked for).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Callback of a Raw6Socket: one call per datagram (or one with `err` set when recvmsg fails). */
export type Raw6MessageCallback = (
  err: (Error & { code?: string }) | undefined,
  payload: Buffer | undefined,
  src: Buffer | undefined,
  dst: Buffer | undefined,
  /** From IPV6_HOPLIMIT; -1 when the kernel gave none. */
  hopLimit: number | undefined,
  ifindex: number | undefined,
  /** See Raw4MessageCallback. */
  ageNs: number | undefined,
) => void;

/**
 * Callback of a Raw4Socket: one call per datagram (or one with `err` set when recvmsg fails).
 * `packet` is the whole IPv4 datagram, header included, as a raw IPv4 socket receives it.
 * `ageNs`: how old the datagram is at this call, CLOCK_REALTIME now minus the kernel's receive
 * stamp (SO_TIMESTAMPNS), in ns; -1 when the kernel gave no stamp, never negative otherwise.
 */
export type Raw4MessageCallback = (err: (Error & { code?: string }) | undefined, packet: Buffer | undefined, ageNs: number | undefined) => void;

/**
 * A run of a steady watch (kind 0: `count` identical adverts of `vrid` heard since the last run) or
 * of a steady advert (kind 1: `count` adverts sent), the first and the last that long ago (ns,
 * CLOCK_MONOTONIC), the largest gap between consecutive ones (the one before the run included);
 * `ended`: it is over (unwatch / unadvertise, another advert for that VRID, which follows, a watch's
 * hand-over before its deadline, a failed send). Kind 1 only: `nextInNs` how far off the grid's
 * next point is, `errors` failed sends and `errorCode` the last one's errno name.
 * See native/steady_watch.h and native/steady_advert.h.
 */
export type SteadyRunCallback = (
  vrid: number,
  count: number,
  firstAgeNs: number,
  lastAgeNs: number,
  maxGapNs: number,
  ended: boolean,
  kind: number,
  nextInNs: number,
  errors: number,
  errorCode: string | undefined,
) => void;

/** What both raw sockets do about steady watches and steady adverts (native/README.md). */
export interface SteadyWatchSocket {
  /** Count the adverts of `vrid` identical to this one instead of delivering them (onSteady gets runs). */
  watch(vrid: number, src: Uint8Array, dst: Uint8Array, ttl: number, payload: Uint8Array, expireMs: number, handoverMs: number, armedAgeMs: number): void;
  /** End that watch; its last run to onSteady (ended) before this returns. */
  unwatch(vrid: number): boolean;
  /** Send `frame` to `dst` at every point of the grid that starts firstDueInMs from now, every intervalMs. */
  advertise(vrid: number, frame: Uint8Array, dst: Uint8Array, src: Uint8Array | null, hopLimit: number, intervalMs: number, firstDueInMs: number): void;
  /** Stop that steady advert; its last run to onSteady (ended) before this returns. */
  unadvertise(vrid: number): boolean;
  /** Every watch's and steady advert's run so far (those with something in it) to onSteady (not ended); how many. */
  collect(): number;
  /** Switch the watches' kernel filter (native/steady_bpf.h) on or off (on by default); whether it is on. */
  kernelWatches(on?: boolean): boolean;
  /** Datagrams read from the socket, adverts the kernel filter counted instead, whether it is attached, and why not. */
  counters(): SteadySocketCounters;
}

export interface SteadySocketCounters {
  reads: number;
  kernelHeard: number;
  kernelFilter: boolean;
  /** The errno name the kernel refused the filter with (the software watch then counts alone). */
  kernelError: string | undefined;
  /** Whether the steady adverts' thread runs (native/steady_sender.h), got its real-time priority, and how often its watchdog held it. */
  senderThread: boolean;
  senderRealtime: boolean;
  senderHeld: number;
  /** Watch deadlines the sender thread woke for (a loop turn only when a hand-over was due). */
  watchWakeups: number;
}

export interface Raw4Socket extends SteadyWatchSocket {
  setOption(level: number, name: number, value: number | Uint8Array): void;
  /** Send a whole IPv4 packet (IP_HDRINCL) to `dst` (4 bytes); bytes sent, or throws with `code`. */
  send(packet: Uint8Array, dst: Uint8Array): number;
  /** Deliver every datagram already queued to onMessage now, synchronously; returns how many. */
  drain(): number;
  close(): void;
}

export interface Raw6Socket extends SteadyWatchSocket {
  setOption(level: number, name: number, value: number | Uint8Array): void;
  /** Returns bytes sent; throws an Error with `code` (errno name) on failure. */
  send(payload: Uint8Array, dst: Uint8Array, src?: Uint8Array, hopLimit?: number): number;
  /** Deliver every datagram already queued to onMessage now, synchronously; returns how many. */
  drain(): number;
  close(): void;
}

export interface KtsNet {
  /** Send a whole Ethernet frame on interface `ifindex`; bytes sent, or throws with `code`. */
  packetSend(ifindex: number, frame: Uint8Array): number;
  Raw4Socket: new (ifname: string, ifindex: number, protocol: number, onMessage: Raw4MessageCallback, onSteady?: SteadyRunCallback) => Raw4Socket;
  Raw6Socket: new (ifname: string, ifindex: number, protocol: number, onMessage: Raw6MessageCallback, onSteady?: SteadyRunCallback) => Raw6Socket;
  /** A CLOCK_MONOTONIC timerfd on the main loop: arm(delayMs), disarm(), close(); onExpire once per arm. */
  MonoTimer: new (onExpire: () => void) => { arm(delayMs: number): void; disarm(): void; close(): void };
  /** execve(2): this process becomes `path` (same pid); returns only by throwing, with errno's text. */
  execve(path: string, argv: readonly string[], env: readonly string[]): never;
  /** malloc_trim(0): free malloc pages back to the kernel; whether any were. */
  mallocTrim(): boolean;
  /** V8's memory-reducing mark-compact, started now (native/heap_pressure.cc). */
  memoryPressure(): boolean;
}

/**
 * The addon's kernel timer for the real-time scheduler's precise timers (RealTimeScheduler's
 * `kernelTimer`), or undefined without the addon (the scheduler then waits in loop turns).
 */
export function kernelTimerFactory(): ((onExpire: () => void) => { arm(delayMs: number): void; disarm(): void; close(): void }) | undefined {
  const n = loadNative();
  if (!n.ok) return undefined;
  const addon = n.addon;
  return (onExpire) => new addon.MonoTimer(onExpire);
}

export type NativeLoad = { ok: true; addon: KtsNet } | { ok: false; error: string };

const ADDON_RELATIVE = join('native', 'build', 'Release', 'kts_net.node');
let cached: NativeLoad | undefined;

/** Where the addon is looked for: $KTS_NET_ADDON, else `native/build/Release` in an enclosing folder. */
export function addonCandidates(): string[] {
  const out: string[] = [];
  const env = process.env['KTS_NET_ADDON'];
  if (env) out.push(env);
  // Walk up from this file: it runs from src/adapters/linux (tsx) or dist/src/adapters/linux (built).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    out.push(join(dir, ADDON_RELATIVE));
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

/** The daemon's watchdog program (native/watchdog.c), built beside the addon; undefined if missing. */
export function watchdogProgram(): string | undefined {
  const addon = addonCandidates().find((p) => existsSync(p));
  if (addon === undefined) return undefined;
  const program = join(dirname(addon), 'kts_watchdog');
  return existsSync(program) ? program : undefined;
}

export function loadNative(): NativeLoad {
  if (cached) return cached;
  const path = addonCandidates().find((p) => existsSync(p));
  if (!path) {
    cached = { ok: false, error: 'the kts_net addon is not built (run node-gyp rebuild in native/)' };
    return cached;
  }
  try {
    cached = { ok: true, addon: createRequire(import.meta.url)(path) as KtsNet };
  } catch (e) {
    cached = { ok: false, error: `cannot load ${path}: ${(e as Error).message}` };
  }
  return cached;
}
