/**
 * The two DNS messages DNS_CHECK needs (RFC 1035 §4): a one-question query it encodes, and the
 * header and question of the answer it checks. Pure; the decoder is total (any bytes in, a value
 * or a typed error out).
 */

/** DNS_CHECK `type` values keepalived knows; anything else falls back to SOA as keepalived does. */
export const DNS_TYPES: Readonly<Record<string, number>> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
};
export const DNS_DEFAULT_TYPE = 'SOA';
export const DNS_DEFAULT_NAME = '.';
const CLASS_IN = 1;

export function dnsTypeCode(type: string | undefined): number {
  return DNS_TYPES[(type ?? DNS_DEFAULT_TYPE).toUpperCase()] ?? DNS_TYPES[DNS_DEFAULT_TYPE]!;
}

export type EncodeError = { error: string };

/** Labels of a name: "." and "" are the root; a trailing dot is allowed. */
export function nameLabels(name: string): string[] | EncodeError {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n === '') return [];
  const labels = n.split('.');
  for (const l of labels) {
    const len = Buffer.byteLength(l);
    if (len === 0) return { error: `empty label in ${name}` };
    if (len > 63) return { error: `label longer than 63 bytes in ${name}` };
  }
  return labels;
}

/** A standard query, RD set (keepalived sets Recursion Desired), one question of class IN. */
export function encodeQuery(id: number, name: string, type: number): Buffer | EncodeError {
  const labels = nameLabels(name);
  if ('error' in labels) return labels;
  const qname = Buffer.concat([
    ...labels.map((l) => {
      const b = Buffer.from(l);
      return Buffer.concat([Buffer.from([b.length]), b]);
    }),
    Buffer.from([0]),
  ]);
  if (qname.length > 255) return { error: `name longer than 255 bytes: ${name}` };
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, qname, tail]);
}

export interface DnsAnswerHead {
  id: number;
  qr: boolean;
  opcode: number;
  rcode: number;
  qdcount: number;
  ancount: number;
  /** The first question, when there is one; names in lower case, without the trailing dot. */
  question?: { name: string; type: number; klass: number };
}

export type DecodeResult = { ok: true; value: DnsAnswerHead } | { ok: false; error: string };

/** Read a (possibly compressed) name at `off`; returns the name and the offset after it. */
function readName(buf: Buffer, off: number): { name: string; next: number } | string {
  const labels: string[] = [];
  let pos = off;
  let next = -1;
  let jumps = 0;
  for (;;) {
    if (pos >= buf.length) return 'name runs past the end';
    const len = buf[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) return 'truncated pointer';
      if (++jumps > 32) return 'compression loop';
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if ((len & 0xc0) !== 0) return 'bad label type';
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { name: labels.join('.').toLowerCase(), next };
    }
    if (pos + 1 + len > buf.length) return 'label runs past the end';
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
}

export function decodeAnswerHead(buf: Buffer): DecodeResult {
  if (buf.length < 12) return { ok: false, error: `too short (${buf.length} bytes)` };
  const flags = buf.readUInt16BE(2);
  const value: DnsAnswerHead = {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    qdcount: buf.readUInt16BE(4),
    ancount: buf.readUInt16BE(6),
  };
  if (value.qdcount > 0) {
    const n = readName(buf, 12);
    if (typeof n === 'string') return { ok: false, error: `question: ${n}` };
    if (n.next + 4 > buf.length) return { ok: false, error: 'question: truncated' };
    value.question = { name: n.name, type: buf.readUInt16BE(n.next), klass: buf.readUInt16BE(n.next + 2) };
  }
  return { ok: true, value };
}

/** The question as we asked it, for comparing with the echoed one. */
export function canonicalName(name: string): string {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n.toLowerCase();
}
