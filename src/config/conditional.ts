import type { SourceLine } from './lexer.js';
import { bracedParamLength } from './lexer.js';

/**
 * keepalived's "ADVANCED CONFIGURATION" (keepalived.conf(5)): `@ID` conditional lines and
 * `$NAME=value` parameters, applied to a decommented line before it is split into words.
 * Behaviour follows keepalived 2.2.7's lib/parser.c (read_line, check_definition, find_definition,
 * replace_param), including its quirks where a user could rely on them.
 */

/**
 * `@name rest` keeps `rest` only when name is the config id; `@^name rest` only when it is not.
 * A line with nothing after the `@name` is dropped. Returns the text without the `@name ` prefix
 * and how many characters were cut from the front, or null when the line is not for this host.
 */
export function applyConditional(text: string, configId: string): { text: string; cut: number } | null {
  const neg = text.charCodeAt(1) === 0x5e; // ^
  const from = neg ? 2 : 1;
  let k = from;
  while (k < text.length && text.charCodeAt(k) !== 0x20 && text.charCodeAt(k) !== 0x09) k++;
  if (k >= text.length) return null; // keepalived needs something after the id
  const matches = text.slice(from, k) === configId;
  if (matches === neg) return null;
  while (k < text.length && (text.charCodeAt(k) === 0x20 || text.charCodeAt(k) === 0x09)) k++;
  return { text: text.slice(k), cut: k };
}

export interface ParamDef {
  name: string;
  /** For a multiline definition, the lines joined with '\n'. */
  value: string;
  multiline: boolean;
  /** A pre-defined parameter whose value is computed at each use (`_PWD`, `_RANDOM`, ...). */
  fn?: (params: string | null) => string;
  /** How many numeric parameters `${NAME 1 2}` the pre-defined parameter takes. */
  maxParams: number;
}

function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * `$NAME=VALUE` (no blank before `=`, name [A-Za-z_][A-Za-z0-9_]*). A value ending in `\` starts a
 * multiline definition; its first line (if any) is kept with a '\n' after it.
 */
export function parseDefinition(text: string): { name: string; value: string; multiline: boolean } | null {
  if (text.charCodeAt(0) !== 0x24 || !isNameStart(text.charCodeAt(1))) return null;
  let p = 2;
  while (p < text.length && text.charCodeAt(p) !== 0x3d) {
    if (!isNameChar(text.charCodeAt(p))) return null;
    p++;
  }
  if (p >= text.length) return null;
  const name = text.slice(1, p);
  p++;
  while (p < text.length && (text.charCodeAt(p) === 0x20 || text.charCodeAt(p) === 0x09)) p++;
  let value = text.slice(p);
  if (value.endsWith('\\')) {
    let e = value.length - 1;
    while (e > 0 && (value.charCodeAt(e - 1) === 0x20 || value.charCodeAt(e - 1) === 0x09)) e--;
    value = e > 0 ? value.slice(0, e) + '\n' : '';
    return { name, value, multiline: true };
  }
  return { name, value, multiline: false };
}

/** keepalived's limit on a line grown by substitution; past it the line is left unexpanded. */
export const MAX_LINE_LENGTH = 65536;
/** Bounds on substitutions in one line and on the text they copy, so `$A=${A}${A}` ends quickly. */
const MAX_SUBSTITUTIONS = 4096;
const MAX_SUBSTITUTION_WORK = 4_000_000;

export interface SubstitutionResult {
  line: SourceLine;
  /** Lines still to read from multiline definitions, innermost last (read it first), each with
   * the column of the `$NAME` that brought them. */
  pending: Array<{ lines: string[]; column: number }>;
  /** `${NAME}` outside double quotes that names nothing: [name, index in the ORIGINAL line]. */
  undefinedNames: Array<{ name: string; column: number }>;
  overflow: boolean;
  /** The text of a substituted value began with `~` (a ~SEQ in a definition): stop here. */
  stoppedAtTilde: boolean;
}

export class Params {
  private readonly defs = new Map<string, ParamDef>();

  constructor(configId: string, pwd: () => string, random: () => number = Math.random) {
    this.defs.set('_PWD', { name: '_PWD', value: '', multiline: false, fn: pwd, maxParams: 0 });
    this.defs.set('_INSTANCE', { name: '_INSTANCE', value: '', multiline: false, fn: () => configId, maxParams: 0 });
    this.defs.set('_RANDOM', {
      name: '_RANDOM',
      value: '',
      multiline: false,
      maxParams: 2,
      fn: (params) => {
        let min = 0;
        let max = 32767;
        if (params !== null) {
          const nums = params.trim().split(/[ ]+/).map(Number);
          if (nums.length >= 1 && Number.isFinite(nums[0])) min = nums[0]!;
          if (nums.length >= 2 && Number.isFinite(nums[1])) max = nums[1]!;
        }
        if (max < min) max = min;
        return String(min + Math.floor(random() * (max - min + 1)));
      },
    });
    this.defs.set('_HASH', { name: '_HASH', value: '#', multiline: false, maxParams: 0 });
    this.defs.set('_BANG', { name: '_BANG', value: '!', multiline: false, maxParams: 0 });
  }

  define(name: string, value: string, multiline: boolean): ParamDef {
    const def: ParamDef = { name, value, multiline, maxParams: 0 };
    this.defs.set(name, def);
    return def;
  }

  get(name: string): ParamDef | undefined {
    return this.defs.get(name);
  }

  /**
   * Replace `$NAME` (followed by blank, `,`, `)` or the end) and `${NAME}` with their values,
   * recursively and at use time, as keepalived's replace_param() does. Returns null when the line
   * has no `$` that names a parameter.
   */
  substitute(src: SourceLine): SubstitutionResult | null {
    let text = src.text;
    if (text.indexOf('$') < 0) return null;
    let cols: number[] | null = null; // materialised on the first replacement
    const pending: Array<{ lines: string[]; column: number }> = [];
    const undefinedNames: Array<{ name: string; column: number }> = [];
    let found = false;
    let overflow = false;
    let stoppedAtTilde = false;
    let count = 0;
    let work = 0;
    let pos = text.indexOf('$');
    // Double-quote state up to `pos`, only to decide whether an unknown ${NAME} is worth a report.
    let quoteScan = 0;
    let inQuote = false;
    while (pos >= 0 && pos + 1 < text.length) {
      const m = this.match(text, pos);
      if (m === null) {
        const braced = bracedParamLength(text, pos, text.length);
        if (braced > 0) {
          for (; quoteScan < pos; quoteScan++) if (text.charCodeAt(quoteScan) === 0x22) inQuote = !inQuote;
          if (!inQuote) {
            undefinedNames.push({ name: text.slice(pos + 2, pos + braced - 1), column: colAt(src, cols, pos) });
          }
        }
        pos = text.indexOf('$', pos + 1);
        continue;
      }
      if (++count > MAX_SUBSTITUTIONS) {
        overflow = true;
        break;
      }
      found = true;
      const def = m.def;
      let value = def.fn ? def.fn(m.params) : def.value;
      if (def.multiline) {
        const lines = value.split('\n');
        value = lines[0]!;
        const rest = lines.slice(1).filter((l) => l.length > 0);
        if (rest.length > 0) pending.push({ lines: rest, column: colAt(src, cols, pos) });
      }
      work += text.length + value.length;
      if (text.length - m.length + value.length >= MAX_LINE_LENGTH || work > MAX_SUBSTITUTION_WORK) {
        overflow = true;
        break;
      }
      if (cols === null) {
        cols = new Array(text.length);
        for (let k = 0; k < text.length; k++) cols[k] = colAt(src, null, k);
      }
      const at = cols[pos] ?? colAt(src, null, pos);
      const fill: number[] = new Array(value.length).fill(at);
      cols = cols.slice(0, pos).concat(fill, cols.slice(pos + m.length));
      text = text.slice(0, pos) + value + text.slice(pos + m.length);
      quoteScan = Math.min(quoteScan, pos);
      // keepalived rescans from the same place, which is what makes substitution recursive. A value
      // that starts with `~` is a ~SEQ/~LST line: it is handled before any further substitution.
      let v = 0;
      while (v < value.length && (value.charCodeAt(v) === 0x20 || value.charCodeAt(v) === 0x09)) v++;
      if (value.charCodeAt(v) === 0x7e) {
        stoppedAtTilde = true;
        break;
      }
      pos = text.indexOf('$', pos);
    }
    if (overflow) {
      return { line: src, pending: [], undefinedNames: [], overflow, stoppedAtTilde: false };
    }
    if (!found) {
      return undefinedNames.length > 0 ? { line: src, pending, undefinedNames, overflow, stoppedAtTilde } : null;
    }
    return {
      line: { text, file: src.file, line: src.line, col0: src.col0, cols: cols ?? src.cols },
      pending,
      undefinedNames,
      overflow,
      stoppedAtTilde,
    };
  }

  /** keepalived's find_definition() for a use at text[pos] (the `$`). */
  private match(text: string, pos: number): { def: ParamDef; length: number; params: string | null } | null {
    let p = pos + 1;
    const braces = text.charCodeAt(p) === 0x7b;
    if (braces) p++;
    if (!isNameStart(text.charCodeAt(p))) return null;
    const nameStart = p;
    while (p < text.length && isNameChar(text.charCodeAt(p))) p++;
    const name = text.slice(nameStart, p);
    let params: string | null = null;
    if (braces) {
      // `${_RANDOM 1 10}`: numeric parameters, blank separated, no trailing blank.
      const ps = p;
      while (p < text.length && (text.charCodeAt(p) === 0x20 || isDigit(text.charCodeAt(p)))) p++;
      if (p > ps) {
        if (text.charCodeAt(p - 1) === 0x20 || text.slice(ps, p).trim() === '') return null;
        params = text.slice(ps, p);
      }
      if (text.charCodeAt(p) !== 0x7d) return null;
      p++;
    } else if (p < text.length) {
      const c = text.charCodeAt(p);
      if (c !== 0x20 && c !== 0x09 && c !== 0x2c && c !== 0x29) return null;
    }
    const atEnd = p >= text.length;
    const def = this.defs.get(name);
    if (def === undefined) return null;
    // A multiline definition stands alone at the end of its line.
    if (def.multiline && !atEnd) return null;
    if (params !== null && def.maxParams === 0) return null;
    return { def, length: p - pos, params };
  }
}

function colAt(src: SourceLine, cols: number[] | null, i: number): number {
  if (cols !== null) return cols[i] ?? (cols.length > 0 ? cols[cols.length - 1]! + 1 : src.col0);
  if (src.cols === null) return src.col0 + i;
  if (src.cols.length === 0) return src.col0;
  return i < src.cols.length ? src.cols[i]! : src.cols[src.cols.length - 1]! + 1;
}
