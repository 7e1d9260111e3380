import type { SourcePos } from './diagnostics.js';

/**
 * keepalived.conf lexing, as keepalived 2.2.7's lib/parser.c reads a line:
 *
 * 1. `decomment()`: leading blanks go, `#` or `!` outside double quotes starts a comment to the end
 *    of the line (also in the middle of a word), `\#` and `\!` outside quotes are a literal `#`/`!`,
 *    trailing blanks go, and a `\` that ends the line marks a continued parameter definition.
 * 2. Tokens: a `{` or `}` outside double quotes is always a token of its own (keepalived splits the
 *    line there, so `vrrp_instance VI_180{` and `}` after words both work); words are separated by
 *    blanks; `"..."` is one word without its quotes (no escapes: a `"` ends it, and text glued to
 *    either side is a word of its own, as keepalived's alloc_strvec does). Single quotes are plain
 *    characters here: keepalived gives them meaning only inside script command lines.
 *
 * Both steps are single passes with charCodeAt; no regular expression runs per character.
 */

/**
 * One logical line of text and where each of its characters came from, so that text rewritten by
 * `$NAME` substitution or `\#` unescaping still points at the user's file:line:column.
 */
export interface SourceLine {
  text: string;
  file: string;
  line: number;
  /** Column (1-based, code points) of text[0] when `cols` is null: text[i] is at col0 + i. */
  col0: number;
  /** Per-character columns, used only when the simple col0 + i rule does not hold. */
  cols: number[] | null;
}

export function columnAt(l: SourceLine, i: number): number {
  if (l.cols === null) return l.col0 + i;
  if (l.cols.length === 0) return l.col0;
  return i < l.cols.length ? l.cols[i]! : l.cols[l.cols.length - 1]! + 1;
}

export function posAt(l: SourceLine, i: number): SourcePos {
  return { file: l.file, line: l.line, column: columnAt(l, i) };
}

const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22; // "
const HASH = 0x23; // #
const BANG = 0x21; // !
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const DOLLAR = 0x24;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** keepalived's WHITE_SPACE: " \t\f\n\r\v". */
export function isWhite(c: number): boolean {
  return c === SPACE || (c >= 0x09 && c <= 0x0d);
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** Columns (1-based code points) of raw[start..end) on a physical line. */
function rawColumns(raw: string, start: number, end: number): number[] {
  const cols: number[] = new Array(end - start);
  let col = 1;
  for (let k = 0; k < start; k++) {
    if (!(isHighSurrogate(raw.charCodeAt(k)) && k + 1 < raw.length)) col++;
  }
  for (let k = start; k < end; k++) {
    cols[k - start] = col;
    // The high half of a pair does not advance: its low half shares the code point's column.
    if (!(isHighSurrogate(raw.charCodeAt(k)) && k + 1 < raw.length)) col++;
  }
  return cols;
}

/**
 * keepalived's decomment() on one physical line (no line terminator). `raw` may be the whole file
 * and [start, end) the line within it, so the common case allocates nothing but the result slice.
 * A line that ends in `\` (a continued parameter definition) keeps it as its last character, as
 * keepalived does.
 */
export function decomment(raw: string, start: number, end: number, file: string, line: number): SourceLine {
  let i = start;
  while (i < end && isBlank(raw.charCodeAt(i))) i++;
  const textStart = i;
  let quote = false;
  let skip = -1; // where a comment starts
  let cut = end; // where a trailing continuation `\` sits
  let continued = false;
  let removed: number[] | null = null; // raw indexes of `\` dropped from `\#` / `\!`
  let surrogates = false;
  while (i < end) {
    const c = raw.charCodeAt(i);
    if (c === QUOTE) {
      if (skip < 0) quote = !quote;
      i++;
      continue;
    }
    if (c === BACKSLASH) {
      if (i + 1 < end) {
        const n = raw.charCodeAt(i + 1);
        if (!quote && (n === HASH || n === BANG)) (removed ??= []).push(i);
        else if (isHighSurrogate(n)) surrogates = true;
        i += 2;
        continue;
      }
      cut = i;
      continued = true;
      break;
    }
    if ((c === HASH || c === BANG) && !quote && skip < 0) skip = i;
    else if (isHighSurrogate(c)) surrogates = true;
    i++;
  }
  let textEnd = skip >= 0 ? skip : cut;
  while (textEnd > textStart && isBlank(raw.charCodeAt(textEnd - 1))) textEnd--;

  let text: string;
  let cols: number[] | null = null;
  let col0 = 0;
  if (removed === null && !surrogates) {
    text = raw.slice(textStart, textEnd);
    col0 = textStart - start + 1;
    if (continued) text += '\\';
  } else {
    const all = rawColumns(raw.slice(start, end), textStart - start, textEnd - start);
    let out = '';
    cols = [];
    let from = textStart;
    for (const r of removed ?? []) {
      if (r >= textEnd) break;
      out += raw.slice(from, r);
      for (let k = from; k < r; k++) cols.push(all[k - textStart]!);
      // The escaped character takes the backslash's column: a word `\#1` starts where it is written.
      if (r + 1 < textEnd) all[r + 1 - textStart] = all[r - textStart]!;
      from = r + 1;
    }
    out += raw.slice(from, textEnd);
    for (let k = from; k < textEnd; k++) cols.push(all[k - textStart]!);
    if (continued) {
      out += '\\';
      cols.push(cols.length > 0 ? cols[cols.length - 1]! + 1 : 1);
    }
    text = out;
  }
  return { text, file, line, col0, cols };
}

/** What the tokenizer hands on: words and braces, in order. */
export interface TokenSink {
  /** A word at file:line:column. The place comes as numbers, not a SourcePos: a large file has
   * tens of thousands of words whose places are mostly never shown (the tree makes a SourcePos on demand). */
  word(text: string, quoted: boolean, file: string, line: number, column: number): void;
  open(pos: SourcePos): void;
  close(pos: SourcePos): void;
  /** Problems found while splitting the line (an unterminated quote). */
  error(code: string, message: string, pos: SourcePos): void;
}

function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

/**
 * Length of `${NAME}` at text[i] (i at the `$`), or 0. An undefined parameter stays in the text, as
 * keepalived leaves it; we keep it one word rather than split it at its braces, which in keepalived
 * would close the enclosing block by accident. The parameter layer reports it.
 */
export function bracedParamLength(text: string, i: number, end: number): number {
  if (text.charCodeAt(i) !== DOLLAR || text.charCodeAt(i + 1) !== LBRACE) return 0;
  let k = i + 2;
  if (k >= end || !isNameStart(text.charCodeAt(k))) return 0;
  while (k < end && isNameChar(text.charCodeAt(k))) k++;
  return k < end && text.charCodeAt(k) === RBRACE ? k + 1 - i : 0;
}

/** Split one logical line into words and braces. */
export function tokenizeLine(l: SourceLine, sink: TokenSink): void {
  if (l.cols === null) {
    tokenizeSimple(l.text, l.file, l.line, l.col0, sink);
    return;
  }
  const text = l.text;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isWhite(c)) {
      i++;
      continue;
    }
    if (c === LBRACE) {
      sink.open(posAt(l, i));
      i++;
      continue;
    }
    if (c === RBRACE) {
      sink.close(posAt(l, i));
      i++;
      continue;
    }
    if (c === QUOTE) {
      const j = text.indexOf('"', i + 1);
      if (j < 0) {
        sink.error('unterminated-quote', `Unterminated quote '${text}'`, posAt(l, i));
        sink.word(text.slice(i + 1), true, l.file, l.line, columnAt(l, i));
        return;
      }
      sink.word(text.slice(i + 1, j), true, l.file, l.line, columnAt(l, i));
      i = j + 1;
      continue;
    }
    const begin = i;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (isWhite(d) || d === QUOTE || d === LBRACE || d === RBRACE) break;
      if (d === DOLLAR) {
        const len = bracedParamLength(text, i, n);
        if (len > 0) {
          i += len;
          continue;
        }
      }
      i++;
    }
    sink.word(text.slice(begin, i), false, l.file, l.line, columnAt(l, begin));
  }
}

/** tokenizeLine for the common line whose columns are col0 + index: no per-character lookups. */
function tokenizeSimple(text: string, file: string, line: number, col0: number, sink: TokenSink): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === SPACE || (c >= 0x09 && c <= 0x0d)) {
      i++;
      continue;
    }
    if (c === LBRACE) {
      sink.open({ file, line, column: col0 + i });
      i++;
      continue;
    }
    if (c === RBRACE) {
      sink.close({ file, line, column: col0 + i });
      i++;
      continue;
    }
    if (c === QUOTE) {
      const j = text.indexOf('"', i + 1);
      if (j < 0) {
        sink.error('unterminated-quote', `Unterminated quote '${text}'`, { file, line, column: col0 + i });
        sink.word(text.slice(i + 1), true, file, line, col0 + i);
        return;
      }
      sink.word(text.slice(i + 1, j), true, file, line, col0 + i);
      i = j + 1;
      continue;
    }
    const begin = i;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === SPACE || (d >= 0x09 && d <= 0x0d) || d === QUOTE || d === LBRACE || d === RBRACE) break;
      if (d === DOLLAR) {
        const len = bracedParamLength(text, i, n);
        if (len > 0) {
          i += len;
          continue;
        }
      }
      i++;
    }
    sink.word(text.slice(begin, i), false, file, line, col0 + begin);
  }
}

/**
 * The words of a line as keepalived's alloc_strvec() sees them before braces are split off: blank
 * separated, `"..."` one word. Used to recognise `include PATTERN`, whose pattern may hold glob braces.
 */
export function plainWords(l: SourceLine): Array<{ text: string; pos: SourcePos }> {
  const out: Array<{ text: string; pos: SourcePos }> = [];
  const text = l.text;
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (isWhite(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const begin = i;
    if (text.charCodeAt(i) === QUOTE) {
      const j = text.indexOf('"', i + 1);
      const end = j < 0 ? n : j;
      out.push({ text: text.slice(i + 1, end), pos: posAt(l, begin) });
      i = end + 1;
      continue;
    }
    while (i < n && !isWhite(text.charCodeAt(i)) && text.charCodeAt(i) !== QUOTE) i++;
    out.push({ text: text.slice(begin, i), pos: posAt(l, begin) });
  }
  return out;
}

/*
 * The plain line, in one pass. Nearly every line of a real file (and all 43,000 of bench/'s) is
 * words and braces with at most a trailing comment: no `$`, no `\`, no `@`/`~` line prefix, no
 * `include`, no surrogate pair. For such a line decomment() + tokenizeLine() would scan it twice and
 * make a SourceLine and a line string that die at once; a cold `keepalived-ts -t` runs this code
 * before V8 has optimised it, so every pass and every object counts. lexPlainLine reads the raw
 * file text once and hands the same words, at the same columns, to the sink; on anything else it
 * gives up before handing on anything, and the caller takes the general path.
 */

/** Tokens of one line, kept as numbers until the line is known to be plain (reused, never shrunk). */
const MAX_PLAIN_TOKENS = 256;
const tokStart = new Int32Array(MAX_PLAIN_TOKENS);
const tokEnd = new Int32Array(MAX_PLAIN_TOKENS);
/** 0 word, 1 quoted word (start/end exclude the quotes; the column is at the opening quote), 2 `{`, 3 `}`. */
const tokKind = new Uint8Array(MAX_PLAIN_TOKENS);
const TOK_WORD = 0;
const TOK_QUOTED = 1;
const TOK_OPEN = 2;
const TOK_CLOSE = 3;

const AT = 0x40; // @
const TILDE = 0x7e; // ~

/**
 * Tokenize raw[start..end) (one physical line, no terminator) when it is a plain line; returns false,
 * having called nothing on the sink, when it is not (the caller then uses decomment + tokenizeLine).
 * A blank or comment-only line is plain and hands on nothing.
 */
export function lexPlainLine(raw: string, start: number, end: number, file: string, line: number, sink: TokenSink): boolean {
  let i = start;
  while (i < end && isBlank(raw.charCodeAt(i))) i++;
  if (i < end) {
    const first = raw.charCodeAt(i);
    // `@ID` conditionals, `~SEQ`/`~LST` and `include` lines have their own readers.
    if (first === AT || first === TILDE || (first === 0x69 /* i */ && raw.startsWith('include', i))) return false;
  }
  let n = 0;
  scan: while (i < end) {
    const c = raw.charCodeAt(i);
    if (c === SPACE || (c >= 0x09 && c <= 0x0d)) {
      i++;
      continue;
    }
    if (n === MAX_PLAIN_TOKENS) return false;
    if (c === LBRACE || c === RBRACE) {
      tokKind[n] = c === LBRACE ? TOK_OPEN : TOK_CLOSE;
      tokStart[n++] = i++;
      continue;
    }
    if (c === HASH || c === BANG) break; // a comment to the end of the line (checked below)
    if (c === QUOTE) {
      let j = i + 1;
      for (;;) {
        if (j >= end) return false; // unterminated: the general path reports it
        const d = raw.charCodeAt(j);
        if (d === QUOTE) break;
        if (d === BACKSLASH || d === DOLLAR || isHighSurrogate(d)) return false;
        j++;
      }
      tokKind[n] = TOK_QUOTED;
      tokStart[n] = i + 1;
      tokEnd[n++] = j;
      i = j + 1;
      continue;
    }
    const begin = i;
    while (i < end) {
      const d = raw.charCodeAt(i);
      if (d === SPACE || (d >= 0x09 && d <= 0x0d) || d === QUOTE || d === LBRACE || d === RBRACE) break;
      if (d === HASH || d === BANG) {
        // A comment may start in the middle of a word: the part before it is still a word.
        if (i > begin) {
          tokKind[n] = TOK_WORD;
          tokStart[n] = begin;
          tokEnd[n++] = i;
        }
        i++;
        break scan;
      }
      if (d === BACKSLASH || d === DOLLAR || isHighSurrogate(d)) return false;
      i++;
    }
    tokKind[n] = TOK_WORD;
    tokStart[n] = begin;
    tokEnd[n++] = i;
  }
  // decomment() still reads a backslash inside a comment: one that ends the line continues it.
  for (; i < end; i++) if (raw.charCodeAt(i) === BACKSLASH) return false;
  // Columns are 1-based code points; with no surrogate pair on the line that is the UTF-16 offset.
  const col1 = 1 - start;
  for (let k = 0; k < n; k++) {
    const kind = tokKind[k]!;
    const s = tokStart[k]!;
    if (kind === TOK_WORD) sink.word(raw.slice(s, tokEnd[k]!), false, file, line, s + col1);
    else if (kind === TOK_QUOTED) sink.word(raw.slice(s, tokEnd[k]!), true, file, line, s + col1 - 1);
    else if (kind === TOK_OPEN) sink.open({ file, line, column: s + col1 });
    else sink.close({ file, line, column: s + col1 });
  }
  return true;
}
