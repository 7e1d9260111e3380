/**
 * The daemon's command line: keepalived's own flags (keepalived(8)) plus `--log-dir` of ours.
 * Parsing never throws: a bad line is a usage error for the caller to print.
 */
import { lastValue, parseArgs, type OptionSpec } from '../cli/args.js';

export interface DaemonOptions {
  configFile: string;
  configId?: string;
  /** -n: stay in the foreground. */
  foreground: boolean;
  /** -l: log to the console (stderr). */
  logConsole: boolean;
  /** -D: detailed log. */
  logDetail: boolean;
  /** -P: VRRP side only; -C: checker side only. Neither: both, as keepalived. */
  vrrpOnly: boolean;
  checkOnly: boolean;
  /** -V: leave the VIPs in place at exit. */
  dontReleaseVrrp: boolean;
  /** -I: leave the IPVS services in the kernel at exit. */
  dontReleaseIpvs: boolean;
  /** -R: do not respawn a child that dies. */
  dontRespawn: boolean;
  pidFile: string;
  vrrpPidFile: string;
  checkersPidFile: string;
  /** --log-dir: event log directory (overrides global_defs event_log_dir). */
  logDir?: string;
  /** --metrics-port: serve /metrics and /status on 127.0.0.1 at this port (else KEEPALIVED_TS_METRICS_PORT). */
  metricsPort?: number;
}

export const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';
/** Our own names, so keepalived-ts and keepalived can run side by side during a migration. */
export const DEFAULT_PID_FILE = '/run/keepalived-ts.pid';
export const DEFAULT_VRRP_PID_FILE = '/run/keepalived-ts_vrrp.pid';
export const DEFAULT_CHECKERS_PID_FILE = '/run/keepalived-ts_checkers.pid';

const FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['P', 'vrrp'], ['C', 'check'], ['B', 'no_bfd'], ['l', 'log-console'], ['D', 'log-detail'],
  ['G', 'no-syslog'], ['X', 'release-vips'], ['V', 'dont-release-vrrp'], ['I', 'dont-release-ipvs'],
  ['R', 'dont-respawn'], ['n', 'dont-fork'], ['d', 'dump-conf'], ['a', 'address-monitoring'],
  ['x', 'snmp'], ['m', 'core-dump'],
];

const SPECS: readonly OptionSpec[] = [
  { name: 'use-file', short: 'f', long: 'use-file', value: 'required' },
  { name: 'config-id', short: 'i', long: 'config-id', value: 'required' },
  ...FLAGS.map(([s, l]): OptionSpec => ({ name: l, short: s, long: l, value: 'none' })),
  ...(
    [
      ['S', 'log-facility'], ['u', 'umask'], ['p', 'pid'], ['r', 'vrrp_pid'], ['c', 'checkers_pid'],
      ['b', 'bfd_pid'], ['s', 'namespace'],
    ] as const
  ).map(([s, l]): OptionSpec => ({ name: l, short: s, long: l, value: 'required' })),
  { name: 'log-dir', long: 'log-dir', value: 'required' },
  { name: 'metrics-port', long: 'metrics-port', value: 'required' },
];

export type DaemonArgsResult = { ok: true; options: DaemonOptions } | { ok: false; error: string };

export function parseDaemonArgs(argv: readonly string[]): DaemonArgsResult {
  const r = parseArgs(argv, SPECS);
  if (!r.ok) return r;
  const a = r.args;
  if (a.positionals.length > 0) return { ok: false, error: `unexpected argument '${a.positionals[0]}'` };
  const vrrpOnly = a.flags.has('vrrp');
  const checkOnly = a.flags.has('check');
  if (vrrpOnly && checkOnly) return { ok: false, error: '-P and -C cannot be given together' };
  const options: DaemonOptions = {
    configFile: lastValue(a, 'use-file') ?? DEFAULT_CONFIG_FILE,
    foreground: a.flags.has('dont-fork'),
    logConsole: a.flags.has('log-console'),
    logDetail: a.flags.has('log-detail'),
    vrrpOnly,
    checkOnly,
    dontReleaseVrrp: a.flags.has('dont-release-vrrp'),
    dontReleaseIpvs: a.flags.has('dont-release-ipvs'),
    dontRespawn: a.flags.has('dont-respawn'),
    pidFile: lastValue(a, 'pid') ?? DEFAULT_PID_FILE,
    vrrpPidFile: lastValue(a, 'vrrp_pid') ?? DEFAULT_VRRP_PID_FILE,
    checkersPidFile: lastValue(a, 'checkers_pid') ?? DEFAULT_CHECKERS_PID_FILE,
  };
  const configId = lastValue(a, 'config-id');
  if (configId !== undefined) options.configId = configId;
  const logDir = lastValue(a, 'log-dir');
  if (logDir !== undefined) options.logDir = logDir;
  const metricsPort = lastValue(a, 'metrics-port');
  if (metricsPort !== undefined) {
    const port = Number(metricsPort);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, error: `--metrics-port: a TCP port 1-65535, got '${metricsPort}'` };
    options.metricsPort = port;
  }
  return { ok: true, options };
}
