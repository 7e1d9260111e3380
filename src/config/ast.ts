import type { SourcePos } from './diagnostics.js';

/**
 * The untyped syntax tree of keepalived.conf, after `include`, `@ID` conditionals and `$NAME`
 * parameters have been applied. keepalived's grammar is line based: a statement is the words of one
 * logical line, optionally followed by a `{ ... }` block of further statements. Inside list blocks
 * (virtual_ipaddress, notification_email, ...) the first word is data, not a keyword; the typed
 * layer decides which.
 */
export interface Word {
  /** The word with quotes removed (a quoted string is one word). */
  text: string;
  /** True when the word was written in double quotes. */
  quoted: boolean;
  pos: SourcePos;
}

export interface Statement {
  /** First word of the line: the keyword (or list item). */
  keyword: Word;
  /** The remaining words of the line, before any `{`. */
  args: Word[];
  /** Present when the statement opens a block. */
  block?: Statement[];
  /** Where the block's closing brace was (for messages about the block as a whole). */
  blockEnd?: SourcePos;
}

export interface ParsedFile {
  statements: Statement[];
  /** Every file read, the top one first (includes resolved). */
  files: string[];
}
