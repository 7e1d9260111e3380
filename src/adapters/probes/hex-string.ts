/**
 * keepalived's HEX_STR (UDP_CHECK payload / require_reply): free-form hex in whitespace-separated
 * groups, read two digits at a time; a group's odd last digit is one byte (`f` = 0x0F). In a
 * require_reply pattern an X/x digit is a nibble that is not compared (its mask bits are set).
 * "Ab12f 3 456 546443123" = AB 12 0F 03 45 06 54 64 43 12 03.
 */
export interface HexPattern {
  data: Buffer;
  /** 1 bits = ignore; all zero when the string has no X. */
  mask: Buffer;
}

export function parseHexString(text: string, allowWildcard = false): HexPattern | { error: string } {
  const data: number[] = [];
  const mask: number[] = [];
  for (const group of text.trim().split(/\s+/).filter((g) => g.length > 0)) {
    for (let i = 0; i < group.length; i += 2) {
      const pair = group.slice(i, i + 2);
      const digits = pair.length === 1 ? `0${pair}` : pair;
      let byte = 0;
      let m = 0;
      for (const ch of digits) {
        byte <<= 4;
        m <<= 4;
        if (/[0-9a-f]/i.test(ch)) byte |= parseInt(ch, 16);
        else if (allowWildcard && (ch === 'x' || ch === 'X')) m |= 0xf;
        else return { error: `invalid hex digit '${ch}' in "${text}"` };
      }
      data.push(byte);
      mask.push(m);
    }
  }
  if (data.length === 0) return { error: 'empty hex string' };
  return { data: Buffer.from(data), mask: Buffer.from(mask) };
}

/** keepalived's check_udp_reply: compare the shorter of the two, ignoring masked nibbles. */
export function replyMatches(reply: Buffer, pattern: HexPattern): boolean {
  const n = Math.min(reply.length, pattern.data.length);
  for (let i = 0; i < n; i++) {
    if ((reply[i]! ^ pattern.data[i]!) & ~pattern.mask[i]! & 0xff) return false;
  }
  return true;
}
