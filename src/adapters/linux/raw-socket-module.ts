/**
 * The part of raw-socket (a CommonJS addon without types) that the test runner and PING_CHECK use,
 * and the socket option numbers and option builders the VRRP transport (which has its own sockets
 * in the kts_net addon) passes to setOption (Linux values, <linux/in.h> / <linux/in6.h>).
 */
import { createRequire } from 'node:module';
import { endianness } from 'node:os';

const LE = endianness() === 'LE';

export interface RawSocket {
  on(ev: 'message', cb: (buf: Buffer, source: string) => void): this;
  on(ev: 'error', cb: (e: Error) => void): this;
  on(ev: 'close', cb: () => void): this;
  send(buf: Buffer, offset: number, length: number, address: string, after: (e: Error | null, bytes: number) => void): this;
  setOption(level: number, option: number, value: number | Buffer, length?: number): void;
  close(): this;
}

export interface RawSocketModule {
  AddressFamily: { IPv4: number; IPv6: number };
  SocketLevel: { SOL_SOCKET: number; IPPROTO_IP: number; IPPROTO_IPV6: number };
  SocketOption: { SO_BINDTODEVICE: number; IP_HDRINCL: number; IP_TOS: number; IP_TTL: number; SO_RCVBUF: number };
  createSocket(opts: { addressFamily: number; protocol: number; bufferSize?: number }): RawSocket;
}

export const SOL_SOCKET = 1;
export const IPPROTO_IP = 0;
export const IPPROTO_IPV6 = 41;
export const SOL_RAW = 255;
export const SO_BINDTODEVICE = 25;
export const IP_TOS = 1;
export const IP_TTL = 2;
export const IP_HDRINCL = 3;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IPV6_CHECKSUM = 7;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
export const IPV6_ADD_MEMBERSHIP = 20;

let mod: RawSocketModule | undefined;
export function rawSocketModule(): RawSocketModule {
  mod ??= createRequire(import.meta.url)('raw-socket') as RawSocketModule;
  return mod;
}

/** setsockopt through raw-socket, which wants the length beside a Buffer value. */
export function setOpt(socket: RawSocket, level: number, option: number, value: number | Buffer): void {
  if (typeof value === 'number') socket.setOption(level, option, value);
  else socket.setOption(level, option, value, value.length);
}

/** struct ip_mreqn: group, local address (any), ifindex — what IP_ADD_MEMBERSHIP takes. */
export function ipMreqn(group: Uint8Array, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  b.set(group.subarray(0, 4), 0);
  // Host byte order: the kernel reads a plain C int.
  if (LE) b.writeInt32LE(ifindex, 8);
  else b.writeInt32BE(ifindex, 8);
  return b;
}

/** struct ipv6_mreq: group, ifindex. */
export function ipv6Mreq(group: Uint8Array, ifindex: number): Buffer {
  const b = Buffer.alloc(20);
  b.set(group.subarray(0, 16), 0);
  if (LE) b.writeUInt32LE(ifindex, 16);
  else b.writeUInt32BE(ifindex, 16);
  return b;
}

/** raw-socket throws strerror() text without a code: the errno names the transport reports. */
const STRERROR: Record<string, string> = {
  'Invalid argument': 'EINVAL',
  'No such device': 'ENODEV',
  'No such device or address': 'ENXIO',
  'Network is unreachable': 'ENETUNREACH',
  'Network is down': 'ENETDOWN',
  'Operation not permitted': 'EPERM',
  'Permission denied': 'EACCES',
  'No buffer space available': 'ENOBUFS',
  'Cannot assign requested address': 'EADDRNOTAVAIL',
  'Address already in use': 'EADDRINUSE',
  'Message too long': 'EMSGSIZE',
};

/** The errno name of a socket error: its `code`, else raw-socket's strerror() text mapped back. */
export function errnoOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  if (typeof c === 'string') return c;
  const m = e instanceof Error ? e.message : undefined;
  return m !== undefined ? STRERROR[m] : undefined;
}

/** An errno-style message from whatever a socket call threw. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
