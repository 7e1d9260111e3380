/**
 * Checks across blocks, and the defaults that depend on other blocks (global_defs may come after
 * the instances that use its values). Messages follow keepalived 2.2.7's wording where it has one.
 * Errors: what keepalived cannot run (no VRID, no interface, one VRID twice on one interface and
 * family). Warnings: what keepalived ignores or corrects, and the correction is applied here.
 */
import type { SourcePos } from './diagnostics.js';
import type { BuildOutput } from './build.js';
import type { KeepalivedConfig, VirtualServer, VrrpInstance } from './types.js';
import type { Reporter } from './values.js';

export interface ValidateOptions {
  /** Interfaces this host has; when given, a missing one is a warning. */
  hostInterfaces?: readonly string[];
}

function formatVs(vs: VirtualServer): string {
  const k = vs.key;
  if (k.type === 'fwmark') return `FWM ${k.fwmark}`;
  if (k.type === 'group') return `GROUP ${k.name}`;
  return `[${k.address}]:${vs.protocol.toLowerCase()}:${k.port}`;
}

export function validateConfig(b: BuildOutput, r: Reporter, opts: ValidateOptions = {}): void {
  const config = b.config;
  const g = config.globalDefs;
  applyInstanceDefaults(b, r);
  checkInstances(b, r, opts);
  checkSyncGroups(b, r);
  checkVirtualServers(b, r);
  if (g.lvsSyncDaemon && !config.vrrpInstances.some((i) => i.name === g.lvsSyncDaemon!.vrrpInstance)) {
    r.warn(g.pos ?? { file: config.files[0] ?? '', line: 1, column: 1 }, 'unknown-reference',
      `lvs_sync_daemon: vrrp instance ${g.lvsSyncDaemon.vrrpInstance} not found`);
  }
  checkScriptSecurity(config, r);
}

function applyInstanceDefaults(b: BuildOutput, r: Reporter): void {
  const g = b.config.globalDefs;
  for (const inst of b.config.vrrpInstances) {
    const set = b.instanceKeywords.get(inst) ?? new Set<string>();
    const seen = b.instanceSeen.get(inst);
    const at = (kw: string): SourcePos => seen?.get(kw)?.keyword.pos ?? inst.pos;
    if (!set.has('garpMasterDelayMs')) inst.garpMasterDelayMs = g.vrrpGarpMasterDelayMs;
    if (!set.has('garpMasterRepeat')) inst.garpMasterRepeat = g.vrrpGarpMasterRepeat;
    if (!set.has('garpMasterRefreshMs')) inst.garpMasterRefreshMs = g.vrrpGarpMasterRefreshMs;
    if (!set.has('garpMasterRefreshRepeat')) inst.garpMasterRefreshRepeat = g.vrrpGarpMasterRefreshRepeat;
    if (!set.has('garpLowerPrioDelayMs')) inst.garpLowerPrioDelayMs = g.vrrpGarpLowerPrioDelayMs ?? inst.garpMasterDelayMs;
    if (!set.has('garpLowerPrioRepeat')) inst.garpLowerPrioRepeat = g.vrrpGarpLowerPrioRepeat ?? inst.garpMasterRepeat;
    if (!set.has('lowerPrioNoAdvert')) inst.lowerPrioNoAdvert = g.vrrpLowerPrioNoAdvert;
    if (!set.has('higherPrioSendAdvert')) inst.higherPrioSendAdvert = g.vrrpHigherPrioSendAdvert;
    if (!set.has('skipCheckAdvAddr')) inst.skipCheckAdvAddr = g.vrrpSkipCheckAdvAddr;
    if (!set.has('strictMode')) inst.strictMode = g.vrrpStrict;
    if (!set.has('version')) inst.version = g.vrrpVersion;
    if (!set.has('accept')) inst.accept = !inst.strictMode;
    inst.v3ChecksumAsV2 = g.vrrpV3ChecksumAsV2;
    if (inst.family === 'ipv6' && inst.version === 2) {
      if (set.has('version')) r.warn(at('version'), 'version', `(${inst.name}) cannot use IPv6 with VRRP version 2; setting version 3`);
      inst.version = 3;
    }
    // keepalived: v2 adverts carry whole seconds; v3 centiseconds up to 40.95 s.
    if (inst.version === 2 && inst.advertIntMs % 1000 !== 0) {
      const rounded = Math.max(1000, Math.round(inst.advertIntMs / 1000) * 1000);
      r.warn(at('advert_int'), 'advert-int', `(${inst.name}) VRRPv2 advertisement interval ${(inst.advertIntMs / 1000).toFixed(6)}s must be an integer. rounding`);
      inst.advertIntMs = rounded;
    } else if (inst.version === 3) {
      if (inst.advertIntMs > 40950) {
        r.warn(at('advert_int'), 'advert-int', `(${inst.name}) VRRPv3 advertisement interval ${(inst.advertIntMs / 1000).toFixed(2)}s is out of range. Must be less than 40.96s. Setting to 40.95s`);
        inst.advertIntMs = 40950;
      } else if (inst.advertIntMs % 10 !== 0) {
        inst.advertIntMs = Math.max(10, Math.round(inst.advertIntMs / 10) * 10);
      }
    }
    if (inst.useVmac === '') inst.useVmac = `vrrp.${inst.virtualRouterId}`;
    if (inst.useVmac === undefined) delete inst.useVmac;
  }
}

function checkInstances(b: BuildOutput, r: Reporter, opts: ValidateOptions): void {
  const config = b.config;
  const scripts = new Set(config.vrrpScripts.map((s) => s.name));
  const byVrid = new Map<string, VrrpInstance>();
  const host = opts.hostInterfaces ? new Set(opts.hostInterfaces) : undefined;
  for (const inst of config.vrrpInstances) {
    const seen = b.instanceSeen.get(inst);
    const at = (kw: string): SourcePos => seen?.get(kw)?.keyword.pos ?? inst.pos;
    if (inst.interface === '') r.error(inst.pos, 'no-interface', `(${inst.name}) Unknown interface!`);
    else if (host && !host.has(inst.interface)) {
      r.warn(seen?.get('interface')?.args[0]?.pos ?? at('interface'), 'missing-interface', `WARNING - interface ${inst.interface} for vrrp_instance ${inst.name} doesn't exist`);
    }
    if (host) {
      for (const t of inst.trackInterface) {
        if (!host.has(t.name)) r.warn(at('track_interface'), 'missing-interface', `(${inst.name}) track_interface ${t.name} doesn't exist`);
      }
    }
    if (inst.virtualRouterId === 0) {
      if (!seen?.has('virtual_router_id')) r.error(inst.pos, 'no-vrid', `(${inst.name}) the virtual router id must be set`);
    } else if (inst.interface !== '') {
      const key = `${inst.interface}/${inst.family}/${inst.virtualRouterId}`;
      const other = byVrid.get(key);
      if (other) {
        r.error(seen?.get('virtual_router_id')?.args[0]?.pos ?? inst.pos, 'duplicate-vrid',
          `(${inst.name}) VRID ${inst.virtualRouterId} is already used by vrrp_instance ${other.name} on interface ${inst.interface} (${inst.family === 'ipv4' ? 'IPv4' : 'IPv6'})`);
      } else byVrid.set(key, inst);
    }
    if (inst.strictMode && inst.authentication) {
      r.warn(at('authentication'), 'strict-auth', `(${inst.name}) Strict mode does not support authentication. Ignoring.`);
      delete inst.authentication;
    }
    if (inst.strictMode && inst.virtualIpaddress.length === 0) {
      r.error(inst.pos, 'no-vip', `(${inst.name}) No VIP specified; at least one is required`);
    }
    if (inst.authentication && inst.version === 3) {
      r.warn(at('authentication'), 'v3-auth', `(${inst.name}) VRRPv3 does not support authentication. Ignoring.`);
      delete inst.authentication;
    }
    if (inst.priority === 255 && !inst.preempt) {
      r.warn(at('nopreempt'), 'nopreempt-owner', `(${inst.name}) nopreempt is incompatible with priority 255. resetting nopreempt`);
      inst.preempt = true;
    }
    // The address owner (priority 255) always starts as MASTER; strict mode also refuses a
    // non-owner that asks to (keepalived: "State MASTER must match being address owner").
    const owner = inst.priority === 255;
    if (owner !== (inst.initialState === 'MASTER') && (inst.strictMode || owner)) {
      if (inst.strictMode) r.warn(at('state'), 'owner-state', `(${inst.name}) State MASTER must match being address owner`);
      inst.initialState = owner ? 'MASTER' : 'BACKUP';
    }
    const kept = [];
    for (const t of inst.trackScript) {
      if (!scripts.has(t.name)) r.warn(b.trackScriptPos.get(t) ?? inst.pos, 'unknown-reference', `(${inst.name}) track script ${t.name} not found, ignoring...`);
      else kept.push(t);
    }
    inst.trackScript = kept;
  }
}

function checkSyncGroups(b: BuildOutput, r: Reporter): void {
  const config = b.config;
  const instances = new Map(config.vrrpInstances.map((i) => [i.name, i]));
  const scripts = new Set(config.vrrpScripts.map((s) => s.name));
  const keptGroups = [];
  for (const sg of config.vrrpSyncGroups) {
    const positions = b.syncGroupMemberPos.get(sg) ?? [];
    const members: string[] = [];
    sg.group.forEach((name, i) => {
      const at = positions[i] ?? sg.pos;
      const inst = instances.get(name);
      if (!inst) {
        r.warn(at, 'unknown-reference', `Virtual router ${name} specified in sync group ${sg.name} doesn't exist - ignoring`);
        return;
      }
      if (inst.syncGroup !== undefined && inst.syncGroup !== sg.name) {
        r.warn(at, 'sync-group-twice', `Virtual router ${name} cannot exist in more than one sync group; ignoring ${sg.name}`);
        return;
      }
      if (members.includes(name)) return;
      members.push(name);
    });
    if (members.length === 0) {
      r.warn(sg.pos, 'empty-sync-group', `Sync group ${sg.name}, no matching virtual router found in group declaration - removing`);
      continue;
    }
    for (const m of members) instances.get(m)!.syncGroup = sg.name;
    if (members.length === 1) {
      r.warn(sg.pos, 'sync-group-single', `Sync group ${sg.name} has only 1 virtual router(s) - this probably isn't what you want`);
    }
    sg.group = members;
    const kept = [];
    for (const t of sg.trackScript) {
      if (!scripts.has(t.name)) r.warn(b.trackScriptPos.get(t) ?? sg.pos, 'unknown-reference', `(${sg.name}) track script ${t.name} not found, ignoring...`);
      else kept.push(t);
    }
    sg.trackScript = kept;
    keptGroups.push(sg);
  }
  config.vrrpSyncGroups = keptGroups;
}

function checkVirtualServers(b: BuildOutput, r: Reporter): void {
  const config = b.config;
  const groups = new Set(config.virtualServerGroups.map((x) => x.name));
  const kept: VirtualServer[] = [];
  for (const vs of config.virtualServers) {
    const seen = b.vsSeen.get(vs);
    if (vs.key.type === 'group' && !groups.has(vs.key.name)) {
      r.warn(vs.pos, 'unknown-reference', `Virtual server group ${vs.key.name} specified but not configured - ignoring virtual server ${formatVs(vs)}`);
      continue;
    }
    const protoWord = b.vsProtocolGiven.get(vs);
    if (vs.key.type === 'fwmark') {
      if (protoWord) r.warn(protoWord.pos, 'fwmark-protocol', `Warning: Virtual server ${formatVs(vs)}: protocol specified for fwmark - protocol will be ignored`);
      vs.protocol = 'UDP';
    } else if (!protoWord) {
      r.warn(vs.pos, 'default-protocol', `Virtual server ${formatVs(vs).replace(':udp:', ':none:')}: no protocol set - defaulting to UDP`);
    }
    // A fwmark has no address to watch. keepalived clears the flag; the typed config keeps what
    // was written (so it prints back the same) and the checker side ignores it (ha-suspend.ts).
    const key = vs.key;
    const vsGroup = key.type === 'group' ? config.virtualServerGroups.find((x) => x.name === key.name) : undefined;
    if (vs.haSuspend && (key.type === 'fwmark' || vsGroup?.members.some((m) => m.type === 'fwmark') === true)) {
      r.warn(seen?.get('ha_suspend')?.keyword.pos ?? vs.pos, 'ha-suspend-fwmark', `Virtual server ${formatVs(vs)}: cannot use ha_suspend with fwmarks - clearing ha_suspend`);
    }
    if (!b.vsSchedGiven.has(vs)) r.warn(vs.pos, 'default-scheduler', `Virtual server ${formatVs(vs)}: no scheduler set, setting default 'wlc'`);
    if (!b.vsMethodGiven.has(vs)) r.warn(vs.pos, 'default-method', `Virtual server ${formatVs(vs)}: no forwarding method set, setting default NAT`);
    if (vs.persistenceGranularity !== undefined && vs.persistenceTimeout === undefined) {
      r.warn(seen?.get('persistence_granularity')?.keyword.pos ?? vs.pos, 'granularity-without-persistence',
        `Virtual server ${formatVs(vs)}: persistence_granularity without persistence_timeout - setting persistence_timeout 360`);
      vs.persistenceTimeout = 360;
    }
    for (const rs of vs.realServers) {
      // keepalived: the virtual server's inhibit_on_failure is the default of its real servers,
      // wherever it stands in the block.
      if (!b.rsInhibitGiven.has(rs)) rs.inhibitOnFailure = vs.inhibitOnFailure;
      for (const c of rs.checkers) {
        if (b.dnsRetryFromLoop.has(c)) c.delayBeforeRetryMs = c.delayLoopMs ?? rs.delayLoopMs ?? vs.delayLoopMs;
      }
    }
    kept.push(vs);
  }
  config.virtualServers = kept;
}

function checkScriptSecurity(config: KeepalivedConfig, r: Reporter): void {
  if (config.globalDefs.enableScriptSecurity) return;
  const firstScriptPos =
    config.vrrpScripts[0]?.pos ??
    config.vrrpInstances.find((i) => i.notify || i.notifyMaster || i.notifyBackup || i.notifyFault || i.notifyStop || i.notifyMasterRxLowerPri)?.pos ??
    config.vrrpSyncGroups.find((s) => s.notify || s.notifyMaster || s.notifyBackup || s.notifyFault || s.notifyStop)?.pos ??
    config.virtualServers.find((v) => v.quorumUp || v.quorumDown || v.realServers.some((rs) => rs.notifyUp || rs.notifyDown || rs.checkers.some((c) => c.type === 'MISC_CHECK')))?.pos;
  if (firstScriptPos) {
    r.warn(firstScriptPos, 'script-security', 'SECURITY VIOLATION - scripts are being executed but script_security not enabled.');
  }
}
