/**
 * Walks one block of statements against keepalived's keyword table: an unknown keyword is an
 * error with "did you mean", a keyword keepalived knows but keepalived-ts does not implement is a
 * warning that names it and its place, and an implemented keyword goes to its handler.
 */
import type { Statement } from './ast.js';
import { blockLabel, blocksKnowing, KEYWORDS, lookupKeyword, type BlockName } from './keywords.js';
import { suggest } from './suggest.js';
import type { Reporter } from './values.js';

export type Handler = (st: Statement) => void;

export function unknownKeywordMessage(keyword: string, where: BlockName): string {
  let msg = `Unknown keyword '${keyword}' in ${blockLabel(where)}`;
  const near = suggest(keyword, Object.keys(KEYWORDS[where]));
  if (near !== undefined) msg += ` - did you mean '${near}'?`;
  else {
    const elsewhere = blocksKnowing(keyword);
    if (elsewhere.length > 0) msg += ` (it is a keyword of ${elsewhere.map(blockLabel).join(', ')})`;
  }
  return msg;
}

export function walkBlock(
  r: Reporter,
  statements: readonly Statement[] | undefined,
  where: BlockName,
  handlers: Readonly<Record<string, Handler>>,
  /** Filled with the last statement of each implemented keyword met (for later checks' places). */
  seen?: Map<string, Statement>,
): void {
  if (!statements) return;
  for (const st of statements) {
    const kw = st.keyword.text;
    const info = lookupKeyword(where, kw);
    if (!info) {
      r.error(st.keyword.pos, 'unknown-keyword', unknownKeywordMessage(kw, where));
      continue;
    }
    const opensBlock = info.block !== undefined || info.list === true;
    if (opensBlock && !st.block) {
      r.error(st.keyword.pos, 'missing-block', `Missing '{' at beginning of configuration block '${kw}'`);
      continue;
    }
    if (!opensBlock && st.block) {
      r.error(st.keyword.pos, 'unexpected-block', `'${kw}' in ${blockLabel(where)} does not take a '{ ... }' block`);
      continue;
    }
    const handler = handlers[kw];
    if (!info.implemented || !handler) {
      r.warn(
        st.keyword.pos,
        'not-implemented',
        `'${kw}' in ${blockLabel(where)} is a keepalived keyword that keepalived-ts does not implement yet - ignored`,
      );
      // The block is ignored, but a word keepalived does not know in it is still an error.
      if (info.block !== undefined) checkUnknown(r, st.block, info.block);
      continue;
    }
    seen?.set(kw, st);
    handler(st);
  }
}

/** Only the unknown-keyword errors of a block keepalived-ts ignores (one warning covers the rest). */
function checkUnknown(r: Reporter, statements: readonly Statement[] | undefined, where: BlockName): void {
  for (const st of statements ?? []) {
    const info = lookupKeyword(where, st.keyword.text);
    if (!info) r.error(st.keyword.pos, 'unknown-keyword', unknownKeywordMessage(st.keyword.text, where));
    else if (info.block !== undefined) checkUnknown(r, st.block, info.block);
  }
}
