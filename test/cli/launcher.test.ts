import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// bin/keepalived-ts.js runs dist/cli/main.bundle.js only while it is at least as new as every
// compiled file of dist/cli and dist/config; otherwise dist/cli/main.js. Checked on a copy of the
// launcher beside a stand-in dist/ whose modules say which one ran.
const LAUNCHER = join(import.meta.dirname, '../../bin/keepalived-ts.js');
let root = '';

function setMtime(rel: string, secondsAgo: number): void {
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(join(root, rel), t, t);
}

function whichRan(): string {
  const r = spawnSync(process.execPath, [join(root, 'bin/keepalived-ts.js'), '-t'], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'kts-launcher-'));
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'dist/cli'), { recursive: true });
  mkdirSync(join(root, 'dist/config'), { recursive: true });
  copyFileSync(LAUNCHER, join(root, 'bin/keepalived-ts.js'));
  writeFileSync(join(root, 'dist/cli/main.js'), "console.log('dist');\n");
  writeFileSync(join(root, 'dist/cli/check-config.js'), 'export {};\n');
  writeFileSync(join(root, 'dist/config/parser.js'), 'export {};\n');
  writeFileSync(join(root, 'dist/config/parser.js.map'), '{}\n');
  writeFileSync(join(root, 'dist/cli/main.bundle.js'), "console.log('bundle');\n");
  for (const f of ['dist/cli/main.js', 'dist/cli/check-config.js', 'dist/config/parser.js', 'dist/config/parser.js.map']) setMtime(f, 60);
  setMtime('dist/cli/main.bundle.js', 30);
});

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('bin/keepalived-ts.js', () => {
  it('runs the bundle when it is newer than every compiled file', () => {
    expect(whichRan()).toBe('bundle');
  });

  it('runs dist/ when a compiled config file is newer than the bundle (a tsc-only rebuild)', () => {
    setMtime('dist/config/parser.js', 10);
    expect(whichRan()).toBe('dist');
  });

  it('runs dist/ when dist/cli/main.js is newer than the bundle', () => {
    setMtime('dist/cli/main.js', 10);
    expect(whichRan()).toBe('dist');
  });

  it('runs dist/ when there is no bundle', () => {
    rmSync(join(root, 'dist/cli/main.bundle.js'));
    expect(whichRan()).toBe('dist');
  });
});
