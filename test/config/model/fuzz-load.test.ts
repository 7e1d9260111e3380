import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasErrors } from '../../../src/config/diagnostics.js';
import { KEYWORDS } from '../../../src/config/keywords.js';
import { loadConfigText } from '../../../src/config/load.js';
import { printConfig } from '../../../src/config/printer.js';
import { keepalivedConfigArb } from './arbitraries.js';

/**
 * The whole loader (parse + build + validate) on hostile input: grammar-aware mutations of the
 * files in conf/ and of printed random configurations. Every input gives a config or an error,
 * never an exception; a config comes with no error, an error with no config. (The parser's own
 * fuzz, test/config/fuzz.test.ts, covers random bytes and token soups: 100,000 inputs.)
 */
const CONF = join(import.meta.dirname, '../../../conf');
const seeds = readdirSync(CONF).filter((f) => f.endsWith('.conf')).sort().map((f) => readFileSync(join(CONF, f), 'utf8'));
// Two printed random configurations, the smallest of a few, so every keyword group is mutated too.
seeds.push(...fc.sample(keepalivedConfigArb, { numRuns: 8, seed: 42 }).map(printConfig).sort((a, b) => a.length - b.length).slice(0, 2));
const allKeywords = [...new Set(Object.values(KEYWORDS).flatMap((t) => Object.keys(t)))];
const hostile = ['{', '}', '{{', '}}', '"', '"unterminated', '#', '!', '@', '@n', '$X', '$X=1', '~SEQ(1,2,3)', 'include', '-1', '0',
  '4294967296', '99999999999999999999999', '1e309', 'NaN', '0x10', '1.5', '::', '192.0.2.999', '2001:db8::1', 'fwmark', 'group', '\t', ' ', '\u0000', 'é', '中'];

type Mutation =
  | { kind: 'dropLine'; at: number }
  | { kind: 'dupLine'; at: number }
  | { kind: 'truncate'; at: number; keep: number }
  | { kind: 'swapWords'; at: number; i: number; j: number }
  | { kind: 'replaceWord'; at: number; i: number; word: string }
  | { kind: 'insertLine'; at: number; words: string[] }
  | { kind: 'dropBrace'; nth: number }
  | { kind: 'nest'; at: number; depth: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('dropLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('dupLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), keep: fc.nat({ max: 40 }) }),
  fc.record({ kind: fc.constant('swapWords' as const), at: fc.nat(), i: fc.nat({ max: 6 }), j: fc.nat({ max: 6 }) }),
  fc.record({ kind: fc.constant('replaceWord' as const), at: fc.nat(), i: fc.nat({ max: 6 }), word: fc.oneof(fc.constantFrom(...hostile), fc.constantFrom(...allKeywords), fc.string({ maxLength: 6 })) }),
  fc.record({ kind: fc.constant('insertLine' as const), at: fc.nat(), words: fc.array(fc.oneof(fc.constantFrom(...allKeywords), fc.constantFrom(...hostile)), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('dropBrace' as const), nth: fc.nat() }),
  fc.record({ kind: fc.constant('nest' as const), at: fc.nat(), depth: fc.integer({ min: 1, max: 100 }) }),
);

function apply(text: string, muts: readonly Mutation[]): string {
  let lines = text.split('\n');
  for (const m of muts) {
    const n = Math.max(1, lines.length);
    switch (m.kind) {
      case 'dropLine':
        lines.splice(m.at % n, 1);
        break;
      case 'dupLine':
        lines.splice(m.at % n, 0, lines[m.at % n] ?? '');
        break;
      case 'truncate': {
        const l = lines[m.at % n] ?? '';
        lines[m.at % n] = l.slice(0, m.keep % (l.length + 1));
        break;
      }
      case 'swapWords': {
        const w = (lines[m.at % n] ?? '').split(/(\s+)/);
        const idx = w.map((x, k) => (/\S/.test(x) ? k : -1)).filter((k) => k >= 0);
        if (idx.length > 1) {
          const a = idx[m.i % idx.length]!;
          const b = idx[m.j % idx.length]!;
          [w[a], w[b]] = [w[b]!, w[a]!];
          lines[m.at % n] = w.join('');
        }
        break;
      }
      case 'replaceWord': {
        const w = (lines[m.at % n] ?? '').split(/(\s+)/);
        const idx = w.map((x, k) => (/\S/.test(x) ? k : -1)).filter((k) => k >= 0);
        if (idx.length > 0) {
          w[idx[m.i % idx.length]!] = m.word;
          lines[m.at % n] = w.join('');
        }
        break;
      }
      case 'insertLine':
        lines.splice(m.at % (lines.length + 1), 0, m.words.join(' '));
        break;
      case 'dropBrace': {
        const joined = lines.join('\n');
        const positions = [...joined.matchAll(/[{}]/g)].map((x) => x.index!);
        if (positions.length > 0) {
          const p = positions[m.nth % positions.length]!;
          lines = (joined.slice(0, p) + joined.slice(p + 1)).split('\n');
        }
        break;
      }
      case 'nest': {
        const at = m.at % (lines.length + 1);
        lines.splice(at, 0, 'real_server 192.0.2.1 80 {'.repeat(1) + '\n' + 'HTTP_GET {\n'.repeat(m.depth) + '}\n'.repeat(m.depth) + '}');
        break;
      }
    }
  }
  return lines.join('\n');
}

function check(text: string): void {
  const r = loadConfigText(text, 'fuzz.conf', { configId: 'n', readFile: () => { throw new Error('no includes in fuzzing'); }, glob: () => [] });
  expect(Array.isArray(r.diagnostics)).toBe(true);
  expect(r.config === undefined).toBe(hasErrors(r.diagnostics));
  for (const d of r.diagnostics) {
    expect(d.pos.line).toBeGreaterThanOrEqual(1);
    expect(d.pos.column).toBeGreaterThanOrEqual(1);
  }
}

describe('loadConfigText fuzz (whole loader)', () => {
  it('grammar-aware mutations of conf/ files and printed configurations (10,000 inputs): a config or an error, never a throw', () => {
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 5 }), (s, muts) => {
        check(apply(seeds[s]!, muts));
      }),
      { numRuns: 10_000 },
    );
  }, 180_000);

  it('huge numbers in every numeric position of a conf file (2,000 inputs)', () => {
    const base = seeds[0]!;
    const numbers = [...base.matchAll(/\b\d+(\.\d+)?\b/g)].map((m) => m.index!);
    fc.assert(
      fc.property(fc.nat({ max: numbers.length - 1 }), fc.constantFrom('99999999999999999999', '-99999999999999999999', '1e400', '4294967296', '-0', '00000000000000000001'), (i, big) => {
        const p = numbers[i]!;
        const end = p + /^\d+(\.\d+)?/.exec(base.slice(p))![0].length;
        check(base.slice(0, p) + big + base.slice(end));
      }),
      { numRuns: 2_000 },
    );
  }, 60_000);
});
