/**
 * The daemon's pure parts: keepalived's command line, the reload diff (which units a new
 * configuration touches) and the VIPs a crashed run left, read from committed effects.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import type { KeepalivedConfig } from '../../src/config/types.js';
import { heldAtEnd } from '../../src/daemon/leftover.js';
import { DEFAULT_PID_FILE, parseDaemonArgs } from '../../src/daemon/options.js';
import { eventLogDirFor, unitsOf } from '../../src/daemon/vrrp-process.js';
import type { EventRecord } from '../../src/store/schema.js';

function conf(text: string): KeepalivedConfig {
  const r = loadConfigText(text, 'test.conf');
  if (!r.config) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.config;
}

const inst = (name: string, vrid: number, priority: number, extra = ''): string =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  priority ${priority}\n  virtual_ipaddress {\n    192.0.2.${vrid}\n  }\n${extra}}\n`;

describe('daemon command line', () => {
  it('takes keepalived flags grouped and separate, pid files and --log-dir', () => {
    const r = parseDaemonArgs(['-nlD', '-P', '-f', '/x.conf', '-p', '/p', '-r/r', '--checkers_pid=/c', '-V', '--log-dir', '/logs']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.options).toMatchObject({
      configFile: '/x.conf', foreground: true, logConsole: true, logDetail: true, vrrpOnly: true, checkOnly: false,
      dontReleaseVrrp: true, pidFile: '/p', vrrpPidFile: '/r', checkersPidFile: '/c', logDir: '/logs',
    });
  });

  it('takes --metrics-port as a TCP port and refuses anything else', () => {
    const r = parseDaemonArgs(['--metrics-port', '9650']);
    expect(r.ok && r.options.metricsPort).toBe(9650);
    expect(parseDaemonArgs([]).ok && (parseDaemonArgs([]) as { options: { metricsPort?: number } }).options.metricsPort).toBeUndefined();
    for (const bad of ['0', '65536', 'http', '80.5']) {
      const b = parseDaemonArgs(['--metrics-port', bad]);
      expect(b.ok).toBe(false);
      if (!b.ok) expect(b.error).toBe(`--metrics-port: a TCP port 1-65535, got '${bad}'`);
    }
  });

  it('defaults to keepalived.conf and our own pid file names', () => {
    const r = parseDaemonArgs([]);
    expect(r.ok && r.options.configFile).toBe('/etc/keepalived/keepalived.conf');
    expect(r.ok && r.options.pidFile).toBe(DEFAULT_PID_FILE);
    expect(r.ok && r.options.foreground).toBe(false);
  });

  it('refuses -P with -C, unknown options and stray arguments (usage errors, no throw)', () => {
    expect(parseDaemonArgs(['-P', '-C']).ok).toBe(false);
    expect(parseDaemonArgs(['--bogus']).ok).toBe(false);
    expect(parseDaemonArgs(['file.conf']).ok).toBe(false);
    expect(parseDaemonArgs(['-f']).ok).toBe(false);
  });
});

describe('reload diff: units of a configuration', () => {
  const base = `global_defs {\n  router_id lb1\n}\n${inst('VI_1', 51, 150)}${inst('VI_2', 52, 100)}`;

  it('one unit per instance outside a group, one per sync group', () => {
    const grouped = conf(`${base}${inst('VI_3', 53, 100)}vrrp_sync_group SG {\n  group {\n    VI_2\n    VI_3\n  }\n}\n`);
    expect(unitsOf(grouped).map((u) => [u.key, u.instances.map((i) => i.name)])).toEqual([
      ['group/SG', ['VI_2', 'VI_3']],
      ['instance/VI_1', ['VI_1']],
    ]);
  });

  it('a change to one instance changes only its fingerprint; moved lines and comments change none', () => {
    const before = new Map(unitsOf(conf(base)).map((u) => [u.key, u.fingerprint]));
    const changed = new Map(unitsOf(conf(base.replace('priority 100', 'priority 90'))).map((u) => [u.key, u.fingerprint]));
    expect(changed.get('instance/VI_1')).toBe(before.get('instance/VI_1'));
    expect(changed.get('instance/VI_2')).not.toBe(before.get('instance/VI_2'));
    const moved = new Map(unitsOf(conf(`# a comment\n\n${base}`)).map((u) => [u.key, u.fingerprint]));
    expect(moved).toEqual(before);
  });

  it('a change to a VRRP global touches every unit', () => {
    const before = unitsOf(conf(base)).map((u) => u.fingerprint);
    const after = unitsOf(conf(base.replace('router_id lb1', 'router_id lb1\n  vrrp_garp_master_repeat 2'))).map((u) => u.fingerprint);
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
  });

  it('the event log goes to --log-dir, else event_log_dir, else /var/lib/keepalived-ts/<router_id>', () => {
    const c = conf(base);
    expect(eventLogDirFor(c)).toBe('/var/lib/keepalived-ts/lb1');
    expect(eventLogDirFor(c, '/tmp/x')).toBe('/tmp/x');
  });
});

describe('VIPs left by a previous run', () => {
  let seq = 0;
  const eff = (actor: string, type: string, addresses: unknown): EventRecord => ({
    seq: ++seq, wallTime: 0, monoTime: 0, node: 'lb1', actor, kind: 'effect', type, data: { type, addresses }, v: 1,
  });

  it('an add not followed by a remove is left; a graceful stop leaves nothing', () => {
    expect([...heldAtEnd([eff('vrrp/VI_1', 'addVips', ['192.0.2.100'])])]).toEqual(['192.0.2.100']);
    expect([...heldAtEnd([eff('vrrp/VI_1', 'addVips', ['192.0.2.100']), eff('vrrp/VI_1', 'removeVips', ['192.0.2.100'])])]).toEqual([]);
  });

  it('instances are tracked apart, and malformed records are ignored', () => {
    const left = heldAtEnd([
      eff('vrrp/VI_1', 'addVips', ['192.0.2.100']),
      eff('vrrp/VI_2', 'addVips', ['192.0.2.101', 7]),
      eff('vrrp/VI_2', 'removeVips', ['192.0.2.101']),
      eff('vrrp/VI_3', 'addVips', 'not a list'),
      { ...eff('vrrp/VI_4', 'addVips', ['192.0.2.104']), kind: 'input' },
    ]);
    expect([...left]).toEqual(['192.0.2.100']);
  });
});
