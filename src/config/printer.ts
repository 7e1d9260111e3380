/**
 * Typed configuration -> keepalived.conf text that loads back to the same configuration. Values
 * are written explicitly (not left to defaults), so a printed file does not change meaning if it
 * is moved under a global_defs with other defaults, and round-trips exactly.
 */
import { formatCommandLine } from './scripts.js';
import type {
  Checker,
  GlobalDefs,
  KeepalivedConfig,
  RealServer,
  ScriptCommand,
  TrackedByWeight,
  VirtualIp,
  VirtualRoute,
  VirtualServer,
  VirtualServerGroup,
  VrrpInstance,
  VrrpNotify,
  VrrpScript,
  VrrpSyncGroup,
} from './types.js';

/** A word as keepalived reads it back: quoted when it holds blanks, comment or brace characters. */
export function quoteWord(text: string): string {
  return text === '' || /[\s#!{}"]/.test(text) ? `"${text}"` : text;
}

function seconds(ms: number): string {
  return String(ms / 1000);
}

function bool(b: boolean): string {
  return b ? 'true' : 'false';
}

class Out {
  private readonly lines: string[] = [];
  private depth = 0;
  line(...words: Array<string | number>): void {
    this.lines.push('    '.repeat(this.depth) + words.join(' '));
  }
  open(...words: Array<string | number>): void {
    this.line(...words, '{');
    this.depth++;
  }
  close(): void {
    this.depth--;
    this.line('}');
  }
  blank(): void {
    this.lines.push('');
  }
  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

function script(cmd: ScriptCommand, withUser: boolean): string {
  let s = formatCommandLine(cmd.argv);
  if (withUser && cmd.user !== undefined) {
    s += ` ${quoteWord(cmd.user)}`;
    if (cmd.group !== undefined) s += ` ${quoteWord(cmd.group)}`;
  }
  return s;
}

function printGlobalDefs(o: Out, g: GlobalDefs): void {
  o.open('global_defs');
  o.line('router_id', quoteWord(g.routerId));
  o.line('vrrp_version', g.vrrpVersion);
  o.line('vrrp_mcast_group4', g.vrrpMcastGroup4);
  o.line('vrrp_mcast_group6', g.vrrpMcastGroup6);
  o.line('vrrp_strict', bool(g.vrrpStrict));
  o.line('vrrp_skip_check_adv_addr', bool(g.vrrpSkipCheckAdvAddr));
  o.line('vrrp_check_unicast_src', bool(g.vrrpCheckUnicastSrc));
  o.line('vrrp_garp_master_delay', seconds(g.vrrpGarpMasterDelayMs));
  o.line('vrrp_garp_master_repeat', g.vrrpGarpMasterRepeat);
  o.line('vrrp_garp_master_refresh', seconds(g.vrrpGarpMasterRefreshMs));
  o.line('vrrp_garp_master_refresh_repeat', g.vrrpGarpMasterRefreshRepeat);
  if (g.vrrpGarpLowerPrioDelayMs !== undefined) o.line('vrrp_garp_lower_prio_delay', seconds(g.vrrpGarpLowerPrioDelayMs));
  if (g.vrrpGarpLowerPrioRepeat !== undefined) o.line('vrrp_garp_lower_prio_repeat', g.vrrpGarpLowerPrioRepeat);
  o.line('vrrp_garp_interval', seconds(g.vrrpGarpIntervalMs));
  o.line('vrrp_gna_interval', seconds(g.vrrpGnaIntervalMs));
  o.line('vrrp_lower_prio_no_advert', bool(g.vrrpLowerPrioNoAdvert));
  o.line('vrrp_higher_prio_send_advert', bool(g.vrrpHigherPrioSendAdvert));
  o.line('vrrp_startup_delay', seconds(g.vrrpStartupDelayMs));
  if (g.vrrpPriority !== undefined) o.line('vrrp_priority', g.vrrpPriority);
  if (g.checkerPriority !== undefined) o.line('checker_priority', g.checkerPriority);
  if (g.scriptUser) o.line('script_user', quoteWord(g.scriptUser.user), ...(g.scriptUser.group !== undefined ? [quoteWord(g.scriptUser.group)] : []));
  o.line('enable_script_security', bool(g.enableScriptSecurity));
  const fifo = (kw: string, f: { path: string; user?: string; group?: string } | undefined): void => {
    if (!f) return;
    const w = [quoteWord(f.path)];
    if (f.user !== undefined) {
      w.push(quoteWord(f.user));
      if (f.group !== undefined) w.push(quoteWord(f.group));
    }
    o.line(kw, ...w);
  };
  fifo('notify_fifo', g.notifyFifo);
  if (g.notifyFifoScript) o.line('notify_fifo_script', script(g.notifyFifoScript, true));
  fifo('vrrp_notify_fifo', g.vrrpNotifyFifo);
  if (g.vrrpNotifyFifoScript) o.line('vrrp_notify_fifo_script', script(g.vrrpNotifyFifoScript, true));
  fifo('lvs_notify_fifo', g.lvsNotifyFifo);
  if (g.lvsNotifyFifoScript) o.line('lvs_notify_fifo_script', script(g.lvsNotifyFifoScript, true));
  if (g.notificationEmail.length > 0) {
    o.open('notification_email');
    for (const e of g.notificationEmail) o.line(quoteWord(e));
    o.close();
  }
  if (g.notificationEmailFrom !== undefined) o.line('notification_email_from', quoteWord(g.notificationEmailFrom));
  if (g.smtpServer) o.line('smtp_server', g.smtpServer.host, g.smtpServer.port);
  if (g.smtpHeloName !== undefined) o.line('smtp_helo_name', quoteWord(g.smtpHeloName));
  o.line('smtp_connect_timeout', seconds(g.smtpConnectTimeoutMs));
  if (g.eventLogDir !== undefined) o.line('event_log_dir', quoteWord(g.eventLogDir));
  if (g.eventLogMaxMb !== undefined) o.line('event_log_max_mb', g.eventLogMaxMb);
  if (g.eventLogMaxAgeMs !== undefined) o.line('event_log_max_age', Math.round(g.eventLogMaxAgeMs / 1000));
  o.line('smtp_alert', bool(g.smtpAlert));
  if (g.smtpAlertVrrp !== undefined) o.line('smtp_alert_vrrp', bool(g.smtpAlertVrrp));
  if (g.smtpAlertChecker !== undefined) o.line('smtp_alert_checker', bool(g.smtpAlertChecker));
  o.line('lvs_flush', bool(g.lvsFlush));
  if (g.lvsTimeouts) {
    const t = g.lvsTimeouts;
    const w: Array<string | number> = [];
    if (t.tcpS !== undefined) w.push('tcp', t.tcpS);
    if (t.tcpFinS !== undefined) w.push('tcpfin', t.tcpFinS);
    if (t.udpS !== undefined) w.push('udp', t.udpS);
    if (w.length > 0) o.line('lvs_timeouts', ...w);
  }
  if (g.lvsSyncDaemon) {
    const d = g.lvsSyncDaemon;
    const w: Array<string | number> = [quoteWord(d.interface), quoteWord(d.vrrpInstance)];
    if (d.syncId !== undefined) w.push('id', d.syncId);
    if (d.maxlen !== undefined) w.push('maxlen', d.maxlen);
    if (d.port !== undefined) w.push('port', d.port);
    if (d.ttl !== undefined) w.push('ttl', d.ttl);
    if (d.group !== undefined) w.push('group', d.group);
    o.line('lvs_sync_daemon', ...w);
  }
  o.close();
}

function printScript(o: Out, s: VrrpScript): void {
  o.open('vrrp_script', quoteWord(s.name));
  o.line('script', script(s.script, false));
  if (s.script.user !== undefined) o.line('user', quoteWord(s.script.user), ...(s.script.group !== undefined ? [quoteWord(s.script.group)] : []));
  o.line('interval', seconds(s.intervalMs));
  if (s.timeoutMs !== undefined) o.line('timeout', seconds(s.timeoutMs));
  o.line('weight', s.weight, ...(s.weightReverse ? ['reverse'] : []));
  o.line('rise', s.rise);
  o.line('fall', s.fall);
  if (s.initFail) o.line('init_fail');
  o.close();
}

function printNotify(o: Out, n: VrrpNotify): void {
  if (n.notify) o.line('notify', script(n.notify, true));
  if (n.notifyMaster) o.line('notify_master', script(n.notifyMaster, true));
  if (n.notifyBackup) o.line('notify_backup', script(n.notifyBackup, true));
  if (n.notifyFault) o.line('notify_fault', script(n.notifyFault, true));
  if (n.notifyStop) o.line('notify_stop', script(n.notifyStop, true));
  if (n.notifyMasterRxLowerPri) o.line('notify_master_rx_lower_pri', script(n.notifyMasterRxLowerPri, true));
}

function printTracked(o: Out, kw: string, list: readonly TrackedByWeight[]): void {
  if (list.length === 0) return;
  o.open(kw);
  for (const t of list) {
    const w: Array<string | number> = [quoteWord(t.name)];
    if (t.weight !== undefined) w.push('weight', t.weight);
    if (t.reverse) w.push('reverse');
    o.line(...w);
  }
  o.close();
}

function vipLine(v: VirtualIp): Array<string | number> {
  const w: Array<string | number> = [`${v.address}/${v.prefixLen}`];
  if (v.brd !== undefined) w.push('brd', v.brd);
  if (v.dev !== undefined) w.push('dev', quoteWord(v.dev));
  if (v.scope !== undefined) w.push('scope', quoteWord(v.scope));
  if (v.label !== undefined) w.push('label', quoteWord(v.label));
  if (v.noPrefixRoute) w.push('noprefixroute');
  return w;
}

function routeLine(rt: VirtualRoute): string[] {
  return rt.words.map(quoteWord);
}

function printSyncGroup(o: Out, g: VrrpSyncGroup): void {
  o.open('vrrp_sync_group', quoteWord(g.name));
  o.open('group');
  for (const m of g.group) o.line(quoteWord(m));
  o.close();
  printTracked(o, 'track_interface', g.trackInterface);
  printTracked(o, 'track_script', g.trackScript);
  printNotify(o, g);
  if (g.smtpAlert !== undefined) o.line('smtp_alert', bool(g.smtpAlert));
  if (g.globalTracking) o.line('sync_group_tracking_weight');
  o.close();
}

function printInstance(o: Out, i: VrrpInstance): void {
  o.open('vrrp_instance', quoteWord(i.name));
  o.line('state', i.initialState);
  o.line('interface', quoteWord(i.interface));
  if (i.useVmac !== undefined) o.line('use_vmac', quoteWord(i.useVmac));
  if (i.vmacXmitBase) o.line('vmac_xmit_base');
  o.line('virtual_router_id', i.virtualRouterId);
  o.line('priority', i.priority);
  if (i.family === 'ipv6') o.line('native_ipv6');
  o.line('version', i.version);
  o.line('advert_int', seconds(i.advertIntMs));
  o.line(i.preempt ? 'preempt' : 'nopreempt');
  o.line('preempt_delay', seconds(i.preemptDelayMs));
  if (i.unicastSrcIp !== undefined) o.line('unicast_src_ip', i.unicastSrcIp);
  if (i.unicastPeers.length > 0) {
    o.open('unicast_peer');
    for (const p of i.unicastPeers) {
      const w: Array<string | number> = [p.address];
      if (p.minTtl !== undefined) w.push('min_ttl', p.minTtl);
      if (p.maxTtl !== undefined) w.push('max_ttl', p.maxTtl);
      o.line(...w);
    }
    o.close();
  }
  if (i.authentication) {
    o.open('authentication');
    o.line('auth_type', i.authentication.type);
    o.line('auth_pass', quoteWord(i.authentication.pass));
    o.close();
  }
  const vips = (kw: string, list: readonly VirtualIp[]): void => {
    if (list.length === 0) return;
    o.open(kw);
    for (const v of list) o.line(...vipLine(v));
    o.close();
  };
  vips('virtual_ipaddress', i.virtualIpaddress);
  vips('virtual_ipaddress_excluded', i.virtualIpaddressExcluded);
  if (i.virtualRoutes.length > 0) {
    o.open('virtual_routes');
    for (const rt of i.virtualRoutes) o.line(...routeLine(rt));
    o.close();
  }
  printTracked(o, 'track_interface', i.trackInterface);
  printTracked(o, 'track_script', i.trackScript);
  o.line('garp_master_delay', seconds(i.garpMasterDelayMs));
  o.line('garp_master_repeat', i.garpMasterRepeat);
  o.line('garp_master_refresh', seconds(i.garpMasterRefreshMs));
  o.line('garp_master_refresh_repeat', i.garpMasterRefreshRepeat);
  o.line('garp_lower_prio_delay', seconds(i.garpLowerPrioDelayMs));
  o.line('garp_lower_prio_repeat', i.garpLowerPrioRepeat);
  o.line('lower_prio_no_advert', bool(i.lowerPrioNoAdvert));
  o.line('higher_prio_send_advert', bool(i.higherPrioSendAdvert));
  o.line('skip_check_adv_addr', bool(i.skipCheckAdvAddr));
  o.line('strict_mode', bool(i.strictMode));
  o.line(i.accept ? 'accept' : 'no_accept');
  printNotify(o, i);
  if (i.smtpAlert !== undefined) o.line('smtp_alert', bool(i.smtpAlert));
  o.close();
}

function printVsGroup(o: Out, g: VirtualServerGroup): void {
  o.open('virtual_server_group', quoteWord(g.name));
  for (const m of g.members) {
    if (m.type === 'fwmark') o.line('fwmark', m.fwmark);
    else {
      const end = m.rangeEnd === undefined ? '' : `-${m.family === 'ipv6' ? m.rangeEnd.toString(16) : m.rangeEnd}`;
      o.line(`${m.address}${end}`, m.port);
    }
  }
  o.close();
}

function printChecker(o: Out, c: Checker): void {
  o.open(c.type);
  if (c.type !== 'MISC_CHECK' && c.type !== 'FILE_CHECK') {
    if (c.connectIp !== undefined) o.line('connect_ip', c.connectIp);
    if (c.connectPort !== undefined) o.line('connect_port', c.connectPort);
    if (c.bindto !== undefined) o.line('bindto', c.bindto);
    if (c.bindPort !== undefined) o.line('bind_port', c.bindPort);
    if (c.bindIf !== undefined) o.line('bind_if', quoteWord(c.bindIf));
    o.line('connect_timeout', seconds(c.connectTimeoutMs));
    if (c.fwmark !== undefined) o.line('fwmark', c.fwmark);
  }
  if (c.type !== 'FILE_CHECK') {
    o.line('retry', c.retry);
    o.line('delay_before_retry', seconds(c.delayBeforeRetryMs));
    if (c.delayLoopMs !== undefined) o.line('delay_loop', seconds(c.delayLoopMs));
    if (c.warmupMs !== undefined) o.line('warmup', seconds(c.warmupMs));
    if (c.alpha !== undefined) o.line('alpha', bool(c.alpha));
  }
  switch (c.type) {
    case 'HTTP_GET':
    case 'SSL_GET':
      if (c.virtualhost !== undefined) o.line('virtualhost', quoteWord(c.virtualhost));
      if (c.httpProtocol !== undefined) o.line('http_protocol', c.httpProtocol);
      if (c.enableSni !== undefined) o.line('enable_sni', bool(c.enableSni));
      for (const u of c.urls) {
        o.open('url');
        o.line('path', quoteWord(u.path));
        if (u.digest !== undefined) o.line('digest', u.digest);
        o.line('status_code', ...u.statusCode.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)));
        if (u.virtualhost !== undefined) o.line('virtualhost', quoteWord(u.virtualhost));
        if (u.regex !== undefined) o.line('regex', quoteWord(u.regex));
        o.close();
      }
      break;
    case 'MISC_CHECK':
      o.line('misc_path', script(c.miscPath, false));
      if (c.miscTimeoutMs !== undefined) o.line('misc_timeout', seconds(c.miscTimeoutMs));
      if (c.miscDynamic) o.line('misc_dynamic');
      break;
    case 'SMTP_CHECK':
      if (c.heloName !== undefined) o.line('helo_name', quoteWord(c.heloName));
      break;
    case 'DNS_CHECK':
      o.line('type', c.dnsType);
      o.line('name', quoteWord(c.dnsName));
      break;
    case 'UDP_CHECK':
      if (c.payload !== undefined) o.line('payload', c.payload);
      if (c.requireReply) o.line('require_reply');
      break;
    case 'FILE_CHECK':
      o.line('track_file', quoteWord(c.trackFile));
      break;
    default:
      break;
  }
  o.close();
}

function printRealServer(o: Out, rs: RealServer): void {
  o.open('real_server', rs.address, ...(rs.port !== 0 ? [rs.port] : []));
  o.line('weight', rs.weight);
  o.line('inhibit_on_failure', bool(rs.inhibitOnFailure));
  if (rs.uthreshold !== undefined) o.line('uthreshold', rs.uthreshold);
  if (rs.lthreshold !== undefined) o.line('lthreshold', rs.lthreshold);
  if (rs.lvsMethod !== undefined) o.line('lvs_method', rs.lvsMethod);
  if (rs.notifyUp) o.line('notify_up', script(rs.notifyUp, true));
  if (rs.notifyDown) o.line('notify_down', script(rs.notifyDown, true));
  if (rs.delayLoopMs !== undefined) o.line('delay_loop', seconds(rs.delayLoopMs));
  if (rs.alpha !== undefined) o.line('alpha', bool(rs.alpha));
  if (rs.retry !== undefined) o.line('retry', rs.retry);
  if (rs.delayBeforeRetryMs !== undefined) o.line('delay_before_retry', seconds(rs.delayBeforeRetryMs));
  if (rs.warmupMs !== undefined) o.line('warmup', seconds(rs.warmupMs));
  for (const c of rs.checkers) printChecker(o, c);
  o.close();
}

function printVirtualServer(o: Out, vs: VirtualServer): void {
  const k = vs.key;
  if (k.type === 'fwmark') o.open('virtual_server', 'fwmark', k.fwmark);
  else if (k.type === 'group') o.open('virtual_server', 'group', quoteWord(k.name));
  else o.open('virtual_server', k.address, ...(k.port !== 0 ? [k.port] : []));
  if (k.type === 'fwmark' && k.family === 'ipv6') o.line('ip_family', 'inet6');
  if (k.type !== 'fwmark') o.line('protocol', vs.protocol);
  o.line('delay_loop', seconds(vs.delayLoopMs));
  o.line('lb_algo', vs.lbAlgo);
  o.line('lb_kind', vs.lbKind);
  for (const f of vs.schedFlags) o.line(f);
  if (vs.persistenceTimeout !== undefined) o.line('persistence_timeout', vs.persistenceTimeout);
  if (vs.persistenceGranularity !== undefined) o.line('persistence_granularity', vs.persistenceGranularity);
  if (vs.virtualhost !== undefined) o.line('virtualhost', quoteWord(vs.virtualhost));
  if (vs.sorryServer) {
    o.line('sorry_server', vs.sorryServer.address, ...(vs.sorryServer.port !== 0 ? [vs.sorryServer.port] : []));
    if (vs.sorryServer.lvsMethod !== undefined) o.line('sorry_server_lvs_method', vs.sorryServer.lvsMethod);
  }
  o.line('sorry_server_inhibit', bool(vs.sorryServerInhibit));
  o.line('inhibit_on_failure', bool(vs.inhibitOnFailure));
  o.line('quorum', vs.quorum);
  o.line('hysteresis', vs.hysteresis);
  if (vs.quorumUp) o.line('quorum_up', script(vs.quorumUp, true));
  if (vs.quorumDown) o.line('quorum_down', script(vs.quorumDown, true));
  o.line('alpha', bool(vs.alpha));
  o.line('omega', bool(vs.omega));
  o.line('ha_suspend', bool(vs.haSuspend));
  o.line('ops', bool(vs.opsFlag));
  for (const rs of vs.realServers) printRealServer(o, rs);
  o.close();
}

export function printConfig(config: KeepalivedConfig): string {
  const o = new Out();
  o.line('! Configuration File for keepalived (written by keepalived-ts)');
  o.blank();
  printGlobalDefs(o, config.globalDefs);
  if (config.staticIpaddress.length > 0) {
    o.blank();
    o.open('static_ipaddress');
    for (const v of config.staticIpaddress) o.line(...vipLine(v));
    o.close();
  }
  if (config.staticRoutes.length > 0) {
    o.blank();
    o.open('static_routes');
    for (const rt of config.staticRoutes) o.line(...routeLine(rt));
    o.close();
  }
  for (const s of config.vrrpScripts) {
    o.blank();
    printScript(o, s);
  }
  for (const g of config.vrrpSyncGroups) {
    o.blank();
    printSyncGroup(o, g);
  }
  for (const i of config.vrrpInstances) {
    o.blank();
    printInstance(o, i);
  }
  for (const g of config.virtualServerGroups) {
    o.blank();
    printVsGroup(o, g);
  }
  for (const vs of config.virtualServers) {
    o.blank();
    printVirtualServer(o, vs);
  }
  return o.text();
}
