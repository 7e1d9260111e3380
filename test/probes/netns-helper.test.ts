import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createLab } from '../helpers/netns.js';

const namespaces = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!);

describe('test/helpers/netns: the lab the probe tests run in', () => {
  it('builds hosts on a bridge in a switch namespace, reachable over IPv4 and IPv6, and removes everything', async () => {
    const lab = createLab(2, { tag: 'self' });
    try {
      expect(namespaces().filter((n) => n.startsWith(lab.prefix)).sort()).toEqual([`${lab.prefix}h0`, `${lab.prefix}h1`, `${lab.prefix}sw`]);
      expect(lab.exec(lab.switchNs, ['ip', '-o', 'link', 'show', 'master', 'br0'])).toMatch(/p0.*\n.*p1/);
      // A listener in h1, connections from h0 over both families.
      const listener = lab.spawn(lab.hosts[1]!.ns, [
        process.execPath, '-e', "require('net').createServer(s=>s.end('hi')).listen(7300,'::',()=>console.log('up'))",
      ]);
      await new Promise((r) => listener.stdout!.once('data', r));
      const connect = (host: string): string =>
        lab.exec(lab.hosts[0]!.ns, [
          process.execPath, '-e',
          `require('net').connect(7300,'${host}').on('data',d=>process.stdout.write(d)).on('error',e=>{console.error(e);process.exit(1)})`,
        ]);
      expect(connect(lab.hosts[1]!.ipv4)).toBe('hi');
      expect(connect(lab.hosts[1]!.ipv6)).toBe('hi');
      const sleeper = lab.spawn(lab.hosts[1]!.ns, ['sleep', '30']);
      const exited = new Promise((r) => sleeper.once('exit', r));
      lab.cleanup();
      await exited;
      expect(sleeper.signalCode).toBe('SIGKILL');
    } finally {
      lab.cleanup();
    }
    expect(namespaces().filter((n) => n.startsWith(lab.prefix))).toEqual([]);
  });
});
