/**
 * `keepalived-ts -t -f FILE` and `keepalived-ts check-config FILE...`: load each configuration,
 * print every warning and error as `file:line:col: severity: message` on stderr, and with several
 * files (one per node) lint them against each other. Exit codes follow `keepalived -t`: 0 when it
 * can run (warnings allowed), 5 (KEEPALIVED_EXIT_CONFIG_TEST) on any error, 2 on a usage error.
 */
import { readdirSync } from 'node:fs';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../config/diagnostics.js';
import { lintNodes } from '../config/lint.js';
import { loadConfigFile, type LoadOptions } from '../config/load.js';
import type { KeepalivedConfig } from '../config/types.js';
import { lastValue, parseArgs, type OptionSpec } from './args.js';

export const EXIT_OK = 0;
export const EXIT_USAGE = 2;
/** keepalived's KEEPALIVED_EXIT_CONFIG_TEST: `keepalived -t` found configuration errors. */
export const EXIT_CONFIG_ERROR = 5;

export interface CheckIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: CheckIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

export interface CheckConfigOptions {
  files: string[];
  configId?: string;
  /** Print the normalized configuration(s) as JSON on stdout. */
  dump: boolean;
  /** Warn about interfaces this host lacks (what `keepalived -t` does on the node itself). */
  hostInterfaces?: string[];
}

export const CHECK_CONFIG_USAGE = `usage: keepalived-ts check-config [-i ID] [--dump] FILE...
  Check keepalived.conf files. Several files are one per node: they are also linted against each
  other (same VRID: advert_int, version, authentication and VIPs must agree; priorities, nopreempt,
  vrrp_strict).
  -i, --config-id ID   choose @ID conditional lines (default: the short host name)
      --dump           print the normalized configuration as JSON
  exit status: 0 can run (warnings allowed), 5 configuration errors, 2 usage error`;

/** Interface names of this host (Linux: /sys/class/net), or undefined when they cannot be read. */
export function hostInterfaceNames(): string[] | undefined {
  try {
    return readdirSync('/sys/class/net');
  } catch {
    return undefined;
  }
}

function byPlace(a: Diagnostic, b: Diagnostic): number {
  return a.pos.line - b.pos.line || a.pos.column - b.pos.column;
}

export function runCheckConfig(opts: CheckConfigOptions, io: CheckIo = defaultIo): number {
  const loadOpts: LoadOptions = {};
  if (opts.configId !== undefined) loadOpts.configId = opts.configId;
  if (opts.hostInterfaces) loadOpts.hostInterfaces = opts.hostInterfaces;
  const nodes: Array<{ file: string; config: KeepalivedConfig }> = [];
  let failed = false;
  for (const file of opts.files) {
    const res = loadConfigFile(file, loadOpts);
    for (const d of res.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
    if (res.config) nodes.push({ file, config: res.config });
    else failed = true;
  }
  if (nodes.length > 1) {
    const lint = lintNodes(nodes);
    // Group by file in the order given, then by place, so each node's findings read together.
    const order = new Map(opts.files.map((f, i) => [f, i]));
    lint.sort((a, b) => (order.get(a.pos.file) ?? 0) - (order.get(b.pos.file) ?? 0) || byPlace(a, b));
    for (const d of lint) io.err(`${formatDiagnostic(d)}\n`);
    if (hasErrors(lint)) failed = true;
  }
  if (opts.dump && !failed) {
    const json = opts.files.length === 1 ? nodes[0]!.config : nodes.map((n) => ({ file: n.file, config: n.config }));
    io.out(`${JSON.stringify(json, null, 2)}\n`);
  }
  return failed ? EXIT_CONFIG_ERROR : EXIT_OK;
}

const SPECS: readonly OptionSpec[] = [
  { name: 'config-id', short: 'i', long: 'config-id', value: 'required' },
  { name: 'dump', long: 'dump', value: 'none' },
  { name: 'help', short: 'h', long: 'help', value: 'none' },
];

/** `check-config` with its own arguments (the command word already removed). */
export async function main(argv: string[], io: CheckIo = defaultIo): Promise<number> {
  const parsed = parseArgs(argv, SPECS);
  if (!parsed.ok) {
    io.err(`keepalived-ts check-config: ${parsed.error}\n${CHECK_CONFIG_USAGE}\n`);
    return EXIT_USAGE;
  }
  if (parsed.args.flags.has('help')) {
    io.out(`${CHECK_CONFIG_USAGE}\n`);
    return EXIT_OK;
  }
  if (parsed.args.positionals.length === 0) {
    io.err(`keepalived-ts check-config: no configuration file given\n${CHECK_CONFIG_USAGE}\n`);
    return EXIT_USAGE;
  }
  const opts: CheckConfigOptions = { files: parsed.args.positionals, dump: parsed.args.flags.has('dump') };
  const id = lastValue(parsed.args, 'config-id');
  if (id !== undefined) opts.configId = id;
  return runCheckConfig(opts, io);
}
