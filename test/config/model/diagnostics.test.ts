import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';
import { instance, lines } from './helpers.js';

const vi = (body: string): string => `vrrp_instance VI_1 {\n  interface eth0\n${body}\n}\n`;

describe('errors: what keepalived cannot run (no config, exact place and message)', () => {
  const cases: Array<[string, string, string[]]> = [
    ['unknown keyword with did-you-mean', vi('  virtual_router_id 51\n  prority 100'),
      ["test.conf:4:3: error: Unknown keyword 'prority' in vrrp_instance - did you mean 'priority'?"]],
    ['a keyword of another block is unknown here', 'virtual_server 192.0.2.1 80 {\n  protocol TCP\n  lb_algo rr\n  lb_kind NAT\n  real_server 192.0.2.2 80 {\n    priority 100\n  }\n}\n',
      ["test.conf:6:5: error: Unknown keyword 'priority' in real_server (it is a keyword of vrrp_instance)"]],
    ['unknown top-level keyword', 'vrrp_instanse VI_1 {\n}\n',
      ["test.conf:1:1: error: Unknown keyword 'vrrp_instanse' in the top level - did you mean 'vrrp_instance'?"]],
    ['unbalanced braces (from the parser)', vi('  virtual_router_id 51').replace(/}\n$/, ''),
      ["test.conf:1:20: error: missing '}': block 'vrrp_instance' opened at test.conf:1:20 is never closed"]],
    ['a value of the wrong kind', vi('  virtual_router_id 51\n  priority abc'), ["test.conf:4:12: error: invalid number 'abc'"]],
    ['VRID above 255', vi('  virtual_router_id 256'), ["test.conf:3:21: error: (VI_1): VRID '256' not valid - must be between 1 & 255"]],
    ['VRID 0', vi('  virtual_router_id 0'), ["test.conf:3:21: error: (VI_1): VRID '0' not valid - must be between 1 & 255"]],
    ['no VRID', vi(''), ['test.conf:1:1: error: (VI_1) the virtual router id must be set']],
    ['no interface', 'vrrp_instance VI_1 {\n  virtual_router_id 5\n}\n', ['test.conf:1:1: error: (VI_1) Unknown interface!']],
    ['an invalid virtual IP', vi('  virtual_router_id 5\n  virtual_ipaddress {\n    192.0.2.300\n  }'),
      ['test.conf:5:5: error: (VI_1) virtual_ipaddress: VRRP parsed invalid IP 192.0.2.300']],
    ['a list keyword without its block', vi('  virtual_router_id 5\n  virtual_ipaddress 192.0.2.1'),
      ["test.conf:4:3: error: Missing '{' at beginning of configuration block 'virtual_ipaddress'"]],
    ['an unknown enum value', 'virtual_server 192.0.2.1 80 {\n  protocol TCP\n  lb_algo fastest\n  lb_kind NAT\n}\n',
      [
        "test.conf:1:1: warning: Virtual server [192.0.2.1]:tcp:80: no scheduler set, setting default 'wlc'",
        "test.conf:3:11: error: Invalid lvs_scheduler 'fastest' - ignoring",
      ]],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => {
      const r = loadConfigText(text, 'test.conf', { configId: 'n' });
      expect(r.config).toBeUndefined();
      expect(lines(text)).toEqual(expected);
    });
  }

  it('the same VRID twice on one interface and family; other interfaces and families are fine', () => {
    const text = `${instance('', 'A')}${instance('', 'B')}${instance('  interface eth1', 'C').replace('  interface eth0\n', '')}` +
      'vrrp_instance D {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    2001:db8::1\n  }\n}\n';
    expect(lines(text)).toEqual(['test.conf:11:21: error: (B) VRID 51 is already used by vrrp_instance A on interface eth0 (IPv4)']);
  });
});

describe('warnings: what keepalived accepts and ignores or corrects (config still loads)', () => {
  const cases: Array<[string, string, string[]]> = [
    ['persistence_timeout 0', 'virtual_server 192.0.2.1 80 {\n  protocol TCP\n  lb_algo rr\n  lb_kind NAT\n  persistence_timeout 0\n}\n',
      ["test.conf:5:23: warning: number '0' outside range [1, 2678400]; persistence_timeout invalid"]],
    ['protocol for a fwmark service', 'virtual_server fwmark 5 {\n  protocol TCP\n  lb_algo rr\n  lb_kind DR\n}\n',
      ['test.conf:2:12: warning: Warning: Virtual server FWM 5: protocol specified for fwmark - protocol will be ignored']],
    ['authentication under vrrp_strict', `global_defs {\n  vrrp_strict\n}\n${instance('  authentication {\n    auth_type PASS\n    auth_pass 1111\n  }')}`,
      ['test.conf:7:3: warning: (VI_1) Strict mode does not support authentication. Ignoring.']],
    ['priority out of range', instance('  priority 300'),
      ["test.conf:4:12: warning: number '300' outside range [1, 255]; (VI_1) Priority not valid! must be between 1 & 255. Using default 100"]],
    ['a keyword keepalived knows that keepalived-ts does not implement yet', instance('  dont_track_primary'),
      ["test.conf:4:3: warning: 'dont_track_primary' in vrrp_instance is a keepalived keyword that keepalived-ts does not implement yet - ignored"]],
    ['a v2 advert_int with a fraction is rounded', instance('  advert_int 1.5'),
      ['test.conf:4:3: warning: (VI_1) VRRPv2 advertisement interval 1.500000s must be an integer. rounding']],
    ['a track_script naming no vrrp_script', instance('  track_script {\n    nosuch\n  }'),
      ['test.conf:5:5: warning: (VI_1) track script nosuch not found, ignoring...']],
    ['auth_pass longer than 8 characters', instance('  authentication {\n    auth_type PASS\n    auth_pass 123456789\n  }'),
      ['test.conf:6:15: warning: Truncating auth_pass to 8 characters']],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => {
      const r = loadConfigText(text, 'test.conf', { configId: 'n' });
      expect(r.config).toBeDefined();
      expect(lines(text)).toEqual(expected);
    });
  }

  it('an interface this host does not have: a warning only when hostInterfaces is given', () => {
    const text = instance('').replace('eth0', 'eth9');
    expect(lines(text)).toEqual([]);
    expect(lines(text, { hostInterfaces: ['lo', 'eth0'] })).toEqual([
      "test.conf:2:13: warning: WARNING - interface eth9 for vrrp_instance VI_1 doesn't exist",
    ]);
  });

  it('corrections are applied: priority falls back to 100, auth_pass is cut to 8 bytes', () => {
    const r = loadConfigText(instance('  priority 300\n  authentication {\n    auth_type PASS\n    auth_pass 123456789\n  }'), 'test.conf');
    expect(r.config!.vrrpInstances[0]!.priority).toBe(100);
    expect(r.config!.vrrpInstances[0]!.authentication).toEqual({ type: 'PASS', pass: '12345678' });
  });

  it('sync group members that do not exist or are in two groups', () => {
    const text = `vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_X\n  }\n}\nvrrp_sync_group G2 {\n  group {\n    VI_1\n  }\n}\n${instance('')}`;
    expect(lines(text)).toEqual([
      'test.conf:1:1: warning: Sync group G1 has only 1 virtual router(s) - this probably isn\'t what you want',
      "test.conf:4:5: warning: Virtual router VI_X specified in sync group G1 doesn't exist - ignoring",
      'test.conf:7:1: warning: Sync group G2, no matching virtual router found in group declaration - removing',
      'test.conf:9:5: warning: Virtual router VI_1 cannot exist in more than one sync group; ignoring G2',
    ]);
  });
});

describe('blocks keepalived knows but keepalived-ts ignores', () => {
  it('one warning for the block, and still an error for a word keepalived does not know inside it', () => {
    const text = 'vrrp_track_process proc {\n  process haproxy\n  weigth 5\n}\n';
    expect(lines(text)).toEqual([
      "test.conf:1:1: warning: 'vrrp_track_process' in the top level is a keepalived keyword that keepalived-ts does not implement yet - ignored",
      "test.conf:3:3: error: Unknown keyword 'weigth' in vrrp_track_process - did you mean 'weight'?",
    ]);
  });
});
