import { describe, expect, it } from 'vitest';
import { instance, ok } from './helpers.js';

describe('global_defs', () => {
  it("keepalived's defaults when global_defs is absent", () => {
    const g = ok('').config.globalDefs;
    expect(g).toMatchObject({
      routerId: 'keepalived',
      vrrpVersion: 2,
      vrrpMcastGroup4: '224.0.0.18',
      vrrpMcastGroup6: 'ff02::12',
      vrrpStrict: false,
      vrrpSkipCheckAdvAddr: false,
      vrrpGarpMasterDelayMs: 5000,
      vrrpGarpMasterRepeat: 5,
      vrrpGarpMasterRefreshMs: 0,
      vrrpGarpMasterRefreshRepeat: 1,
      vrrpGarpIntervalMs: 0,
      vrrpGnaIntervalMs: 0,
      enableScriptSecurity: false,
      notificationEmail: [],
      smtpConnectTimeoutMs: 30000,
      smtpAlert: false,
      lvsFlush: false,
    });
  });

  it('reads every implemented global keyword', () => {
    const { config } = ok(`global_defs {
  router_id LB_1
  vrrp_version 3
  vrrp_mcast_group4 224.0.0.19
  vrrp_mcast_group6 FF02:0:0:0:0:0:0:13
  vrrp_strict
  vrrp_skip_check_adv_addr
  vrrp_check_unicast_src
  vrrp_garp_master_delay 10
  vrrp_garp_master_repeat 3
  vrrp_garp_master_refresh 60
  vrrp_garp_master_refresh_repeat 2
  vrrp_garp_lower_prio_delay 2.5
  vrrp_garp_lower_prio_repeat 4
  vrrp_garp_interval 0.001
  vrrp_gna_interval 0.002
  vrrp_lower_prio_no_advert
  vrrp_higher_prio_send_advert true
  vrrp_startup_delay 5.5
  vrrp_priority -5
  script_user nobody nogroup
  enable_script_security
  notify_fifo /run/ka.fifo root root
  notify_fifo_script "/usr/local/bin/fifo.sh -v" root
  vrrp_notify_fifo /run/vrrp.fifo
  vrrp_notify_fifo_script /bin/vrrp-fifo.sh
  lvs_notify_fifo /run/lvs.fifo
  lvs_notify_fifo_script /bin/lvs-fifo.sh
  notification_email {
    a@example.org
    b@example.org
  }
  notification_email_from ka@example.org
  smtp_server 192.0.2.25 2525
  smtp_helo_name lb1.example.org
  smtp_connect_timeout 15
  smtp_alert
  smtp_alert_vrrp false
  smtp_alert_checker on
  lvs_flush
  lvs_timeouts tcp 7200 tcpfin 120 udp 300
  lvs_sync_daemon eth0 VI_1 id 10 maxlen 1400 port 8848 ttl 2 group 224.0.0.81
}`);
    const g = config.globalDefs;
    expect(g.routerId).toBe('LB_1');
    expect(g.vrrpVersion).toBe(3);
    expect(g.vrrpMcastGroup4).toBe('224.0.0.19');
    expect(g.vrrpMcastGroup6).toBe('ff02::13');
    expect([g.vrrpStrict, g.vrrpSkipCheckAdvAddr, g.vrrpCheckUnicastSrc]).toEqual([true, true, true]);
    expect(g.vrrpGarpMasterDelayMs).toBe(10000);
    expect(g.vrrpGarpMasterRepeat).toBe(3);
    expect(g.vrrpGarpMasterRefreshMs).toBe(60000);
    expect(g.vrrpGarpMasterRefreshRepeat).toBe(2);
    expect(g.vrrpGarpLowerPrioDelayMs).toBe(2500);
    expect(g.vrrpGarpLowerPrioRepeat).toBe(4);
    expect(g.vrrpGarpIntervalMs).toBe(1);
    expect(g.vrrpGnaIntervalMs).toBe(2);
    expect(g.vrrpLowerPrioNoAdvert).toBe(true);
    expect(g.vrrpHigherPrioSendAdvert).toBe(true);
    expect(g.vrrpStartupDelayMs).toBe(5500);
    expect(g.vrrpPriority).toBe(-5);
    expect(g.scriptUser).toEqual({ user: 'nobody', group: 'nogroup' });
    expect(g.enableScriptSecurity).toBe(true);
    expect(g.notifyFifo).toEqual({ path: '/run/ka.fifo', user: 'root', group: 'root' });
    expect(g.notifyFifoScript).toEqual({ argv: ['/usr/local/bin/fifo.sh', '-v'], user: 'root' });
    expect(g.vrrpNotifyFifo).toEqual({ path: '/run/vrrp.fifo' });
    expect(g.vrrpNotifyFifoScript).toEqual({ argv: ['/bin/vrrp-fifo.sh'] });
    expect(g.lvsNotifyFifo).toEqual({ path: '/run/lvs.fifo' });
    expect(g.lvsNotifyFifoScript).toEqual({ argv: ['/bin/lvs-fifo.sh'] });
    expect(g.notificationEmail).toEqual(['a@example.org', 'b@example.org']);
    expect(g.notificationEmailFrom).toBe('ka@example.org');
    expect(g.smtpServer).toEqual({ host: '192.0.2.25', port: 2525 });
    expect(g.smtpHeloName).toBe('lb1.example.org');
    expect(g.smtpConnectTimeoutMs).toBe(15000);
    expect([g.smtpAlert, g.smtpAlertVrrp, g.smtpAlertChecker]).toEqual([true, false, true]);
    expect(g.lvsFlush).toBe(true);
    expect(g.lvsTimeouts).toEqual({ tcpS: 7200, tcpFinS: 120, udpS: 300 });
    expect(g.lvsSyncDaemon).toEqual({ interface: 'eth0', vrrpInstance: 'VI_1', syncId: 10, maxlen: 1400, port: 8848, ttl: 2, group: '224.0.0.81' });
    expect(g.pos).toEqual({ file: 'test.conf', line: 1, column: 1 });
  });

  it('smtp_server defaults to port 25', () => {
    expect(ok('global_defs {\n smtp_server mail.example.org\n}').config.globalDefs.smtpServer).toEqual({ host: 'mail.example.org', port: 25 });
  });
});

describe('vrrp_script', () => {
  it('reads script, interval, timeout, weight reverse, rise, fall, init_fail, user', () => {
    const { config } = ok(`vrrp_script chk {
  script "/usr/bin/pgrep -x 'my daemon'"
  interval 2
  timeout 1.5
  weight -20 reverse
  rise 3
  fall 4
  init_fail
  user nobody nogroup
}`);
    expect(config.vrrpScripts).toEqual([
      {
        name: 'chk',
        script: { argv: ['/usr/bin/pgrep', '-x', 'my daemon'], user: 'nobody', group: 'nogroup' },
        intervalMs: 2000,
        timeoutMs: 1500,
        weight: -20,
        weightReverse: true,
        rise: 3,
        fall: 4,
        initFail: true,
        pos: { file: 'test.conf', line: 1, column: 1 },
      },
    ]);
  });

  it("defaults: interval 1 s, weight 0, rise 1, fall 1; unquoted words form the command", () => {
    const s = ok('vrrp_script c {\n  script /bin/check a b\n}').config.vrrpScripts[0]!;
    expect(s).toMatchObject({ script: { argv: ['/bin/check', 'a', 'b'] }, intervalMs: 1000, weight: 0, weightReverse: false, rise: 1, fall: 1, initFail: false });
    expect(s.timeoutMs).toBeUndefined();
  });
});

describe('vrrp_instance', () => {
  it('defaults follow keepalived and global_defs (even when global_defs comes later)', () => {
    const { config } = ok(`${instance('')}
global_defs {
  vrrp_garp_master_delay 3
  vrrp_garp_master_repeat 2
  vrrp_version 3
}`);
    const i = config.vrrpInstances[0]!;
    expect(i).toMatchObject({
      name: 'VI_1',
      initialState: 'BACKUP',
      interface: 'eth0',
      virtualRouterId: 51,
      priority: 100,
      advertIntMs: 1000,
      version: 3,
      family: 'ipv4',
      preempt: true,
      preemptDelayMs: 0,
      garpMasterDelayMs: 3000,
      garpMasterRepeat: 2,
      garpLowerPrioDelayMs: 3000,
      garpLowerPrioRepeat: 2,
      garpMasterRefreshMs: 0,
      garpMasterRefreshRepeat: 1,
      strictMode: false,
      accept: true,
      vmacXmitBase: false,
    });
    expect(i.useVmac).toBeUndefined();
    expect(i.authentication).toBeUndefined();
  });

  it('reads the instance keywords', () => {
    const { config } = ok(`vrrp_script chk {
  script /bin/true
  weight 10
}
vrrp_instance VI_2 {
  state MASTER
  interface eth1
  use_vmac
  vmac_xmit_base
  virtual_router_id 7
  priority 150
  advert_int 2
  version 2
  nopreempt
  preempt_delay 30
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
    192.0.2.3 min_ttl 250 max_ttl 255
  }
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    192.0.2.100/24 brd 192.0.2.255 dev eth1 scope global label eth1:vip
    192.0.2.101 noprefixroute
  }
  virtual_ipaddress_excluded {
    2001:DB8::1/64
  }
  virtual_routes {
    src 192.0.2.1 198.51.100.0/24 via 192.0.2.254 dev eth1 table 100 metric 5
    default via 192.0.2.254
  }
  track_interface {
    eth2
    eth3 weight -30
  }
  track_script {
    chk
    chk weight 25 reverse
  }
  garp_master_delay 1
  garp_master_repeat 2
  garp_master_refresh 30
  garp_master_refresh_repeat 3
  garp_lower_prio_delay 4
  garp_lower_prio_repeat 5
  lower_prio_no_advert
  higher_prio_send_advert false
  skip_check_adv_addr
  no_accept
  notify "/etc/keepalived/notify.sh" root
  notify_master "/etc/keepalived/master.sh arg1"
  notify_backup /etc/keepalived/backup.sh
  notify_fault /etc/keepalived/fault.sh
  notify_stop /etc/keepalived/stop.sh
  notify_master_rx_lower_pri /etc/keepalived/lower.sh
  smtp_alert
}`);
    const i = config.vrrpInstances[0]!;
    expect(i).toMatchObject({
      name: 'VI_2',
      initialState: 'MASTER',
      interface: 'eth1',
      useVmac: 'vrrp.7',
      vmacXmitBase: true,
      virtualRouterId: 7,
      priority: 150,
      advertIntMs: 2000,
      version: 2,
      preempt: false,
      preemptDelayMs: 30000,
      unicastSrcIp: '192.0.2.1',
      unicastPeers: [{ address: '192.0.2.2' }, { address: '192.0.2.3', minTtl: 250, maxTtl: 255 }],
      authentication: { type: 'PASS', pass: 'secret' },
      trackInterface: [{ name: 'eth2', reverse: false }, { name: 'eth3', weight: -30, reverse: false }],
      trackScript: [{ name: 'chk', reverse: false }, { name: 'chk', weight: 25, reverse: true }],
      garpMasterDelayMs: 1000,
      garpMasterRepeat: 2,
      garpMasterRefreshMs: 30000,
      garpMasterRefreshRepeat: 3,
      garpLowerPrioDelayMs: 4000,
      garpLowerPrioRepeat: 5,
      lowerPrioNoAdvert: true,
      higherPrioSendAdvert: false,
      skipCheckAdvAddr: true,
      accept: false,
      notify: { argv: ['/etc/keepalived/notify.sh'], user: 'root' },
      notifyMaster: { argv: ['/etc/keepalived/master.sh', 'arg1'] },
      notifyBackup: { argv: ['/etc/keepalived/backup.sh'] },
      notifyFault: { argv: ['/etc/keepalived/fault.sh'] },
      notifyStop: { argv: ['/etc/keepalived/stop.sh'] },
      notifyMasterRxLowerPri: { argv: ['/etc/keepalived/lower.sh'] },
      smtpAlert: true,
    });
    expect(i.virtualIpaddress.map(({ pos: _p, ...v }) => v)).toEqual([
      { address: '192.0.2.100', prefixLen: 24, family: 'ipv4', brd: '192.0.2.255', dev: 'eth1', scope: 'global', label: 'eth1:vip' },
      { address: '192.0.2.101', prefixLen: 32, family: 'ipv4', noPrefixRoute: true },
    ]);
    expect(i.virtualIpaddressExcluded.map(({ pos: _p, ...v }) => v)).toEqual([{ address: '2001:db8::1', prefixLen: 64, family: 'ipv6' }]);
    expect(i.virtualRoutes.map(({ pos: _p, ...v }) => v)).toEqual([
      {
        words: ['src', '192.0.2.1', '198.51.100.0/24', 'via', '192.0.2.254', 'dev', 'eth1', 'table', '100', 'metric', '5'],
        dst: '198.51.100.0/24',
        src: '192.0.2.1',
        via: '192.0.2.254',
        dev: 'eth1',
        table: '100',
        metric: 5,
      },
      { words: ['default', 'via', '192.0.2.254'], dst: 'default', via: '192.0.2.254' },
    ]);
  });

  it('use_vmac NAME, v3 fractional advert_int, IPv6 family forces version 3', () => {
    const { config } = ok(`vrrp_instance V6 {
  interface eth0
  use_vmac vrrp6
  virtual_router_id 9
  advert_int 0.25
  virtual_ipaddress {
    2001:db8::100/64
  }
}`);
    const i = config.vrrpInstances[0]!;
    expect(i.useVmac).toBe('vrrp6');
    expect(i.family).toBe('ipv6');
    expect(i.version).toBe(3);
    expect(i.advertIntMs).toBe(250);
  });

  it('strict mode: accept defaults to false, auth is dropped with a warning', () => {
    const { config } = ok(`global_defs {\n  vrrp_strict\n}\n${instance('  authentication {\n    auth_type AH\n    auth_pass x\n  }')}`);
    expect(config.vrrpInstances[0]).toMatchObject({ strictMode: true, accept: false });
    expect(config.vrrpInstances[0]!.authentication).toBeUndefined();
  });

  it('address owner (priority 255) starts as MASTER', () => {
    expect(ok(instance('  priority 255')).config.vrrpInstances[0]!.initialState).toBe('MASTER');
  });
});

describe('vrrp_sync_group', () => {
  it('reads group, tracking, notify and links members back to the group', () => {
    const { config } = ok(`vrrp_script chk {
  script /bin/true
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  track_interface {
    eth1 weight 10
  }
  track_script {
    chk weight -5
  }
  notify_master "/bin/master.sh G1"
  notify_backup /bin/backup.sh
  notify_fault /bin/fault.sh
  notify_stop /bin/stop.sh
  notify /bin/notify.sh
  smtp_alert false
  sync_group_tracking_weight
}
${instance('', 'VI_1')}
${instance('  virtual_router_id 52', 'VI_2').replace('virtual_router_id 51\n', '')}`);
    const g = config.vrrpSyncGroups[0]!;
    expect(g).toMatchObject({
      name: 'G1',
      group: ['VI_1', 'VI_2'],
      trackInterface: [{ name: 'eth1', weight: 10, reverse: false }],
      trackScript: [{ name: 'chk', weight: -5, reverse: false }],
      notifyMaster: { argv: ['/bin/master.sh', 'G1'] },
      notifyBackup: { argv: ['/bin/backup.sh'] },
      notifyFault: { argv: ['/bin/fault.sh'] },
      notifyStop: { argv: ['/bin/stop.sh'] },
      notify: { argv: ['/bin/notify.sh'] },
      smtpAlert: false,
      globalTracking: true,
    });
    expect(config.vrrpInstances.map((i) => i.syncGroup)).toEqual(['G1', 'G1']);
  });
});
