import type { SourcePos } from './diagnostics.js';

/**
 * The typed, validated keepalived configuration: the one config model of keepalived-ts.
 * Field names follow keepalived.conf(5) in camelCase; times are normalised to milliseconds
 * (suffix `Ms`) so nobody has to remember whether a keyword took seconds or centiseconds.
 * Defaults are keepalived 2.2.7's. Every block keeps its source position for messages.
 *
 * Other modules may ADD optional fields; they must not rename or re-type existing ones.
 */

export type AddressFamily = 'ipv4' | 'ipv6';

/** A command line for a script: argv[0] is the program; no shell is involved. */
export interface ScriptCommand {
  argv: string[];
  /** `user USERNAME [GROUPNAME]` given after the script or by script_user. */
  user?: string;
  group?: string;
}

export interface GlobalDefs {
  routerId: string;
  /** vrrp_version: default protocol version for instances that do not set one. */
  vrrpVersion: 2 | 3;
  vrrpMcastGroup4: string; // 224.0.0.18
  vrrpMcastGroup6: string; // ff02::12
  vrrpStrict: boolean;
  vrrpSkipCheckAdvAddr: boolean;
  vrrpCheckUnicastSrc: boolean;
  /** Send IPv4 VRRPv3 checksums without the pseudo-header (RFC 9568 style). */
  vrrpV3ChecksumAsV2: boolean;
  vrrpGarpMasterDelayMs: number; // 5 s
  vrrpGarpMasterRepeat: number; // 5
  vrrpGarpMasterRefreshMs: number; // 0 = off
  vrrpGarpMasterRefreshRepeat: number; // 1
  vrrpGarpLowerPrioDelayMs?: number;
  vrrpGarpLowerPrioRepeat?: number;
  vrrpGarpIntervalMs: number; // 0
  vrrpGnaIntervalMs: number; // 0
  vrrpLowerPrioNoAdvert: boolean;
  vrrpHigherPrioSendAdvert: boolean;
  vrrpStartupDelayMs: number; // 0
  /** vrrp_priority: the VRRP child's nice value. */
  vrrpPriority?: number;
  /** checker_priority: the checker child's nice value. */
  checkerPriority?: number;
  scriptUser?: { user: string; group?: string };
  enableScriptSecurity: boolean;
  notifyFifo?: { path: string; user?: string; group?: string };
  notifyFifoScript?: ScriptCommand;
  vrrpNotifyFifo?: { path: string; user?: string; group?: string };
  vrrpNotifyFifoScript?: ScriptCommand;
  lvsNotifyFifo?: { path: string; user?: string; group?: string };
  lvsNotifyFifoScript?: ScriptCommand;
  notificationEmail: string[];
  notificationEmailFrom?: string;
  smtpServer?: { host: string; port: number };
  smtpHeloName?: string;
  smtpConnectTimeoutMs: number; // 30 s
  smtpAlert: boolean;
  smtpAlertVrrp?: boolean;
  smtpAlertChecker?: boolean;
  lvsFlush: boolean;
  lvsTimeouts?: { tcpS?: number; tcpFinS?: number; udpS?: number };
  lvsSyncDaemon?: LvsSyncDaemon;
  /** keepalived-ts's own: where the event log lives, and its retention. */
  eventLogDir?: string;
  eventLogMaxMb?: number;
  eventLogMaxAgeMs?: number;
  pos?: SourcePos;
}

export interface LvsSyncDaemon {
  interface: string;
  vrrpInstance: string;
  syncId?: number;
  maxlen?: number;
  port?: number;
  ttl?: number;
  group?: string;
}

export interface VrrpScript {
  name: string;
  script: ScriptCommand;
  intervalMs: number; // 1 s
  timeoutMs?: number; // default: interval
  /** 0 = unweighted: a failure puts tracking instances in FAULT. */
  weight: number;
  /** `weight N reverse`: the weight applies while the script succeeds. */
  weightReverse: boolean;
  rise: number; // 1
  fall: number; // 1
  initFail: boolean;
  pos: SourcePos;
}

export interface TrackedByWeight {
  name: string;
  /** Overrides the tracked object's own weight; undefined = use its own (scripts) or 0 (interfaces). */
  weight?: number;
  reverse: boolean;
}

export interface VirtualIp {
  /** Address without prefix, canonical text form (IPv6 compressed lower case). */
  address: string;
  prefixLen: number; // /32 or /128 when not given
  family: AddressFamily;
  brd?: string;
  dev?: string;
  scope?: string;
  label?: string;
  noPrefixRoute?: boolean;
  pos?: SourcePos;
}

export interface VirtualRoute {
  /** The route as written, in `ip route` words: ['192.0.2.0/24', 'via', '192.0.2.1', 'dev', 'eth0']. */
  words: string[];
  dst: string;
  via?: string;
  src?: string;
  dev?: string;
  table?: string;
  metric?: number;
  scope?: string;
  pos?: SourcePos;
}

export interface UnicastPeer {
  address: string;
  minTtl?: number;
  maxTtl?: number;
}

export interface VrrpNotify {
  notify?: ScriptCommand;
  notifyMaster?: ScriptCommand;
  notifyBackup?: ScriptCommand;
  notifyFault?: ScriptCommand;
  notifyStop?: ScriptCommand;
  notifyMasterRxLowerPri?: ScriptCommand;
}

export interface VrrpInstance extends VrrpNotify {
  name: string;
  /** `state MASTER|BACKUP`: only a wish; a non-owner still starts as BACKUP. Default BACKUP. */
  initialState: 'MASTER' | 'BACKUP';
  interface: string;
  /** use_vmac [NAME]: name of the macvlan (default vrrp.VRID). */
  useVmac?: string;
  vmacXmitBase: boolean;
  virtualRouterId: number; // 1..255
  priority: number; // 1..255, default 100
  /** advert_int in ms (keepalived takes seconds, fractions allowed for v3). Default 1000. */
  advertIntMs: number;
  version: 2 | 3;
  family: AddressFamily;
  /** false when nopreempt is set. */
  preempt: boolean;
  preemptDelayMs: number; // 0
  unicastSrcIp?: string;
  unicastPeers: UnicastPeer[];
  authentication?: { type: 'PASS' | 'AH'; pass: string };
  virtualIpaddress: VirtualIp[];
  virtualIpaddressExcluded: VirtualIp[];
  virtualRoutes: VirtualRoute[];
  trackInterface: TrackedByWeight[];
  trackScript: TrackedByWeight[];
  garpMasterDelayMs: number;
  garpMasterRepeat: number;
  garpMasterRefreshMs: number;
  garpMasterRefreshRepeat: number;
  garpLowerPrioDelayMs: number;
  garpLowerPrioRepeat: number;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  skipCheckAdvAddr: boolean;
  strictMode: boolean;
  /** Accept packets to the VIPs when not owner (keepalived default true unless strict). */
  accept: boolean;
  /** Send v3 IPv4 checksum without pseudo-header. */
  v3ChecksumAsV2: boolean;
  smtpAlert?: boolean;
  /** Name of the sync group this instance belongs to, if any (filled by validation). */
  syncGroup?: string;
  pos: SourcePos;
}

export interface VrrpSyncGroup extends VrrpNotify {
  name: string;
  group: string[];
  trackInterface: TrackedByWeight[];
  trackScript: TrackedByWeight[];
  smtpAlert?: boolean;
  globalTracking: boolean;
  pos: SourcePos;
}

export type LvsScheduler =
  | 'rr' | 'wrr' | 'lc' | 'wlc' | 'lblc' | 'lblcr' | 'sh' | 'dh' | 'sed' | 'nq' | 'mh' | 'fo' | 'ovf' | 'twos';
export type LvsMethod = 'NAT' | 'DR' | 'TUN';
export type LvsProtocol = 'TCP' | 'UDP' | 'SCTP';

export type VirtualServerKey =
  | { type: 'address'; address: string; port: number; family: AddressFamily }
  | { type: 'fwmark'; fwmark: number; family: AddressFamily }
  | { type: 'group'; name: string };

/** Options shared by every checker block (keepalived.conf(5), "checker common"). */
export interface CheckerCommon {
  connectIp?: string;
  connectPort?: number;
  bindto?: string;
  bindPort?: number;
  bindIf?: string;
  connectTimeoutMs: number; // 5 s
  retry: number;
  delayBeforeRetryMs: number;
  /** Checker-level delay_loop; default: the virtual server's. */
  delayLoopMs?: number;
  warmupMs?: number;
  fwmark?: number;
  alpha?: boolean;
  pos: SourcePos;
}

export interface HttpUrl {
  path: string;
  digest?: string;
  /** Accepted status code ranges, inclusive; default 200-299. */
  statusCode: Array<[number, number]>;
  virtualhost?: string;
  regex?: string;
}

export type Checker =
  | ({ type: 'TCP_CHECK' } & CheckerCommon)
  | ({ type: 'HTTP_GET' | 'SSL_GET'; urls: HttpUrl[]; virtualhost?: string; httpProtocol?: string; enableSni?: boolean } & CheckerCommon)
  | ({ type: 'MISC_CHECK'; miscPath: ScriptCommand; miscTimeoutMs?: number; miscDynamic: boolean } & CheckerCommon)
  | ({ type: 'SMTP_CHECK'; heloName?: string } & CheckerCommon)
  | ({ type: 'DNS_CHECK'; dnsType: string; dnsName: string } & CheckerCommon)
  | ({ type: 'UDP_CHECK'; payload?: string; requireReply?: boolean; requireReplyData?: string; minReplyLength?: number; maxReplyLength?: number } & CheckerCommon)
  | ({ type: 'PING_CHECK' } & CheckerCommon)
  | ({ type: 'FILE_CHECK'; trackFile: string } & CheckerCommon);

export interface RealServer {
  address: string;
  port: number;
  family: AddressFamily;
  weight: number; // 1
  inhibitOnFailure: boolean;
  uthreshold?: number;
  lthreshold?: number;
  lvsMethod?: LvsMethod;
  notifyUp?: ScriptCommand;
  notifyDown?: ScriptCommand;
  delayLoopMs?: number;
  alpha?: boolean;
  retry?: number;
  delayBeforeRetryMs?: number;
  warmupMs?: number;
  checkers: Checker[];
  pos: SourcePos;
}

export interface VirtualServer {
  key: VirtualServerKey;
  protocol: LvsProtocol;
  delayLoopMs: number; // 60 s
  lbAlgo: LvsScheduler;
  lbKind: LvsMethod;
  /** Seconds; undefined = not persistent. */
  persistenceTimeout?: number;
  persistenceGranularity?: string;
  virtualhost?: string;
  sorryServer?: { address: string; port: number; lvsMethod?: LvsMethod };
  sorryServerInhibit: boolean;
  inhibitOnFailure: boolean;
  quorum: number; // 1
  hysteresis: number; // 0
  quorumUp?: ScriptCommand;
  quorumDown?: ScriptCommand;
  alpha: boolean;
  omega: boolean;
  haSuspend: boolean;
  opsFlag: boolean;
  schedFlags: string[];
  realServers: RealServer[];
  pos: SourcePos;
}

export interface VirtualServerGroup {
  name: string;
  /** `IP PORT`, `IP-RANGE PORT` (e.g. 192.0.2.1-10) or `fwmark N`. */
  members: Array<
    | { type: 'address'; address: string; rangeEnd?: number; port: number; family: AddressFamily }
    | { type: 'fwmark'; fwmark: number; family: AddressFamily }
  >;
  pos: SourcePos;
}

export interface StaticAddress extends VirtualIp {}

export interface KeepalivedConfig {
  globalDefs: GlobalDefs;
  vrrpScripts: VrrpScript[];
  vrrpSyncGroups: VrrpSyncGroup[];
  vrrpInstances: VrrpInstance[];
  virtualServerGroups: VirtualServerGroup[];
  virtualServers: VirtualServer[];
  staticIpaddress: StaticAddress[];
  staticRoutes: VirtualRoute[];
  /** Files read, the top one first. */
  files: string[];
}
