import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetnsLab } from '../helpers/netns.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
/** tsx, not dist/: the build may be stale while the tree changes. */
export const DAEMON = ['node', '--import', 'tsx', join(ROOT, 'src/daemon/entry.ts')];

export interface RunningDaemon {
  name: string;
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  vrrpPid(): number | undefined;
}

/** One keepalived-ts daemon in a namespace, in its own process group, logging to its pipe (-l). */
export function startDaemon(lab: NetnsLab, ns: string, name: string, conf: string, dir: string, extra: string[] = []): RunningDaemon {
  const argv = [
    ...DAEMON, '-f', conf, '-n', '-l',
    '-p', join(dir, `${name}.pid`), '-r', join(dir, `${name}.vrrp.pid`), '-c', join(dir, `${name}.check.pid`),
    '--log-dir', join(dir, `log-${name}`), ...extra,
  ];
  const proc = lab.spawn(ns, argv, { cwd: ROOT });
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const d: RunningDaemon = {
    name,
    proc,
    output: () => out,
    exited,
    vrrpPid: () => {
      try {
        return Number.parseInt(readFileSync(join(dir, `${name}.vrrp.pid`), 'utf8'), 10);
      } catch {
        return undefined;
      }
    },
  };
  watched.push(d);
  return d;
}

/** Daemons whose output a timeout shows (what a failure needs to be understood). */
export const watched: RunningDaemon[] = [];

export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${watched.map((d) => `--- ${d.name}:\n${d.output()}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Number of times `needle` occurs in `text`. */
export function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

export function hasVip(lab: NetnsLab, ns: string, vip: string): boolean {
  return lab.exec(ns, ['ip', '-4', 'addr', 'show', 'dev', 'eth0']).includes(`inet ${vip}/`);
}

export function vrrpConf(routerId: string, priority: number, vip: string, extra = ''): string {
  return `global_defs {
  router_id ${routerId}
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 0.25
  virtual_ipaddress {
    ${vip}/24
  }
${extra}}
`;
}

/** The nice value of every thread of `pid` (field 19 of /proc/PID/task/TID/stat). */
export function threadNices(pid: number): number[] {
  const dir = `/proc/${pid}/task`;
  return readdirSync(dir).map((tid) => {
    const stat = readFileSync(`${dir}/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}
