import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/keepalived-ts.js');
let dir = '';

function run(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const inst = (extra: string, name = 'VI_1') =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id 51\n${extra}\n  virtual_ipaddress {\n    192.0.2.100\n  }\n}\n`;

beforeAll(() => {
  // `npm test` builds before vitest (npm_lifecycle_event is 'test' then); a direct vitest run
  // builds here. Other areas' type errors do not stop tsc from emitting, so only a missing output
  // counts as a failed build.
  if (process.env.npm_lifecycle_event !== 'test') {
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'pipe' });
    } catch {
      /* see above */
    }
  }
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('build did not produce dist/cli/main.js');
  dir = mkdtempSync(join(tmpdir(), 'kts-cli-'));
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('keepalived-ts -t -f FILE', () => {
  it('exit 0 for a valid file; the only messages are warnings', () => {
    const r = run('-t', '-f', 'conf/two-node-master.conf');
    expect(r.code).toBe(0);
    for (const l of r.err.split('\n').filter(Boolean)) expect(l).toMatch(/^conf\/two-node-master\.conf:\d+:\d+: warning: /);
  });

  it("exit 0 with keepalived's warnings printed as file:line:col: warning: message", () => {
    const r = run('-t', '-f', 'conf/article-fwmark.conf');
    expect(r.code).toBe(0);
    expect(r.err).toContain("conf/article-fwmark.conf:10:25: warning: number '0' outside range [1, 2678400]; persistence_timeout invalid\n");
  });

  it('exit 5 (keepalived -t) with the messages on errors', () => {
    const bad = file('bad.conf', inst('  prority 100'));
    const r = run('-t', '-f', bad);
    expect(r.code).toBe(5);
    expect(r.err).toBe(`${bad}:4:3: error: Unknown keyword 'prority' in vrrp_instance - did you mean 'priority'?\n`);
  });

  it('exit 5 when the file does not exist', () => {
    const r = run('-t', '-f', join(dir, 'missing.conf'));
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/missing\.conf:1:1: error: /);
  });

  it("accepts keepalived's daemon flags alongside -t, and --config-test / --use-file=", () => {
    expect(run('-t', '-P', '-n', '-l', '-D', '-f', 'conf/two-node-master.conf', '-p', '/tmp/x.pid').code).toBe(0);
    expect(run('--config-test', '--use-file=conf/two-node-master.conf').code).toBe(0);
  });

  it('-i/--config-id chooses @ID lines', () => {
    const f = file('cond.conf', 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n@a  priority 150\n@b  priority 100\n}\n');
    const a = JSON.parse(run('-t', '-f', f, '-i', 'a', '--dump').out);
    const b = JSON.parse(run('-t', '-f', f, '--config-id', 'b', '--dump').out);
    expect([a.vrrpInstances[0].priority, b.vrrpInstances[0].priority]).toEqual([150, 100]);
  });

  it('--dump prints the normalized configuration as JSON', () => {
    const r = run('-t', '-f', 'conf/article-master.conf', '--dump');
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out);
    expect(c.vrrpInstances[0]).toMatchObject({ name: 'VI_180', virtualRouterId: 180, priority: 102, advertIntMs: 1000 });
    expect(c.virtualServers[0].key).toEqual({ type: 'address', address: '192.168.79.180', port: 80, family: 'ipv4' });
  });
});

describe('keepalived-ts check-config FILE...', () => {
  it('every file in conf/ passes on its own (exit 0)', () => {
    for (const f of readdirSync(join(ROOT, 'conf')).filter((n) => n.endsWith('.conf'))) {
      const r = run('check-config', `conf/${f}`);
      expect(r.code, f).toBe(0);
      expect(r.err).not.toContain(': error: ');
    }
  });

  it('files given together are nodes of one segment: the default sample and ours clash on VRID 51', () => {
    const r = run('check-config', 'conf/article-default.conf', 'conf/two-node-master.conf');
    expect(r.code).toBe(5);
    expect(r.err).toContain('conf/two-node-master.conf:27:1: error: VRID 51 (IPv4): virtual_ipaddress {192.0.2.100/24}');
  });

  it('the article master and backup files lint clean against each other', () => {
    const r = run('check-config', 'conf/article-master.conf', 'conf/article-backup.conf');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
  });

  it('our two-node sample lints clean against itself', () => {
    const r = run('check-config', 'conf/two-node-master.conf', 'conf/two-node-backup.conf');
    expect(r).toMatchObject({ code: 0, err: '' });
  });

  it('cross-node errors make the exit 5: advert_int, version, authentication, VIPs, two owners', () => {
    const a = file('a.conf', inst('  priority 255'));
    const b = file('b.conf', inst('  priority 255\n  advert_int 3\n  version 3').replace('192.0.2.100', '192.0.2.101'));
    const r = run('check-config', a, b);
    expect(r.code).toBe(5);
    expect(r.err.split('\n').filter(Boolean)).toEqual([
      `${b}:1:1: error: VRID 51 (IPv4): advert_int 3s in VI_1 (${b}) differs from 1s in VI_1 (${a}); adverts would be dropped`,
      `${b}:1:1: error: VRID 51 (IPv4): VRRP version 3 in VI_1 (${b}) differs from version 2 in VI_1 (${a})`,
      `${b}:1:1: error: VRID 51 (IPv4): virtual_ipaddress {192.0.2.101/32} in VI_1 (${b}) differs from {192.0.2.100/32} in VI_1 (${a})`,
      `${b}:1:1: error: VRID 51 (IPv4): VI_1 (${b}) and VI_1 (${a}) both have priority 255 (address owner); only one node can own the addresses`,
    ]);
  });

  it('cross-node warnings keep exit 0: equal priorities, nopreempt on the lower node, vrrp_strict with unicast', () => {
    const a = file('c.conf', `global_defs {\n  vrrp_strict\n}\n${inst('  unicast_peer {\n    192.0.2.2\n  }')}`);
    const b = file('d.conf', `global_defs {\n  vrrp_strict\n}\n${inst('  nopreempt\n  priority 90')}`);
    const r = run('check-config', a, b);
    expect(r.code).toBe(0);
    expect(r.err.split('\n').filter(Boolean)).toEqual([
      `${a}:4:1: warning: VI_1 (${a}): vrrp_strict with unicast_peer: strict RFC mode only sends multicast adverts`,
      `${b}:4:1: warning: VRID 51 (IPv4): VI_1 (${b}) has nopreempt but a lower priority (90 < 100); nopreempt belongs on the higher-priority node, or on all nodes`,
    ]);
    const same = run('check-config', file('e.conf', inst('')), file('f.conf', inst('')));
    expect(same.code).toBe(0);
    expect(same.err).toContain('has the same priority 100 as VI_1');
  });

  it('nopreempt with state MASTER is a cross-node warning', () => {
    const r = run('check-config', file('g.conf', inst('  state MASTER\n  nopreempt\n  priority 150')), file('h.conf', inst('')));
    expect(r.code).toBe(0);
    expect(r.err).toContain('has nopreempt with state MASTER; nopreempt only works when every node starts as BACKUP');
  });

  it('--dump with several files prints one entry per node', () => {
    const r = run('check-config', '--dump', 'conf/two-node-master.conf', 'conf/two-node-backup.conf');
    const j = JSON.parse(r.out);
    expect(j.map((n: { file: string }) => n.file)).toEqual(['conf/two-node-master.conf', 'conf/two-node-backup.conf']);
    expect(j.map((n: { config: { vrrpInstances: Array<{ priority: number }> } }) => n.config.vrrpInstances[0]!.priority)).toEqual([150, 100]);
  });
});

describe('usage errors exit 2', () => {
  it('unknown command, unknown flag, missing value, no file', () => {
    for (const args of [['frobnicate'], ['--bogus'], ['-t', '-f'], ['check-config'], ['check-config', '--bogus', 'x.conf'], ['-Z']]) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/usage: keepalived-ts/);
    }
  });

  it('--help lists the commands', () => {
    const r = run('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('check-config');
  });
});

describe('-t starts fast', () => {
  it('main.js loads the checker lazily: no static import of the config code', () => {
    const js = readFileSync(join(ROOT, 'dist/cli/main.js'), 'utf8');
    expect(js).not.toMatch(/^import .*check-config/m);
    expect(js).not.toMatch(/^import .*config\//m);
    expect(js).toContain("import('./check-config.js')");
  });
});
