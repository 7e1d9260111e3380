import type { Statement, Word } from './ast.js';
import type { Diagnostic, SourcePos } from './diagnostics.js';
import { formatPos } from './diagnostics.js';
import type { TokenSink } from './lexer.js';

/**
 * Builds the statement tree from words and braces. keepalived's grammar is line based: the words of
 * one logical line are a statement, and a `{` right after it — on the same line, glued to the last
 * word, or as the first thing on a following line (blank and comment lines between are nothing) —
 * opens that statement's block. keepalived reads its file as one stream, so a block may even end in
 * an included file; we do the same.
 *
 * The tree is built with an explicit stack, never recursion, and blocks deeper than MAX_DEPTH are
 * reported once and skipped (brace-balanced), so a hostile file of 100,000 `{` cannot blow a stack
 * here or in any later walk of the tree.
 */

/** keepalived's deepest real nesting is about 5 (virtual_server > real_server > HTTP_GET > url). */
export const MAX_DEPTH = 64;

/**
 * A Word whose place is kept as numbers and made into a SourcePos only when asked for (a message,
 * a typed block's `pos`). bench/'s 43,000-line file has 64,000 words: one object each instead of
 * two took its tree from 13.5 to 11.2 MB, fewer objects for the garbage collector to copy while
 * the tree grows (GC was ~30% of a cold `keepalived-ts -t`).
 */
export class SyntaxWord implements Word {
  constructor(
    public text: string,
    public quoted: boolean,
    readonly file: string,
    readonly line: number,
    readonly column: number,
  ) {}

  get pos(): SourcePos {
    return { file: this.file, line: this.line, column: this.column };
  }

  /** JSON shows a word as the plain { text, quoted, pos } it stands for. */
  toJSON(): Word {
    return { text: this.text, quoted: this.quoted, pos: this.pos };
  }
}

/**
 * A Statement that is also its own keyword Word (`st.keyword === st`): one object per statement
 * instead of two. bench/'s file has 43,000 statements; every object the tree holds is one more for
 * the young-generation collections of a cold `keepalived-ts -t` to copy, and one more allocation in
 * code V8 has not optimised yet. All fields are set in the constructor so every statement has one shape.
 */
export class SyntaxStatement implements Statement, Word {
  args: Word[];
  block: Statement[] | undefined;
  blockEnd: SourcePos | undefined;

  constructor(
    public text: string,
    public quoted: boolean,
    readonly file: string,
    readonly line: number,
    readonly column: number,
  ) {
    this.args = NO_ARGS;
    this.block = undefined;
    this.blockEnd = undefined;
  }

  get keyword(): Word {
    return this;
  }

  get pos(): SourcePos {
    return { file: this.file, line: this.line, column: this.column };
  }

  /** JSON shows a statement as the plain { keyword, args, block?, blockEnd? } it stands for. */
  toJSON(): Statement {
    const out: Statement = { keyword: { text: this.text, quoted: this.quoted, pos: this.pos }, args: this.args };
    if (this.block !== undefined) out.block = this.block;
    if (this.blockEnd !== undefined) out.blockEnd = this.blockEnd;
    return out;
  }
}

/** The args of a statement without any: one shared, frozen empty list (most statements' args are
 * replaced at the end of their line anyway). */
const NO_ARGS = Object.freeze([]) as unknown as Word[];

/** Words up to this length are shared (longer ones are mostly unique: paths, scripts). */
const MAX_INTERNED_LENGTH = 24;
/** Bound on distinct shared words, so a file of unique words does not grow a second copy of itself. */
const MAX_INTERNED = 16384;

interface Frame {
  /** Where this frame's statements go (the parent's list for a `{` that belongs to nothing). */
  statements: Statement[];
  owner: Statement | null;
  open: SourcePos;
}

export class TreeBuilder implements TokenSink {
  readonly root: Statement[] = [];
  private readonly stack: Frame[] = [];
  private current: Statement[] = this.root;
  /** The statement being read on the current logical line. */
  private cur: SyntaxStatement | null = null;
  /** The last statement ended by a line end, which a `{` on a later line may still open. */
  private lastEnded: Statement | null = null;
  /** Depth of `{` being skipped beyond MAX_DEPTH. */
  private skipping = 0;
  /** Arguments of `cur`, copied to an exact-size array when the statement ends (less memory for
   * a 40,000-line file than growing each statement's own array). */
  private readonly argBuf: Word[] = [];

  /** One copy of each short word text (see word()). */
  private readonly interned = new Map<string, string>();

  constructor(private readonly diagnostics: Diagnostic[]) {}

  word(text: string, quoted: boolean, file: string, line: number, column: number): void {
    if (this.skipping > 0) return;
    // Keywords and short values repeat on thousands of lines (`weight 1`, `retry 3`): keep one copy
    // of each (bench/'s file: 11.2 -> 10.0 MB of tree). The fresh slice dies young, which costs the
    // garbage collector nothing; a retained one is copied by young-generation collections.
    if (text.length <= MAX_INTERNED_LENGTH) {
      const same = this.interned.get(text);
      if (same !== undefined) text = same;
      else if (this.interned.size < MAX_INTERNED) this.interned.set(text, text);
    }
    if (this.cur === null) {
      this.cur = new SyntaxStatement(text, quoted, file, line, column);
      this.current.push(this.cur);
      this.lastEnded = null;
    } else {
      this.argBuf.push(new SyntaxWord(text, quoted, file, line, column));
    }
  }

  private finishArgs(): void {
    if (this.cur !== null && this.argBuf.length > 0) {
      this.cur.args = this.argBuf.slice();
      this.argBuf.length = 0;
    }
  }

  open(pos: SourcePos): void {
    if (this.skipping > 0) {
      this.skipping++;
      return;
    }
    this.finishArgs();
    const owner = this.cur ?? this.lastEnded;
    this.cur = null;
    this.lastEnded = null;
    if (this.stack.length >= MAX_DEPTH) {
      this.skipping = 1;
      this.error('nesting-too-deep', `blocks nested deeper than ${MAX_DEPTH} levels - skipping this block`, pos);
      return;
    }
    if (owner === null || owner.block !== undefined) {
      // keepalived: "Unexpected '{' - ignoring"; what follows is read at the current level.
      this.error('unexpected-brace', "Unexpected '{' - ignoring", pos);
      this.stack.push({ statements: this.current, owner: null, open: pos });
      return;
    }
    owner.block = [];
    this.stack.push({ statements: owner.block, owner, open: pos });
    this.current = owner.block;
  }

  close(pos: SourcePos): void {
    if (this.skipping > 0) {
      this.skipping--;
      return;
    }
    this.finishArgs();
    this.cur = null;
    this.lastEnded = null;
    const frame = this.stack.pop();
    if (frame === undefined) {
      this.error('unbalanced-brace', "Extra '}' found", pos);
      return;
    }
    if (frame.owner !== null) {
      frame.owner.blockEnd = pos;
      // An array grown by push keeps room for 16 more; an exact copy of a closed block (most hold
      // 1-6 statements) took bench/'s tree from 9.9 to 8.7 MB. The grown one is garbage at once.
      frame.owner.block = frame.statements.slice();
    }
    const parent = this.stack[this.stack.length - 1];
    this.current = parent === undefined ? this.root : parent.statements;
  }

  error(code: string, message: string, pos: SourcePos): void {
    this.diagnostics.push({ severity: 'error', pos, message, code });
  }

  /** Something that is not a statement (an include line): a `{` after it opens nothing. */
  barrier(): void {
    this.endLine();
    this.lastEnded = null;
  }

  /** End of a logical line: the statement is complete, but a `{` may still come for it. */
  endLine(): void {
    if (this.cur !== null) {
      this.finishArgs();
      this.lastEnded = this.cur;
      this.cur = null;
    }
  }

  /** End of input: every block still open is missing its `}`. */
  finish(): void {
    this.endLine();
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const f = this.stack[i]!;
      const what = f.owner === null ? "'{'" : `block '${f.owner.keyword.text}'`;
      this.diagnostics.push({
        severity: 'error',
        pos: f.open,
        message: `missing '}': ${what} opened at ${formatPos(f.open)} is never closed`,
        code: 'unbalanced-brace',
      });
    }
    this.stack.length = 0;
    this.current = this.root;
  }
}
