import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SourcePos } from '../../../src/config/diagnostics.js';
import { decomment, lexPlainLine, tokenizeLine, type TokenSink } from '../../../src/config/lexer.js';
import { parseConfigText } from '../../../src/config/parser.js';
import { SyntaxStatement } from '../../../src/config/syntax-tree.js';

/** Every call a TokenSink receives, as text, in order. */
class Recorder implements TokenSink {
  readonly calls: string[] = [];
  word(text: string, quoted: boolean, file: string, line: number, column: number): void {
    this.calls.push(`word ${JSON.stringify(text)} ${quoted} ${file}:${line}:${column}`);
  }
  open(p: SourcePos): void {
    this.calls.push(`open ${p.file}:${p.line}:${p.column}`);
  }
  close(p: SourcePos): void {
    this.calls.push(`close ${p.file}:${p.line}:${p.column}`);
  }
  error(code: string, message: string, p: SourcePos): void {
    this.calls.push(`error ${code} ${message} ${p.file}:${p.line}:${p.column}`);
  }
}

/** What the general path (decomment, then tokenizeLine) hands on for raw[start..end). */
function general(raw: string, start: number, end: number): string[] {
  const r = new Recorder();
  const l = decomment(raw, start, end, 'k.conf', 7);
  if (l.text !== '') tokenizeLine(l, r);
  return r.calls;
}

function plain(raw: string, start: number, end: number): { taken: boolean; calls: string[] } {
  const r = new Recorder();
  const taken = lexPlainLine(raw, start, end, 'k.conf', 7, r);
  return { taken, calls: r.calls };
}

// Characters that matter to decomment/tokenizeLine, plus ordinary ones.
const piece = fc.constantFrom(
  'a', 'b', 'weight', '1', '192.0.2.1', ' ', '  ', '\t', '\f', '\r', '{', '}', '"', '#', '!', '\\', '$', '${X}',
  '@', '~', 'include', 'i', '\u{1F600}', 'é', '\\#',
);
const lineText = fc.array(piece, { maxLength: 14 }).map((a) => a.join(''));

describe('lexPlainLine (the one-pass reader of plain lines)', () => {
  it('hands on exactly what decomment + tokenizeLine do, or declines having handed on nothing', () => {
    fc.assert(
      fc.property(lineText, lineText, lineText, (before, text, after) => {
        // The line sits inside a larger text, as it does inside a file.
        const raw = `${before}\n${text}\n${after}`;
        const start = before.length + 1;
        const end = start + text.length;
        const p = plain(raw, start, end);
        if (p.taken) expect(p.calls).toEqual(general(raw, start, end));
        else expect(p.calls).toEqual([]);
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes the ordinary lines of a keepalived.conf', () => {
    for (const l of ['    weight 1', 'virtual_server 192.0.2.1 80 {', '}', '  url { path "/a b" }   # note', '', '   ! only a comment', 'x y!z']) {
      const p = plain(l, 0, l.length);
      expect(p.taken, l).toBe(true);
      expect(p.calls).toEqual(general(l, 0, l.length));
    }
  });

  it('declines lines with their own readers or rewriting: $, @, ~, include, \\, unterminated quote, surrogates', () => {
    for (const l of ['a $X', '@node1 a', '~SEQ(i,1,2) a', 'include x.conf', '  includer x', 'a \\#b', 'a b \\', 'a # c \\', 'a "b', 'a \u{1F600}']) {
      expect(plain(l, 0, l.length), l).toEqual({ taken: false, calls: [] });
    }
  });
});

describe('SyntaxStatement (a statement that is its own keyword word)', () => {
  it('keyword is the statement itself, with the keyword place; JSON shows the plain statement', () => {
    const r = parseConfigText('vrrp_instance VI_1 {\n  priority 100\n}\n', 'k.conf', { configId: 'n' });
    const st = r.parsed.statements[0]!;
    expect(st).toBeInstanceOf(SyntaxStatement);
    expect(st.keyword).toBe(st);
    expect(st.keyword.pos).toEqual({ file: 'k.conf', line: 1, column: 1 });
    expect(JSON.parse(JSON.stringify(st))).toEqual({
      keyword: { text: 'vrrp_instance', quoted: false, pos: { file: 'k.conf', line: 1, column: 1 } },
      args: [{ text: 'VI_1', quoted: false, pos: { file: 'k.conf', line: 1, column: 15 } }],
      block: [
        {
          keyword: { text: 'priority', quoted: false, pos: { file: 'k.conf', line: 2, column: 3 } },
          args: [{ text: '100', quoted: false, pos: { file: 'k.conf', line: 2, column: 12 } }],
        },
      ],
      blockEnd: { file: 'k.conf', line: 3, column: 1 },
    });
  });
});
