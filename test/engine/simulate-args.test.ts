import { describe, expect, it } from 'vitest';
import { parseSimulateArgs, parseTime } from '../../src/cli/simulate-args.js';

describe('simulate arguments', () => {
  it('parses times with units, seconds by default', () => {
    expect(parseTime('60s')).toBe(60_000);
    expect(parseTime('1.5s')).toBe(1500);
    expect(parseTime('250ms')).toBe(250);
    expect(parseTime('2m')).toBe(120_000);
    expect(parseTime('1h')).toBe(3_600_000);
    expect(parseTime('7')).toBe(7000);
    expect(parseTime('x')).toBeUndefined();
    expect(parseTime('-1s')).toBeUndefined();
  });

  it('parses files and every fault flag', () => {
    const r = parseSimulateArgs([
      'a.conf', 'b.conf', '--duration', '90s', '--kill', 'lb1@10s', '--stop=lb2@20s', '--start', 'lb1@30s',
      '--partition', 'lb1+lb3,lb2@40s-50s', '--partition', 'lb3@1m', '--link-down', 'lb2:eth0@5s-6s',
      '--script', 'lb1:chk_nginx=fail@7s', '--loss', '0.1', '--delay', '2', '--seed', '9', '--json',
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.args).toMatchObject({ files: ['a.conf', 'b.conf'], durationMs: 90_000, loss: 0.1, delayMs: 2, seed: 9, json: true });
    expect(r.args.faults).toEqual([
      { kind: 'kill', node: 'lb1', at: 10_000 },
      { kind: 'stop', node: 'lb2', at: 20_000 },
      { kind: 'start', node: 'lb1', at: 30_000 },
      { kind: 'partition', a: ['lb1', 'lb3'], b: ['lb2'], from: 40_000, to: 50_000 },
      { kind: 'partition', a: ['lb3'], b: '*', from: 60_000 },
      { kind: 'linkDown', node: 'lb2', ifname: 'eth0', from: 5000, to: 6000 },
      { kind: 'script', node: 'lb1', script: 'chk_nginx', ok: false, at: 7000 },
    ]);
  });

  it('rejects what it cannot read with a message naming the flag', () => {
    const bad: Array<[string[], RegExp]> = [
      [[], /no configuration file/],
      [['a.conf', '--kill', 'lb1'], /--kill: expected NODE@TIME/],
      [['a.conf', '--partition', 'a,b@9s-3s'], /--partition/],
      [['a.conf', '--link-down', 'lb1@3s'], /--link-down/],
      [['a.conf', '--loss', '2'], /--loss/],
      [['a.conf', '--seed', '1.5'], /--seed/],
      [['a.conf', '--duration'], /--duration needs a value/],
      [['a.conf', '--frobnicate', '1'], /unknown option --frobnicate/],
    ];
    for (const [argv, msg] of bad) {
      const r = parseSimulateArgs(argv);
      expect(r.ok, argv.join(' ')).toBe(false);
      if (!r.ok) expect(r.error).toMatch(msg);
    }
  });
});
