/**
 * The demo's lab: network namespaces for a switch (the bridge lives there, nothing touches the
 * root namespace), two load balancers and a client, on 192.0.2.0/24. Every name starts with a
 * unique prefix; `cleanup()` kills what the lab started (by pid, whole process groups) and deletes
 * the namespaces, and is safe to call twice or after a partial build.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export interface DemoHost {
  name: string;
  ns: string;
  address: string;
}

export interface Started {
  name: string;
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export class DemoLab {
  readonly prefix: string;
  readonly switchNs: string;
  readonly hosts = new Map<string, DemoHost>();
  private readonly namespaces: string[] = [];
  private readonly started = new Set<Started>();

  constructor(prefix = `kts-demo-${process.pid}-`) {
    this.prefix = prefix;
    this.switchNs = `${prefix}sw`;
  }

  private ip(args: string[]): string {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  private addNs(ns: string): void {
    this.ip(['netns', 'add', ns]);
    this.namespaces.push(ns);
    this.ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    // IPv4 only: no DAD or MLD noise on the wire.
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], { stdio: 'ignore' });
  }

  /** The switch: a bridge with the settings that make VRRP and failover measurable. */
  buildSwitch(): void {
    this.addNs(this.switchNs);
    this.ip(['-n', this.switchNs, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
    this.ip(['-n', this.switchNs, 'link', 'set', 'br0', 'up']);
  }

  /** A host namespace with eth0 on the switch. */
  addHost(name: string, address: string): DemoHost {
    const ns = `${this.prefix}${name}`;
    this.addNs(ns);
    const port = `p-${name}`;
    this.ip(['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', this.switchNs]);
    this.ip(['-n', this.switchNs, 'link', 'set', port, 'master', 'br0', 'up']);
    this.ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    this.ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    const host = { name, ns, address };
    this.hosts.set(name, host);
    return host;
  }

  exec(ns: string, argv: string[], timeoutMs = 10_000): string {
    return execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
  }

  /** Start a process in a namespace, in a process group of its own (`ip netns exec` execs it: same pid). */
  start(name: string, ns: string, argv: string[], cwd?: string): Started {
    const proc = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(cwd ? { cwd } : {}) });
    let out = '';
    proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    proc.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => {
      proc.once('exit', (code) => r(code));
      proc.once('error', () => r(null));
    });
    const s: Started = { name, proc, output: () => out, exited };
    this.started.add(s);
    void exited.then(() => this.started.delete(s));
    return s;
  }

  /** SIGKILL to the whole process group: a crash of everything the process started. */
  killGroup(s: Started): void {
    if (s.proc.pid === undefined) return;
    try {
      process.kill(-s.proc.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  /** SIGTERM, then SIGKILL of the group if it has not gone within `graceMs`. */
  async stop(s: Started, graceMs = 5000): Promise<void> {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null || s.proc.pid === undefined) return;
    try {
      process.kill(s.proc.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => this.killGroup(s), graceMs);
    await s.exited;
    clearTimeout(timer);
  }

  /** Kill what is left (groups, by pid) and delete the namespaces. Returns what was removed. */
  cleanup(): { killed: number; namespaces: number } {
    let killed = 0;
    for (const s of this.started) {
      if (s.proc.exitCode === null && s.proc.signalCode === null) {
        this.killGroup(s);
        killed++;
      }
    }
    this.started.clear();
    let namespaces = 0;
    for (const ns of this.namespaces.splice(0).reverse()) {
      try {
        this.ip(['netns', 'del', ns]);
        namespaces++;
      } catch {
        /* already gone */
      }
    }
    return { killed, namespaces };
  }
}

/** The tiny HTTP server each load balancer runs: it answers its own name on port 80. */
export function httpServerArgv(name: string): string[] {
  const code = `require('http').createServer((q,r)=>{r.setHeader('connection','close');r.end('served by ${name}\\n')}).listen(80,'0.0.0.0')`;
  return [process.execPath, '-e', code];
}
