import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultGlob, expandBraces } from '../../../src/config/include.js';
import { parseConfigFile, parseConfigText } from '../../../src/config/parser.js';
import { lines, shape } from './helpers.js';

let dir = '';
const write = (rel: string, text: string) => {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
};
const opts = { configId: 'n1' };

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kts-syntax-include-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('include on the file system', () => {
  it('a glob relative to the including file, matches in sorted order, each keeping its own positions', () => {
    const main = write('a/main.conf', 'global_defs {\n  router_id x\n}\ninclude conf.d/*.conf\nlast 1\n');
    write('a/conf.d/20-b.conf', 'vrrp_instance B {\n}\n');
    write('a/conf.d/10-a.conf', '# first\n  vrrp_instance A {\n}\n');
    write('a/conf.d/skip.txt', 'nope 1\n');
    mkdirSync(path.join(dir, 'a/conf.d/dir.conf'), { recursive: true });
    const r = parseConfigFile(main, opts);
    expect(r.diagnostics).toEqual([]);
    expect(shape(r.parsed.statements)).toEqual([
      ['global_defs', [['router_id', 'x']]],
      ['vrrp_instance', 'A', []],
      ['vrrp_instance', 'B', []],
      ['last', '1'],
    ]);
    expect(r.parsed.files).toEqual([main, path.join(dir, 'a/conf.d/10-a.conf'), path.join(dir, 'a/conf.d/20-b.conf')]);
    expect(r.parsed.statements[1]!.keyword.pos).toEqual({ file: path.join(dir, 'a/conf.d/10-a.conf'), line: 2, column: 3 });
    expect(r.parsed.statements[3]!.keyword.pos).toEqual({ file: main, line: 5, column: 1 });
  });

  it("an included file's own includes are relative to its directory", () => {
    const main = write('b/main.conf', 'include sub/one.conf\n');
    write('b/sub/one.conf', 'one 1\ninclude two.conf\n');
    write('b/sub/two.conf', 'two 2\n');
    const r = parseConfigFile(main, opts);
    expect(shape(r.parsed.statements)).toEqual([['one', '1'], ['two', '2']]);
    expect(r.diagnostics).toEqual([]);
  });

  it('absolute patterns and csh-style braces work', () => {
    write('c/x.conf', 'x 1\n');
    write('c/y.conf', 'y 1\n');
    write('c/z.conf', 'z 1\n');
    const r = parseConfigText(`include ${path.join(dir, 'c/{z,x}.conf')}\n`, path.join(dir, 'main.conf'), opts);
    expect(shape(r.parsed.statements)).toEqual([['z', '1'], ['x', '1']]);
  });

  it('brace alternatives that match nothing are a warning, an error for includeb', () => {
    write('c2/x.conf', 'x 1\n');
    const main = write('c2/main.conf', 'include {x,y}.conf\nincludeb {y,x}.conf\n');
    const r = parseConfigFile(main, opts);
    expect(shape(r.parsed.statements)).toEqual([['x', '1'], ['x', '1']]);
    expect(lines(r.diagnostics)).toEqual([
      `${main}:1:1: warning: Some config files missing: "{x,y}.conf". [include-partial-match]`,
      `${main}:2:1: error: Some config files missing: "{y,x}.conf". [include-partial-match]`,
    ]);
  });

  it('a pattern that matches nothing is a warning, as in keepalived', () => {
    const main = write('d/main.conf', 'a 1\n  include  none/*.conf\nb 2\n');
    const r = parseConfigFile(main, opts);
    expect(shape(r.parsed.statements)).toEqual([['a', '1'], ['b', '2']]);
    expect(lines(r.diagnostics)).toEqual([`${main}:2:3: warning: Config files missing 'none/*.conf'. [include-no-match]`]);
  });

  it('includem and includea make no match an error; includew only for wildcards', () => {
    const main = write('e/main.conf', 'includem none.conf\nincludea none/*.conf\nincludew none.conf\nincludew none*.conf\n');
    const r = parseConfigFile(main, opts);
    expect(lines(r.diagnostics)).toEqual([
      `${main}:1:1: error: Config files missing 'none.conf'. [include-no-match]`,
      `${main}:2:1: error: Config files missing 'none/*.conf'. [include-no-match]`,
      `${main}:3:1: warning: Config files missing 'none.conf'. [include-no-match]`,
      `${main}:4:1: error: Config files missing 'none*.conf'. [include-no-match]`,
    ]);
  });

  it('an include cycle is an error naming the chain, and does not loop', () => {
    const a = write('f/a.conf', 'in_a 1\ninclude b.conf\n');
    const b = write('f/b.conf', 'in_b 1\ninclude a.conf\n');
    const r = parseConfigFile(a, opts);
    expect(shape(r.parsed.statements)).toEqual([['in_a', '1'], ['in_b', '1']]);
    expect(lines(r.diagnostics)).toEqual([`${b}:2:1: error: include cycle: ${a} -> ${b} -> ${a} [include-cycle]`]);
  });

  it('a file that includes itself is a cycle', () => {
    const a = write('g/self.conf', 'include self.conf\n');
    expect(lines(parseConfigFile(a, opts).diagnostics)).toEqual([
      `${a}:1:1: error: include cycle: ${a} -> ${a} [include-cycle]`,
    ]);
  });

  it('an executable match is skipped with a warning, as keepalived does', () => {
    const main = write('k/main.conf', 'include *.sh\nafter 1\n');
    const sh = write('k/run.sh', 'bad 1\n');
    chmodSync(sh, 0o755);
    const r = parseConfigFile(main, opts);
    expect(shape(r.parsed.statements)).toEqual([['after', '1']]);
    expect(lines(r.diagnostics)).toEqual([
      `${main}:1:1: warning: Configuration file '${sh}' is not a regular non-executable file - skipping [include-unreadable]`,
    ]);
  });

  it('the top file must be a regular non-executable file too', () => {
    const d = path.join(dir, 'topdir');
    mkdirSync(d, { recursive: true });
    expect(lines(parseConfigFile(d, opts).diagnostics)).toEqual([
      `${d}:1:1: error: Configuration file '${d}' is not a regular non-executable file [config-unreadable]`,
    ]);
  });

  it('a block may be closed in an included file (keepalived reads one stream)', () => {
    const main = write('h/main.conf', 'vrrp_instance V {\n  include tail.conf\n');
    write('h/tail.conf', '  priority 1\n}\n');
    const r = parseConfigFile(main, opts);
    expect(r.diagnostics).toEqual([]);
    expect(shape(r.parsed.statements)).toEqual([['vrrp_instance', 'V', [['priority', '1']]]]);
  });

  it('an unreadable match is skipped with a warning; includer makes it an error', () => {
    if (process.getuid?.() === 0) {
      // root reads any file: simulate the failure through the injected reader instead.
      const main = write('i/main.conf', 'include x.conf\nincluder x.conf\n');
      write('i/x.conf', 'x 1\n');
      const r = parseConfigFile(main, {
        ...opts,
        readFile: (p) => {
          if (p.endsWith('x.conf')) throw Object.assign(new Error('denied'), { code: 'EACCES' });
          return 'include x.conf\nincluder x.conf\n';
        },
      });
      const x = path.join(dir, 'i/x.conf');
      expect(lines(r.diagnostics)).toEqual([
        `${main}:1:1: warning: Configuration file '${x}' open problem (EACCES) - skipping [include-unreadable]`,
        `${main}:2:1: error: Configuration file '${x}' open problem (EACCES) - skipping [include-unreadable]`,
      ]);
      return;
    }
    const main = write('i/main.conf', 'include x.conf\nincluder x.conf\n');
    const x = write('i/x.conf', 'x 1\n');
    chmodSync(x, 0);
    const r = parseConfigFile(main, opts);
    expect(lines(r.diagnostics)).toEqual([
      `${main}:1:1: warning: Configuration file '${x}' open problem (EACCES) - skipping [include-unreadable]`,
      `${main}:2:1: error: Configuration file '${x}' open problem (EACCES) - skipping [include-unreadable]`,
    ]);
  });
});

describe('include syntax', () => {
  it('include takes exactly one word; anything else is an error and reads nothing', () => {
    const r = parseConfigText('include a.conf b.conf\ninclude\ninclude x {\n}\n', 'k.conf', {
      ...opts,
      glob: () => {
        throw new Error('must not glob');
      },
    });
    expect(lines(r.diagnostics)).toEqual([
      "k.conf:1:1: error: 'include' takes exactly one file name or pattern [include-syntax]",
      "k.conf:2:1: error: 'include' takes exactly one file name or pattern [include-syntax]",
      "k.conf:3:1: error: 'include' takes exactly one file name or pattern [include-syntax]",
      // keepalived's include check also counts the `{` as a word; the block it opened is not read.
      "k.conf:4:1: error: Extra '}' found [unbalanced-brace]",
    ]);
  });

  it('include after $NAME substitution and @ID works (keepalived checks include last)', () => {
    const files: Record<string, string> = { '/v/main.conf': '$D=sub\n@n1 include ${D}/x.conf\n@n2 include nope\n', '/v/sub/x.conf': 'x 1\n' };
    const r = parseConfigFile('/v/main.conf', {
      ...opts,
      readFile: (p) => {
        const t = files[p];
        if (t === undefined) throw new Error('ENOENT');
        return t;
      },
      glob: (pattern, cwd) => (files[path.join(cwd, pattern)] !== undefined ? [pattern] : []),
    });
    expect(r.diagnostics).toEqual([]);
    expect(shape(r.parsed.statements)).toEqual([['x', '1']]);
    expect(r.parsed.files).toEqual(['/v/main.conf', '/v/sub/x.conf']);
  });

  it('a throwing glob is treated as no match', () => {
    const r = parseConfigText('include x\n', 'k.conf', {
      ...opts,
      glob: () => {
        throw new Error('boom');
      },
    });
    expect(lines(r.diagnostics)).toEqual(["k.conf:1:1: warning: Config files missing 'x'. [include-no-match]"]);
  });
});

describe('glob helpers', () => {
  it('expandBraces expands nested alternatives left to right', () => {
    expect(expandBraces('{foo/{,cat,dog},bar}')).toEqual(['foo/', 'foo/cat', 'foo/dog', 'bar']);
    expect(expandBraces('a{b,c}d{e,f}')).toEqual(['abde', 'abdf', 'acde', 'acdf']);
    expect(expandBraces('no-braces')).toEqual(['no-braces']);
    expect(expandBraces('{unclosed')).toEqual(['{unclosed']);
  });

  it('defaultGlob: * ? [..], hidden files need an explicit dot, literal paths must exist', () => {
    write('j/a1.conf', '');
    write('j/a2.conf', '');
    write('j/b1.conf', '');
    write('j/.hidden.conf', '');
    const cwd = path.join(dir, 'j');
    expect(defaultGlob('*.conf', cwd)).toEqual(['a1.conf', 'a2.conf', 'b1.conf']);
    expect(defaultGlob('a?.conf', cwd)).toEqual(['a1.conf', 'a2.conf']);
    expect(defaultGlob('[ab]1.conf', cwd)).toEqual(['a1.conf', 'b1.conf']);
    expect(defaultGlob('[!a]*.conf', cwd)).toEqual(['b1.conf']);
    expect(defaultGlob('.*.conf', cwd)).toEqual(['.hidden.conf']);
    expect(defaultGlob('a1.conf', cwd)).toEqual(['a1.conf']);
    expect(defaultGlob('zz.conf', cwd)).toEqual([]);
    expect(defaultGlob(path.join(cwd, 'b*.conf'), '/')).toEqual([path.join(cwd, 'b1.conf')]);
  });
});
