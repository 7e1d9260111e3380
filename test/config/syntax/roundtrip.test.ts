import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/parser.js';

/**
 * Property: any statement tree, written out in any of the layouts keepalived accepts (brace glued
 * or spaced or on the next line, `}` after words, comments after values, tabs, CRLF, blank lines),
 * parses back to the same tree, with every word's quoted flag and a position on the right line.
 */

interface Node {
  words: Array<{ text: string; quoted: boolean }>;
  block?: Node[];
}

const plainWord = fc.stringMatching(/^[A-Za-z0-9_./:-]{1,12}$/).filter((w) => !w.startsWith('include'));
const quotedWord = fc.stringMatching(/^[a-z0-9 #!{}'.-]{0,12}$/);
const word = fc.oneof(
  { weight: 4, arbitrary: plainWord.map((text) => ({ text, quoted: false })) },
  { weight: 1, arbitrary: quotedWord.map((text) => ({ text, quoted: true })) },
);
const statement = (block: fc.Arbitrary<Node[]> | null): fc.Arbitrary<Node> =>
  fc.record(
    {
      words: fc.tuple(plainWord.map((text) => ({ text, quoted: false })), fc.array(word, { maxLength: 4 })).map(([k, a]) => [k, ...a]),
      ...(block === null ? {} : { block }),
    },
    { requiredKeys: ['words'] },
  ) as fc.Arbitrary<Node>;
const tree: fc.Arbitrary<Node[]> = fc.letrec<{ level: Node[] }>((tie) => ({
  level: fc.array(fc.oneof({ depthSize: 'small', withCrossShrink: true }, statement(null), statement(tie('level'))), {
    maxLength: 4,
  }),
})).level;

interface Layout {
  open: 'glued' | 'spaced' | 'nextLine';
  closeAfterWords: boolean;
  comment: '' | ' # note' | '\t! note {';
  indent: '' | '\t' | '  ';
  eol: '\n' | '\r\n';
  blankLines: boolean;
}
const layout: fc.Arbitrary<Layout> = fc.record({
  open: fc.constantFrom('glued' as const, 'spaced' as const, 'nextLine' as const),
  closeAfterWords: fc.boolean(),
  comment: fc.constantFrom('' as const, ' # note' as const, '\t! note {' as const),
  indent: fc.constantFrom('' as const, '\t' as const, '  ' as const),
  eol: fc.constantFrom('\n' as const, '\r\n' as const),
  blankLines: fc.boolean(),
});

/** Write the tree; returns the text and, per statement in walk order, the line its keyword is on. */
function render(nodes: Node[], l: Layout): { text: string; keywordLines: number[] } {
  const out: string[] = [];
  const keywordLines: number[] = [];
  const words = (n: Node) => n.words.map((w) => (w.quoted ? `"${w.text}"` : w.text)).join(' ');
  // Test trees are a few levels deep: plain recursion is fine here.
  const walk = (list: Node[], depth: number) => {
    list.forEach((n, i) => {
      const pad = l.indent.repeat(depth);
      const isLast = i === list.length - 1;
      keywordLines.push(out.length + 1);
      if (n.block === undefined) {
        out.push(pad + words(n) + l.comment);
      } else {
        if (l.open === 'nextLine') {
          out.push(pad + words(n) + l.comment);
          if (l.blankLines) out.push('', pad + '# between');
          out.push(pad + '{');
        } else {
          out.push(pad + words(n) + (l.open === 'glued' ? '{' : ' {') + l.comment);
        }
        walk(n.block, depth + 1);
        const lastInner = n.block[n.block.length - 1];
        if (l.closeAfterWords && lastInner !== undefined && lastInner.block === undefined && l.comment === '') {
          out[out.length - 1] += ' }';
        } else {
          out.push(pad + '}');
        }
      }
      if (l.blankLines && !isLast) out.push('');
    });
  };
  walk(nodes, 0);
  return { text: out.join(l.eol) + l.eol, keywordLines };
}

function toNodes(statements: ReturnType<typeof parseConfigText>['parsed']['statements']): Node[] {
  return statements.map((s) => {
    const n: Node = { words: [s.keyword, ...s.args].map((w) => ({ text: w.text, quoted: w.quoted })) };
    if (s.block !== undefined) n.block = toNodes(s.block);
    return n;
  });
}

function keywordLinesOf(statements: ReturnType<typeof parseConfigText>['parsed']['statements']): number[] {
  const lines: number[] = [];
  const walk = (list: typeof statements) =>
    list.forEach((s) => {
      lines.push(s.keyword.pos.line);
      if (s.block !== undefined) walk(s.block);
    });
  walk(statements);
  return lines;
}

describe('round trip: any tree in any accepted layout parses back to itself', () => {
  it('holds for 1,000 random trees and layouts', () => {
    fc.assert(
      fc.property(tree, layout, (nodes, l) => {
        const { text, keywordLines } = render(nodes, l);
        const r = parseConfigText(text, 'rt.conf', { configId: 'x' });
        expect(r.diagnostics).toEqual([]);
        expect(toNodes(r.parsed.statements)).toEqual(nodes);
        expect(keywordLinesOf(r.parsed.statements)).toEqual(keywordLines);
      }),
      { numRuns: 1000 },
    );
  });
});
