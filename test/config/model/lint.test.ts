import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/config/diagnostics.js';
import { lintNodes } from '../../../src/config/lint.js';
import { loadConfigText } from '../../../src/config/load.js';

function node(file: string, body: string, global = ''): { file: string; config: NonNullable<ReturnType<typeof loadConfigText>['config']> } {
  const text = `${global ? `global_defs {\n${global}\n}\n` : ''}vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n${body}\n}\n`;
  const r = loadConfigText(text, file);
  if (!r.config) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
  return { file, config: r.config };
}
const vip = (a = '192.0.2.100') => `  virtual_ipaddress {\n    ${a}\n  }`;
const lint = (...nodes: ReturnType<typeof node>[]) => lintNodes(nodes).map(formatDiagnostic);

describe('lintNodes (cross-node rules)', () => {
  it('a consistent pair is clean', () => {
    expect(lint(node('a.conf', `  priority 150\n${vip()}`), node('b.conf', `  priority 100\n${vip()}`))).toEqual([]);
  });

  it('one VRID must agree on advert_int', () => {
    expect(lint(node('a.conf', `  priority 150\n${vip()}`), node('b.conf', `  priority 100\n  advert_int 2\n${vip()}`))).toEqual([
      'b.conf:1:1: error: VRID 51 (IPv4): advert_int 2s in VI_1 (b.conf) differs from 1s in VI_1 (a.conf); adverts would be dropped',
    ]);
  });

  it('one VRID must agree on the version', () => {
    expect(lint(node('a.conf', `  priority 150\n${vip()}`), node('b.conf', `  priority 100\n  version 3\n${vip()}`))).toEqual([
      'b.conf:1:1: error: VRID 51 (IPv4): VRRP version 3 in VI_1 (b.conf) differs from version 2 in VI_1 (a.conf)',
    ]);
  });

  it('one VRID must agree on authentication (vrrp_strict drops it on one node)', () => {
    const auth = '  authentication {\n    auth_type PASS\n    auth_pass 1111\n  }';
    expect(lint(node('a.conf', `  priority 150\n${auth}\n${vip()}`), node('b.conf', `  priority 100\n${vip()}`))).toEqual([
      "b.conf:1:1: error: VRID 51 (IPv4): authentication none in VI_1 (b.conf) differs from PASS '1111' in VI_1 (a.conf)",
    ]);
    expect(lint(node('a.conf', `  priority 150\n${auth}\n${vip()}`), node('b.conf', `  priority 100\n${auth}\n${vip()}`, '  vrrp_strict'))).toEqual([
      "b.conf:4:1: error: VRID 51 (IPv4): authentication none in VI_1 (b.conf) differs from PASS '1111' in VI_1 (a.conf) (vrrp_strict ignores authentication on the strict node)",
    ]);
  });

  it('one VRID must agree on the VIP set', () => {
    expect(lint(node('a.conf', `  priority 150\n${vip()}`), node('b.conf', `  priority 100\n${vip('192.0.2.101')}`))).toEqual([
      'b.conf:1:1: error: VRID 51 (IPv4): virtual_ipaddress {192.0.2.101/32} in VI_1 (b.conf) differs from {192.0.2.100/32} in VI_1 (a.conf)',
    ]);
  });

  it('priorities should differ', () => {
    expect(lint(node('a.conf', vip()), node('b.conf', vip()))).toEqual([
      'b.conf:1:1: warning: VRID 51 (IPv4): VI_1 (b.conf) has the same priority 100 as VI_1 (a.conf); the higher primary IP address decides the election - give each node its own priority',
    ]);
  });

  it('two nodes both at priority 255', () => {
    expect(lint(node('a.conf', `  priority 255\n${vip()}`), node('b.conf', `  priority 255\n${vip()}`))).toEqual([
      'b.conf:1:1: error: VRID 51 (IPv4): VI_1 (b.conf) and VI_1 (a.conf) both have priority 255 (address owner); only one node can own the addresses',
    ]);
  });

  it('nopreempt with state MASTER, and nopreempt on the lower-priority node', () => {
    expect(lint(node('a.conf', `  state MASTER\n  nopreempt\n  priority 150\n${vip()}`), node('b.conf', `  priority 100\n${vip()}`))).toEqual([
      'a.conf:1:1: warning: VRID 51 (IPv4): VI_1 (a.conf) has nopreempt with state MASTER; nopreempt only works when every node starts as BACKUP',
    ]);
    expect(lint(node('a.conf', `  priority 150\n${vip()}`), node('b.conf', `  nopreempt\n  priority 100\n${vip()}`))).toEqual([
      'b.conf:1:1: warning: VRID 51 (IPv4): VI_1 (b.conf) has nopreempt but a lower priority (100 < 150); nopreempt belongs on the higher-priority node, or on all nodes',
    ]);
  });

  it('vrrp_strict with unicast peers, and with a VIP a virtual_server on the node listens on', () => {
    const strict = '  vrrp_strict';
    const a = node('a.conf', `  priority 150\n  unicast_peer {\n    192.0.2.2\n  }\n${vip()}`, strict);
    const text = `global_defs {\n  vrrp_strict\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n${vip()}\n}\nvirtual_server 192.0.2.100 80 {\n  protocol TCP\n  lb_algo rr\n  lb_kind DR\n}\n`;
    const b = { file: 'b.conf', config: loadConfigText(text, 'b.conf').config! };
    expect(lint(a, b)).toEqual([
      'a.conf:4:1: warning: VI_1 (a.conf): vrrp_strict with unicast_peer: strict RFC mode only sends multicast adverts',
      "b.conf:9:5: warning: VI_1 (b.conf): vrrp_strict drops traffic to VIP 192.0.2.100 on a non-owner master, but a virtual_server on this node listens on it; add 'accept'",
    ]);
  });
});
