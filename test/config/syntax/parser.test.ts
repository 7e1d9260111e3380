import { describe, expect, it } from 'vitest';
import { parseConfigFile, parseConfigText } from '../../../src/config/parser.js';
import { MAX_DEPTH } from '../../../src/config/syntax-tree.js';
import { lines, shape } from './helpers.js';

const opts = { configId: 'node1' };
const parse = (text: string) => parseConfigText(text, 'k.conf', opts);

describe('comments', () => {
  it('# and ! start a comment at line start and after values', () => {
    const r = parse('! header\n# another\nrouter_id r1 # trailing\npriority 100 ! bang\n');
    expect(shape(r.parsed.statements)).toEqual([
      ['router_id', 'r1'],
      ['priority', '100'],
    ]);
    expect(r.diagnostics).toEqual([]);
  });

  it('a comment starts in the middle of a word, as in keepalived', () => {
    expect(shape(parse('path /a#b !c\nx y!z\n').parsed.statements)).toEqual([['path', '/a'], ['x', 'y']]);
  });

  it('\\# and \\! outside quotes are literal characters; inside quotes # is text', () => {
    const r = parse('a \\#1 \\!2 "q#r" "s\\#t"\n');
    expect(shape(r.parsed.statements)).toEqual([['a', '#1', '!2', 'q#r', 's\\#t']]);
    // Columns still point at the user's text although a backslash was removed before them.
    expect(r.parsed.statements[0]!.args.map((w) => w.pos.column)).toEqual([3, 7, 11, 17]);
  });

  it('!include at line start is a comment: nothing is globbed or read', () => {
    const calls: string[] = [];
    const r = parseConfigText('!include conf/*.conf\nx 1\n', 'k.conf', {
      ...opts,
      glob: (p) => {
        calls.push(p);
        return [];
      },
    });
    expect(shape(r.parsed.statements)).toEqual([['x', '1']]);
    expect(calls).toEqual([]);
    expect(r.diagnostics).toEqual([]);
  });
});

describe('words and quotes', () => {
  it('a double-quoted string is one word without its quotes; glued text is a word of its own', () => {
    const r = parse('router_id "a b" x"y z"w\n');
    const s = r.parsed.statements[0]!;
    expect([s.keyword.text, ...s.args.map((a) => a.text)]).toEqual(['router_id', 'a b', 'x', 'y z', 'w']);
    expect(s.args.map((a) => a.quoted)).toEqual([true, false, true, false]);
    expect(s.args.map((a) => a.pos.column)).toEqual([11, 17, 18, 23]);
  });

  it('single quotes are ordinary characters (keepalived splits on blanks only)', () => {
    expect(shape(parse("'sq x' y\n").parsed.statements)).toEqual([["'sq", "x'", 'y']]);
  });

  it('quoted braces are words, not blocks', () => {
    const r = parse('x "{" "}"\n');
    expect(shape(r.parsed.statements)).toEqual([['x', '{', '}']]);
    expect(r.diagnostics).toEqual([]);
  });

  it('an unterminated quote is an error at the quote; the rest of the line is the word', () => {
    const r = parse('notify "/bin/x # y\nz 1\n');
    expect(shape(r.parsed.statements)).toEqual([['notify', '/bin/x # y'], ['z', '1']]);
    expect(lines(r.diagnostics)).toEqual([
      `k.conf:1:8: error: Unterminated quote 'notify "/bin/x # y' [unterminated-quote]`,
    ]);
  });

  it('tabs separate words and count as one column', () => {
    const r = parse('\tstate\tMASTER\n');
    const s = r.parsed.statements[0]!;
    expect(s.keyword.pos).toEqual({ file: 'k.conf', line: 1, column: 2 });
    expect(s.args[0]!.pos).toEqual({ file: 'k.conf', line: 1, column: 8 });
  });

  it('CRLF line endings are plain line ends', () => {
    const r = parse('a 1\r\nb {\r\n  c 2\r\n}\r\n');
    expect(shape(r.parsed.statements)).toEqual([['a', '1'], ['b', [['c', '2']]]]);
    expect(r.parsed.statements[1]!.blockEnd).toEqual({ file: 'k.conf', line: 4, column: 1 });
    expect(r.diagnostics).toEqual([]);
  });

  it('UTF-8 text: columns count code points, comments in Chinese are comments', () => {
    const r = parse('router_id 路由器 x # 中文注释\ny 😀 z\n');
    expect(shape(r.parsed.statements)).toEqual([['router_id', '路由器', 'x'], ['y', '😀', 'z']]);
    expect(r.parsed.statements[0]!.args[1]!.pos.column).toBe(15);
    expect(r.parsed.statements[1]!.args[1]!.pos.column).toBe(5);
    // Also right after a backslash (kept as text), and inside quotes.
    const q = parse('a \\😀 b\nc "😀" d\n');
    expect(q.parsed.statements.flatMap((s) => s.args.map((w) => [w.text, w.pos.column]))).toEqual([
      ['\\😀', 3],
      ['b', 6],
      ['😀', 3],
      ['d', 7],
    ]);
  });

  it('a leading byte order mark is not part of the first word', () => {
    expect(shape(parse('\ufeffglobal_defs {\n}\n').parsed.statements)).toEqual([['global_defs', []]]);
  });
});

describe('blocks', () => {
  it('{ glued to the name, { alone, and } after words', () => {
    const r = parse('vrrp_instance VI_180{\n\tauthentication{\n\t\tauth_pass 1111 }\n\tvirtual_ipaddress { 192.0.2.1 }\n}\n');
    expect(shape(r.parsed.statements)).toEqual([
      ['vrrp_instance', 'VI_180', [['authentication', [['auth_pass', '1111']]], ['virtual_ipaddress', [['192.0.2.1']]]]],
    ]);
    expect(r.diagnostics).toEqual([]);
    const vi = r.parsed.statements[0]!;
    expect(vi.blockEnd).toEqual({ file: 'k.conf', line: 5, column: 1 });
    expect(vi.block![0]!.blockEnd).toEqual({ file: 'k.conf', line: 3, column: 18 });
  });

  it('a block may open on a later line, after blank and comment lines (keepalived accepts it)', () => {
    const r = parse('vrrp_instance VI_1\n\n# c\n{\n  priority 1\n}\n');
    expect(shape(r.parsed.statements)).toEqual([['vrrp_instance', 'VI_1', [['priority', '1']]]]);
    expect(r.diagnostics).toEqual([]);
  });

  it('words after a } on the same line are the next statement', () => {
    expect(shape(parse('a { b } c d\n').parsed.statements)).toEqual([['a', [['b']]], ['c', 'd']]);
  });

  it('an empty block is an empty list', () => {
    const r = parse('virtual_ipaddress {\n}\n');
    expect(r.parsed.statements[0]!.block).toEqual([]);
  });

  it('a stray } is an error naming itself', () => {
    const r = parse('a {\n}\n  }\nb 1\n');
    expect(shape(r.parsed.statements)).toEqual([['a', []], ['b', '1']]);
    expect(lines(r.diagnostics)).toEqual(["k.conf:3:3: error: Extra '}' found [unbalanced-brace]"]);
  });

  it('an unclosed { is an error at the place it was opened', () => {
    const r = parse('global_defs {\n  router_id x\nvrrp_instance VI_1 {\n  state MASTER\n');
    expect(lines(r.diagnostics)).toEqual([
      "k.conf:3:20: error: missing '}': block 'vrrp_instance' opened at k.conf:3:20 is never closed [unbalanced-brace]",
      "k.conf:1:13: error: missing '}': block 'global_defs' opened at k.conf:1:13 is never closed [unbalanced-brace]",
    ]);
    // What was read is still there for the typed layer.
    expect(shape(r.parsed.statements)).toEqual([
      ['global_defs', [['router_id', 'x'], ['vrrp_instance', 'VI_1', [['state', 'MASTER']]]]],
    ]);
  });

  it('a { that follows no statement is unexpected, and its contents stay at the current level', () => {
    const r = parse('{\n  a 1\n}\nb {\n}\n{\n}\n');
    expect(shape(r.parsed.statements)).toEqual([['a', '1'], ['b', []]]);
    expect(lines(r.diagnostics)).toEqual([
      "k.conf:1:1: error: Unexpected '{' - ignoring [unexpected-brace]",
      "k.conf:6:1: error: Unexpected '{' - ignoring [unexpected-brace]",
    ]);
  });

  it(`nesting deeper than ${MAX_DEPTH} is one error and is skipped; 100,000 levels do not blow the stack`, () => {
    const depth = 100_000;
    const text = 'a {\n'.repeat(depth) + '}\n'.repeat(depth) + 'after 1\n';
    const r = parse(text);
    expect(lines(r.diagnostics)).toEqual([
      `k.conf:${MAX_DEPTH + 1}:3: error: blocks nested deeper than ${MAX_DEPTH} levels - skipping this block [nesting-too-deep]`,
    ]);
    // MAX_DEPTH real levels are kept, then the next statement at top level.
    let level = r.parsed.statements;
    let kept = 0;
    while (level[0]?.block !== undefined) {
      kept++;
      level = level[0].block;
    }
    expect(kept).toBe(MAX_DEPTH);
    expect(shape([r.parsed.statements[1]!])).toEqual([['after', '1']]);
  });
});

describe('entry points', () => {
  it('parseConfigFile reports a missing file as an error, without throwing', () => {
    const r = parseConfigFile('/nonexistent/kts-syntax/keepalived.conf', opts);
    expect(lines(r.diagnostics)).toEqual([
      '/nonexistent/kts-syntax/keepalived.conf:1:1: error: Unable to read configuration file /nonexistent/kts-syntax/keepalived.conf (ENOENT) [config-unreadable]',
    ]);
    expect(r.parsed).toEqual({ statements: [], files: [] });
  });

  it('parseConfigFile reads through the injected reader and records the file', () => {
    const r = parseConfigFile('/v/main.conf', { ...opts, readFile: () => 'a 1\n' });
    expect(shape(r.parsed.statements)).toEqual([['a', '1']]);
    expect(r.parsed.files).toEqual(['/v/main.conf']);
    expect(r.parsed.statements[0]!.keyword.pos.file).toBe('/v/main.conf');
  });

  it('an empty text and a text of only comments give no statements and no diagnostics', () => {
    expect(parse('')).toEqual({ parsed: { statements: [], files: ['k.conf'] }, diagnostics: [] });
    expect(parse('# x\n\n   \n! y').parsed.statements).toEqual([]);
  });

  it('the last line needs no line end', () => {
    expect(shape(parse('a {\n b 2 }').parsed.statements)).toEqual([['a', [['b', '2']]]]);
  });
});
