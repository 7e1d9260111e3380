import type { Statement } from '../../../src/config/ast.js';
import type { Diagnostic } from '../../../src/config/diagnostics.js';
import { formatDiagnostic } from '../../../src/config/diagnostics.js';

/** A statement tree as nested arrays of word texts: ['kw', 'arg', [ ...block ]]. */
export type Shape = Array<string | Shape>;

export function shape(statements: readonly Statement[]): Shape[] {
  return statements.map((s) => {
    const out: Shape = [s.keyword.text, ...s.args.map((a) => a.text)];
    if (s.block !== undefined) out.push(shape(s.block));
    return out;
  });
}

/** Diagnostics as `file:line:column: severity: message [code]` lines. */
export function lines(ds: readonly Diagnostic[]): string[] {
  return ds.map((d) => `${formatDiagnostic(d)} [${d.code}]`);
}
