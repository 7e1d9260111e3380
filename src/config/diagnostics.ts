/**
 * Errors and warnings about configuration text. Every one names its place (file:line:column) so a
 * user can jump to it; an error is what keepalived cannot run, a warning what it accepts and ignores
 * or corrects.
 */
export interface SourcePos {
  /** Path as the user gave it (or as resolved from an `include`). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column, counted in Unicode code points. */
  column: number;
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  pos: SourcePos;
  /** The problem in keepalived's own words where keepalived reports it. */
  message: string;
  /** Stable machine-readable class, e.g. 'unknown-keyword', 'unbalanced-brace', 'vrid-range'. */
  code: string;
}

export function formatPos(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${formatPos(d.pos)}: ${d.severity}: ${d.message}`;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
