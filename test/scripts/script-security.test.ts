import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkScript, pathComponents, type FileStat } from '../../src/adapters/scripts/script-security.js';

const ROOT = { uid: 0, gid: 0 };
const NOBODY = { uid: 65534, gid: 65534 };

/** A fake file system: path → stat. */
function fs(entries: Record<string, Partial<FileStat> & { mode: number }>) {
  return (p: string): FileStat | undefined => {
    const e = entries[p];
    if (!e) return undefined;
    return { uid: 0, gid: 0, isFile: false, ...e };
  };
}
const dir = (mode: number, extra: Partial<FileStat> = {}) => ({ mode: 0o040000 | mode, isFile: false, ...extra });
const file = (mode: number, extra: Partial<FileStat> = {}) => ({ mode: 0o100000 | mode, isFile: true, ...extra });

describe('checkScript (keepalived check_script_secure)', () => {
  it('lists every component from / down to the file', () => {
    expect(pathComponents('/etc/keepalived/check.sh')).toEqual(['/', '/etc', '/etc/keepalived', '/etc/keepalived/check.sh']);
  });

  it('accepts a root-owned script on a root-owned path', () => {
    const stat = fs({ '/': dir(0o755), '/etc': dir(0o755), '/etc/chk': file(0o755) });
    expect(checkScript('/etc/chk', ROOT, { scriptSecurity: true, stat })).toMatchObject({ runnable: true, path: '/etc/chk' });
  });

  it('refuses a world-writable script run as root, naming the file and the reason', () => {
    const stat = fs({ '/': dir(0o755), '/etc': dir(0o755), '/etc/chk': file(0o777) });
    const r = checkScript('/etc/chk', ROOT, { scriptSecurity: true, stat });
    expect(r).toMatchObject({ runnable: false, reason: 'insecure' });
    expect(r.runnable === false && r.detail).toContain('script /etc/chk is world-writable');
  });

  it('refuses a script under a directory owned by another user', () => {
    const stat = fs({ '/': dir(0o755), '/home': dir(0o755), '/home/u': dir(0o755, { uid: 1000 }), '/home/u/chk': file(0o755) });
    const r = checkScript('/home/u/chk', ROOT, { scriptSecurity: true, stat });
    expect(r.runnable === false && r.detail).toContain('/home/u (on the path of script /home/u/chk) is owned by uid 1000');
  });

  it('refuses a group-writable component with a non-root group, accepts one with group root', () => {
    const bad = fs({ '/': dir(0o755), '/s': dir(0o775, { gid: 50 }), '/s/chk': file(0o755) });
    expect(checkScript('/s/chk', ROOT, { scriptSecurity: true, stat: bad })).toMatchObject({ runnable: false, reason: 'insecure' });
    const ok = fs({ '/': dir(0o755), '/s': dir(0o775, { gid: 0 }), '/s/chk': file(0o755) });
    expect(checkScript('/s/chk', ROOT, { scriptSecurity: true, stat: ok })).toMatchObject({ runnable: true });
  });

  it('a sticky world-writable directory (like /tmp) is safe, a sticky world-writable file is not', () => {
    const stat = fs({ '/': dir(0o755), '/tmp': dir(0o1777), '/tmp/chk': file(0o755) });
    expect(checkScript('/tmp/chk', ROOT, { scriptSecurity: true, stat })).toMatchObject({ runnable: true });
    const stat2 = fs({ '/': dir(0o755), '/tmp': dir(0o1777), '/tmp/chk': file(0o1757) });
    expect(checkScript('/tmp/chk', ROOT, { scriptSecurity: true, stat: stat2 })).toMatchObject({ runnable: false });
  });

  it('without enable_script_security an unsafe script still runs, flagged insecure', () => {
    const stat = fs({ '/': dir(0o755), '/etc': dir(0o777), '/etc/chk': file(0o755) });
    const r = checkScript('/etc/chk', ROOT, { scriptSecurity: false, stat });
    expect(r).toMatchObject({ runnable: true });
    expect(r.runnable && r.insecure).toContain('/etc (on the path of script /etc/chk) is world-writable');
  });

  it('does not check the path of a script that runs unprivileged', () => {
    const stat = fs({ '/': dir(0o755), '/etc': dir(0o777), '/etc/chk': file(0o777) });
    expect(checkScript('/etc/chk', NOBODY, { scriptSecurity: true, stat })).toMatchObject({ runnable: true });
  });

  it('a setuid-root script is checked even when run unprivileged', () => {
    const stat = fs({ '/': dir(0o755), '/etc': dir(0o777), '/etc/chk': file(0o4755) });
    expect(checkScript('/etc/chk', NOBODY, { scriptSecurity: true, stat })).toMatchObject({ runnable: false, reason: 'insecure' });
  });

  it('missing and not executable for its user are refusals, not exceptions', () => {
    const stat = fs({ '/': dir(0o755), '/etc': dir(0o755), '/etc/chk': file(0o744) });
    expect(checkScript('/etc/none', ROOT, { scriptSecurity: false, stat })).toMatchObject({ runnable: false, reason: 'not found' });
    const r = checkScript('/etc/chk', NOBODY, { scriptSecurity: false, stat });
    expect(r).toMatchObject({ runnable: false, reason: 'not executable' });
    expect(r.runnable === false && r.detail).toBe('script /etc/chk is not executable for uid:gid 65534:65534');
    expect(checkScript('/etc', ROOT, { scriptSecurity: false, stat })).toMatchObject({ runnable: false, reason: 'not executable' });
  });

  it('a bare name is searched in PATH, with keepalived\'s warning', () => {
    const stat = fs({ '/': dir(0o755), '/bin': dir(0o755), '/usr': dir(0o755), '/usr/bin': dir(0o755), '/usr/bin/chk': file(0o755) });
    const r = checkScript('chk', ROOT, { scriptSecurity: true, stat, pathEnv: '/bin:/usr/bin' });
    expect(r).toMatchObject({ runnable: true, path: '/usr/bin/chk' });
    expect(r.notes[0]).toContain('resolved by path search to `/usr/bin/chk`');
    expect(checkScript('nothere', ROOT, { scriptSecurity: true, stat, pathEnv: '/bin:/usr/bin' })).toMatchObject({ runnable: false, reason: 'not found' });
  });

  describe('on the real file system', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kts-scripts-sec-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    it('refuses a real world-writable script run as root', () => {
      const p = join(tmp, 'ww.sh');
      writeFileSync(p, '#!/bin/sh\nexit 0\n');
      chmodSync(p, 0o777);
      const r = checkScript(p, ROOT, { scriptSecurity: true });
      expect(r).toMatchObject({ runnable: false, reason: 'insecure' });
      chmodSync(p, 0o755);
      expect(checkScript(p, ROOT, { scriptSecurity: true })).toMatchObject({ runnable: true, path: p });
    });
  });
});
