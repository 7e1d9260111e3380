import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * A throwaway lab of network namespaces for integration tests: N hosts on one LAN, the bridge in a
 * "switch" namespace of its own, nothing at all in the root namespace. Every name starts with a
 * unique prefix `kts-<pid>-<tag>-`; `cleanup()` kills what was started in the lab (by pid, whole
 * process group) and deletes the namespaces (which takes the veths with them). It also runs at
 * process exit, so a failed or interrupted test file leaves nothing behind.
 *
 * Addresses are documentation ones: host i (0-based) is 192.0.2.(i+1)/24 and 2001:db8::(i+1)/64.
 * IPv6 DAD is switched off inside each host namespace so addresses are usable at once.
 */
export interface LabHost {
  ns: string;
  ifname: string;
  ipv4: string;
  ipv6: string;
}

export interface NetnsLab {
  prefix: string;
  switchNs: string;
  hosts: LabHost[];
  /** Run a command inside a namespace and return its stdout (throws on a non-zero exit). */
  exec(ns: string, argv: string[]): string;
  /** Start a process inside a namespace, in its own process group; it is killed by cleanup(). */
  spawn(ns: string, argv: string[], opts?: SpawnOptions): ChildProcess;
  cleanup(): void;
}

let serial = 0;

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function createLab(n: number, opts: { tag?: string } = {}): NetnsLab {
  const tag = opts.tag ?? `l${serial++}`;
  const prefix = `kts-${process.pid}-${tag}-`;
  const switchNs = `${prefix}sw`;
  const created: string[] = [];
  const children = new Set<ChildProcess>();
  let cleaned = false;

  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    for (const c of children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(-c.pid, 'SIGKILL');
        } catch {
          try {
            process.kill(c.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
    }
    children.clear();
    for (const ns of created.reverse()) {
      try {
        ip(['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
    process.removeListener('exit', cleanup);
  };
  process.once('exit', cleanup);

  const addNs = (ns: string): void => {
    ip(['netns', 'add', ns]);
    created.push(ns);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  };
  const sysctl = (ns: string, ...settings: string[]): void => {
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', ...settings], { stdio: 'ignore' });
  };

  const hosts: LabHost[] = [];
  try {
    addNs(switchNs);
    sysctl(switchNs, 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    ip(['-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
    ip(['-n', switchNs, 'link', 'set', 'br0', 'up']);
    for (let i = 0; i < n; i++) {
      const ns = `${prefix}h${i}`;
      addNs(ns);
      sysctl(ns, 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
      ip(['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', switchNs]);
      ip(['-n', switchNs, 'link', 'set', `p${i}`, 'master', 'br0', 'up']);
      const host: LabHost = { ns, ifname: 'eth0', ipv4: `192.0.2.${i + 1}`, ipv6: `2001:db8::${i + 1}` };
      ip(['-n', ns, 'addr', 'add', `${host.ipv4}/24`, 'dev', 'eth0']);
      ip(['-n', ns, '-6', 'addr', 'add', `${host.ipv6}/64`, 'dev', 'eth0', 'nodad']);
      ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      hosts.push(host);
    }
  } catch (e) {
    cleanup();
    throw e;
  }

  return {
    prefix,
    switchNs,
    hosts,
    exec(ns, argv) {
      return execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    },
    spawn(ns, argv, spawnOpts = {}) {
      if (cleaned) throw new Error('lab already cleaned up');
      // `ip netns exec` execs the command: the pid we get is the command's own.
      const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: 'pipe', ...spawnOpts, detached: true });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    cleanup,
  };
}
