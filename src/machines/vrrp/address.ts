/**
 * Numeric comparison of IP addresses, for the VRRP tie-break (RFC 5798 §6.4.3: on equal priority
 * the router with the greater primary IP address wins). Comparing the text would be wrong
 * ("192.0.2.9" > "192.0.2.10" as strings), so both are parsed to bytes and compared big-endian.
 * Pure and total: an address that does not parse gives `undefined`, never an exception.
 */

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  return bytes;
}

function parseIpv6(text: string): number[] | undefined {
  // A zone index (fe80::1%eth0) does not take part in the comparison.
  const zone = text.indexOf('%');
  let s = zone >= 0 ? text.slice(0, zone) : text;
  let tail: number[] = [];
  // An embedded IPv4 tail (::ffff:192.0.2.1) is two groups.
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  const rest = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  if (tail.length === 2) {
    groups[6] = tail[0]!;
    groups[7] = tail[1]!;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return bytes;
}

/** The address as bytes (4 for IPv4, 16 for IPv6), or undefined if it is not an address. */
export function addressBytes(text: string): number[] | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return undefined;
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

/**
 * Compare two addresses numerically: negative if a < b, 0 if equal, positive if a > b.
 * undefined when either does not parse or the families differ (no meaningful order).
 */
export function compareAddresses(a: string, b: string): number | undefined {
  const x = addressBytes(a);
  const y = addressBytes(b);
  if (!x || !y || x.length !== y.length) return undefined;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return 0;
}
