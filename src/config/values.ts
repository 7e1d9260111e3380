/**
 * Value readers for keepalived.conf words: numbers, timers, booleans, addresses. Each returns the
 * value or undefined after reporting why, in keepalived's own words ("invalid number 'abc'",
 * "number '300' outside range [1, 255]"), at the word's place. None of them throws.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Diagnostic, SourcePos } from './diagnostics.js';
import type { Word } from './ast.js';
import type { AddressFamily } from './types.js';

export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  error(pos: SourcePos, code: string, message: string): void {
    this.diagnostics.push({ severity: 'error', pos, code, message });
  }
  warn(pos: SourcePos, code: string, message: string): void {
    this.diagnostics.push({ severity: 'warning', pos, code, message });
  }
}

/**
 * Where a missing value is reported: a SourcePos, or the statement's keyword Word, whose SourcePos
 * is made only if a message needs it (a handler runs for each of 43,000 statements of a large file;
 * one throw-away SourcePos each was pure garbage for a cold `keepalived-ts -t`).
 */
export type Place = SourcePos | Word;

function placeOf(at: Place): SourcePos {
  return 'pos' in at ? at.pos : at;
}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/** An integer; not a number at all is an error (a value of the wrong kind). */
export function readInt(r: Reporter, w: Word | undefined, at: Place, what: string): number | undefined {
  if (!w) {
    r.error(placeOf(at), 'missing-value', `${what}: missing value`);
    return undefined;
  }
  if (!INT_RE.test(w.text)) {
    r.error(w.pos, 'invalid-number', `invalid number '${w.text}'`);
    return undefined;
  }
  const n = Number(w.text);
  if (!Number.isSafeInteger(n)) {
    r.error(w.pos, 'invalid-number', `invalid number '${w.text}'`);
    return undefined;
  }
  return n;
}

/** A decimal number (seconds with a fraction, for instance). */
export function readFloat(r: Reporter, w: Word | undefined, at: Place, what: string): number | undefined {
  if (!w) {
    r.error(placeOf(at), 'missing-value', `${what}: missing value`);
    return undefined;
  }
  if (!FLOAT_RE.test(w.text)) {
    r.error(w.pos, 'invalid-number', `invalid number '${w.text}'`);
    return undefined;
  }
  const n = Number(w.text);
  if (!Number.isFinite(n)) {
    r.error(w.pos, 'invalid-number', `invalid number '${w.text}'`);
    return undefined;
  }
  return n;
}

/**
 * An integer that keepalived range-checks and then ignores or corrects: out of range is a warning
 * with keepalived's "number 'N' outside range [a, b]" and the consequence, and undefined is
 * returned so the caller keeps (or sets) keepalived's fallback.
 */
export function readIntInRange(
  r: Reporter,
  w: Word | undefined,
  at: Place,
  what: string,
  min: number,
  max: number,
  consequence: string,
): number | undefined {
  const n = readInt(r, w, at, what);
  if (n === undefined) return undefined;
  if (n < min || n > max) {
    r.warn(w!.pos, 'out-of-range', `number '${w!.text}' outside range [${min}, ${max}]; ${consequence}`);
    return undefined;
  }
  return n;
}

/** Seconds (fractions allowed) as whole milliseconds; keepalived's TIMER values. */
export function readTimerMs(
  r: Reporter,
  w: Word | undefined,
  at: Place,
  what: string,
  maxSeconds = 4294,
): number | undefined {
  const s = readFloat(r, w, at, what);
  if (s === undefined) return undefined;
  if (s < 0 || s > maxSeconds) {
    r.warn(w!.pos, 'out-of-range', `${what} '${w!.text}' must be in [0, ${maxSeconds}] - ignoring`);
    return undefined;
  }
  return Math.round(s * 1000);
}

/** keepalived's check_true_false: a missing value means true. */
export function readBool(r: Reporter, w: Word | undefined, what: string): boolean | undefined {
  if (!w) return true;
  const t = w.text.toLowerCase();
  if (t === 'true' || t === 'on' || t === 'yes') return true;
  if (t === 'false' || t === 'off' || t === 'no') return false;
  r.error(w.pos, 'invalid-value', `Invalid value '${w.text}' for ${what} specified`);
  return undefined;
}

export interface ParsedAddress {
  address: string;
  family: AddressFamily;
}

/** Canonical text form: IPv4 as is, IPv6 compressed lower case (RFC 5952, via the URL parser). */
export function canonicalAddress(text: string): ParsedAddress | undefined {
  if (isIPv4(text)) return { address: text, family: 'ipv4' };
  if (isIPv6(text)) {
    if (text.includes('%')) return undefined;
    try {
      const host = new URL(`http://[${text}]/`).hostname;
      return { address: host.slice(1, -1), family: 'ipv6' };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function readAddress(r: Reporter, w: Word | undefined, at: Place, what: string): ParsedAddress | undefined {
  if (!w) {
    r.error(placeOf(at), 'missing-value', `${what}: missing address`);
    return undefined;
  }
  const a = canonicalAddress(w.text);
  if (!a) r.error(w.pos, 'invalid-address', `${what}: invalid IP address '${w.text}'`);
  return a;
}

/** A port number 1..65535 (0 allowed where keepalived allows "no port"). */
export function readPort(r: Reporter, w: Word | undefined, at: Place, what: string, allowZero = false): number | undefined {
  const n = readInt(r, w, at, what);
  if (n === undefined) return undefined;
  const min = allowZero ? 0 : 1;
  if (n < min || n > 65535) {
    r.error(w!.pos, 'out-of-range', `number '${w!.text}' outside range [${min}, 65535]`);
    return undefined;
  }
  return n;
}
