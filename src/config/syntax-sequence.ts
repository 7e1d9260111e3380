/**
 * keepalived's sequence and list blocks (keepalived.conf(5) "Sequence blocks", "List blocks"):
 *
 *   ~SEQ(var, start, step, end) rest   ~SEQx(...) formats var in hex   ~SEQ(var, end)   ~SEQ(var, start, end)
 *   ~LST(var, v1, v2, ...) rest        ~LST({A, B}, {1, 2}, {3, 4}) rest
 *
 * The rest of the line is read once per value with $var set. Parsing follows add_seq() in
 * keepalived's lib/parser.c (numbers as strtol(..., 0) reads them: 0x.. hex, 0.. octal).
 */

export interface SeqSpec {
  kind: 'seq';
  variable: string;
  start: number;
  step: number;
  end: number;
  hex: boolean;
  /** The rest of the line, read once per value. */
  text: string;
}

export interface LstSpec {
  kind: 'lst';
  variables: string[];
  /** One entry per repetition, one value per variable. */
  values: string[][];
  text: string;
}

export type SequenceResult = SeqSpec | LstSpec | { kind: 'error'; message: string };

function skipBlanks(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  return i;
}

/** C strtol(s + i, &end, 0): value and end index; no digits gives 0 and end = i. */
export function strtol0(s: string, i: number): [number, number] {
  let p = i;
  while (p < s.length && /\s/.test(s[p]!)) p++;
  let sign = 1;
  if (s[p] === '+' || s[p] === '-') {
    if (s[p] === '-') sign = -1;
    p++;
  }
  let base = 10;
  if (s[p] === '0' && (s[p + 1] === 'x' || s[p + 1] === 'X') && /[0-9a-fA-F]/.test(s[p + 2] ?? '')) {
    base = 16;
    p += 2;
  } else if (s[p] === '0') base = 8;
  const digits = base === 16 ? /[0-9a-fA-F]/ : base === 8 ? /[0-7]/ : /[0-9]/;
  const from = p;
  let v = 0;
  while (p < s.length && digits.test(s[p]!)) {
    v = v * base + parseInt(s[p]!, base);
    p++;
  }
  if (p === from) return [0, i];
  return [sign * v, p];
}

/**
 * Parse `~SEQ...` / `~LST...` at the start of `text`. `substitute` replaces parameters in the
 * numbers, as keepalived does before reading them.
 */
export function parseSequence(text: string, substitute: (s: string) => string): SequenceResult {
  if (text.startsWith('~SEQ')) return parseSeq(text, substitute);
  if (text.startsWith('~LST')) return parseLst(text);
  return { kind: 'error', message: `Invalid sequence specification '${text}'` };
}

function parseSeq(line: string, substitute: (s: string) => string): SequenceResult {
  const invalid = { kind: 'error' as const, message: `Invalid ~SEQ definition '${line}'` };
  let p = 4;
  const hex = line[p] === 'x';
  if (hex) p++;
  p = skipBlanks(line, p);
  if (line[p] !== '(') return invalid;
  p = skipBlanks(line, p + 1);
  const varStart = p;
  while (p < line.length && !' \t,)'.includes(line[p]!)) p++;
  const variable = line.slice(varStart, p);
  p = skipBlanks(line, p);
  if (p >= line.length || line[p] === ')' || variable === '' || line[p] !== ',') return invalid;
  p = skipBlanks(line, p + 1);
  const close = line.indexOf(')', p);
  if (close < 0) return invalid;
  const nums = substitute(line.slice(p, close + 1));
  let start: number;
  let step: number;
  let end: number;
  let q: number;
  let one: number;
  [one, q] = strtol0(nums, 0);
  q = skipBlanks(nums, q);
  if (nums[q] === ')') {
    end = one;
    step = end < 1 ? -1 : 1;
    start = end < 0 ? -1 : 1;
  } else {
    if (nums[q] !== ',') return invalid;
    let two: number;
    [two, q] = strtol0(nums, q + 1);
    q = skipBlanks(nums, q);
    if (nums[q] === ')') {
      start = one;
      end = two;
      step = start <= end ? 1 : -1;
    } else {
      if (nums[q] !== ',') return invalid;
      let three: number;
      [three, q] = strtol0(nums, q + 1);
      q = skipBlanks(nums, q);
      if (nums[q] !== ')') return invalid;
      start = one;
      step = two;
      end = three;
      if (step === 0 || (start < end && step < 0) || (start > end && step > 0)) {
        return { kind: 'error', message: `Invalid ~SEQ values '${line}'` };
      }
    }
  }
  if (hex && (start < 0 || end < 0)) {
    return { kind: 'error', message: `~SEQx is only valid for positive numbers '${line}'` };
  }
  return { kind: 'seq', variable, start, step, end, hex, text: line.slice(skipBlanks(line, close + 1)) };
}

/** Split `a, {b, c}, d` at top-level commas; each part trimmed. */
function splitTop(s: string): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '{') depth++;
    else if (c === '}') {
      if (--depth < 0) return null;
    } else if (c === ',' && depth === 0) {
      parts.push(s.slice(from, i).trim());
      from = i + 1;
    }
  }
  if (depth !== 0) return null;
  parts.push(s.slice(from).trim());
  return parts;
}

function group(part: string): string[] {
  if (part.startsWith('{') && part.endsWith('}')) return part.slice(1, -1).split(',').map((v) => v.trim());
  return [part];
}

function parseLst(line: string): SequenceResult {
  const invalid = { kind: 'error' as const, message: `Invalid ~LST definition '${line}'` };
  let p = skipBlanks(line, 4);
  if (line[p] !== '(') return invalid;
  // The closing parenthesis is the first `)` outside {...}.
  let depth = 0;
  let close = -1;
  for (let i = p + 1; i < line.length; i++) {
    const c = line[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ')' && depth === 0) {
      close = i;
      break;
    }
  }
  if (close < 0) return invalid;
  const parts = splitTop(line.slice(p + 1, close));
  if (parts === null || parts.length < 2) return invalid;
  const variables = group(parts[0]!);
  if (variables.some((v) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v))) return invalid;
  const values: string[][] = [];
  for (const part of parts.slice(1)) {
    const vs = group(part);
    if (vs.length !== variables.length) {
      return { kind: 'error', message: `~LST values '${part}' do not match variables '${parts[0]}' in '${line}'` };
    }
    values.push(vs);
  }
  p = skipBlanks(line, close + 1);
  return { kind: 'lst', variables, values, text: line.slice(p) };
}
