import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { ParsedFile } from './ast.js';
import type { Diagnostic, Severity, SourcePos } from './diagnostics.js';
import { Params, applyConditional, parseDefinition } from './conditional.js';
import type { ParamDef } from './conditional.js';
import { defaultGlob, expandBraces, hasWildcard, includeChecks } from './include.js';
import type { IncludeChecks } from './include.js';
import { decomment, lexPlainLine, plainWords, posAt, tokenizeLine } from './lexer.js';
import type { SourceLine } from './lexer.js';
import { parseSequence } from './syntax-sequence.js';
import { TreeBuilder } from './syntax-tree.js';

/**
 * keepalived.conf text to an untyped statement tree, the way keepalived 2.2.7 reads it: comments,
 * quotes and braces (lexer.ts), `@ID` lines and `$NAME` parameters (conditional.ts), ~SEQ/~LST
 * (syntax-sequence.ts), `include` (include.ts) and blocks (syntax-tree.ts). Never throws: every
 * problem is a Diagnostic with its file:line:column.
 */

export interface ParseOptions {
  /** -i/--config-id; default: the short host name (os.hostname() up to the first dot). */
  configId?: string;
  /** For tests and fuzzing: read a file (default fs.readFileSync utf8). Throwing = file missing. */
  readFile?: (path: string) => string;
  /** For tests: expand a glob relative to a directory (default: a real glob on the file system). */
  glob?: (pattern: string, cwd: string) => string[];
  /** Bound on lines made by multiline parameters, ~SEQ and ~LST (default MAX_EXPANDED_LINES). */
  maxExpandedLines?: number;
}

export interface ParseResult {
  parsed: ParsedFile;
  diagnostics: Diagnostic[];
}

/** Every Diagnostic.code this layer produces (the typed layer adds its own). */
export const SYNTAX_CODES = [
  'unbalanced-brace', // error: "Extra '}' found", or a block never closed (at its `{`)
  'unexpected-brace', // error: a `{` that follows no statement
  'nesting-too-deep', // error: blocks deeper than MAX_DEPTH, skipped
  'unterminated-quote', // error
  'undefined-parameter', // error: `${NAME}` outside quotes that names no parameter
  'parameter-overflow', // error: substitution would exceed MAX_LINE_LENGTH (self reference)
  'invalid-sequence', // error: a malformed ~SEQ / ~LST
  'expansion-too-large', // error: more than maxExpandedLines lines generated
  'include-no-match', // warning (error for includem/includew/includeb/includea)
  'include-partial-match', // warning: a brace alternative matched nothing (error for includeb/includea)
  'include-cycle', // error, naming the chain
  'include-unreadable', // warning (error for includer/includea)
  'include-syntax', // error: include without exactly one pattern
  'include-too-deep', // error
  'config-unreadable', // error: parseConfigFile could not read the top file
  'internal-error', // error: a bug in this parser, reported instead of thrown
] as const;

/** Include nesting deeper than this is refused (a cycle is caught earlier; this bounds fan-out chains). */
export const MAX_INCLUDE_DEPTH = 32;
/** Lines produced by multiline parameters, ~SEQ and ~LST in one parse (keepalived's own sample makes 780k). */
export const MAX_EXPANDED_LINES = 1_000_000;

export function defaultConfigId(): string {
  try {
    const h = hostname();
    const dot = h.indexOf('.');
    return dot < 0 ? h : h.slice(0, dot);
  } catch {
    return '';
  }
}

function defaultReadFile(p: string): string {
  return readFileSync(p, 'utf8');
}

interface FileSource {
  kind: 'file';
  file: string;
  /** Resolved path, for include cycle detection. */
  abs: string;
  text: string;
  at: number;
  lineNo: number;
}

/** The files an include matched, opened one at a time so each one's own includes come first. */
interface FilesSource {
  kind: 'files';
  paths: string[];
  idx: number;
  checks: IncludeChecks;
  pos: SourcePos;
}

/** Remaining lines of a multiline `$NAME` expansion; they all point at the `$NAME` that made them. */
interface LinesSource {
  kind: 'lines';
  lines: string[];
  idx: number;
  pos: SourcePos;
}

/** A ~SEQ or ~LST line, read once per value. */
interface RepeatSource {
  kind: 'repeat';
  variables: string[];
  next: () => string[] | null;
  /** The text to repeat, with its place in the ~SEQ/~LST line. */
  pos: SourceLine;
}

type Source = FileSource | FilesSource | LinesSource | RepeatSource;

class ConfigReader {
  readonly diagnostics: Diagnostic[] = [];
  readonly files: string[] = [];
  private readonly tree = new TreeBuilder(this.diagnostics);
  private readonly stack: Source[] = [];
  private readonly params: Params;
  private readonly configId: string;
  private readonly readFile: (p: string) => string;
  /** Reading the real file system (no injected reader): keepalived's file checks apply. */
  private readonly realFiles: boolean;
  private readonly glob: (pattern: string, cwd: string) => string[];
  private pendingDef: ParamDef | null = null;
  private expanded = 0;
  private readonly maxExpanded: number;
  private expansionStopped = false;

  constructor(opts: ParseOptions) {
    this.configId = opts.configId ?? defaultConfigId();
    this.readFile = opts.readFile ?? defaultReadFile;
    this.realFiles = opts.readFile === undefined;
    this.glob = opts.glob ?? defaultGlob;
    this.maxExpanded = opts.maxExpandedLines ?? MAX_EXPANDED_LINES;
    this.params = new Params(this.configId, () => path.resolve(path.dirname(this.currentFile())));
  }

  private report(severity: Severity, code: string, message: string, pos: SourcePos): void {
    this.diagnostics.push({ severity, code, message, pos });
  }

  private currentFile(): string {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const s = this.stack[i]!;
      if (s.kind === 'file') return s.file;
    }
    return this.files[0] ?? '.';
  }

  pushFile(file: string, text: string): void {
    this.files.push(file);
    // A UTF-8 byte order mark is not text; keepalived would read it as part of the first word.
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    this.stack.push({ kind: 'file', file, abs: path.resolve(file), text: body, at: 0, lineNo: 0 });
  }

  run(): ParsedFile {
    for (;;) {
      const line = this.nextLine();
      if (line === null) break;
      if (line !== LINE_DONE) this.processLine(line);
    }
    if (this.pendingDef !== null) this.endDefinition();
    this.tree.finish();
    return { statements: this.tree.root, files: this.files };
  }

  /** The next line from whichever source is on top; null at the end of everything. */
  private nextLine(): SourceLine | null {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) return null;
      switch (top.kind) {
        case 'file': {
          if (top.at >= top.text.length) {
            this.stack.pop();
            continue;
          }
          const text = top.text;
          let nl = text.indexOf('\n', top.at);
          if (nl < 0) nl = text.length;
          let end = nl;
          while (end > top.at && text.charCodeAt(end - 1) === 0x0d) end--;
          const start = top.at;
          top.at = nl + 1;
          top.lineNo++;
          // Most lines are plain words and braces: read in one pass straight into the tree.
          if (this.pendingDef === null && lexPlainLine(text, start, end, top.file, top.lineNo, this.tree)) {
            this.tree.endLine();
            return LINE_DONE;
          }
          return decomment(text, start, end, top.file, top.lineNo);
        }
        case 'files': {
          if (top.idx >= top.paths.length) {
            this.stack.pop();
            continue;
          }
          this.openIncluded(top.paths[top.idx++]!, top);
          continue;
        }
        case 'lines': {
          if (top.idx >= top.lines.length || this.expansionStopped) {
            this.stack.pop();
            continue;
          }
          if (!this.countExpansion(top.pos)) continue;
          const text = top.lines[top.idx++]!;
          return { text, file: top.pos.file, line: top.pos.line, col0: top.pos.column, cols: [] };
        }
        case 'repeat': {
          const values = this.expansionStopped ? null : top.next();
          if (values === null) {
            this.stack.pop();
            continue;
          }
          if (!this.countExpansion(posAt(top.pos, 0))) continue;
          top.variables.forEach((v, i) => this.params.define(v, values[i] ?? '', false));
          // The repeated text is part of the ~SEQ line: its words keep their own columns.
          return top.pos;
        }
      }
    }
  }

  private countExpansion(pos: SourcePos): boolean {
    if (++this.expanded <= this.maxExpanded) return true;
    if (!this.expansionStopped) {
      this.expansionStopped = true;
      this.report(
        'error',
        'expansion-too-large',
        `parameter, ~SEQ and ~LST expansion stopped after ${this.maxExpanded} lines`,
        pos,
      );
    }
    return false;
  }

  private endDefinition(): void {
    const def = this.pendingDef;
    if (def !== null && def.value === '') def.multiline = false;
    this.pendingDef = null;
  }

  /** A further line of a multiline `$NAME=... \` definition (keepalived's read_line rules). */
  private continueDefinition(text: string): void {
    const def = this.pendingDef!;
    if (text === '') {
      // A blank or comment-only line ends the definition, as in keepalived.
      this.endDefinition();
      return;
    }
    let body = text;
    let more = false;
    if (body.endsWith('\\')) {
      let e = body.length - 1;
      while (e > 0 && (body.charCodeAt(e - 1) === 0x20 || body.charCodeAt(e - 1) === 0x09)) e--;
      body = body.slice(0, e) + '\n';
      more = true;
    }
    if (body.length >= 2 || (body.length > 0 && !more)) def.value += body;
    if (!more) this.endDefinition();
  }

  private processLine(first: SourceLine): void {
    if (this.pendingDef !== null) {
      this.continueDefinition(first.text);
      return;
    }
    let line = first;
    if (line.text === '') return;
    for (let round = 0; round < 16; round++) {
      const text = line.text;
      const c = text.charCodeAt(0);
      if (c === 0x40 /* @ */) {
        const cond = applyConditional(text, this.configId);
        if (cond === null || cond.text === '') return;
        line = shift(line, cond.cut);
      }
      if (line.text.charCodeAt(0) === 0x24 /* $ */) {
        const def = parseDefinition(line.text);
        if (def !== null) {
          const d = this.params.define(def.name, def.value, def.multiline);
          if (def.multiline) this.pendingDef = d;
          return;
        }
      }
      if (line.text.startsWith('~SEQ') || line.text.startsWith('~LST')) {
        this.startRepeat(line);
        return;
      }
      if (line.text.charCodeAt(0) === 0x7e /* ~ */) break;
      const sub = this.params.substitute(line);
      if (sub === null) break;
      for (const u of sub.undefinedNames) {
        // A line rechecked after substitution may show the same unknown name again.
        const seen = (d: Diagnostic) =>
          d.code === 'undefined-parameter' && d.pos.file === line.file && d.pos.line === line.line && d.pos.column === u.column;
        if (round > 0 && this.diagnostics.some(seen)) continue;
        this.report('error', 'undefined-parameter', `parameter '\${${u.name}}' is not defined`, {
          file: line.file,
          line: line.line,
          column: u.column,
        });
      }
      if (sub.overflow) {
        this.report(
          'error',
          'parameter-overflow',
          'Parameter substitution on line would exceed maximum line length',
          posAt(line, 0),
        );
        break;
      }
      const changed = sub.line !== line;
      line = sub.line;
      // Inner expansions are read first: push the outermost first.
      for (const rest of sub.pending) {
        const at = { file: line.file, line: line.line, column: rest.column };
        this.stack.push({ kind: 'lines', lines: rest.lines, idx: 0, pos: at });
      }
      if (!changed) break;
      const d = line.text.charCodeAt(0);
      if (d !== 0x40 && d !== 0x24 && d !== 0x7e) break;
    }
    if (line.text === '') return;
    if (line.text.startsWith('include') && this.tryInclude(line)) return;
    tokenizeLine(line, this.tree);
    this.tree.endLine();
  }

  private startRepeat(line: SourceLine): void {
    const spec = parseSequence(line.text, (s) => {
      const r = this.params.substitute({ text: s, file: line.file, line: line.line, col0: 1, cols: null });
      return r === null ? s : r.line.text;
    });
    if (spec.kind === 'error') {
      this.report('error', 'invalid-sequence', spec.message, posAt(line, 0));
      return;
    }
    const restCut = line.text.length - spec.text.length;
    const pos = shift(line, restCut);
    if (spec.kind === 'seq') {
      let next = spec.start;
      let done = false;
      const { step, end, hex } = spec;
      this.stack.push({
        kind: 'repeat',
        variables: [spec.variable],
        pos,
        next: () => {
          if (done) return null;
          const v = next;
          next += step;
          if ((step > 0 && next > end) || (step < 0 && next < end)) done = true;
          return [hex ? v.toString(16) : String(v)];
        },
      });
    } else {
      let i = 0;
      const values = spec.values;
      this.stack.push({
        kind: 'repeat',
        variables: spec.variables,
        pos,
        next: () => (i < values.length ? values[i++]! : null),
      });
    }
  }

  /** `include PATTERN` (and keepalived's includer/m/w/b/a): exactly two words, as keepalived checks. */
  private tryInclude(line: SourceLine): boolean {
    const words = plainWords(line);
    const checks = words.length > 0 ? includeChecks(words[0]!.text) : undefined;
    if (checks === undefined) return false;
    this.tree.barrier();
    if (words.length !== 2) {
      this.report('error', 'include-syntax', `'${words[0]!.text}' takes exactly one file name or pattern`, words[0]!.pos);
      return true;
    }
    this.include(words[1]!.text, checks, words[0]!.pos, line.file);
    return true;
  }

  private include(pattern: string, checks: IncludeChecks, pos: SourcePos, fromFile: string): void {
    const dir = path.dirname(fromFile);
    const globOne = (p: string): string[] => {
      try {
        return this.glob(p, dir).map((m) => (path.isAbsolute(m) ? m : path.join(dir, m)));
      } catch {
        return [];
      }
    };
    // glob(3) with GLOB_BRACE expands each alternative in turn; doing it here tells which ones
    // matched nothing (keepalived 2.2.7: "Some config files missing").
    const alternatives = expandBraces(pattern);
    const perAlternative = alternatives.length > 1 ? alternatives.map(globOne) : [globOne(pattern)];
    const matches = [...new Set(perAlternative.flat())];
    if (matches.length === 0) {
      const strict =
        checks.match ||
        (checks.wildcardMatch && hasWildcard(pattern)) ||
        (checks.braceMatch && alternatives.length > 1);
      this.report(strict ? 'error' : 'warning', 'include-no-match', `Config files missing '${pattern}'.`, pos);
      return;
    }
    if (perAlternative.some((m) => m.length === 0)) {
      this.report(
        checks.braceMatch ? 'error' : 'warning',
        'include-partial-match',
        `Some config files missing: "${pattern}".`,
        pos,
      );
    }
    if (this.stack.filter((s) => s.kind === 'file').length >= MAX_INCLUDE_DEPTH) {
      this.report('error', 'include-too-deep', `includes nested deeper than ${MAX_INCLUDE_DEPTH} files - skipping '${pattern}'`, pos);
      return;
    }
    this.stack.push({ kind: 'files', paths: matches, idx: 0, checks, pos });
  }

  private openIncluded(file: string, from: FilesSource): void {
    const abs = path.resolve(file);
    const chain = this.stack.filter((s): s is FileSource => s.kind === 'file');
    const at = chain.findIndex((s) => s.abs === abs);
    if (at >= 0) {
      const names = [...chain.slice(at).map((s) => s.file), file].join(' -> ');
      this.report('error', 'include-cycle', `include cycle: ${names}`, from.pos);
      return;
    }
    if (this.realFiles && !isRegularNonExecutable(file)) {
      this.report(
        from.checks.readable ? 'error' : 'warning',
        'include-unreadable',
        `Configuration file '${file}' is not a regular non-executable file - skipping`,
        from.pos,
      );
      return;
    }
    let text: string;
    try {
      text = this.readFile(file);
    } catch (e) {
      const why = e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);
      this.report(
        from.checks.readable ? 'error' : 'warning',
        'include-unreadable',
        `Configuration file '${file}' open problem (${why}) - skipping`,
        from.pos,
      );
      return;
    }
    this.pushFile(file, typeof text === 'string' ? text : String(text));
  }
}

/** keepalived skips an included file that is not regular or has an execute bit. A file that
 * cannot be stat'ed is left to the reader, which reports why. */
function isRegularNonExecutable(file: string): boolean {
  try {
    const st = statSync(file);
    return st.isFile() && (st.mode & 0o111) === 0;
  } catch {
    return true;
  }
}

/** nextLine()'s answer for a line it has already handed to the tree (lexPlainLine). */
const LINE_DONE: SourceLine = Object.freeze({ text: '', file: '', line: 0, col0: 1, cols: null });

/** The same line without its first `cut` characters, positions kept. */
function shift(l: SourceLine, cut: number): SourceLine {
  if (cut === 0) return l;
  if (l.cols === null) return { text: l.text.slice(cut), file: l.file, line: l.line, col0: l.col0 + cut, cols: null };
  if (l.cols.length === 0) return { text: l.text.slice(cut), file: l.file, line: l.line, col0: l.col0, cols: [] };
  return { text: l.text.slice(cut), file: l.file, line: l.line, col0: l.col0, cols: l.cols.slice(cut) };
}

function internalError(file: string, e: unknown): Diagnostic {
  return {
    severity: 'error',
    code: 'internal-error',
    message: `the parser failed: ${e instanceof Error ? e.message : String(e)}`,
    pos: { file, line: 1, column: 1 },
  };
}

/** Parse keepalived.conf text; `file` names it in positions and is the base for relative includes. */
export function parseConfigText(text: string, file: string, opts: ParseOptions = {}): ParseResult {
  let reader: ConfigReader | null = null;
  try {
    reader = new ConfigReader(opts ?? {});
    reader.pushFile(String(file), typeof text === 'string' ? text : String(text));
    const parsed = reader.run();
    return { parsed, diagnostics: reader.diagnostics };
  } catch (e) {
    // Not expected: the contract is "never throws", so a bug becomes a diagnostic, not a crash.
    return {
      parsed: { statements: [], files: [String(file)] },
      diagnostics: [...(reader?.diagnostics ?? []), internalError(String(file), e)],
    };
  }
}

/** Read and parse a keepalived.conf file (and what it includes). */
export function parseConfigFile(file: string, opts: ParseOptions = {}): ParseResult {
  let text: string;
  if (opts?.readFile === undefined && !isRegularNonExecutable(file)) {
    return {
      parsed: { statements: [], files: [] },
      diagnostics: [
        {
          severity: 'error',
          code: 'config-unreadable',
          message: `Configuration file '${file}' is not a regular non-executable file`,
          pos: { file: String(file), line: 1, column: 1 },
        },
      ],
    };
  }
  try {
    text = (opts?.readFile ?? defaultReadFile)(file);
  } catch (e) {
    const why = e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);
    return {
      parsed: { statements: [], files: [] },
      diagnostics: [
        {
          severity: 'error',
          code: 'config-unreadable',
          message: `Unable to read configuration file ${file} (${why})`,
          pos: { file: String(file), line: 1, column: 1 },
        },
      ],
    };
  }
  return parseConfigText(text, file, opts);
}
