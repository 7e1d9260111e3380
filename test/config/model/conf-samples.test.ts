import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/config/diagnostics.js';
import { loadConfigFile } from '../../../src/config/load.js';

const CONF = join(import.meta.dirname, '../../../conf');
const files = readdirSync(CONF).filter((f) => f.endsWith('.conf')).sort();

function load(f: string) {
  const r = loadConfigFile(join(CONF, f), { configId: 'n' });
  return { config: r.config, lines: r.diagnostics.map((d) => formatDiagnostic(d).replace(`${CONF}/`, '')) };
}

describe('conf/', () => {
  it('holds the article configurations and our two-node sample', () => {
    expect(files).toEqual(expect.arrayContaining([
      'article-backup.conf', 'article-default.conf', 'article-fwmark.conf', 'article-master.conf', 'two-node-backup.conf', 'two-node-master.conf',
    ]));
  });

  for (const f of files) {
    it(`${f} loads with no error`, () => {
      const r = load(f);
      expect(r.lines.filter((l) => l.includes(': error: '))).toEqual([]);
      expect(r.config).toBeDefined();
    });
  }

  it("article-master.conf is the article's text: glued braces, comments in Chinese, VIP 192.168.79.180", () => {
    const text = readFileSync(join(CONF, 'article-master.conf'), 'utf8');
    expect(text).toContain('vrrp_instance VI_180{');
    expect(text).toContain('#绑定虚拟IP的网络接口');
    expect(text).toContain('!include conf/*.conf');
    const { config, lines } = load('article-master.conf');
    expect(lines).toEqual([]);
    const i = config!.vrrpInstances[0]!;
    expect(i).toMatchObject({ name: 'VI_180', initialState: 'MASTER', interface: 'ens33', virtualRouterId: 180, priority: 102, advertIntMs: 1000, authentication: { type: 'PASS', pass: '1111' } });
    expect(i.virtualIpaddress.map((v) => v.address)).toEqual(['192.168.79.180']);
    const vs = config!.virtualServers[0]!;
    expect(vs).toMatchObject({ key: { type: 'address', address: '192.168.79.180', port: 80 }, lbAlgo: 'rr', lbKind: 'DR', persistenceTimeout: 10, protocol: 'TCP', delayLoopMs: 6000 });
    expect(vs.realServers.map((r) => r.address)).toEqual(['192.168.79.128', '192.168.79.129', '192.168.79.131']);
    expect(load('article-backup.conf').config!.vrrpInstances[0]).toMatchObject({ initialState: 'BACKUP', priority: 80 });
  });

  it("article-default.conf gives keepalived's own warnings", () => {
    expect(load('article-default.conf').lines).toEqual([
      "article-default.conf:15:23: warning: number '0' outside range [0.000001, 4294.967295]; vrrp_garp_interval '0' is invalid",
      "article-default.conf:16:22: warning: number '0' outside range [0.000001, 4294.967295]; vrrp_gna_interval '0' is invalid",
      'article-default.conf:20:5: warning: (VI_1) State MASTER must match being address owner',
      'article-default.conf:25:5: warning: (VI_1) Strict mode does not support authentication. Ignoring.',
    ]);
  });

  it("article-fwmark.conf gives keepalived's warnings and clears the real servers' port", () => {
    const { config, lines } = load('article-fwmark.conf');
    expect(lines).toEqual([
      "article-fwmark.conf:6:30: warning: virtual_server fwmark 617443: extra word '17443' ignored",
      "article-fwmark.conf:10:25: warning: number '0' outside range [1, 2678400]; persistence_timeout invalid",
      'article-fwmark.conf:11:14: warning: Warning: Virtual server FWM 617443: protocol specified for fwmark - protocol will be ignored',
      'article-fwmark.conf:13:32: warning: WARNING - fwmark virtual server FWM 617443, real server [192.168.79.129]:none:17443 has port specified - clearing',
      'article-fwmark.conf:17:29: warning: WARNING - fwmark virtual server FWM 617443, real server [192.168.79.131]:none:17443 has port specified - clearing',
    ]);
    expect(config!.virtualServers[0]!.key).toEqual({ type: 'fwmark', fwmark: 617443, family: 'ipv4' });
    expect(config!.virtualServers[0]!.persistenceTimeout).toBeUndefined();
    expect(config!.virtualServers[0]!.realServers.map((r) => r.port)).toEqual([0, 0]);
  });

  it('the two-node sample: documentation addresses, 150/100, a vrrp_script, VRRPv3, no warnings', () => {
    const m = load('two-node-master.conf');
    const b = load('two-node-backup.conf');
    expect([m.lines, b.lines]).toEqual([[], []]);
    for (const [r, prio] of [[m, 150], [b, 100]] as const) {
      const i = r.config!.vrrpInstances[0]!;
      expect(i).toMatchObject({ interface: 'eth0', priority: prio, version: 3, trackScript: [{ name: 'chk_haproxy' }] });
      expect(i.virtualIpaddress[0]).toMatchObject({ address: '192.0.2.100', prefixLen: 24 });
      expect(r.config!.vrrpScripts[0]!.weight).toBe(-60);
    }
  });
});
