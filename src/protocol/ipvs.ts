/**
 * IPVS over generic netlink (family "IPVS", version 1): requests to the kernel and its dump replies,
 * as the kernel's include/uapi/linux/ip_vs.h lays them out.
 *
 * The types here are the kernel's view (address family numbers, IP protocol numbers, flag bits,
 * forwarding method codes); mapping keepalived's configuration onto them is the adapter's job.
 * Ports and addresses are network order on the wire; the persistence netmask is a __be32 (for an
 * IPv6 service, the prefix length 1–128, which the kernel reads in host order). Everything else is host
 * order (genetlink.ts).
 *
 * Encoders take validated values and throw RangeError on a programming error (an address that is
 * not one, a name longer than the kernel's 16 bytes). Decoders are total.
 */
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './address.js';
import { fail, ok, type DecodeResult } from './errors.js';
import {
  attr,
  decodeGenlPayload,
  encodeGenlPayload,
  read,
  type Attr,
  type AttrMap,
  type NetlinkDecodeError,
} from './genetlink.js';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const IPVS_CMD = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;

export const IPVS_CMD_ATTR = { SERVICE: 1, DEST: 2, DAEMON: 3, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 } as const;

export const IPVS_SVC_ATTR = {
  AF: 1,
  PROTOCOL: 2,
  ADDR: 3,
  PORT: 4,
  FWMARK: 5,
  SCHED_NAME: 6,
  FLAGS: 7,
  TIMEOUT: 8,
  NETMASK: 9,
  STATS: 10,
  PE_NAME: 11,
  STATS64: 12,
} as const;

export const IPVS_DEST_ATTR = {
  ADDR: 1,
  PORT: 2,
  FWD_METHOD: 3,
  WEIGHT: 4,
  U_THRESH: 5,
  L_THRESH: 6,
  ACTIVE_CONNS: 7,
  INACT_CONNS: 8,
  PERSIST_CONNS: 9,
  STATS: 10,
  ADDR_FAMILY: 11,
  STATS64: 12,
  TUN_TYPE: 13,
  TUN_PORT: 14,
  TUN_FLAGS: 15,
} as const;

export const IPVS_DAEMON_ATTR = {
  STATE: 1,
  MCAST_IFN: 2,
  SYNC_ID: 3,
  SYNC_MAXLEN: 4,
  MCAST_GROUP: 5,
  MCAST_GROUP6: 6,
  MCAST_PORT: 7,
  MCAST_TTL: 8,
} as const;

export const IPVS_STATS_ATTR = {
  CONNS: 1,
  INPKTS: 2,
  OUTPKTS: 3,
  INBYTES: 4,
  OUTBYTES: 5,
  CPS: 6,
  INPPS: 7,
  OUTPPS: 8,
  INBPS: 9,
  OUTBPS: 10,
} as const;

export const IPVS_INFO_ATTR = { VERSION: 1, CONN_TAB_SIZE: 2 } as const;

/** Service flags (IP_VS_SVC_F_*). SCHED1 is sh/mh "fallback", SCHED2 sh/mh "port". */
export const IP_VS_SVC_F = {
  PERSISTENT: 0x1,
  HASHED: 0x2,
  ONEPACKET: 0x4,
  SCHED1: 0x8,
  SCHED2: 0x10,
  SCHED3: 0x20,
} as const;

/** Forwarding methods (IP_VS_CONN_F_*, masked with IP_VS_CONN_F_FWD_MASK). */
export const IP_VS_CONN_F = { MASQ: 0, LOCALNODE: 1, TUNNEL: 2, DROUTE: 3, BYPASS: 4, FWD_MASK: 0x7 } as const;

/** Sync daemon states (IP_VS_STATE_*); also the bits of GET_DAEMON's replies. */
export const IP_VS_STATE = { NONE: 0, MASTER: 1, BACKUP: 2 } as const;

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

/** IP_VS_SCHEDNAME_MAXLEN / IP_VS_PENAME_MAXLEN / IP_VS_IFNAME_MAXLEN, NUL included. */
const NAME_MAXLEN = 16;

export type IpvsFamily = 'ipv4' | 'ipv6';

/** What names a service in the kernel: address family plus fwmark, or protocol + address + port. */
export type IpvsServiceIdentity =
  | { family: IpvsFamily; fwmark: number }
  | { family: IpvsFamily; protocol: number; address: string; port: number };

/** A service with everything NEW_SERVICE / SET_SERVICE need. */
export type IpvsServiceSpec = IpvsServiceIdentity & {
  schedName: string;
  /** IP_VS_SVC_F_* bits; HASHED is the kernel's own and ignored on read. */
  flags: number;
  /** Persistence timeout, seconds (0 unless PERSISTENT). */
  timeout: number;
  /** IPv4: the mask as a number (0xffffffff = one client address); IPv6: the prefix length. */
  netmask: number;
  peName?: string;
};

export interface IpvsStats {
  conns: bigint;
  inpkts: bigint;
  outpkts: bigint;
  inbytes: bigint;
  outbytes: bigint;
  cps: bigint;
  inpps: bigint;
  outpps: bigint;
  inbps: bigint;
  outbps: bigint;
}

/** A service as a GET_SERVICE dump reports it. */
export type IpvsServiceEntry = IpvsServiceSpec & { stats?: IpvsStats };

export interface IpvsDestIdentity {
  address: string;
  port: number;
  /** The destination's own family; a tunnelled dest may differ from its service's. */
  family: IpvsFamily;
}

export interface IpvsDestSpec extends IpvsDestIdentity {
  /** IP_VS_CONN_F_MASQ / TUNNEL / DROUTE ... */
  fwdMethod: number;
  weight: number;
  uThresh: number;
  lThresh: number;
  /** Tunnel type (IPIP 0, GUE 1, GRE 2), port and flags; sent only when set. */
  tunType?: number;
  tunPort?: number;
  tunFlags?: number;
}

export interface IpvsDestEntry extends IpvsDestSpec {
  activeConns: number;
  inactConns: number;
  persistConns: number;
  stats?: IpvsStats;
}

export interface IpvsDaemonSpec {
  state: typeof IP_VS_STATE.MASTER | typeof IP_VS_STATE.BACKUP;
  mcastIfn: string;
  syncId: number;
  syncMaxlen?: number;
  /** IPv4 or IPv6 multicast group (the kernel's default is 224.0.0.81). */
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
}

export interface IpvsTimeouts {
  tcp?: number;
  tcpFin?: number;
  udp?: number;
}

export interface IpvsInfo {
  version: number;
  connTabSize: number;
}

// ---------------------------------------------------------------- encoding

function afOf(family: IpvsFamily): number {
  return family === 'ipv6' ? AF_INET6 : AF_INET;
}

/** nf_inet_addr: 16 bytes, an IPv4 address in the first 4. */
function inetAddr(family: IpvsFamily, address: string): Buffer {
  const raw = family === 'ipv6' ? parseIpv6(address) : parseIpv4(address);
  if (raw === undefined) throw new RangeError(`not an ${family} address: ${address}`);
  const out = Buffer.alloc(16);
  raw.copy(out);
  return out;
}

function checkName(what: string, s: string): string {
  if (Buffer.byteLength(s) >= NAME_MAXLEN) throw new RangeError(`${what} "${s}" is longer than ${NAME_MAXLEN - 1} bytes`);
  return s;
}

function isFwmark(id: IpvsServiceIdentity): id is { family: IpvsFamily; fwmark: number } {
  return 'fwmark' in id;
}

/** The attributes that name a service (DEL_SERVICE, GET_DEST, and the service part of *_DEST). */
export function serviceIdentityAttrs(id: IpvsServiceIdentity): Attr[] {
  const out: Attr[] = [attr.u16(IPVS_SVC_ATTR.AF, afOf(id.family))];
  if (isFwmark(id)) {
    out.push(attr.u32(IPVS_SVC_ATTR.FWMARK, id.fwmark));
  } else {
    out.push(
      attr.u16(IPVS_SVC_ATTR.PROTOCOL, id.protocol),
      attr.bytes(IPVS_SVC_ATTR.ADDR, inetAddr(id.family, id.address)),
      attr.be16(IPVS_SVC_ATTR.PORT, id.port),
    );
  }
  return out;
}

/** A full service: identity, scheduler, flags (with an all-ones mask: set exactly these), timeout, netmask. */
export function serviceAttrs(s: IpvsServiceSpec): Attr[] {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(s.flags >>> 0, 0);
  flags.writeUInt32LE(0xffffffff, 4);
  const out = serviceIdentityAttrs(s);
  out.push(attr.string(IPVS_SVC_ATTR.SCHED_NAME, checkName('scheduler', s.schedName)));
  if (s.peName !== undefined && s.peName !== '') out.push(attr.string(IPVS_SVC_ATTR.PE_NAME, checkName('persistence engine', s.peName)));
  out.push(
    attr.bytes(IPVS_SVC_ATTR.FLAGS, flags),
    attr.u32(IPVS_SVC_ATTR.TIMEOUT, s.timeout),
    netmaskAttr(s.family, s.netmask),
  );
  return out;
}

/**
 * The persistence netmask: an IPv4 mask in network order (a __be32), but an IPv6 prefix length as a
 * plain host-order number — the kernel compares that field with 1..128 as it is (ip_vs_ctl.c), and
 * ipvsadm and keepalived send it so.
 */
function netmaskAttr(family: IpvsFamily, netmask: number): Attr {
  return family === 'ipv6' ? attr.u32(IPVS_SVC_ATTR.NETMASK, netmask) : attr.be32(IPVS_SVC_ATTR.NETMASK, netmask);
}

export function destIdentityAttrs(d: IpvsDestIdentity): Attr[] {
  return [
    attr.bytes(IPVS_DEST_ATTR.ADDR, inetAddr(d.family, d.address)),
    attr.be16(IPVS_DEST_ATTR.PORT, d.port),
    attr.u16(IPVS_DEST_ATTR.ADDR_FAMILY, afOf(d.family)),
  ];
}

export function destAttrs(d: IpvsDestSpec): Attr[] {
  const out = destIdentityAttrs(d);
  out.push(
    attr.u32(IPVS_DEST_ATTR.FWD_METHOD, d.fwdMethod & IP_VS_CONN_F.FWD_MASK),
    attr.u32(IPVS_DEST_ATTR.WEIGHT, d.weight),
    attr.u32(IPVS_DEST_ATTR.U_THRESH, d.uThresh),
    attr.u32(IPVS_DEST_ATTR.L_THRESH, d.lThresh),
  );
  if (d.tunType !== undefined) out.push(attr.u8(IPVS_DEST_ATTR.TUN_TYPE, d.tunType));
  if (d.tunPort !== undefined) out.push(attr.be16(IPVS_DEST_ATTR.TUN_PORT, d.tunPort));
  if (d.tunFlags !== undefined) out.push(attr.u16(IPVS_DEST_ATTR.TUN_FLAGS, d.tunFlags));
  return out;
}

function request(cmd: number, attrs: Attr[] = []): Buffer {
  return encodeGenlPayload(cmd, IPVS_GENL_VERSION, attrs);
}

/**
 * Request payloads (genlmsghdr + attributes) for the IPVS family. The caller frames them in a
 * nlmsghdr with the family's id; the GET_* ones are sent with NLM_F_DUMP.
 */
export const ipvsRequest = {
  newService: (s: IpvsServiceSpec) => request(IPVS_CMD.NEW_SERVICE, [attr.nested(IPVS_CMD_ATTR.SERVICE, serviceAttrs(s))]),
  setService: (s: IpvsServiceSpec) => request(IPVS_CMD.SET_SERVICE, [attr.nested(IPVS_CMD_ATTR.SERVICE, serviceAttrs(s))]),
  delService: (id: IpvsServiceIdentity) =>
    request(IPVS_CMD.DEL_SERVICE, [attr.nested(IPVS_CMD_ATTR.SERVICE, serviceIdentityAttrs(id))]),
  getServices: () => request(IPVS_CMD.GET_SERVICE),
  newDest: (id: IpvsServiceIdentity, d: IpvsDestSpec) => destRequest(IPVS_CMD.NEW_DEST, id, destAttrs(d)),
  setDest: (id: IpvsServiceIdentity, d: IpvsDestSpec) => destRequest(IPVS_CMD.SET_DEST, id, destAttrs(d)),
  delDest: (id: IpvsServiceIdentity, d: IpvsDestIdentity) => destRequest(IPVS_CMD.DEL_DEST, id, destIdentityAttrs(d)),
  getDests: (id: IpvsServiceIdentity) => request(IPVS_CMD.GET_DEST, [attr.nested(IPVS_CMD_ATTR.SERVICE, serviceIdentityAttrs(id))]),
  newDaemon: (d: IpvsDaemonSpec) => request(IPVS_CMD.NEW_DAEMON, [attr.nested(IPVS_CMD_ATTR.DAEMON, daemonAttrs(d))]),
  delDaemon: (state: number) =>
    request(IPVS_CMD.DEL_DAEMON, [attr.nested(IPVS_CMD_ATTR.DAEMON, [attr.u32(IPVS_DAEMON_ATTR.STATE, state)])]),
  getDaemons: () => request(IPVS_CMD.GET_DAEMON),
  setConfig: (t: IpvsTimeouts) => request(IPVS_CMD.SET_CONFIG, timeoutAttrs(t)),
  getConfig: () => request(IPVS_CMD.GET_CONFIG),
  getInfo: () => request(IPVS_CMD.GET_INFO),
  zero: () => request(IPVS_CMD.ZERO),
  flush: () => request(IPVS_CMD.FLUSH),
};

function destRequest(cmd: number, id: IpvsServiceIdentity, dest: Attr[]): Buffer {
  return request(cmd, [attr.nested(IPVS_CMD_ATTR.SERVICE, serviceIdentityAttrs(id)), attr.nested(IPVS_CMD_ATTR.DEST, dest)]);
}

export function daemonAttrs(d: IpvsDaemonSpec): Attr[] {
  const out: Attr[] = [
    attr.u32(IPVS_DAEMON_ATTR.STATE, d.state),
    attr.string(IPVS_DAEMON_ATTR.MCAST_IFN, checkName('interface', d.mcastIfn)),
    attr.u32(IPVS_DAEMON_ATTR.SYNC_ID, d.syncId),
  ];
  if (d.syncMaxlen !== undefined) out.push(attr.u16(IPVS_DAEMON_ATTR.SYNC_MAXLEN, d.syncMaxlen));
  if (d.mcastGroup !== undefined) {
    const v4 = parseIpv4(d.mcastGroup);
    const v6 = v4 === undefined ? parseIpv6(d.mcastGroup) : undefined;
    if (v4 !== undefined) out.push(attr.bytes(IPVS_DAEMON_ATTR.MCAST_GROUP, v4));
    else if (v6 !== undefined) out.push(attr.bytes(IPVS_DAEMON_ATTR.MCAST_GROUP6, v6));
    else throw new RangeError(`not a multicast group address: ${d.mcastGroup}`);
  }
  if (d.mcastPort !== undefined) out.push(attr.u16(IPVS_DAEMON_ATTR.MCAST_PORT, d.mcastPort));
  if (d.mcastTtl !== undefined) out.push(attr.u8(IPVS_DAEMON_ATTR.MCAST_TTL, d.mcastTtl));
  return out;
}

export function timeoutAttrs(t: IpvsTimeouts): Attr[] {
  const out: Attr[] = [];
  if (t.tcp !== undefined) out.push(attr.u32(IPVS_CMD_ATTR.TIMEOUT_TCP, t.tcp));
  if (t.tcpFin !== undefined) out.push(attr.u32(IPVS_CMD_ATTR.TIMEOUT_TCP_FIN, t.tcpFin));
  if (t.udp !== undefined) out.push(attr.u32(IPVS_CMD_ATTR.TIMEOUT_UDP, t.udp));
  return out;
}

// ---------------------------------------------------------------- decoding

export type IpvsDecodeError = NetlinkDecodeError | 'unexpected-command' | 'missing-attribute' | 'bad-family' | 'bad-value';

function familyOf(af: number | undefined): IpvsFamily | undefined {
  return af === AF_INET ? 'ipv4' : af === AF_INET6 ? 'ipv6' : undefined;
}

function readAddr(m: AttrMap, t: number, family: IpvsFamily): string | undefined {
  const v = m.get(t);
  if (v === undefined) return undefined;
  if (family === 'ipv4') return v.length >= 4 ? formatIpv4(v) : undefined;
  return v.length >= 16 ? formatIpv6(v) : undefined;
}

function nestedOf(g: AttrMap, t: number, what: string): DecodeResult<AttrMap, IpvsDecodeError> {
  const n = read.nested(g, t);
  if (n === undefined) return fail('missing-attribute', what);
  return n;
}

/** Stats from STATS64 (all u64) or, on kernels without it, STATS (u32 counters, u64 byte counts). */
function readStats(m: AttrMap, stats64: number, stats32: number): IpvsStats | undefined {
  const s64 = read.nested(m, stats64);
  if (s64 !== undefined && s64.ok) {
    const g = (t: number) => read.u64(s64.value, t) ?? 0n;
    return statsFrom(g);
  }
  const s32 = read.nested(m, stats32);
  if (s32 !== undefined && s32.ok) {
    const v = s32.value;
    const g = (t: number) =>
      t === IPVS_STATS_ATTR.INBYTES || t === IPVS_STATS_ATTR.OUTBYTES ? (read.u64(v, t) ?? 0n) : BigInt(read.u32(v, t) ?? 0);
    return statsFrom(g);
  }
  return undefined;
}

function statsFrom(g: (t: number) => bigint): IpvsStats {
  const S = IPVS_STATS_ATTR;
  return {
    conns: g(S.CONNS),
    inpkts: g(S.INPKTS),
    outpkts: g(S.OUTPKTS),
    inbytes: g(S.INBYTES),
    outbytes: g(S.OUTBYTES),
    cps: g(S.CPS),
    inpps: g(S.INPPS),
    outpps: g(S.OUTPPS),
    inbps: g(S.INBPS),
    outbps: g(S.OUTBPS),
  };
}

/** The nested service attributes of a NEW_SERVICE (dump reply) to a service. */
export function decodeServiceAttrs(s: AttrMap): DecodeResult<IpvsServiceEntry, IpvsDecodeError> {
  const A = IPVS_SVC_ATTR;
  const family = familyOf(read.u16(s, A.AF));
  if (family === undefined) return fail('bad-family', `service AF ${read.u16(s, A.AF) ?? 'missing'}`);
  const schedName = read.string(s, A.SCHED_NAME);
  const flagsRaw = s.get(A.FLAGS);
  const timeout = read.u32(s, A.TIMEOUT);
  const netmask = family === 'ipv6' ? read.u32(s, A.NETMASK) : read.be32(s, A.NETMASK);
  if (schedName === undefined || flagsRaw === undefined || flagsRaw.length < 4 || timeout === undefined || netmask === undefined) {
    return fail('missing-attribute', 'service SCHED_NAME, FLAGS, TIMEOUT or NETMASK');
  }
  const rest = {
    schedName,
    flags: flagsRaw.readUInt32LE(0) & ~IP_VS_SVC_F.HASHED,
    timeout,
    netmask,
  };
  const peName = read.string(s, A.PE_NAME);
  const stats = readStats(s, A.STATS64, A.STATS);
  const extra = { ...(peName !== undefined && peName !== '' ? { peName } : {}), ...(stats !== undefined ? { stats } : {}) };
  const fwmark = read.u32(s, A.FWMARK);
  // The kernel reports fwmark 0 for an address service, and a fwmark service has no address.
  if (fwmark !== undefined && fwmark !== 0) return ok({ family, fwmark, ...rest, ...extra });
  const protocol = read.u16(s, A.PROTOCOL);
  const address = readAddr(s, A.ADDR, family);
  const port = read.be16(s, A.PORT);
  if (protocol === undefined || address === undefined || port === undefined) {
    return fail('missing-attribute', 'service PROTOCOL, ADDR or PORT');
  }
  return ok({ family, protocol, address, port, ...rest, ...extra });
}

function expectCmd(payload: Uint8Array, cmd: number): DecodeResult<AttrMap, IpvsDecodeError> {
  const g = decodeGenlPayload(payload);
  if (!g.ok) return g;
  if (g.value.cmd !== cmd) return fail('unexpected-command', `cmd ${g.value.cmd}, wanted ${cmd}`);
  return ok(g.value.attrs);
}

/** One message of a GET_SERVICE dump (its genl payload). */
export function decodeServiceMessage(payload: Uint8Array): DecodeResult<IpvsServiceEntry, IpvsDecodeError> {
  const g = expectCmd(payload, IPVS_CMD.NEW_SERVICE);
  if (!g.ok) return g;
  const s = nestedOf(g.value, IPVS_CMD_ATTR.SERVICE, 'CMD_ATTR_SERVICE');
  if (!s.ok) return s;
  return decodeServiceAttrs(s.value);
}

/** One message of a GET_DEST dump. `serviceFamily` fills in the family on kernels that omit ADDR_FAMILY. */
export function decodeDestMessage(payload: Uint8Array, serviceFamily: IpvsFamily): DecodeResult<IpvsDestEntry, IpvsDecodeError> {
  const g = expectCmd(payload, IPVS_CMD.NEW_DEST);
  if (!g.ok) return g;
  const d = nestedOf(g.value, IPVS_CMD_ATTR.DEST, 'CMD_ATTR_DEST');
  if (!d.ok) return d;
  const m = d.value;
  const A = IPVS_DEST_ATTR;
  const afRaw = read.u16(m, A.ADDR_FAMILY);
  const family = afRaw === undefined ? serviceFamily : familyOf(afRaw);
  if (family === undefined) return fail('bad-family', `dest AF ${afRaw}`);
  const address = readAddr(m, A.ADDR, family);
  const port = read.be16(m, A.PORT);
  const fwd = read.u32(m, A.FWD_METHOD);
  const weight = read.u32(m, A.WEIGHT);
  if (address === undefined || port === undefined || fwd === undefined || weight === undefined) {
    return fail('missing-attribute', 'dest ADDR, PORT, FWD_METHOD or WEIGHT');
  }
  const out: IpvsDestEntry = {
    address,
    port,
    family,
    fwdMethod: fwd & IP_VS_CONN_F.FWD_MASK,
    // The kernel's weight is an int: read it back signed.
    weight: weight | 0,
    uThresh: read.u32(m, A.U_THRESH) ?? 0,
    lThresh: read.u32(m, A.L_THRESH) ?? 0,
    activeConns: read.u32(m, A.ACTIVE_CONNS) ?? 0,
    inactConns: read.u32(m, A.INACT_CONNS) ?? 0,
    persistConns: read.u32(m, A.PERSIST_CONNS) ?? 0,
  };
  const tunType = read.u8(m, A.TUN_TYPE);
  if (tunType !== undefined) out.tunType = tunType;
  const tunPort = read.be16(m, A.TUN_PORT);
  if (tunPort !== undefined) out.tunPort = tunPort;
  const tunFlags = read.u16(m, A.TUN_FLAGS);
  if (tunFlags !== undefined) out.tunFlags = tunFlags;
  const stats = readStats(m, A.STATS64, A.STATS);
  if (stats !== undefined) out.stats = stats;
  return ok(out);
}

export interface IpvsDaemonEntry {
  state: number;
  mcastIfn: string;
  syncId: number;
  syncMaxlen?: number;
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
}

/** One message of a GET_DAEMON dump. */
export function decodeDaemonMessage(payload: Uint8Array): DecodeResult<IpvsDaemonEntry, IpvsDecodeError> {
  const g = expectCmd(payload, IPVS_CMD.NEW_DAEMON);
  if (!g.ok) return g;
  const d = nestedOf(g.value, IPVS_CMD_ATTR.DAEMON, 'CMD_ATTR_DAEMON');
  if (!d.ok) return d;
  const m = d.value;
  const A = IPVS_DAEMON_ATTR;
  const state = read.u32(m, A.STATE);
  const mcastIfn = read.string(m, A.MCAST_IFN);
  const syncId = read.u32(m, A.SYNC_ID);
  if (state === undefined || mcastIfn === undefined || syncId === undefined) return fail('missing-attribute', 'daemon STATE, MCAST_IFN or SYNC_ID');
  const out: IpvsDaemonEntry = { state, mcastIfn, syncId };
  const maxlen = read.u16(m, A.SYNC_MAXLEN);
  if (maxlen !== undefined) out.syncMaxlen = maxlen;
  const g4 = m.get(A.MCAST_GROUP);
  const g6 = m.get(A.MCAST_GROUP6);
  if (g4 !== undefined && g4.length >= 4 && g4.readUInt32BE(0) !== 0) out.mcastGroup = formatIpv4(g4);
  else if (g6 !== undefined && g6.length >= 16 && g6.some((b) => b !== 0)) out.mcastGroup = formatIpv6(g6);
  const port = read.u16(m, A.MCAST_PORT);
  if (port !== undefined) out.mcastPort = port;
  const ttl = read.u8(m, A.MCAST_TTL);
  if (ttl !== undefined) out.mcastTtl = ttl;
  return ok(out);
}

/** GET_CONFIG's reply (a SET_CONFIG message): the three connection timeouts, seconds. */
export function decodeConfigMessage(payload: Uint8Array): DecodeResult<Required<IpvsTimeouts>, IpvsDecodeError> {
  const g = expectCmd(payload, IPVS_CMD.SET_CONFIG);
  if (!g.ok) return g;
  const tcp = read.u32(g.value, IPVS_CMD_ATTR.TIMEOUT_TCP);
  const tcpFin = read.u32(g.value, IPVS_CMD_ATTR.TIMEOUT_TCP_FIN);
  const udp = read.u32(g.value, IPVS_CMD_ATTR.TIMEOUT_UDP);
  if (tcp === undefined || tcpFin === undefined || udp === undefined) return fail('missing-attribute', 'TIMEOUT_TCP, TIMEOUT_TCP_FIN or TIMEOUT_UDP');
  return ok({ tcp, tcpFin, udp });
}

/** GET_INFO's reply (a SET_INFO message). */
export function decodeInfoMessage(payload: Uint8Array): DecodeResult<IpvsInfo, IpvsDecodeError> {
  const g = expectCmd(payload, IPVS_CMD.SET_INFO);
  if (!g.ok) return g;
  const version = read.u32(g.value, IPVS_INFO_ATTR.VERSION);
  const connTabSize = read.u32(g.value, IPVS_INFO_ATTR.CONN_TAB_SIZE);
  if (version === undefined || connTabSize === undefined) return fail('missing-attribute', 'INFO VERSION or CONN_TAB_SIZE');
  return ok({ version, connTabSize });
}

/** "1.2.1" from IP_VS_VERSION_CODE-style 0x010201. */
export function formatIpvsVersion(code: number): string {
  return `${(code >> 16) & 0xff}.${(code >> 8) & 0xff}.${code & 0xff}`;
}

/** A stable text key for a kernel service identity, as ipvsadm prints it: `TCP 192.0.2.1:80`, `FWM 7 IPv6`. */
export function identityKey(id: IpvsServiceIdentity): string {
  if (isFwmark(id)) return `FWM ${id.fwmark}${id.family === 'ipv6' ? ' IPv6' : ''}`;
  const proto = id.protocol === IPPROTO_TCP ? 'TCP' : id.protocol === IPPROTO_UDP ? 'UDP' : id.protocol === IPPROTO_SCTP ? 'SCTP' : `P${id.protocol}`;
  return id.family === 'ipv6' ? `${proto} [${id.address}]:${id.port}` : `${proto} ${id.address}:${id.port}`;
}

export function isFwmarkIdentity(id: IpvsServiceIdentity): id is { family: IpvsFamily; fwmark: number } {
  return isFwmark(id);
}
