import { statSync } from 'node:fs';
import { delimiter, resolve as resolvePath } from 'node:path';
import type { RunAs } from './types.js';

/**
 * keepalived's script checks (lib/notify.c, check_script_secure), done before a script is run:
 *
 * - A bare name (no '/') is looked up in PATH, with a warning to give the full path.
 * - The file must exist and be executable by the user it runs as.
 * - If it runs with root's privileges (uid 0 or gid 0, or it is setuid/setgid root), no part of
 *   its path may be replaceable by another user: every component from '/' down to the file must
 *   be owned by root, and must not be writable by a non-root group or by everyone — except a
 *   directory with the sticky bit (like /tmp), where others cannot replace what root owns.
 * - With enable_script_security such a script is refused; without it keepalived runs it and
 *   warns (SECURITY VIOLATION).
 */

/** The fields of stat(2) the checks read. */
export interface FileStat {
  uid: number;
  gid: number;
  /** st_mode, type bits included. */
  mode: number;
  isFile: boolean;
}

/** stat(2) following links, as keepalived does; undefined when the path cannot be reached. */
export type StatFn = (path: string) => FileStat | undefined;

export const realStat: StatFn = (path) => {
  try {
    const s = statSync(path);
    return { uid: s.uid, gid: s.gid, mode: s.mode, isFile: s.isFile() };
  } catch {
    return undefined;
  }
};

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;
const S_IWGRP = 0o020;
const S_IWOTH = 0o002;

export type ScriptCheck =
  | {
      runnable: true;
      /** The file to execute (PATH search applied). */
      path: string;
      /** Unsafe permissions found, but enable_script_security is off: run, with a warning. */
      insecure?: string;
      /** Warnings to log (PATH search). */
      notes: string[];
    }
  | {
      runnable: false;
      path: string;
      reason: 'not found' | 'not executable' | 'insecure';
      /** A sentence naming the file and why: goes in the log line. */
      detail: string;
      notes: string[];
    };

export interface ScriptCheckOptions {
  /** enable_script_security. */
  scriptSecurity: boolean;
  stat?: StatFn;
  /** PATH for a bare name; default process.env.PATH. */
  pathEnv?: string;
}

/** keepalived's is_executable(): root needs any x bit; others the bit of their class. */
export function isExecutableBy(st: FileStat, who: RunAs): boolean {
  const m = st.mode;
  if (who.uid === 0) return (m & 0o111) !== 0;
  if (who.uid === st.uid) return (m & 0o100) !== 0;
  if (who.gid === st.gid) return (m & 0o010) !== 0;
  return (m & 0o001) !== 0;
}

/** Why a path component lets a non-root user replace what lies below it, or undefined if it does not. */
export function unsafeBecause(st: FileStat): string | undefined {
  if (st.uid !== 0) return `owned by uid ${st.uid}`;
  const stickyDir = (st.mode & S_ISVTX) !== 0 && !st.isFile;
  if (stickyDir) return undefined;
  if (st.gid !== 0 && (st.mode & S_IWGRP) !== 0) return `writable by group ${st.gid}`;
  if ((st.mode & S_IWOTH) !== 0) return 'world-writable';
  return undefined;
}

/** '/', '/a', '/a/b', ... '/a/b/file': every directory on the way, then the file. */
export function pathComponents(absolute: string): string[] {
  const parts = absolute.split('/').filter((p) => p !== '');
  const out = ['/'];
  let cur = '';
  for (const p of parts) {
    cur += `/${p}`;
    out.push(cur);
  }
  return out;
}

function searchPath(name: string, who: RunAs, stat: StatFn, pathEnv: string): { path?: string; denied: boolean } {
  let denied = false;
  for (const dir of pathEnv.split(delimiter)) {
    const candidate = resolvePath(dir === '' ? '.' : dir, name);
    const st = stat(candidate);
    if (!st) continue;
    if (st.isFile && isExecutableBy(st, who)) return { path: candidate, denied };
    denied = true;
  }
  return { denied };
}

/** Check one script file for the user it will run as. Total: returns a verdict, never throws. */
export function checkScript(file: string, who: RunAs, opts: ScriptCheckOptions): ScriptCheck {
  const stat = opts.stat ?? realStat;
  const notes: string[] = [];
  let path = file;
  if (!file.includes('/')) {
    const found = searchPath(file, who, stat, opts.pathEnv ?? process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin');
    if (found.path === undefined) {
      const why = found.denied ? `permissions failure for script ${file} in path` : `cannot find script ${file} in path`;
      return { runnable: false, path: file, reason: found.denied ? 'not executable' : 'not found', detail: why, notes };
    }
    path = found.path;
    notes.push(`WARNING - script \`${file}\` resolved by path search to \`${path}\`. Please specify full path.`);
  }
  path = resolvePath(path);
  const st = stat(path);
  if (!st) return { runnable: false, path, reason: 'not found', detail: `script ${path} does not exist or cannot be reached`, notes };
  if (!st.isFile) return { runnable: false, path, reason: 'not executable', detail: `script ${path} is not a regular file`, notes };
  if (!isExecutableBy(st, who)) {
    return {
      runnable: false,
      path,
      reason: 'not executable',
      detail: `script ${path} is not executable for uid:gid ${who.uid}:${who.gid}`,
      notes,
    };
  }

  const asRoot =
    who.uid === 0 ||
    who.gid === 0 ||
    (st.uid === 0 && (st.mode & 0o100) !== 0 && (st.mode & S_ISUID) !== 0) ||
    (st.gid === 0 && (st.mode & 0o010) !== 0 && (st.mode & S_ISGID) !== 0);
  if (!asRoot) return { runnable: true, path, notes };

  for (const component of pathComponents(path)) {
    const cst = component === path ? st : stat(component);
    if (!cst) return { runnable: false, path, reason: 'not found', detail: `cannot reach ${component} on the path of script ${path}`, notes };
    const why = unsafeBecause(cst);
    if (why !== undefined) {
      const where = component === path ? `script ${path} is ${why}` : `${component} (on the path of script ${path}) is ${why}`;
      const detail = `unsafe permissions: ${where}, and the script runs as root`;
      if (opts.scriptSecurity) return { runnable: false, path, reason: 'insecure', detail, notes };
      return { runnable: true, path, insecure: detail, notes };
    }
  }
  return { runnable: true, path, notes };
}
