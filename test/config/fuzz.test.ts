import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Statement } from '../../src/config/ast.js';
import type { Diagnostic } from '../../src/config/diagnostics.js';
import { SYNTAX_CODES, parseConfigText } from '../../src/config/parser.js';
import type { ParseOptions, ParseResult } from '../../src/config/parser.js';
import { MAX_DEPTH } from '../../src/config/syntax-tree.js';
import { ARTICLE_BACKUP_CONF, ARTICLE_MASTER_CONF } from './syntax/article-files.js';

/**
 * Fuzz: 100,000 inputs — random strings, random bytes, soups of keepalived's special tokens, and
 * grammar-aware mutations of realistic configurations — each must give a well-formed ParseResult
 * and never throw. The function under test is `target`: the typed layer can swap in its full load.
 */

/** A small in-memory file system, so `include` lines in the inputs (and cycles) are exercised. */
const FILES: Record<string, string> = {
  '/fz/inc/a.conf': 'vrrp_script chk {\n  script "/bin/true"\n}\ninclude b.conf\n',
  '/fz/inc/b.conf': 'include a.conf\n} } {\n',
  '/fz/inc/c.conf': '$X=1\n~SEQ(N, 1, 3) x $N\n',
};
const fuzzOptions: ParseOptions = {
  configId: 'lb1',
  readFile: (p) => {
    const t = FILES[p];
    if (t === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return t;
  },
  glob: (pattern, cwd) => {
    const re = new RegExp('^' + path.join(cwd, pattern).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.') + '$');
    return Object.keys(FILES).filter((f) => re.test(f)).sort();
  },
  // ~SEQ with a mutated huge bound must stay cheap here; the default bound is tested elsewhere.
  maxExpandedLines: 500,
};

export function target(text: string): ParseResult {
  return parseConfigText(text, '/fz/keepalived.conf', fuzzOptions);
}

function validPos(p: { file: unknown; line: unknown; column: unknown }): boolean {
  return (
    typeof p.file === 'string' &&
    Number.isInteger(p.line) &&
    (p.line as number) >= 1 &&
    Number.isInteger(p.column) &&
    (p.column as number) >= 1
  );
}

/** Throws (failing the property) unless the result is well formed. Iterative: no recursion. */
function checkResult(r: ParseResult): true {
  if (!Array.isArray(r.diagnostics) || !Array.isArray(r.parsed.statements) || !Array.isArray(r.parsed.files)) {
    throw new Error('malformed result');
  }
  for (const d of r.diagnostics as Diagnostic[]) {
    if ((d.severity !== 'error' && d.severity !== 'warning') || typeof d.code !== 'string' || d.code === '') {
      throw new Error(`bad diagnostic ${JSON.stringify(d)}`);
    }
    if (d.code === 'internal-error') throw new Error(`parser bug: ${d.message}`);
    if (!(SYNTAX_CODES as readonly string[]).includes(d.code)) throw new Error(`undocumented code ${d.code}`);
    if (!validPos(d.pos) || typeof d.message !== 'string') throw new Error(`bad diagnostic ${JSON.stringify(d)}`);
  }
  const work: Array<[Statement[], number]> = [[r.parsed.statements, 1]];
  while (work.length > 0) {
    const [list, depth] = work.pop()!;
    if (depth > MAX_DEPTH + 1) throw new Error(`tree deeper than ${MAX_DEPTH}`);
    for (const s of list) {
      for (const w of [s.keyword, ...s.args]) {
        if (typeof w.text !== 'string' || typeof w.quoted !== 'boolean' || !validPos(w.pos)) {
          throw new Error(`bad word ${JSON.stringify(w)}`);
        }
      }
      if (s.block !== undefined) work.push([s.block, depth + 1]);
    }
  }
  return true;
}

const SEEDS = [
  ARTICLE_MASTER_CONF,
  ARTICLE_BACKUP_CONF,
  [
    'global_defs {',
    '  @lb1 router_id main_router',
    '  @^lb1 router_id other',
    '  notification_email { ops@example.org }',
    '}',
    '$PRIO=150',
    '$VIP=192.0.2.10',
    'vrrp_instance VI_1 {',
    '  state BACKUP',
    '  interface eth0',
    '  virtual_router_id 51',
    '  priority ${PRIO}',
    '  advert_int 1',
    '  authentication { auth_type PASS',
    '    auth_pass "se cret" }',
    '  virtual_ipaddress {',
    '    $VIP/24 dev eth0 label eth0:1',
    '    ~SEQ(N, 1, 3) 198.51.100.${N}/32',
    '  }',
    '  notify_master "/etc/keepalived/notify.sh MASTER \\#1"',
    '}',
    'include inc/*.conf',
  ].join('\n'),
  [
    '$RS= \\',
    'real_server 192.0.2.${N} 80 { \\',
    '  weight 1 \\',
    '  HTTP_GET { url { path / \\',
    '    status_code 200 } } \\',
    '}',
    'virtual_server fwmark 1 {',
    '  lb_algo rr',
    '  ~LST(N, 1, 2) $RS',
    '}',
    'virtual_server_group G { 203.0.113.1 80 }',
  ].join('\r\n'),
];

/** Split a text into the pieces mutations act on: words, blanks, braces, quotes and line ends. */
function pieces(text: string): string[] {
  return text.match(/[{}"\n]|[ \t]+|[^{}"\n \t]+/g) ?? [];
}

type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'swap'; a: number; b: number }
  | { op: 'truncate'; at: number }
  | { op: 'huge'; at: number; n: string }
  | { op: 'insert'; at: number; s: string }
  | { op: 'duplicate'; at: number; count: number }
  | { op: 'nest'; at: number; depth: number };

const special = fc.constantFrom(
  '{', '}', '"', '#', '!', '\\', '\\\n', '$', '${', '$X=', '${X}', '$M= \\\n', '@lb1 ', '@^lb1 ', '@', '~SEQ(', '~SEQx(Q, 0x1, 0x3) ',
  '~LST({A,B},{1,2}) ', ')', ',', 'include ', 'include inc/*.conf\n', 'includea none\n', '\n', '\r\n', '\t', ' ', '\u0000',
  '\ufeff', '😀', '中文', '}{', '{{', '}}', 'vrrp_instance', 'real_server',
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('huge' as const),
    at: fc.nat(),
    n: fc.oneof(fc.constantFrom('99999999999999999999999', '-1', '0x7fffffffffffffff', '1e308', 'NaN', '4294967296'), fc.bigInt().map(String)),
  }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), s: special }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ op: fc.constant('nest' as const), at: fc.nat(), depth: fc.integer({ min: 1, max: 300 }) }),
);

function mutate(seed: string, ms: readonly Mutation[]): string {
  const p = pieces(seed);
  for (const m of ms) {
    if (p.length === 0) p.push('');
    const at = (m.op === 'swap' ? m.a : m.at) % p.length;
    switch (m.op) {
      case 'drop':
        p.splice(at, 1);
        break;
      case 'swap': {
        const b = m.b % p.length;
        [p[at], p[b]] = [p[b]!, p[at]!];
        break;
      }
      case 'truncate':
        p[at] = p[at]!.slice(0, Math.floor(p[at]!.length / 2));
        break;
      case 'huge': {
        // Prefer a number near `at`, as a user's typo would be.
        let k = at;
        while (k < p.length && !/^-?\d+$/.test(p[k]!)) k++;
        p[k < p.length ? k : at] = m.n;
        break;
      }
      case 'insert':
        p.splice(at, 0, m.s);
        break;
      case 'duplicate':
        p.splice(at, 0, ...new Array<string>(m.count).fill(p[at]!));
        break;
      case 'nest':
        p.splice(at, 0, 'a {\n'.repeat(m.depth), '}\n'.repeat(m.depth >> 1));
        break;
    }
  }
  return p.join('');
}

const total = { runs: 0 };
function run(text: string): boolean {
  total.runs++;
  return checkResult(target(text));
}

describe('fuzz: the config parser never throws and always returns a well-formed result', () => {
  it('random strings (30,000)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 300 })), run),
      { numRuns: 30_000 },
    );
  });

  it('random bytes read as UTF-8 (20,000)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => run(Buffer.from(bytes).toString('utf8'))),
      { numRuns: 20_000 },
    );
  });

  it("soups of keepalived's special tokens (15,000)", () => {
    const word = fc.oneof(special, fc.constantFrom('a', 'x 1', 'N', '1', '3', 'X', 'M', 'lb1', 'inc/a.conf', 'priority'));
    fc.assert(
      fc.property(fc.array(word, { maxLength: 80 }), (ws) => run(ws.join(''))),
      { numRuns: 15_000 },
    );
  });

  it('grammar-aware mutations of realistic configurations (35,000)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 8 }), (seed, ms) =>
        run(mutate(seed, ms)),
      ),
      { numRuns: 35_000 },
    );
  });

  it('deep nesting: 100,000 levels open, closed and unbalanced', () => {
    for (const text of ['a {\n'.repeat(100_000), '{'.repeat(100_000), '}'.repeat(100_000), 'a{'.repeat(100_000) + '}'.repeat(100_000)]) {
      expect(run(text)).toBe(true);
    }
    // 100,000 inputs in all, counting these.
    expect(total.runs).toBe(100_004);
  });
});
