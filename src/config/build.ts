/**
 * AST -> typed KeepalivedConfig, block by block, with keepalived 2.2.7's defaults and legacy names
 * (lb_algo/lvs_sched, lb_kind/lvs_method, nb_get_retry/retry). Values are read here; relations
 * between blocks (references, duplicates, strict mode) are checked in validate.ts.
 */
import type { ParsedFile, Statement, Word } from './ast.js';
import type { Diagnostic, SourcePos } from './diagnostics.js';
import type {
  AddressFamily,
  Checker,
  CheckerCommon,
  GlobalDefs,
  HttpUrl,
  KeepalivedConfig,
  LvsMethod,
  LvsProtocol,
  LvsScheduler,
  RealServer,
  ScriptCommand,
  TrackedByWeight,
  UnicastPeer,
  VirtualIp,
  VirtualRoute,
  VirtualServer,
  VirtualServerGroup,
  VirtualServerKey,
  VrrpInstance,
  VrrpNotify,
  VrrpScript,
  VrrpSyncGroup,
} from './types.js';
import {
  canonicalAddress,
  readAddress,
  readBool,
  readFloat,
  readInt,
  readIntInRange,
  readPort,
  readTimerMs,
  Reporter,
} from './values.js';
import { readNotifyScript, readWholeLineScript } from './scripts.js';
import { walkBlock, type Handler } from './walk.js';

export const LVS_SCHEDULERS: readonly LvsScheduler[] = [
  'rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'dh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos',
];
export const SCHED_FLAGS: readonly string[] = ['flag-1', 'flag-2', 'flag-3', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback'];

export function defaultGlobalDefs(): GlobalDefs {
  return {
    routerId: 'keepalived',
    vrrpVersion: 2,
    vrrpMcastGroup4: '224.0.0.18',
    vrrpMcastGroup6: 'ff02::12',
    vrrpStrict: false,
    vrrpSkipCheckAdvAddr: false,
    vrrpCheckUnicastSrc: false,
    vrrpV3ChecksumAsV2: false,
    vrrpGarpMasterDelayMs: 5000,
    vrrpGarpMasterRepeat: 5,
    vrrpGarpMasterRefreshMs: 0,
    vrrpGarpMasterRefreshRepeat: 1,
    vrrpGarpIntervalMs: 0,
    vrrpGnaIntervalMs: 0,
    vrrpLowerPrioNoAdvert: false,
    vrrpHigherPrioSendAdvert: false,
    vrrpStartupDelayMs: 0,
    enableScriptSecurity: false,
    notificationEmail: [],
    smtpConnectTimeoutMs: 30000,
    smtpAlert: false,
    lvsFlush: false,
  };
}

/** What an instance block said, before global defaults fill the gaps (validate.ts). */
interface PendingInstance {
  inst: VrrpInstance;
  set: Set<string>;
  familyFromConfig?: AddressFamily;
}

export interface BuildOutput {
  config: KeepalivedConfig;
  /** Per instance: the fields it set itself, so globals apply only to the others. */
  instanceKeywords: Map<VrrpInstance, Set<string>>;
  /** Per instance: its statements by keyword, for the places of later messages. */
  instanceSeen: Map<VrrpInstance, Map<string, Statement>>;
  /** Per virtual server: whether `protocol` was given (for the fwmark and default warnings). */
  vsProtocolGiven: Map<VirtualServer, Word | undefined>;
  vsSchedGiven: Set<VirtualServer>;
  vsMethodGiven: Set<VirtualServer>;
  /** track_script entries with their place, for reference checks. */
  trackScriptPos: Map<TrackedByWeight, SourcePos>;
  syncGroupMemberPos: Map<VrrpSyncGroup, SourcePos[]>;
  /** DNS checkers whose delay_before_retry is keepalived's "same as delay_loop". */
  dnsRetryFromLoop: Set<CheckerCommon>;
  /** Checkers whose retry / delay_before_retry are the per-type default (their block gave none). */
  retryDefaulted: Set<CheckerCommon>;
  dbrDefaulted: Set<CheckerCommon>;
  /** Real servers that set inhibit_on_failure themselves; the others take the virtual server's. */
  rsInhibitGiven: Set<RealServer>;
  /** virtual_server `protocol` statements, for the fwmark warning's place. */
  vsSeen: Map<VirtualServer, Map<string, Statement>>;
}

function posOf(st: Statement): SourcePos {
  return st.keyword.pos;
}

function arg(st: Statement, i: number): Word | undefined {
  return st.args[i];
}

function needArgs(r: Reporter, st: Statement, n: number): boolean {
  if (st.args.length < n) {
    r.error(st.keyword.pos, 'missing-value', `'${st.keyword.text}' needs ${n === 1 ? 'a value' : `${n} values`}`);
    return false;
  }
  return true;
}

/** `name [weight N [reverse]]` lines of track_script / track_interface. */
function readTracked(
  r: Reporter,
  st: Statement,
  min: number,
  max: number,
  posMap?: Map<TrackedByWeight, SourcePos>,
): TrackedByWeight[] {
  const out: TrackedByWeight[] = [];
  for (const item of st.block ?? []) {
    if (item.block) {
      r.error(item.keyword.pos, 'unexpected-block', `unexpected block in ${st.keyword.text}`);
      continue;
    }
    const t: TrackedByWeight = { name: item.keyword.text, reverse: false };
    const a = item.args;
    let ok = true;
    for (let i = 0; i < a.length; i++) {
      const w = a[i]!;
      if (w.text === 'weight') {
        const n = readInt(r, a[i + 1], w.pos, `${st.keyword.text} ${t.name} weight`);
        if (n === undefined) {
          ok = false;
          break;
        }
        if (n < min || n > max) {
          r.warn(a[i + 1]!.pos, 'out-of-range', `${st.keyword.text} ${t.name}: weight must be between [${min}..${max}] inclusive, ignoring...`);
          ok = false;
          break;
        }
        t.weight = n;
        i++;
      } else if (w.text === 'reverse') {
        t.reverse = true;
      } else {
        r.error(w.pos, 'invalid-value', `${st.keyword.text} ${t.name}: unknown option '${w.text}'`);
        ok = false;
        break;
      }
    }
    if (ok) {
      out.push(t);
      posMap?.set(t, item.keyword.pos);
    }
  }
  return out;
}

/** One line of virtual_ipaddress / static_ipaddress: `IP[/LEN] [brd X] [dev X] [scope X] [label X] ...`. */
function readVirtualIp(r: Reporter, item: Statement, what: string): VirtualIp | undefined {
  const text = item.keyword.text;
  const slash = text.indexOf('/');
  const addrText = slash >= 0 ? text.slice(0, slash) : text;
  const a = canonicalAddress(addrText);
  if (!a) {
    r.error(item.keyword.pos, 'invalid-address', `${what}: VRRP parsed invalid IP ${text}`);
    return undefined;
  }
  const maxLen = a.family === 'ipv4' ? 32 : 128;
  let prefixLen = maxLen;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^\d+$/.test(lenText)) {
      r.error(item.keyword.pos, 'invalid-address', `${what}: invalid prefix length in ${text}`);
      return undefined;
    }
    const n = Number(lenText);
    if (n > maxLen) {
      r.warn(item.keyword.pos, 'out-of-range', `Invalid address prefix len ${n} for address ${text} - using ${maxLen}`);
    } else prefixLen = n;
  }
  const vip: VirtualIp = { address: a.address, prefixLen, family: a.family, pos: item.keyword.pos };
  const args = item.args;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const next = args[i + 1];
    const needNext = (): Word | undefined => {
      if (!next) r.error(w.pos, 'missing-value', `${what}: '${w.text}' needs a value`);
      return next;
    };
    switch (w.text) {
      case 'brd': {
        const v = needNext();
        if (!v) return undefined;
        if (v.text !== '+' && v.text !== '-' && !canonicalAddress(v.text)) {
          r.error(v.pos, 'invalid-address', `${what}: invalid broadcast address '${v.text}'`);
          return undefined;
        }
        vip.brd = canonicalAddress(v.text)?.address ?? v.text;
        i++;
        break;
      }
      case 'dev':
      case 'scope':
      case 'label': {
        const v = needNext();
        if (!v) return undefined;
        if (w.text === 'dev') vip.dev = v.text;
        else if (w.text === 'scope') vip.scope = v.text;
        else vip.label = v.text;
        i++;
        break;
      }
      case 'noprefixroute':
        vip.noPrefixRoute = true;
        break;
      case 'peer':
      case 'track_group':
      case 'preferred_lft': {
        r.warn(w.pos, 'not-implemented', `${what}: address option '${w.text}' is not implemented by keepalived-ts yet - ignored`);
        i++;
        break;
      }
      case 'home':
      case '-nodad':
      case 'nodad':
      case 'mngtmpaddr':
      case 'autojoin':
        r.warn(w.pos, 'not-implemented', `${what}: address option '${w.text}' is not implemented by keepalived-ts yet - ignored`);
        break;
      default:
        r.error(w.pos, 'invalid-value', `${what}: unknown address option '${w.text}'`);
        return undefined;
    }
  }
  return vip;
}

/** One line of virtual_routes / static_routes, in `ip route` words. */
function readRoute(r: Reporter, item: Statement, what: string): VirtualRoute | undefined {
  const all = [item.keyword, ...item.args];
  const words = all.map((w) => w.text);
  const route: VirtualRoute = { words, dst: '', pos: item.keyword.pos };
  const ROUTE_TYPES = new Set(['blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast', 'unicast', 'multicast', 'anycast', 'nat']);
  const TAKES_VALUE = new Set([
    'proto', 'protocol', 'tos', 'dsfield', 'mtu', 'advmss', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd',
    'ssthresh', 'realms', 'rto_min', 'initcwnd', 'initrwnd', 'features', 'quickack', 'congctl', 'pref',
    'fastopen_no_cookie', 'ttl-propagate', 'track_group', 'hoplimit', 'vrf', 'encap', 'expires', 'nexthop',
  ]);
  for (let i = 0; i < all.length; i++) {
    const w = all[i]!;
    const next = all[i + 1];
    const value = (): Word | undefined => {
      if (!next) r.error(w.pos, 'missing-value', `${what}: '${w.text}' needs a value`);
      return next;
    };
    switch (w.text) {
      case 'src': {
        const v = value();
        if (!v) return undefined;
        const a = readAddress(r, v, w.pos, `${what} src`);
        if (!a) return undefined;
        route.src = a.address;
        i++;
        break;
      }
      case 'via':
      case 'gw': {
        const v = value();
        if (!v) return undefined;
        const a = readAddress(r, v, w.pos, `${what} via`);
        if (!a) return undefined;
        route.via = a.address;
        i++;
        break;
      }
      case 'dev':
      case 'oif': {
        const v = value();
        if (!v) return undefined;
        route.dev = v.text;
        i++;
        break;
      }
      case 'table':
      case 'scope': {
        const v = value();
        if (!v) return undefined;
        if (w.text === 'table') route.table = v.text;
        else route.scope = v.text;
        i++;
        break;
      }
      case 'metric':
      case 'priority':
      case 'preference': {
        const v = value();
        if (!v) return undefined;
        const n = readInt(r, v, w.pos, `${what} metric`);
        if (n === undefined || n < 0) return undefined;
        route.metric = n;
        i++;
        break;
      }
      case 'to':
        break;
      case 'or': {
        const v = value();
        if (!v) return undefined;
        r.warn(w.pos, 'deprecated', '"or" for routes is deprecated. Please use "nexthop"');
        i++;
        break;
      }
      case 'onlink':
      case 'append':
      case 'inet6':
      case 'lock':
      case 'no_track':
        break;
      default:
        if (TAKES_VALUE.has(w.text)) {
          i++;
          break;
        }
        if (ROUTE_TYPES.has(w.text) && route.dst === '') break;
        if (route.dst === '') {
          const t = w.text;
          const slash = t.indexOf('/');
          const addr = slash >= 0 ? t.slice(0, slash) : t;
          const len = slash >= 0 ? t.slice(slash + 1) : '';
          if (t !== 'default' && (!canonicalAddress(addr) || (slash >= 0 && !/^\d+$/.test(len)))) {
            r.error(w.pos, 'invalid-address', `${what}: invalid route destination '${t}'`);
            return undefined;
          }
          route.dst = t;
          break;
        }
        r.error(w.pos, 'invalid-value', `${what}: unknown route option '${w.text}'`);
        return undefined;
    }
  }
  if (route.dst === '') {
    r.error(item.keyword.pos, 'missing-value', `${what}: route without a destination`);
    return undefined;
  }
  return route;
}

function readLvsMethod(r: Reporter, st: Statement): LvsMethod | undefined {
  const w = arg(st, 0);
  if (!needArgs(r, st, 1)) return undefined;
  const t = w!.text.toUpperCase();
  if (t === 'NAT' || t === 'DR' || t === 'TUN') {
    if (st.args.length > 1) r.warn(st.args[1]!.pos, 'not-implemented', `${st.keyword.text}: tunnel options are not implemented by keepalived-ts yet - ignored`);
    return t;
  }
  r.error(w!.pos, 'invalid-value', `PARSER : unknown [${w!.text}] routing method.`);
  return undefined;
}

interface CheckerExtra {
  virtualhost?: string;
  httpProtocol?: string;
  enableSni?: boolean;
  miscPath?: ScriptCommand;
  miscTimeoutMs?: number;
  miscDynamic: boolean;
  heloName?: string;
  dnsType: string;
  dnsName: string;
  payload?: string;
  requireReply?: boolean;
  trackFile?: string;
}

/** The checker block being read (handlers are shared, see checkerHandlers). */
interface CheckerState {
  common: CheckerCommon;
  urls: HttpUrl[];
  extra: CheckerExtra;
  dbrSet: boolean;
  retrySet: boolean;
}

class ConfigBuilder {
  private ck?: CheckerState;
  private ckHandlers?: Record<string, Handler>;
  private urlState?: HttpUrl;
  private rsState?: RealServer;
  private vsState?: { vs: VirtualServer; protocolWord?: Word; family?: AddressFamily };
  private vsHandlers?: Record<string, Handler>;
  private rsHandlers?: Record<string, Handler>;
  private urlHandlers?: Record<string, Handler>;
  readonly r = new Reporter();
  readonly globalDefs = defaultGlobalDefs();
  readonly out: BuildOutput;
  readonly config: KeepalivedConfig;

  constructor(parsed: ParsedFile) {
    this.config = {
      globalDefs: this.globalDefs,
      vrrpScripts: [],
      vrrpSyncGroups: [],
      vrrpInstances: [],
      virtualServerGroups: [],
      virtualServers: [],
      staticIpaddress: [],
      staticRoutes: [],
      files: [...parsed.files],
    };
    this.out = {
      config: this.config,
      instanceKeywords: new Map(),
      instanceSeen: new Map(),
      vsProtocolGiven: new Map(),
      vsSchedGiven: new Set(),
      vsMethodGiven: new Set(),
      trackScriptPos: new Map(),
      syncGroupMemberPos: new Map(),
      dnsRetryFromLoop: new Set(),
      retryDefaulted: new Set(),
      dbrDefaulted: new Set(),
      rsInhibitGiven: new Set(),
      vsSeen: new Map(),
    };
  }

  build(statements: readonly Statement[]): void {
    const r = this.r;
    walkBlock(r, statements, 'top', {
      global_defs: (st) => {
        if (this.globalDefs.pos === undefined) this.globalDefs.pos = posOf(st);
        this.globalDefsBlock(st.block ?? []);
      },
      vrrp_script: (st) => this.vrrpScript(st),
      vrrp_sync_group: (st) => this.syncGroup(st),
      vrrp_instance: (st) => this.instance(st),
      virtual_server_group: (st) => this.vsGroup(st),
      virtual_server: (st) => this.virtualServer(st),
      static_ipaddress: (st) => {
        for (const item of st.block ?? []) {
          const v = readVirtualIp(r, item, 'static_ipaddress');
          if (v) this.config.staticIpaddress.push(v);
        }
      },
      static_routes: (st) => {
        for (const item of st.block ?? []) {
          const v = readRoute(r, item, 'static_routes');
          if (v) this.config.staticRoutes.push(v);
        }
      },
    });
  }

  // ---------------------------------------------------------------- global_defs
  private globalDefsBlock(statements: readonly Statement[]): void {
    const r = this.r;
    const g = this.globalDefs;
    const flag = (set: (v: boolean) => void): Handler => (st) => {
      const v = readBool(r, arg(st, 0), st.keyword.text);
      if (v !== undefined) set(v);
    };
    const timer = (set: (ms: number) => void, max = 4294): Handler => (st) => {
      if (!needArgs(r, st, 1)) return;
      const v = readTimerMs(r, arg(st, 0), st.keyword, st.keyword.text, max);
      if (v !== undefined) set(v);
    };
    // keepalived takes (0, 4294.967295] and calls 0 invalid (keeping its default of 0 = no delay).
    const garpInterval = (set: (ms: number) => void): Handler => (st) => {
      const s = readFloat(r, arg(st, 0), st.keyword, st.keyword.text);
      if (s === undefined) return;
      if (s < 0.000001 || s > 4294.967295) {
        r.warn(st.args[0]!.pos, 'out-of-range', `number '${st.args[0]!.text}' outside range [0.000001, 4294.967295]; ${st.keyword.text} '${st.args[0]!.text}' is invalid`);
        return;
      }
      set(Math.round(s * 1000));
    };
    const count = (set: (n: number) => void, min: number, max: number): Handler => (st) => {
      const v = readIntInRange(r, arg(st, 0), st.keyword, st.keyword.text, min, max, `${st.keyword.text} ignored`);
      if (v !== undefined) set(v);
    };
    const fifo = (set: (f: { path: string; user?: string; group?: string }) => void): Handler => (st) => {
      if (!needArgs(r, st, 1)) return;
      const f: { path: string; user?: string; group?: string } = { path: st.args[0]!.text };
      if (st.args[1]) f.user = st.args[1].text;
      if (st.args[2]) f.group = st.args[2].text;
      set(f);
    };
    const script = (set: (s: ScriptCommand) => void): Handler => (st) => {
      const s = readNotifyScript(st.args);
      if (!s) r.error(posOf(st), 'missing-value', `'${st.keyword.text}' needs a script`);
      else set(s);
    };
    walkBlock(r, statements, 'global_defs', {
      router_id: (st) => {
        if (needArgs(r, st, 1)) g.routerId = st.args[0]!.text;
      },
      vrrp_version: (st) => {
        const n = readInt(r, arg(st, 0), st.keyword, 'vrrp_version');
        if (n === undefined) return;
        if (n !== 2 && n !== 3) r.warn(st.args[0]!.pos, 'out-of-range', `number '${n}' outside range [2, 3]; VRRP Error: Version must be either 2 or 3`);
        else g.vrrpVersion = n;
      },
      vrrp_mcast_group4: (st) => {
        const a = readAddress(r, arg(st, 0), st.keyword, 'vrrp_mcast_group4');
        if (!a) return;
        if (a.family !== 'ipv4') r.error(st.args[0]!.pos, 'invalid-address', `Can't parse vrrp_mcast_group4 [${st.args[0]!.text}]. Skipping`);
        else g.vrrpMcastGroup4 = a.address;
      },
      vrrp_mcast_group6: (st) => {
        const a = readAddress(r, arg(st, 0), st.keyword, 'vrrp_mcast_group6');
        if (!a) return;
        if (a.family !== 'ipv6') r.error(st.args[0]!.pos, 'invalid-address', `Can't parse vrrp_mcast_group6 [${st.args[0]!.text}]. Skipping`);
        else g.vrrpMcastGroup6 = a.address;
      },
      vrrp_strict: flag((v) => (g.vrrpStrict = v)),
      vrrp_skip_check_adv_addr: flag((v) => (g.vrrpSkipCheckAdvAddr = v)),
      vrrp_check_unicast_src: flag((v) => (g.vrrpCheckUnicastSrc = v)),
      vrrp_garp_master_delay: timer((v) => (g.vrrpGarpMasterDelayMs = v)),
      vrrp_garp_master_repeat: count((v) => (g.vrrpGarpMasterRepeat = v), 0, 2147483647),
      vrrp_garp_master_refresh: timer((v) => (g.vrrpGarpMasterRefreshMs = v)),
      vrrp_garp_master_refresh_repeat: count((v) => (g.vrrpGarpMasterRefreshRepeat = v), 0, 2147483647),
      vrrp_garp_lower_prio_delay: timer((v) => (g.vrrpGarpLowerPrioDelayMs = v)),
      vrrp_garp_lower_prio_repeat: count((v) => (g.vrrpGarpLowerPrioRepeat = v), 0, 2147483647),
      vrrp_garp_interval: garpInterval((v) => (g.vrrpGarpIntervalMs = v)),
      vrrp_gna_interval: garpInterval((v) => (g.vrrpGnaIntervalMs = v)),
      vrrp_lower_prio_no_advert: flag((v) => (g.vrrpLowerPrioNoAdvert = v)),
      vrrp_higher_prio_send_advert: flag((v) => (g.vrrpHigherPrioSendAdvert = v)),
      vrrp_startup_delay: timer((v) => (g.vrrpStartupDelayMs = v), 180),
      vrrp_priority: count((v) => (g.vrrpPriority = v), -20, 19),
      checker_priority: count((v) => (g.checkerPriority = v), -20, 19),
      script_user: (st) => {
        if (!needArgs(r, st, 1)) return;
        g.scriptUser = st.args[1] ? { user: st.args[0]!.text, group: st.args[1].text } : { user: st.args[0]!.text };
      },
      enable_script_security: flag((v) => (g.enableScriptSecurity = v)),
      notify_fifo: fifo((f) => (g.notifyFifo = f)),
      notify_fifo_script: script((s) => (g.notifyFifoScript = s)),
      vrrp_notify_fifo: fifo((f) => (g.vrrpNotifyFifo = f)),
      vrrp_notify_fifo_script: script((s) => (g.vrrpNotifyFifoScript = s)),
      lvs_notify_fifo: fifo((f) => (g.lvsNotifyFifo = f)),
      lvs_notify_fifo_script: script((s) => (g.lvsNotifyFifoScript = s)),
      notification_email: (st) => {
        for (const item of st.block ?? []) {
          g.notificationEmail.push(item.keyword.text);
          for (const extra of item.args) g.notificationEmail.push(extra.text);
        }
      },
      notification_email_from: (st) => {
        if (needArgs(r, st, 1)) g.notificationEmailFrom = st.args[0]!.text;
      },
      smtp_server: (st) => {
        if (!needArgs(r, st, 1)) return;
        const host = st.args[0]!.text;
        let port = 25;
        if (st.args[1]) {
          const p = readPort(r, st.args[1], st.keyword, 'smtp_server port');
          if (p === undefined) return;
          port = p;
        }
        g.smtpServer = { host: canonicalAddress(host)?.address ?? host, port };
      },
      smtp_helo_name: (st) => {
        if (needArgs(r, st, 1)) g.smtpHeloName = st.args[0]!.text;
      },
      smtp_connect_timeout: timer((v) => (g.smtpConnectTimeoutMs = v)),
      event_log_dir: (st) => {
        if (needArgs(r, st, 1)) g.eventLogDir = st.args[0]!.text;
      },
      event_log_max_mb: count((v) => (g.eventLogMaxMb = v), 1, 1_000_000),
      // Seconds, like keepalived's other durations.
      event_log_max_age: count((v) => (g.eventLogMaxAgeMs = v * 1000), 1, 2_147_483_647),
      smtp_alert: flag((v) => (g.smtpAlert = v)),
      smtp_alert_vrrp: flag((v) => (g.smtpAlertVrrp = v)),
      smtp_alert_checker: flag((v) => (g.smtpAlertChecker = v)),
      lvs_flush: flag((v) => (g.lvsFlush = v)),
      lvs_timeouts: (st) => {
        const t: { tcpS?: number; tcpFinS?: number; udpS?: number } = {};
        const a = st.args;
        if (a.length === 0) {
          r.warn(posOf(st), 'missing-value', 'lvs_timeouts requires at least one option');
          return;
        }
        for (let i = 0; i < a.length; i += 2) {
          const k = a[i]!;
          const n = readIntInRange(r, a[i + 1], k.pos, `lvs_timeouts ${k.text}`, 0, 2147483, `lvs_timeouts ${k.text} ignored`);
          if (k.text === 'tcp') {
            if (n !== undefined) t.tcpS = n;
          } else if (k.text === 'tcpfin') {
            if (n !== undefined) t.tcpFinS = n;
          } else if (k.text === 'udp') {
            if (n !== undefined) t.udpS = n;
          } else {
            r.error(k.pos, 'invalid-value', `Unknown option ${k.text} specified for lvs_timeouts`);
            return;
          }
        }
        g.lvsTimeouts = t;
      },
      lvs_sync_daemon: (st) => {
        if (!needArgs(r, st, 2)) return;
        const d: NonNullable<GlobalDefs['lvsSyncDaemon']> = { interface: st.args[0]!.text, vrrpInstance: st.args[1]!.text };
        const a = st.args;
        for (let i = 2; i < a.length; i++) {
          const k = a[i]!;
          if (k.text === 'id' || k.text === 'maxlen' || k.text === 'port' || k.text === 'ttl') {
            const lim = k.text === 'id' ? [0, 255] : k.text === 'maxlen' ? [1, 65507] : k.text === 'port' ? [1, 65535] : [1, 255];
            const n = readIntInRange(r, a[i + 1], k.pos, `lvs_sync_daemon ${k.text}`, lim[0]!, lim[1]!, `lvs_sync_daemon ${k.text} ignored`);
            i++;
            if (n === undefined) continue;
            if (k.text === 'id') d.syncId = n;
            else if (k.text === 'maxlen') d.maxlen = n;
            else if (k.text === 'port') d.port = n;
            else d.ttl = n;
          } else if (k.text === 'group') {
            const ga = readAddress(r, a[i + 1], k.pos, 'lvs_sync_daemon group');
            i++;
            if (ga) d.group = ga.address;
          } else {
            r.error(k.pos, 'invalid-value', `Unknown option ${k.text} specified for lvs_sync_daemon`);
            return;
          }
        }
        g.lvsSyncDaemon = d;
      },
    });
  }

  // ---------------------------------------------------------------- vrrp_script
  private vrrpScript(st: Statement): void {
    const r = this.r;
    if (st.args.length !== 1) {
      r.error(posOf(st), 'missing-name', 'vrrp_script must have a name');
      return;
    }
    const name = st.args[0]!.text;
    const vs: VrrpScript = {
      name,
      script: { argv: [] },
      intervalMs: 1000,
      weight: 0,
      weightReverse: false,
      rise: 1,
      fall: 1,
      initFail: false,
      pos: posOf(st),
    };
    let user: { user: string; group?: string } | undefined;
    walkBlock(r, st.block, 'vrrp_script', {
      script: (s) => {
        const c = readWholeLineScript(s.args);
        if (!c) r.error(posOf(s), 'missing-value', `(${name}): script needs a command`);
        else vs.script = c;
      },
      interval: (s) => {
        const v = readTimerMs(r, arg(s, 0), s.keyword, 'interval');
        if (v === undefined) return;
        if (v <= 0) r.warn(s.args[0]!.pos, 'out-of-range', `(${name}): vrrp script interval must be greater than 0, setting to 1`);
        else vs.intervalMs = v;
      },
      timeout: (s) => {
        const v = readTimerMs(r, arg(s, 0), s.keyword, 'timeout');
        if (v === undefined) return;
        if (v <= 0) r.warn(s.args[0]!.pos, 'out-of-range', `(${name}): vrrp script timeout must be greater than 0 - ignoring`);
        else vs.timeoutMs = v;
      },
      weight: (s) => {
        const n = readIntInRange(r, arg(s, 0), s.keyword, 'weight', -253, 253, `vrrp_script ${name} weight ${s.args[0]?.text} must be in [-253, 253]`);
        if (n !== undefined) vs.weight = n;
        if (s.args[1]) {
          if (s.args[1].text === 'reverse') vs.weightReverse = true;
          else r.error(s.args[1].pos, 'invalid-value', `(${name}): unknown weight option '${s.args[1].text}'`);
        }
      },
      rise: (s) => {
        const n = readIntInRange(r, arg(s, 0), s.keyword, 'rise', 1, 2147483647, `(${name}): vrrp script rise value '${s.args[0]?.text}' invalid, defaulting to 1`);
        if (n !== undefined) vs.rise = n;
      },
      fall: (s) => {
        const n = readIntInRange(r, arg(s, 0), s.keyword, 'fall', 1, 2147483647, `(${name}): vrrp script fall value '${s.args[0]?.text}' invalid, defaulting to 1`);
        if (n !== undefined) vs.fall = n;
      },
      init_fail: () => {
        vs.initFail = true;
      },
      user: (s) => {
        if (!needArgs(r, s, 1)) return;
        user = s.args[1] ? { user: s.args[0]!.text, group: s.args[1].text } : { user: s.args[0]!.text };
      },
    });
    if (vs.script.argv.length === 0) {
      // keepalived drops such a script (and later the tracks that name it) and runs on.
      r.warn(st.blockEnd ?? posOf(st), 'no-script', `No script set for vrrp_script ${name} - removing`);
      return;
    }
    if (user) {
      vs.script.user = user.user;
      if (user.group !== undefined) vs.script.group = user.group;
    }
    if (this.config.vrrpScripts.some((x) => x.name === name)) {
      r.error(posOf(st), 'duplicate-name', `vrrp_script ${name} already defined`);
      return;
    }
    this.config.vrrpScripts.push(vs);
  }

  // ---------------------------------------------------------------- notify scripts
  private notifyHandlers(target: VrrpNotify, owner: string): Record<string, Handler> {
    const r = this.r;
    const make = (key: keyof VrrpNotify): Handler => (st) => {
      const s = readNotifyScript(st.args);
      if (!s) {
        r.error(posOf(st), 'missing-value', `(${owner}) ${st.keyword.text} needs a script`);
        return;
      }
      if (target[key]) r.warn(posOf(st), 'duplicate-keyword', `(${owner}) ${st.keyword.text} script already specified - ignoring`);
      else target[key] = s;
    };
    return {
      notify: make('notify'),
      notify_master: make('notifyMaster'),
      notify_backup: make('notifyBackup'),
      notify_fault: make('notifyFault'),
      notify_stop: make('notifyStop'),
      notify_master_rx_lower_pri: make('notifyMasterRxLowerPri'),
    };
  }

  // ---------------------------------------------------------------- vrrp_sync_group
  private syncGroup(st: Statement): void {
    const r = this.r;
    if (st.args.length !== 1) {
      r.error(posOf(st), 'missing-name', 'vrrp_sync_group must have a name');
      return;
    }
    const name = st.args[0]!.text;
    const sg: VrrpSyncGroup = { name, group: [], trackInterface: [], trackScript: [], globalTracking: false, pos: posOf(st) };
    const memberPos: SourcePos[] = [];
    let groupSeen = false;
    walkBlock(r, st.block, 'vrrp_sync_group', {
      ...this.notifyHandlers(sg, name),
      group: (s) => {
        if (groupSeen) {
          r.warn(posOf(s), 'duplicate-keyword', `Group list already specified for sync group ${name}`);
          return;
        }
        groupSeen = true;
        for (const item of s.block ?? []) {
          for (const w of [item.keyword, ...item.args]) {
            sg.group.push(w.text);
            memberPos.push(w.pos);
          }
        }
      },
      track_interface: (s) => sg.trackInterface.push(...readTracked(r, s, -254, 254)),
      track_script: (s) => sg.trackScript.push(...readTracked(r, s, -254, 254, this.out.trackScriptPos)),
      smtp_alert: (s) => {
        const v = readBool(r, arg(s, 0), 'vrrp_group smtp_alert');
        if (v !== undefined) sg.smtpAlert = v;
      },
      global_tracking: (s) => {
        r.warn(posOf(s), 'deprecated', `(${name}) global_tracking is deprecated. Use track_interface/script/file on the sync group`);
        sg.globalTracking = true;
      },
      sync_group_tracking_weight: () => {
        sg.globalTracking = true;
      },
    });
    if (this.config.vrrpSyncGroups.some((x) => x.name === name)) {
      r.error(posOf(st), 'duplicate-name', `vrrp sync group ${name} already defined`);
      return;
    }
    this.out.syncGroupMemberPos.set(sg, memberPos);
    this.config.vrrpSyncGroups.push(sg);
  }

  // ---------------------------------------------------------------- vrrp_instance
  private instance(st: Statement): void {
    const r = this.r;
    if (st.args.length !== 1) {
      r.error(posOf(st), 'missing-name', 'vrrp_instance must have a name');
      return;
    }
    const name = st.args[0]!.text;
    // Defaults that do not depend on global_defs; the rest are filled in validate.ts once all of
    // global_defs has been read (it may come after the instance in the file).
    const inst: VrrpInstance = {
      name,
      initialState: 'BACKUP',
      interface: '',
      vmacXmitBase: false,
      virtualRouterId: 0,
      priority: 100,
      advertIntMs: 1000,
      version: 2,
      family: 'ipv4',
      preempt: true,
      preemptDelayMs: 0,
      unicastPeers: [],
      virtualIpaddress: [],
      virtualIpaddressExcluded: [],
      virtualRoutes: [],
      trackInterface: [],
      trackScript: [],
      garpMasterDelayMs: 0,
      garpMasterRepeat: 0,
      garpMasterRefreshMs: 0,
      garpMasterRefreshRepeat: 0,
      garpLowerPrioDelayMs: 0,
      garpLowerPrioRepeat: 0,
      lowerPrioNoAdvert: false,
      higherPrioSendAdvert: false,
      skipCheckAdvAddr: false,
      strictMode: false,
      accept: true,
      v3ChecksumAsV2: false,
      pos: posOf(st),
    };
    const pending: PendingInstance = { inst, set: new Set() };
    const set = pending.set;
    const flag = (key: 'vmacXmitBase' | 'lowerPrioNoAdvert' | 'higherPrioSendAdvert' | 'skipCheckAdvAddr' | 'strictMode'): Handler => (s) => {
      const v = readBool(r, arg(s, 0), `(${name}) ${s.keyword.text}`);
      if (v === undefined) return;
      inst[key] = v;
      set.add(key);
    };
    const timer = (key: 'garpMasterDelayMs' | 'garpMasterRefreshMs' | 'garpLowerPrioDelayMs'): Handler => (s) => {
      if (!needArgs(r, s, 1)) return;
      const v = readTimerMs(r, arg(s, 0), s.keyword, `(${name}) ${s.keyword.text}`);
      if (v === undefined) return;
      inst[key] = v;
      set.add(key);
    };
    const count = (key: 'garpMasterRepeat' | 'garpMasterRefreshRepeat' | 'garpLowerPrioRepeat'): Handler => (s) => {
      const v = readIntInRange(r, arg(s, 0), s.keyword, s.keyword.text, 0, 2147483647, `(${name}) ${s.keyword.text} ignored`);
      if (v === undefined) return;
      inst[key] = v;
      set.add(key);
    };
    const addrList = (target: VirtualIp[], what: string): Handler => (s) => {
      for (const item of s.block ?? []) {
        if (item.block) {
          r.error(item.keyword.pos, 'unexpected-block', `${what}: unexpected block`);
          continue;
        }
        const v = readVirtualIp(r, item, `(${name}) ${what}`);
        if (v) target.push(v);
      }
    };
    const setFamily = (fam: AddressFamily, at: SourcePos, what: string): boolean => {
      if (pending.familyFromConfig === undefined) {
        pending.familyFromConfig = fam;
        return true;
      }
      if (pending.familyFromConfig !== fam) {
        r.warn(at, 'family-mismatch', `(${name}): address family must match VRRP instance [${what}] - ignoring`);
        return false;
      }
      return true;
    };
    const seen = new Map<string, Statement>();
    walkBlock(r, st.block, 'vrrp_instance', {
      ...this.notifyHandlers(inst, name),
      state: (s) => {
        if (!needArgs(r, s, 1)) return;
        const v = s.args[0]!.text;
        if (v === 'MASTER') inst.initialState = 'MASTER';
        else if (v === 'BACKUP') {
          if (inst.initialState === 'MASTER') r.warn(s.args[0]!.pos, 'conflict', `(${name}) state previously set as MASTER - ignoring BACKUP`);
        } else r.error(s.args[0]!.pos, 'invalid-value', `(${name}) unknown state '${v}', defaulting to BACKUP`);
      },
      interface: (s) => {
        if (needArgs(r, s, 1)) inst.interface = s.args[0]!.text;
      },
      use_vmac: (s) => {
        inst.useVmac = s.args[0]?.text ?? '';
      },
      vmac_xmit_base: () => {
        inst.vmacXmitBase = true;
      },
      virtual_router_id: (s) => {
        const n = readInt(r, arg(s, 0), s.keyword, 'virtual_router_id');
        if (n === undefined) {
          if (s.args[0]) r.error(s.args[0].pos, 'vrid-range', `(${name}): VRID '${s.args[0].text}' not valid - must be between 1 & 255`);
          return;
        }
        if (n < 1 || n > 255) {
          r.error(s.args[0]!.pos, 'vrid-range', `(${name}): VRID '${s.args[0]!.text}' not valid - must be between 1 & 255`);
          return;
        }
        inst.virtualRouterId = n;
      },
      priority: (s) => {
        const n = readIntInRange(r, arg(s, 0), s.keyword, 'priority', 1, 255, `(${name}) Priority not valid! must be between 1 & 255. Using default 100`);
        if (n !== undefined) inst.priority = n;
      },
      advert_int: (s) => {
        const v = readFloat(r, arg(s, 0), s.keyword, 'advert_int');
        if (v === undefined) return;
        if (v < 0.01 || v > 255) {
          r.warn(s.args[0]!.pos, 'out-of-range', `(${name}) Advert interval (${s.args[0]!.text}) not valid! Must be > 0 - ignoring`);
          return;
        }
        inst.advertIntMs = Math.round(v * 1000);
        set.add('advertIntMs');
      },
      version: (s) => {
        const n = readInt(r, arg(s, 0), s.keyword, 'version');
        if (n === undefined) return;
        if (n !== 2 && n !== 3) {
          r.warn(s.args[0]!.pos, 'out-of-range', `number '${n}' outside range [2, 3]; (${name}): Version must be either 2 or 3`);
          return;
        }
        inst.version = n;
        set.add('version');
      },
      native_ipv6: (s) => {
        if (pending.familyFromConfig === 'ipv4') {
          r.warn(posOf(s), 'family-mismatch', `(${name}) Cannot specify native_ipv6 with IPv4 addresses`);
          return;
        }
        pending.familyFromConfig = 'ipv6';
        inst.version = 3;
        set.add('version');
      },
      nopreempt: () => {
        inst.preempt = false;
      },
      preempt: () => {
        inst.preempt = true;
      },
      preempt_delay: (s) => {
        const v = readFloat(r, arg(s, 0), s.keyword, 'preempt_delay');
        if (v === undefined) return;
        if (v < 0 || v > 1000) {
          r.warn(s.args[0]!.pos, 'out-of-range', `number '${s.args[0]!.text}' outside range [0, 1000]; (${name}) Preempt_delay not valid! must be between 0-1000`);
          return;
        }
        inst.preemptDelayMs = Math.round(v * 1000);
      },
      unicast_src_ip: (s) => {
        const a = readAddress(r, arg(s, 0), s.keyword, `(${name}) unicast_src_ip`);
        if (!a) return;
        if (setFamily(a.family, s.args[0]!.pos, s.args[0]!.text)) inst.unicastSrcIp = a.address;
      },
      unicast_peer: (s) => {
        for (const item of s.block ?? []) {
          const a = canonicalAddress(item.keyword.text);
          if (!a) {
            r.error(item.keyword.pos, 'invalid-address', `Configuration error: VRRP instance[${name}] malformed unicast peer address[${item.keyword.text}]. Skipping...`);
            continue;
          }
          if (!setFamily(a.family, item.keyword.pos, item.keyword.text)) continue;
          const peer: UnicastPeer = { address: a.address };
          let ok = true;
          for (let i = 0; i < item.args.length; i++) {
            const k = item.args[i]!;
            if (k.text === 'min_ttl' || k.text === 'max_ttl') {
              const n = readIntInRange(r, item.args[i + 1], k.pos, k.text, 0, 255, `unicast peer ${k.text} ignored`);
              i++;
              if (n === undefined) continue;
              if (k.text === 'min_ttl') peer.minTtl = n;
              else peer.maxTtl = n;
            } else {
              r.error(k.pos, 'invalid-value', `(${name}) unknown unicast_peer option '${k.text}'`);
              ok = false;
              break;
            }
          }
          if (ok) inst.unicastPeers.push(peer);
        }
      },
      authentication: (s) => {
        let type: 'PASS' | 'AH' | undefined;
        let pass: string | undefined;
        walkBlock(r, s.block, 'authentication', {
          auth_type: (a) => {
            if (!needArgs(r, a, 1)) return;
            const t = a.args[0]!.text;
            if (t === 'PASS' || t === 'AH') type = t;
            else r.error(a.args[0]!.pos, 'invalid-value', `(${name}) unknown authentication type '${t}'`);
          },
          auth_pass: (a) => {
            if (!needArgs(r, a, 1)) return;
            let p = a.args[0]!.text;
            if (Buffer.byteLength(p, 'utf8') > 8) {
              r.warn(a.args[0]!.pos, 'truncated', 'Truncating auth_pass to 8 characters');
              p = Buffer.from(p, 'utf8').subarray(0, 8).toString('utf8');
            }
            pass = p;
          },
        });
        if (type !== undefined) inst.authentication = { type, pass: pass ?? '' };
        else if (pass !== undefined) r.warn(posOf(s), 'missing-value', `(${name}) auth_pass given without auth_type - no authentication`);
      },
      virtual_ipaddress: (s) => {
        const all: VirtualIp[] = [];
        addrList(all, 'virtual_ipaddress')(s);
        for (const v of all) if (setFamily(v.family, v.pos!, v.address)) inst.virtualIpaddress.push(v);
      },
      virtual_ipaddress_excluded: addrList(inst.virtualIpaddressExcluded, 'virtual_ipaddress_excluded'),
      virtual_routes: (s) => {
        for (const item of s.block ?? []) {
          const v = readRoute(r, item, `(${name}) virtual_routes`);
          if (v) inst.virtualRoutes.push(v);
        }
      },
      track_interface: (s) => inst.trackInterface.push(...readTracked(r, s, -254, 254)),
      track_script: (s) => inst.trackScript.push(...readTracked(r, s, -254, 254, this.out.trackScriptPos)),
      garp_master_delay: timer('garpMasterDelayMs'),
      garp_master_repeat: count('garpMasterRepeat'),
      garp_master_refresh: timer('garpMasterRefreshMs'),
      garp_master_refresh_repeat: count('garpMasterRefreshRepeat'),
      garp_lower_prio_delay: timer('garpLowerPrioDelayMs'),
      garp_lower_prio_repeat: count('garpLowerPrioRepeat'),
      lower_prio_no_advert: flag('lowerPrioNoAdvert'),
      higher_prio_send_advert: flag('higherPrioSendAdvert'),
      skip_check_adv_addr: flag('skipCheckAdvAddr'),
      strict_mode: flag('strictMode'),
      accept: () => {
        inst.accept = true;
        set.add('accept');
      },
      no_accept: () => {
        inst.accept = false;
        set.add('accept');
      },
      smtp_alert: (s) => {
        const v = readBool(r, arg(s, 0), `(${name}) smtp_alert`);
        if (v !== undefined) inst.smtpAlert = v;
      },
    }, seen);
    if (pending.familyFromConfig) inst.family = pending.familyFromConfig;
    if (this.config.vrrpInstances.some((x) => x.name === name)) {
      r.error(posOf(st), 'duplicate-name', `vrrp instance ${name} already defined`);
      return;
    }
    this.out.instanceKeywords.set(inst, set);
    this.out.instanceSeen.set(inst, seen);
    this.config.vrrpInstances.push(inst);
  }

  // ---------------------------------------------------------------- virtual_server_group
  private vsGroup(st: Statement): void {
    const r = this.r;
    if (st.args.length !== 1) {
      r.error(posOf(st), 'missing-name', 'virtual_server_group must have a name');
      return;
    }
    const g: VirtualServerGroup = { name: st.args[0]!.text, members: [], pos: posOf(st) };
    for (const item of st.block ?? []) {
      if (item.keyword.text === 'fwmark') {
        const n = readIntInRange(r, item.args[0], item.keyword.pos, 'fwmark', 1, 4294967295, 'fwmark entry ignored');
        if (n !== undefined) g.members.push({ type: 'fwmark', fwmark: n, family: 'ipv4' });
        continue;
      }
      const text = item.keyword.text;
      const dash = text.lastIndexOf('-');
      let addrText = text;
      let rangeEnd: number | undefined;
      if (dash > 0 && canonicalAddress(text) === undefined) {
        addrText = text.slice(0, dash);
        const endText = text.slice(dash + 1);
        const a0 = canonicalAddress(addrText);
        const radix = a0?.family === 'ipv6' ? 16 : 10;
        const end = radix === 16 ? (/^[0-9a-fA-F]{1,4}$/.test(endText) ? parseInt(endText, 16) : NaN) : /^\d+$/.test(endText) ? Number(endText) : NaN;
        if (Number.isNaN(end)) {
          r.error(item.keyword.pos, 'invalid-address', `virtual_server_group ${g.name}: invalid address range '${text}'`);
          continue;
        }
        rangeEnd = end;
      }
      const a = canonicalAddress(addrText);
      if (!a) {
        r.error(item.keyword.pos, 'invalid-address', `virtual_server_group ${g.name}: invalid address '${text}'`);
        continue;
      }
      const port = item.args[0] ? readPort(r, item.args[0], item.keyword.pos, 'virtual_server_group port', true) : 0;
      if (port === undefined) continue;
      const m: VirtualServerGroup['members'][number] = { type: 'address', address: a.address, port, family: a.family };
      if (rangeEnd !== undefined) m.rangeEnd = rangeEnd;
      g.members.push(m);
    }
    if (this.config.virtualServerGroups.some((x) => x.name === g.name)) {
      r.error(posOf(st), 'duplicate-name', `virtual_server_group ${g.name} already defined`);
      return;
    }
    this.config.virtualServerGroups.push(g);
  }

  private makeVirtualServerHandlers(): Record<string, Handler> {
    const r = this.r;
    const S = (): { vs: VirtualServer; protocolWord?: Word; family?: AddressFamily } => this.vsState!;
    const flag = (key2: 'sorryServerInhibit' | 'inhibitOnFailure' | 'alpha' | 'omega' | 'haSuspend' | 'opsFlag'): Handler => (s) => {
      const v = readBool(r, arg(s, 0), s.keyword.text);
      if (v !== undefined) S().vs[key2] = v;
    };
    const sched: Handler = (s) => {
      if (!needArgs(r, s, 1)) return;
      const v = s.args[0]!.text as LvsScheduler;
      if (!LVS_SCHEDULERS.includes(v)) {
        r.error(s.args[0]!.pos, 'invalid-value', `Invalid lvs_scheduler '${s.args[0]!.text}' - ignoring`);
        return;
      }
      S().vs.lbAlgo = v;
      this.out.vsSchedGiven.add(S().vs);
    };
    const method: Handler = (s) => {
      const m = readLvsMethod(r, s);
      if (m === undefined) return;
      S().vs.lbKind = m;
      this.out.vsMethodGiven.add(S().vs);
    };
    const schedFlag: Handler = (s) => {
      if (!S().vs.schedFlags.includes(s.keyword.text)) S().vs.schedFlags.push(s.keyword.text);
    };
    return {
      delay_loop: (s) => {
        const v = readTimerMs(r, arg(s, 0), s.keyword, 'virtual server delay loop');
        if (v === undefined) return;
        if (v < 1) r.warn(s.args[0]!.pos, 'out-of-range', `virtual server delay loop '${s.args[0]!.text}' invalid - ignoring`);
        else S().vs.delayLoopMs = v;
      },
      lb_algo: sched,
      lvs_sched: sched,
      lb_kind: method,
      lvs_method: method,
      persistence_timeout: (s) => {
        if (!s.args[0]) {
          S().vs.persistenceTimeout = 360;
          return;
        }
        const n = readIntInRange(r, s.args[0], s.keyword, 'persistence_timeout', 1, 2678400, 'persistence_timeout invalid');
        if (n !== undefined) S().vs.persistenceTimeout = n;
      },
      persistence_granularity: (s) => {
        if (!needArgs(r, s, 1)) return;
        const t = s.args[0]!.text;
        const ok = canonicalAddress(t) !== undefined || /^\d{1,3}$/.test(t);
        if (!ok) r.error(s.args[0]!.pos, 'invalid-value', `Invalid persistence_granularity '${t}'`);
        else S().vs.persistenceGranularity = canonicalAddress(t)?.address ?? t;
      },
      protocol: (s) => {
        if (!needArgs(r, s, 1)) return;
        const t = s.args[0]!.text.toUpperCase() as LvsProtocol;
        if (t !== 'TCP' && t !== 'UDP' && t !== 'SCTP') {
          r.error(s.args[0]!.pos, 'invalid-value', `Unknown protocol ${s.args[0]!.text} - ignoring`);
          return;
        }
        S().vs.protocol = t;
        S().protocolWord = s.args[0];
      },
      virtualhost: (s) => {
        if (needArgs(r, s, 1)) S().vs.virtualhost = s.args[0]!.text;
      },
      sorry_server: (s) => {
        const ad = readAddress(r, arg(s, 0), s.keyword, 'sorry_server');
        if (!ad) return;
        let port = 0;
        if (s.args[1]) {
          const p = readPort(r, s.args[1], s.keyword, 'sorry_server port', true);
          if (p === undefined) return;
          port = p;
        }
        const keep = S().vs.sorryServer?.lvsMethod;
        S().vs.sorryServer = keep ? { address: ad.address, port, lvsMethod: keep } : { address: ad.address, port };
      },
      sorry_server_inhibit: flag('sorryServerInhibit'),
      sorry_server_lvs_method: (s) => {
        const m = readLvsMethod(r, s);
        if (m === undefined) return;
        const sorry = S().vs.sorryServer;
        if (!sorry) {
          r.warn(posOf(s), 'order', 'sorry_server_lvs_method given before sorry_server - ignoring');
          return;
        }
        sorry.lvsMethod = m;
      },
      inhibit_on_failure: flag('inhibitOnFailure'),
      quorum: (s) => {
        const n = readIntInRange(r, arg(s, 0), s.keyword, 'quorum', 1, 4294967295, `Quorum ${s.args[0]?.text} must be in [1, 4294967295]. Setting to 1.`);
        if (n !== undefined) S().vs.quorum = n;
      },
      hysteresis: (s) => {
        const n = readIntInRange(r, arg(s, 0), s.keyword, 'hysteresis', 0, 65535, 'hysteresis ignored');
        if (n !== undefined) S().vs.hysteresis = n;
      },
      quorum_up: (s) => {
        const c = readNotifyScript(s.args);
        if (c) S().vs.quorumUp = c;
        else r.error(posOf(s), 'missing-value', 'quorum_up needs a script');
      },
      quorum_down: (s) => {
        const c = readNotifyScript(s.args);
        if (c) S().vs.quorumDown = c;
        else r.error(posOf(s), 'missing-value', 'quorum_down needs a script');
      },
      alpha: flag('alpha'),
      omega: flag('omega'),
      ha_suspend: flag('haSuspend'),
      ops: flag('opsFlag'),
      'flag-1': schedFlag,
      'flag-2': schedFlag,
      'flag-3': schedFlag,
      'sh-port': schedFlag,
      'sh-fallback': schedFlag,
      'mh-port': schedFlag,
      'mh-fallback': schedFlag,
      ip_family: (s) => {
        if (!needArgs(r, s, 1)) return;
        const t = s.args[0]!.text;
        if (t === 'inet') S().family = 'ipv4';
        else if (t === 'inet6') S().family = 'ipv6';
        else r.error(s.args[0]!.pos, 'invalid-value', `unknown ip_family '${t}'`);
      },
      real_server: (s) => {
        const rs = this.realServer(s, S().vs);
        if (rs) S().vs.realServers.push(rs);
      },
    };
  }

  // ---------------------------------------------------------------- virtual_server
  private virtualServer(st: Statement): void {
    const r = this.r;
    const a = st.args;
    let key: VirtualServerKey | undefined;
    if (a[0]?.text === 'fwmark') {
      const n = readInt(r, a[1], st.keyword, 'virtual_server fwmark');
      if (n === undefined) return;
      if (n < 1 || n > 4294967295) {
        r.error(a[1]!.pos, 'out-of-range', `number '${a[1]!.text}' outside range [1, 4294967295]`);
        return;
      }
      if (a[2]) r.warn(a[2].pos, 'extra-value', `virtual_server fwmark ${n}: extra word '${a[2].text}' ignored`);
      key = { type: 'fwmark', fwmark: n, family: 'ipv4' };
    } else if (a[0]?.text === 'group') {
      if (!a[1]) {
        r.error(posOf(st), 'missing-name', 'virtual_server group needs a name');
        return;
      }
      key = { type: 'group', name: a[1].text };
    } else {
      const addr = a[0] ? canonicalAddress(a[0].text) : undefined;
      if (!addr) {
        r.error(a[0]?.pos ?? posOf(st), 'invalid-address', `Invalid virtual server IP address/port ${a[0]?.text ?? ''}/${a[1]?.text ?? ''} - skipping`);
        return;
      }
      let port = 0;
      if (a[1]) {
        const p = readPort(r, a[1], st.keyword, 'virtual server port', true);
        if (p === undefined) return;
        port = p;
      }
      key = { type: 'address', address: addr.address, port, family: addr.family };
    }
    const vs: VirtualServer = {
      key,
      protocol: 'UDP',
      delayLoopMs: 60000,
      lbAlgo: 'wlc',
      lbKind: 'NAT',
      sorryServerInhibit: false,
      inhibitOnFailure: false,
      quorum: 1,
      hysteresis: 0,
      alpha: false,
      omega: false,
      haSuspend: false,
      opsFlag: false,
      schedFlags: [],
      realServers: [],
      pos: posOf(st),
    };
    this.vsState = { vs };
    const vsSeen = new Map<string, Statement>();
    walkBlock(r, st.block, 'virtual_server', (this.vsHandlers ??= this.makeVirtualServerHandlers()), vsSeen);
    vs.realServers = vs.realServers.slice(); // exact size (see TreeBuilder.close)
    const protocolWord = this.vsState.protocolWord;
    const family = this.vsState.family;
    this.out.vsSeen.set(vs, vsSeen);
    if (family !== undefined) {
      if (vs.key.type === 'fwmark') vs.key.family = family;
      else if (vs.key.type === 'address' && vs.key.family !== family)
        r.warn(vs.pos, 'family-mismatch', `virtual server ip_family ${family} does not match its address - ignored`);
    }
    this.out.vsProtocolGiven.set(vs, protocolWord);
    this.config.virtualServers.push(vs);
  }

  // ---------------------------------------------------------------- real_server
  private makeRealServerHandlers(): Record<string, Handler> {
    const r = this.r;
    const S = (): RealServer => this.rsState!;
    const checker = (type: Checker['type']): Handler => (s) => {
      const c = this.checker(s, type);
      if (!c) return;
      S().checkers.push(c);
      // Remember which timings the checker block left to the real server (this.ck is that block's state).
      if (!this.ck!.retrySet) this.out.retryDefaulted.add(c);
      if (!this.ck!.dbrSet) this.out.dbrDefaulted.add(c);
    };
    return {
      weight: (s) => {
        const n = readInt(r, arg(s, 0), s.keyword, 'weight');
        if (n === undefined) return;
        if (n < 0 || n > 2147483647) {
          r.warn(s.args[0]!.pos, 'out-of-range', `Real server weight ${n} is outside range 0-2147483647`);
          return;
        }
        S().weight = n;
      },
      inhibit_on_failure: (s) => {
        const v = readBool(r, arg(s, 0), 'inhibit_on_failure');
        if (v === undefined) return;
        S().inhibitOnFailure = v;
        this.out.rsInhibitGiven.add(S());
      },
      uthreshold: (s) => {
        const n = readIntInRange(r, arg(s, 0), s.keyword, 'uthreshold', 0, 2147483647, 'uthreshold ignored');
        if (n !== undefined) S().uthreshold = n;
      },
      lthreshold: (s) => {
        const n = readIntInRange(r, arg(s, 0), s.keyword, 'lthreshold', 0, 2147483647, 'lthreshold ignored');
        if (n !== undefined) S().lthreshold = n;
      },
      lvs_method: (s) => {
        const m = readLvsMethod(r, s);
        if (m !== undefined) S().lvsMethod = m;
      },
      notify_up: (s) => {
        const c = readNotifyScript(s.args);
        if (c) S().notifyUp = c;
        else r.error(posOf(s), 'missing-value', 'notify_up needs a script');
      },
      notify_down: (s) => {
        const c = readNotifyScript(s.args);
        if (c) S().notifyDown = c;
        else r.error(posOf(s), 'missing-value', 'notify_down needs a script');
      },
      delay_loop: (s) => {
        const v = readTimerMs(r, arg(s, 0), s.keyword, 'delay_loop');
        if (v !== undefined) S().delayLoopMs = v;
      },
      alpha: (s) => {
        const v = readBool(r, arg(s, 0), 'alpha');
        if (v !== undefined) S().alpha = v;
      },
      retry: (s) => {
        const n = readIntInRange(r, arg(s, 0), s.keyword, 'retry', 0, 2147483647, `Invalid retry connection value '${s.args[0]?.text}'`);
        if (n !== undefined) S().retry = n;
      },
      delay_before_retry: (s) => {
        const v = readTimerMs(r, arg(s, 0), s.keyword, 'delay_before_retry');
        if (v !== undefined) S().delayBeforeRetryMs = v;
      },
      warmup: (s) => {
        const v = readTimerMs(r, arg(s, 0), s.keyword, 'warmup');
        if (v !== undefined) S().warmupMs = v;
      },
      TCP_CHECK: checker('TCP_CHECK'),
      HTTP_GET: checker('HTTP_GET'),
      SSL_GET: checker('SSL_GET'),
      MISC_CHECK: checker('MISC_CHECK'),
      SMTP_CHECK: checker('SMTP_CHECK'),
      DNS_CHECK: checker('DNS_CHECK'),
      UDP_CHECK: checker('UDP_CHECK'),
      PING_CHECK: checker('PING_CHECK'),
      FILE_CHECK: checker('FILE_CHECK'),
    };
  }

  private realServer(st: Statement, vs: VirtualServer): RealServer | undefined {
    const r = this.r;
    const ad = readAddress(r, arg(st, 0), st.keyword, 'real_server');
    if (!ad) return undefined;
    let port = 0;
    if (st.args[1]) {
      const p = readPort(r, st.args[1], st.keyword, 'real server port', true);
      if (p === undefined) return undefined;
      port = p;
    }
    if (vs.key.type === 'fwmark' && port !== 0) {
      r.warn(st.args[1]!.pos, 'fwmark-port', `WARNING - fwmark virtual server FWM ${vs.key.fwmark}, real server [${ad.address}]:none:${port} has port specified - clearing`);
      port = 0;
    }
    const rs: RealServer = {
      address: ad.address,
      port,
      family: ad.family,
      weight: 1,
      inhibitOnFailure: false,
      checkers: [],
      pos: posOf(st),
    };
    this.rsState = rs;
    walkBlock(r, st.block, 'real_server', (this.rsHandlers ??= this.makeRealServerHandlers()));
    rs.checkers = rs.checkers.slice(); // exact size (see TreeBuilder.close)
    // keepalived.conf(5): retry and delay_before_retry given in a real_server are the defaults of its
    // checkers; a checker's own value wins, the per-type default applies only when neither is given.
    for (const c of rs.checkers) {
      // FILE_CHECK has none of the standard checker options (keepalived.conf(5)).
      if (c.type === 'FILE_CHECK') continue;
      if (rs.retry !== undefined && this.out.retryDefaulted.has(c)) c.retry = rs.retry;
      if (rs.delayBeforeRetryMs !== undefined && this.out.dbrDefaulted.has(c)) {
        c.delayBeforeRetryMs = rs.delayBeforeRetryMs;
        this.out.dnsRetryFromLoop.delete(c);
      }
    }
    return rs;
  }

  // ---------------------------------------------------------------- checkers
  private checker(st: Statement, type: Checker['type']): Checker | undefined {
    const r = this.r;
    // keepalived's per-checker defaults (keepalived.conf(5)): retry 1 (DNS 3, MISC 0),
    // delay_before_retry 1 s (HTTP/SSL 3 s, DNS: delay_loop), connect_timeout 5 s.
    const common: CheckerCommon = {
      connectTimeoutMs: 5000,
      retry: type === 'DNS_CHECK' ? 3 : type === 'MISC_CHECK' ? 0 : 1,
      delayBeforeRetryMs: type === 'HTTP_GET' || type === 'SSL_GET' ? 3000 : 1000,
      pos: posOf(st),
    };
    const urls: HttpUrl[] = [];
    const extra: CheckerExtra = { miscDynamic: false, dnsType: 'SOA', dnsName: '.' };
    this.ck = { common, urls, extra, dbrSet: false, retrySet: false };
    walkBlock(r, st.block, type, (this.ckHandlers ??= this.checkerHandlers()));
    const dbrSet = this.ck.dbrSet;
    // keepalived: delay_before_retry defaults to delay_loop for DNS_CHECK; validate.ts resolves
    // it once the real and virtual servers' delay_loop are known.

    switch (type) {
      case 'TCP_CHECK':
      case 'PING_CHECK':
        return { type, ...common };
      case 'HTTP_GET':
      case 'SSL_GET': {
        if (urls.length === 0) r.warn(posOf(st), 'no-urls', 'HTTP/SSL_GET checker has no urls specified - ignoring');
        // An exact copy: a list grown by push keeps room for 16 more (see TreeBuilder.close).
        const c: Checker = { type, urls: urls.slice(), ...common };
        if (extra.virtualhost !== undefined) c.virtualhost = extra.virtualhost;
        if (extra.httpProtocol !== undefined) c.httpProtocol = extra.httpProtocol;
        if (extra.enableSni !== undefined) c.enableSni = extra.enableSni;
        return urls.length === 0 ? undefined : c;
      }
      case 'MISC_CHECK': {
        if (!extra.miscPath) {
          r.error(posOf(st), 'missing-value', 'MISC_CHECK: no misc_path specified');
          return undefined;
        }
        const c: Checker = { type, miscPath: extra.miscPath, miscDynamic: extra.miscDynamic, ...common };
        if (extra.miscTimeoutMs !== undefined) c.miscTimeoutMs = extra.miscTimeoutMs;
        return c;
      }
      case 'SMTP_CHECK': {
        const c: Checker = { type, ...common };
        if (extra.heloName !== undefined) c.heloName = extra.heloName;
        return c;
      }
      case 'DNS_CHECK': {
        const c: Checker = { type, dnsType: extra.dnsType, dnsName: extra.dnsName, ...common };
        if (!dbrSet) this.out.dnsRetryFromLoop.add(c);
        return c;
      }
      case 'UDP_CHECK': {
        const c: Checker = { type, ...common };
        if (extra.payload !== undefined) c.payload = extra.payload;
        if (extra.requireReply !== undefined) c.requireReply = extra.requireReply;
        return c;
      }
      case 'FILE_CHECK': {
        if (!extra.trackFile) {
          r.error(posOf(st), 'missing-value', 'FILE_CHECK: no track_file specified');
          return undefined;
        }
        return { type, trackFile: extra.trackFile, ...common };
      }
    }
  }

  /** Handlers made once per builder (not per block: 3,000 checkers would mean 90,000 closures); they act on this.ck. */
  private checkerHandlers(): Record<string, Handler> {
    const r = this.r;
    const S = (): CheckerState => this.ck!;
    const retry: Handler = (s) => {
      const n = readIntInRange(r, arg(s, 0), s.keyword, 'retry', 0, 2147483647, `Invalid retry connection value '${s.args[0]?.text}'`);
      if (n !== undefined) {
        S().common.retry = n;
        S().retrySet = true;
      }
    };
    return {
      connect_ip: (s) => {
        const a = readAddress(r, arg(s, 0), s.keyword, 'connect_ip');
        if (a) S().common.connectIp = a.address;
      },
      connect_port: (s) => {
        const p = readPort(r, arg(s, 0), s.keyword, 'connect_port');
        if (p !== undefined) S().common.connectPort = p;
      },
      bindto: (s) => {
        const a = readAddress(r, arg(s, 0), s.keyword, 'bindto');
        if (a) S().common.bindto = a.address;
      },
      bind_port: (s) => {
        const p = readPort(r, arg(s, 0), s.keyword, 'bind_port');
        if (p !== undefined) S().common.bindPort = p;
      },
      bind_if: (s) => {
        if (needArgs(r, s, 1)) S().common.bindIf = s.args[0]!.text;
      },
      connect_timeout: (s) => {
        const v = readTimerMs(r, arg(s, 0), s.keyword, 'connect_timeout');
        if (v !== undefined) S().common.connectTimeoutMs = v;
      },
      retry,
      nb_get_retry: (s) => {
        r.warn(posOf(s), 'deprecated', "nb_get_retry is deprecated - please use 'retry'");
        retry(s);
      },
      delay_before_retry: (s) => {
        const v = readTimerMs(r, arg(s, 0), s.keyword, 'delay_before_retry');
        if (v !== undefined) {
          S().common.delayBeforeRetryMs = v;
          S().dbrSet = true;
        }
      },
      delay_loop: (s) => {
        const v = readTimerMs(r, arg(s, 0), s.keyword, 'delay_loop');
        if (v !== undefined) S().common.delayLoopMs = v;
      },
      warmup: (s) => {
        const v = readTimerMs(r, arg(s, 0), s.keyword, 'warmup');
        if (v !== undefined) S().common.warmupMs = v;
      },
      fwmark: (s) => {
        const n = readIntInRange(r, arg(s, 0), s.keyword, 'fwmark', 0, 4294967295, 'fwmark ignored');
        if (n !== undefined) S().common.fwmark = n;
      },
      alpha: (s) => {
        const v = readBool(r, arg(s, 0), 'alpha');
        if (v !== undefined) S().common.alpha = v;
      },
      virtualhost: (s) => {
        if (needArgs(r, s, 1)) S().extra.virtualhost = s.args[0]!.text;
      },
      http_protocol: (s) => {
        if (!needArgs(r, s, 1)) return;
        const t = s.args[0]!.text;
        if (t !== '1.0' && t !== '1.0C' && t !== '1.1' && t !== '1.0c') r.error(s.args[0]!.pos, 'invalid-value', `Invalid http_protocol '${t}'`);
        else S().extra.httpProtocol = t === '1.0c' ? '1.0C' : t;
      },
      enable_sni: (s) => {
        const v = readBool(r, arg(s, 0), 'enable_sni');
        if (v !== undefined) S().extra.enableSni = v;
      },
      url: (s) => {
        const u = this.url(s);
        if (u) S().urls.push(u);
      },
      misc_path: (s) => {
        const c = readWholeLineScript(s.args);
        if (c) S().extra.miscPath = c;
        else r.error(posOf(s), 'missing-value', 'misc_path needs a script');
      },
      misc_timeout: (s) => {
        const v = readTimerMs(r, arg(s, 0), s.keyword, 'misc_timeout');
        if (v !== undefined) S().extra.miscTimeoutMs = v;
      },
      misc_dynamic: () => {
        S().extra.miscDynamic = true;
      },
      helo_name: (s) => {
        if (needArgs(r, s, 1)) S().extra.heloName = s.args[0]!.text;
      },
      type: (s) => {
        if (!needArgs(r, s, 1)) return;
        const t = s.args[0]!.text.toUpperCase();
        if (!['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'].includes(t)) r.error(s.args[0]!.pos, 'invalid-value', `DNS_CHECK: unknown type '${s.args[0]!.text}'`);
        else S().extra.dnsType = t;
      },
      name: (s) => {
        if (needArgs(r, s, 1)) S().extra.dnsName = s.args[0]!.text;
      },
      payload: (s) => {
        const hex = s.args.map((w) => w.text).join(' ');
        if (!/^[0-9a-fA-F ]+$/.test(hex)) r.error(posOf(s), 'invalid-value', `UDP_CHECK: invalid payload '${hex}'`);
        else S().extra.payload = hex;
      },
      require_reply: (s) => {
        if (s.args.length > 0) r.warn(s.args[0]!.pos, 'not-implemented', 'UDP_CHECK: require_reply data is not implemented by keepalived-ts yet - any reply is accepted');
        S().extra.requireReply = true;
      },
      track_file: (s) => {
        if (needArgs(r, s, 1)) S().extra.trackFile = s.args[0]!.text;
      },
    };
  }

  private makeUrlHandlers(): Record<string, Handler> {
    const r = this.r;
    const S = (): HttpUrl => this.urlState!;
    return {
      path: (s) => {
        if (needArgs(r, s, 1)) S().path = s.args[0]!.text;
      },
      digest: (s) => {
        if (!needArgs(r, s, 1)) return;
        const d = s.args[0]!.text;
        if (!/^[0-9a-fA-F]{32}$/.test(d)) r.error(s.args[0]!.pos, 'invalid-value', `digest '${d}' is not an MD5 digest (32 hex digits)`);
        else S().digest = d.toLowerCase();
      },
      status_code: (s) => {
        if (!needArgs(r, s, 1)) return;
        for (const w of s.args) {
          const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w.text);
          const lo = m ? Number(m[1]) : NaN;
          const hi = m ? Number(m[2] ?? m[1]) : NaN;
          if (!m || lo < 100 || hi > 599 || lo > hi) {
            r.error(w.pos, 'invalid-value', `Invalid HTTP_GET status code '${w.text}'`);
            continue;
          }
          S().statusCode.push([lo, hi]);
        }
      },
      virtualhost: (s) => {
        if (needArgs(r, s, 1)) S().virtualhost = s.args[0]!.text;
      },
      regex: (s) => {
        if (needArgs(r, s, 1)) S().regex = s.args[0]!.text;
      },
    };
  }

  private url(st: Statement): HttpUrl | undefined {
    const r = this.r;
    const u: HttpUrl = { path: '', statusCode: [] };
    this.urlState = u;
    walkBlock(r, st.block, 'url', (this.urlHandlers ??= this.makeUrlHandlers()));
    if (u.path === '') {
      r.error(posOf(st), 'missing-value', 'url: no path specified');
      return undefined;
    }
    u.statusCode = u.statusCode.length === 0 ? [[200, 299]] : u.statusCode.slice(); // exact size (see TreeBuilder.close)
    return u;
  }
}

export function buildConfig(parsed: ParsedFile): BuildOutput & { diagnostics: Diagnostic[] } {
  const b = new ConfigBuilder(parsed);
  b.build(parsed.statements);
  return { ...b.out, diagnostics: b.r.diagnostics };
}
