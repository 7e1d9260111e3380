/**
 * IPv4 / IPv6 text <-> bytes, and the canonical text form every other module compares.
 *
 * Canonical IPv6 text is RFC 5952: lower case, no leading zeros, the longest run (first on a tie)
 * of two or more zero groups written as "::", IPv4-mapped addresses in mixed notation. Parsers
 * return undefined on anything that is not an address; they never throw.
 */

export type AddressFamily = 'ipv4' | 'ipv6';

const DEC_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Dotted-quad to 4 bytes; undefined unless exactly four decimal octets 0–255 without leading zeros. */
export function parseIpv4(text: string): Buffer | undefined {
  if (typeof text !== 'string') return undefined;
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!DEC_OCTET.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

export function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** IPv6 text (with "::" and an optional dotted IPv4 tail) to 16 bytes; no zone ids. */
export function parseIpv6(text: string): Buffer | undefined {
  if (typeof text !== 'string' || text.length < 2 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseSide = (side: string, allowV4Tail: boolean): number[] | undefined => {
    if (side === '') return [];
    const groups = side.split(':');
    const words: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4Tail && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (!v4) return undefined;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!HEX_GROUP.test(g)) return undefined;
        words.push(parseInt(g, 16));
      }
    }
    return words;
  };
  let words: number[];
  if (halves.length === 2) {
    const head = parseSide(halves[0]!, false);
    const tail = parseSide(halves[1]!, true);
    if (!head || !tail) return undefined;
    // "::" stands for at least one zero group (RFC 4291 §2.2).
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    const all = parseSide(text, true);
    if (!all || all.length !== 8) return undefined;
    words = all;
  }
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(words[i]!, i * 2);
  return out;
}

/** RFC 5952 text of 16 bytes. */
export function formatIpv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted tail.
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${formatIpv4(bytes.subarray(12, 16))}`;
  }
  // Longest run of zero groups, length >= 2, first one on a tie (RFC 5952 §4.2.2, §4.2.3).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

export interface ParsedAddress {
  family: AddressFamily;
  bytes: Buffer;
}

/** Parse either family (or only `family` when given). */
export function parseAddress(text: string, family?: AddressFamily): ParsedAddress | undefined {
  if (family !== 'ipv6') {
    const v4 = parseIpv4(text);
    if (v4) return { family: 'ipv4', bytes: v4 };
    if (family === 'ipv4') return undefined;
  }
  const v6 = parseIpv6(text);
  return v6 ? { family: 'ipv6', bytes: v6 } : undefined;
}

export function formatAddress(bytes: Uint8Array): string {
  return bytes.length === 4 ? formatIpv4(bytes) : formatIpv6(bytes);
}

/**
 * Memo of parseAddress for the hot paths (every advert sent and received parses the same few
 * configured addresses). Bounded: cleared when full. The returned bytes are shared — read only.
 */
// One map per family argument: keys are the caller's own strings, whose hashes V8 caches (a
// concatenated key would be re-hashed on every call).
const memo = { ipv4: new Map<string, ParsedAddress | null>(), ipv6: new Map<string, ParsedAddress | null>(), any: new Map<string, ParsedAddress | null>() };
const MEMO_LIMIT = 4096;

export function parseAddressShared(text: string, family?: AddressFamily): ParsedAddress | undefined {
  if (typeof text !== 'string') return undefined;
  const m = memo[family ?? 'any'];
  let hit = m.get(text);
  if (hit === undefined) {
    if (m.size >= MEMO_LIMIT) m.clear();
    hit = parseAddress(text, family) ?? null;
    m.set(text, hit);
  }
  return hit ?? undefined;
}

/** The canonical text of an address, or undefined if `text` is not one. */
export function canonicalAddress(text: string): string | undefined {
  const p = parseAddress(text);
  return p ? formatAddress(p.bytes) : undefined;
}

const canonicalMemo = { ipv4: new Map<string, string | null>(), ipv6: new Map<string, string | null>() };

/**
 * Canonical text of `text` as an address of `family`, tolerating a "/prefix" suffix (as written in
 * virtual_ipaddress); memoised like parseAddressShared. undefined if not an address.
 */
export function canonicalAddressShared(text: string, family: AddressFamily): string | undefined {
  if (typeof text !== 'string') return undefined;
  const m = canonicalMemo[family];
  let hit = m.get(text);
  if (hit === undefined) {
    if (m.size >= MEMO_LIMIT) m.clear();
    const slash = text.indexOf('/');
    const p = parseAddress(slash < 0 ? text : text.slice(0, slash), family);
    hit = p ? formatAddress(p.bytes) : null;
    m.set(text, hit);
  }
  return hit ?? undefined;
}

/** Bytes of `text` in `family` (shared, read only), or a RangeError (encoders are given validated config). */
export function addressBytesOrThrow(text: string, family: AddressFamily, what: string): Buffer {
  const p = parseAddressShared(text, family);
  if (!p) throw new RangeError(`${what}: ${JSON.stringify(text)} is not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  return p.bytes;
}

/** 224.0.0.0/4 (IN_MULTICAST) or ff00::/8. */
export function isMulticast(bytes: Uint8Array): boolean {
  return bytes.length === 4 ? (bytes[0]! & 0xf0) === 0xe0 : bytes[0] === 0xff;
}

/** fe80::/10. */
export function isIpv6LinkLocal(bytes: Uint8Array): boolean {
  return bytes.length === 16 && bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80;
}
