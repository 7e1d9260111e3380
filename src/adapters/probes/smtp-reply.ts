/**
 * SMTP replies (RFC 5321 §4.2): `NNN text` ends a reply, `NNN-text` continues it. Pure and total:
 * `takeReply` returns the code of the first complete reply in the buffer and the bytes it used,
 * or 'incomplete', or 'garbage' for a line that is not a reply at all.
 */
export type ReplyParse = { code: number; used: number } | 'incomplete' | 'garbage';

export function takeReply(buf: Buffer): ReplyParse {
  let pos = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) {
      // A line longer than any SMTP server sends is not SMTP.
      return buf.length - pos > 4096 ? 'garbage' : 'incomplete';
    }
    const line = buf.subarray(pos, nl).toString('latin1').replace(/\r$/, '');
    const m = /^(\d{3})([ -]|$)/.exec(line);
    if (!m) return 'garbage';
    pos = nl + 1;
    if (m[2] !== '-') return { code: Number(m[1]), used: pos };
  }
}
