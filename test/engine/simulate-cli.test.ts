import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/simulate.js';
import { nodeConfigText } from './lab.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-engine-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function conf(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const lb1 = conf('lb1.conf', nodeConfigText({ routerId: 'lb1', instances: [{ name: 'VI_1', vrid: 51, priority: 150, state: 'MASTER' }] }));
const lb2 = conf('lb2.conf', nodeConfigText({ routerId: 'lb2', instances: [{ name: 'VI_1', vrid: 51, priority: 100 }] }));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('keepalived-ts simulate', () => {
  it('prints the nodes with their addresses, the timeline of states and the final states', async () => {
    const r = await run([lb1, lb2, '--duration', '20s', '--kill', 'lb1@10s']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('simulating 2 node(s) for 20.000s of virtual time (seed 1)');
    expect(lines).toContain(`  node lb1  eth0 192.0.2.10  (${lb1})`);
    expect(lines).toContain(`  node lb2  eth0 192.0.2.11  (${lb2})`);
    const tl = lines.slice(lines.indexOf('timeline:') + 1, lines.indexOf('final states:') - 1).map((l) => l.trim().split(/\s+/).slice(0, 5).join(' '));
    expect(tl).toEqual([
      '0.000s lb1 VI_1 INIT ->',
      '0.000s lb2 VI_1 INIT ->',
      '3.414s lb1 VI_1 BACKUP ->',
      '10.000s lb1 * killed (crash:',
      '13.024s lb2 VI_1 BACKUP ->',
    ]);
    expect(r.out).toMatch(/3\.414s\s+lb1\s+VI_1\s+BACKUP -> MASTER\s+no advert for 3\.414 s \(master-down interval\)/);
    expect(r.out).toContain('  VI_1 (vrid 51): lb1 down, lb2 MASTER (priority 100)');
  });

  it('a graceful stop hands over after the skew time; names can be file base names', async () => {
    const r = await run([lb1, lb2, '--duration', '12s', '--stop', 'lb1.conf@10s']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/10\.609s\s+lb2\s+VI_1\s+BACKUP -> MASTER\s+master 192\.0\.2\.10 stopped/);
  });

  it('--json gives the same run as data', async () => {
    const r = await run([lb1, lb2, '--duration', '60s', '--partition', 'lb1,lb2@10s-30s', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.nodes.map((n: { node: string }) => n.node)).toEqual(['lb1', 'lb2']);
    const masters = j.timeline.filter((e: { to?: string }) => e.to === 'MASTER').map((e: { node: string }) => e.node);
    expect(masters).toEqual(['lb1', 'lb2']); // lb2 takes over during the partition
    const last = j.timeline.filter((e: { node: string; to?: string }) => e.node === 'lb2' && e.to).at(-1);
    expect(last).toMatchObject({ from: 'MASTER', to: 'BACKUP', reason: { code: 'higherPriorityAdvert' } });
    expect(j.final.map((f: { node: string; state: string }) => `${f.node} ${f.state}`)).toEqual(['lb1 MASTER', 'lb2 BACKUP']);
  });

  it('reports configuration errors with file:line:column and exits 1; usage errors exit 2', async () => {
    const bad = conf('bad.conf', 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n  priority 100\n}\n');
    const r = await run([bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.conf:\d+:\d+: error:/);
    const u = await run([lb1, '--kill', 'nobody@1s']);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/no node nobody/);
    expect((await run([])).code).toBe(2);
    const h = await run(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^usage: keepalived-ts simulate FILE\.\.\./);
  });
});
