/**
 * Netlink and generic netlink framing: nlmsghdr, genlmsghdr, attributes (TLVs), nlmsgerr, and the
 * controller's CTRL_CMD_GETFAMILY that turns a family name ("IPVS") into its id.
 *
 * Netlink's own integers (header fields, attribute lengths and types, u16/u32 attribute values) are in
 * the host's byte order; Linux on the machines keepalived-ts runs on (x86-64, arm64) is little-endian,
 * so they are written and read little-endian here. Fields the kernel keeps in network order (ports,
 * addresses, IPVS netmasks) are the caller's business: it hands over their bytes.
 *
 * Decoders are total: any bytes give a value or a typed error, never an exception.
 */
import { fail, ok, type DecodeResult } from './errors.js';

export const NLMSG_HDRLEN = 16;
export const GENL_HDRLEN = 4;
export const NLA_HDRLEN = 4;

/** nlmsg types below 16 are netlink's own. */
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;

/** A nested attribute carries this bit in its type on some senders; it is masked off on read. */
export const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;

export const GENL_ID_CTRL = 16;
export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_VERSION = 1;

export function nlaAlign(n: number): number {
  return (n + 3) & ~3;
}

/** One attribute to encode: raw bytes, or nested attributes. */
export type Attr = { type: number; value: Uint8Array } | { type: number; nested: Attr[] };

export const attr = {
  u8(type: number, v: number): Attr {
    return { type, value: Uint8Array.of(v & 0xff) };
  },
  u16(type: number, v: number): Attr {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v & 0xffff);
    return { type, value: b };
  },
  /** A u16 the kernel keeps in network order (__be16: ports). */
  be16(type: number, v: number): Attr {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v & 0xffff);
    return { type, value: b };
  },
  u32(type: number, v: number): Attr {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return { type, value: b };
  },
  be32(type: number, v: number): Attr {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return { type, value: b };
  },
  /** A NUL-terminated string (NLA_NUL_STRING / NLA_STRING both accept the NUL). */
  string(type: number, s: string): Attr {
    return { type, value: Buffer.concat([Buffer.from(s, 'utf8'), Buffer.of(0)]) };
  },
  bytes(type: number, v: Uint8Array): Attr {
    return { type, value: v };
  },
  nested(type: number, nested: Attr[]): Attr {
    return { type, nested };
  },
};

/** Attributes to bytes, each padded to 4. Nested attributes are written without NLA_F_NESTED, as ipvsadm and keepalived (libnl's nla_nest_start) do. */
export function encodeAttrs(attrs: readonly Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const value = 'nested' in a ? encodeAttrs(a.nested) : Buffer.from(a.value.buffer, a.value.byteOffset, a.value.byteLength);
    const len = NLA_HDRLEN + value.length;
    const out = Buffer.alloc(nlaAlign(len));
    out.writeUInt16LE(len, 0);
    out.writeUInt16LE(a.type, 2);
    value.copy(out, NLA_HDRLEN);
    parts.push(out);
  }
  return Buffer.concat(parts);
}

/** The genl payload of a request: genlmsghdr (cmd, version, reserved) then the attributes. */
export function encodeGenlPayload(cmd: number, version: number, attrs: readonly Attr[]): Buffer {
  const head = Buffer.alloc(GENL_HDRLEN);
  head[0] = cmd;
  head[1] = version;
  return Buffer.concat([head, encodeAttrs(attrs)]);
}

export interface NlmsgHeader {
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

/** A whole netlink message: nlmsghdr + payload, padded to 4. */
export function encodeNlmsg(h: NlmsgHeader, payload: Uint8Array): Buffer {
  const len = NLMSG_HDRLEN + payload.length;
  const out = Buffer.alloc(nlaAlign(len));
  out.writeUInt32LE(len, 0);
  out.writeUInt16LE(h.type, 4);
  out.writeUInt16LE(h.flags, 6);
  out.writeUInt32LE(h.seq >>> 0, 8);
  out.writeUInt32LE(h.pid >>> 0, 12);
  Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).copy(out, NLMSG_HDRLEN);
  return out;
}

export type NetlinkDecodeError = 'too-short' | 'truncated' | 'bad-attribute' | 'bad-length';

export interface Nlmsg extends NlmsgHeader {
  payload: Buffer;
}

/** A datagram to its messages. A length field that runs past the buffer is an error, not a throw. */
export function decodeNlmsgs(buf: Uint8Array): DecodeResult<Nlmsg[], NetlinkDecodeError> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Nlmsg[] = [];
  let off = 0;
  while (off < b.length) {
    if (b.length - off < NLMSG_HDRLEN) return fail('too-short', `nlmsghdr at ${off}`);
    const len = b.readUInt32LE(off);
    if (len < NLMSG_HDRLEN) return fail('bad-length', `nlmsg_len ${len} at ${off}`);
    if (off + len > b.length) return fail('truncated', `nlmsg_len ${len} at ${off} of ${b.length}`);
    out.push({
      type: b.readUInt16LE(off + 4),
      flags: b.readUInt16LE(off + 6),
      seq: b.readUInt32LE(off + 8),
      pid: b.readUInt32LE(off + 12),
      payload: b.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += nlaAlign(len);
  }
  return ok(out);
}

/** Attributes as read: type (flags masked off) to value; a repeated type keeps the last, as nla_parse does. */
export type AttrMap = Map<number, Buffer>;

export function decodeAttrs(buf: Uint8Array): DecodeResult<AttrMap, NetlinkDecodeError> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const m: AttrMap = new Map();
  let off = 0;
  while (off + NLA_HDRLEN <= b.length) {
    const len = b.readUInt16LE(off);
    const type = b.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN) return fail('bad-attribute', `nla_len ${len} at ${off}`);
    if (off + len > b.length) return fail('truncated', `attribute ${type} of ${len} bytes at ${off}`);
    m.set(type, b.subarray(off + NLA_HDRLEN, off + len));
    off += nlaAlign(len);
  }
  // Trailing bytes shorter than an attribute header are padding; the kernel ignores them too.
  return ok(m);
}

export interface GenlMessage {
  cmd: number;
  version: number;
  attrs: AttrMap;
}

export function decodeGenlPayload(payload: Uint8Array): DecodeResult<GenlMessage, NetlinkDecodeError> {
  if (payload.byteLength < GENL_HDRLEN) return fail('too-short', 'genlmsghdr');
  const attrs = decodeAttrs(payload.subarray(GENL_HDRLEN));
  if (!attrs.ok) return attrs;
  return ok({ cmd: payload[0]!, version: payload[1]!, attrs: attrs.value });
}

/** The errno of an NLMSG_ERROR payload: 0 is an ACK; positive numbers are errnos (the kernel sends them negated). */
export function decodeNlmsgerr(payload: Uint8Array): DecodeResult<number, NetlinkDecodeError> {
  if (payload.byteLength < 4) return fail('too-short', 'nlmsgerr');
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return ok(-b.readInt32LE(0));
}

/** Readers of attribute values: undefined when the attribute is absent or of the wrong size. */
export const read = {
  u8(m: AttrMap, t: number): number | undefined {
    const v = m.get(t);
    return v !== undefined && v.length >= 1 ? v[0] : undefined;
  },
  u16(m: AttrMap, t: number): number | undefined {
    const v = m.get(t);
    return v !== undefined && v.length >= 2 ? v.readUInt16LE(0) : undefined;
  },
  be16(m: AttrMap, t: number): number | undefined {
    const v = m.get(t);
    return v !== undefined && v.length >= 2 ? v.readUInt16BE(0) : undefined;
  },
  u32(m: AttrMap, t: number): number | undefined {
    const v = m.get(t);
    return v !== undefined && v.length >= 4 ? v.readUInt32LE(0) : undefined;
  },
  be32(m: AttrMap, t: number): number | undefined {
    const v = m.get(t);
    return v !== undefined && v.length >= 4 ? v.readUInt32BE(0) : undefined;
  },
  u64(m: AttrMap, t: number): bigint | undefined {
    const v = m.get(t);
    return v !== undefined && v.length >= 8 ? v.readBigUInt64LE(0) : undefined;
  },
  string(m: AttrMap, t: number): string | undefined {
    const v = m.get(t);
    if (v === undefined) return undefined;
    const nul = v.indexOf(0);
    return v.subarray(0, nul < 0 ? v.length : nul).toString('utf8');
  },
  nested(m: AttrMap, t: number): DecodeResult<AttrMap, NetlinkDecodeError> | undefined {
    const v = m.get(t);
    return v === undefined ? undefined : decodeAttrs(v);
  },
};

/** CTRL_CMD_GETFAMILY for a family name: the payload to send to GENL_ID_CTRL. */
export function encodeGetFamily(name: string): Buffer {
  return encodeGenlPayload(CTRL_CMD_GETFAMILY, CTRL_VERSION, [attr.string(CTRL_ATTR_FAMILY_NAME, name)]);
}

/** The family id from the controller's NEWFAMILY reply payload. */
export function decodeFamilyId(payload: Uint8Array): DecodeResult<number, NetlinkDecodeError | 'no-family-id'> {
  const g = decodeGenlPayload(payload);
  if (!g.ok) return g;
  const id = read.u16(g.value.attrs, CTRL_ATTR_FAMILY_ID);
  return id === undefined ? fail('no-family-id') : ok(id);
}
