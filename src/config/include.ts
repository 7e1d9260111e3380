import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * `include GLOB` as keepalived 2.2.7 resolves it: glob(3) with GLOB_BRACE, relative to the
 * directory of the including file, matches in sorted order, directories skipped. The variants add
 * checks (keepalived.conf(5) "include_check"): a problem that plain `include` only logs becomes a
 * configuration error.
 */

export type IncludeKeyword = 'include' | 'includer' | 'includem' | 'includew' | 'includeb' | 'includea';

export interface IncludeChecks {
  /** includer / includea: a matched file that cannot be read is an error. */
  readable: boolean;
  /** includem / includea: a pattern that matches nothing is an error. */
  match: boolean;
  /** includew / includea: a wildcard (* ? [) that matches nothing is an error. */
  wildcardMatch: boolean;
  /** includeb / includea: a brace alternative that matches nothing is an error. */
  braceMatch: boolean;
}

const CHECKS: Record<IncludeKeyword, IncludeChecks> = {
  include: { readable: false, match: false, wildcardMatch: false, braceMatch: false },
  includer: { readable: true, match: false, wildcardMatch: false, braceMatch: false },
  includem: { readable: false, match: true, wildcardMatch: false, braceMatch: false },
  includew: { readable: false, match: false, wildcardMatch: true, braceMatch: false },
  includeb: { readable: false, match: false, wildcardMatch: false, braceMatch: true },
  includea: { readable: true, match: true, wildcardMatch: true, braceMatch: true },
};

export function includeChecks(keyword: string): IncludeChecks | undefined {
  return Object.prototype.hasOwnProperty.call(CHECKS, keyword) ? CHECKS[keyword as IncludeKeyword] : undefined;
}

/** Brace expansions beyond this are not expanded further (a hostile `{a,b}{a,b}...`). */
const MAX_BRACE_EXPANSIONS = 4096;

/** csh-style `{a,b{c,d}}` expansion, left to right, as GLOB_BRACE does. */
export function expandBraces(pattern: string): string[] {
  const out: string[] = [];
  const work: string[] = [pattern];
  while (work.length > 0) {
    const p = work.shift()!;
    const open = p.indexOf('{');
    let close = -1;
    const commas: number[] = [];
    if (open >= 0) {
      let depth = 0;
      for (let i = open; i < p.length; i++) {
        const c = p[i];
        if (c === '{') depth++;
        else if (c === '}') {
          depth--;
          if (depth === 0) {
            close = i;
            break;
          }
        } else if (c === ',' && depth === 1) commas.push(i);
      }
    }
    if (open < 0 || close < 0 || out.length + work.length >= MAX_BRACE_EXPANSIONS) {
      out.push(p);
      continue;
    }
    const head = p.slice(0, open);
    const tail = p.slice(close + 1);
    const cuts = [open, ...commas, close];
    const alts: string[] = [];
    for (let k = 0; k + 1 < cuts.length; k++) alts.push(head + p.slice(cuts[k]! + 1, cuts[k + 1]) + tail);
    work.unshift(...alts);
  }
  return out;
}

export function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** One path segment of a glob as a RegExp; a leading `.` must be matched literally, as in glob(3). */
function segmentRegExp(seg: string): RegExp {
  let re = seg.startsWith('.') ? '^' : '^(?!\\.)';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, end);
      const neg = body.startsWith('!') || body.startsWith('^');
      if (neg) body = body.slice(1);
      re += (neg ? '[^' : '[') + body.replace(/[\\\]^]/g, (m) => '\\' + m) + ']';
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * A real glob on the file system: relative patterns give paths relative to `cwd`, absolute ones
 * absolute paths; directories are left out (keepalived skips them); each brace alternative's
 * matches are sorted, alternatives kept in their written order.
 */
export function defaultGlob(pattern: string, cwd: string): string[] {
  const result: string[] = [];
  const seen = new Set<string>();
  for (const alt of expandBraces(pattern)) {
    const absolute = path.isAbsolute(alt);
    const segments = alt.split('/').filter((s) => s.length > 0);
    let partials: string[] = [absolute ? '/' : ''];
    for (const seg of segments) {
      const next: string[] = [];
      for (const base of partials) {
        const real = absolute ? base : path.join(cwd, base === '' ? '.' : base);
        if (!hasWildcard(seg)) {
          next.push(base === '' ? seg : path.join(base, seg));
          continue;
        }
        let names: string[];
        try {
          names = readdirSync(real);
        } catch {
          continue;
        }
        const re = segmentRegExp(seg);
        for (const name of names.sort()) if (re.test(name)) next.push(base === '' ? name : path.join(base, name));
      }
      partials = next;
      if (partials.length === 0) break;
    }
    const matches = partials
      .filter((p) => p !== '' && p !== '/')
      .filter((p) => {
        const real = absolute ? p : path.join(cwd, p);
        return exists(real) && !isDirectory(real);
      })
      .sort();
    for (const m of matches) {
      if (!seen.has(m)) {
        seen.add(m);
        result.push(m);
      }
    }
  }
  return result;
}
