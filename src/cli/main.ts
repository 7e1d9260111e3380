/**
 * The `keepalived-ts` command. A table of subcommands, each loaded only when it runs (so `-t`
 * loads the config checker and nothing else: it must start fast), plus keepalived's own flags for
 * the top level: `-t/--config-test` with `-f/--use-file` checks a configuration like
 * `keepalived -t`. The daemon and further commands (simulate, replay, demo, genhash) are added to
 * COMMANDS / runTopLevel as they land.
 */
import { lastValue, parseArgs, type OptionSpec } from './args.js';
import { tuneGarbageCollector } from '../engine/gc-tuning.js';

export interface Command {
  name: string;
  summary: string;
  /** Runs with the arguments after the command word; resolves to the exit status. */
  run: (argv: string[]) => Promise<number>;
}

export const EXIT_USAGE = 2;

export const COMMANDS: Command[] = [
  {
    name: 'check-config',
    summary: 'check configuration files; several files = one per node, linted across nodes',
    run: async (argv) => (await import('./check-config.js')).main(argv),
  },
  {
    name: 'simulate',
    summary: 'run node configurations on a simulated LAN in virtual time, with scripted faults',
    run: async (argv) => (await import('./simulate.js')).main(argv),
  },
  {
    name: 'replay',
    summary: 'explain and re-run recorded failovers from event logs (one DIR per node)',
    run: async (argv) => (await import('./replay.js')).main(argv),
  },
  {
    name: 'demo',
    summary: 'a real failover in network namespaces: two daemons, a client, the master killed (root)',
    run: async (argv) => (await import('./demo.js')).main(argv),
  },
  {
    name: 'genhash',
    summary: 'print the MD5 digest of a URL that HTTP_GET / SSL_GET compare',
    run: async (argv) => (await import('./genhash.js')).main(argv),
  },
];

export const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';

/** keepalived's command-line options. Those the daemon takes are accepted (and ignored) with -t. */
const TOP_SPECS: readonly OptionSpec[] = [
  { name: 'config-test', short: 't', long: 'config-test', value: 'optional' },
  { name: 'use-file', short: 'f', long: 'use-file', value: 'required' },
  { name: 'config-id', short: 'i', long: 'config-id', value: 'required' },
  { name: 'dump', long: 'dump', value: 'none' },
  { name: 'help', short: 'h', long: 'help', value: 'none' },
  { name: 'version', short: 'v', long: 'version', value: 'none' },
  // keepalived daemon flags, recognised so that `keepalived-ts -t -f F -P -n ...` works as keepalived's -t does.
  ...(
    [
      ['P', 'vrrp'], ['C', 'check'], ['B', 'no_bfd'], ['l', 'log-console'], ['D', 'log-detail'],
      ['G', 'no-syslog'], ['X', 'release-vips'], ['V', 'dont-release-vrrp'], ['I', 'dont-release-ipvs'],
      ['R', 'dont-respawn'], ['n', 'dont-fork'], ['d', 'dump-conf'], ['a', 'address-monitoring'],
      ['x', 'snmp'], ['m', 'core-dump'], ['e', 'all-config'],
    ] as const
  ).map(([s, l]): OptionSpec => ({ name: l, short: s, long: l, value: 'none' })),
  { name: 'all', long: 'all', value: 'none' },
  ...(
    [
      ['S', 'log-facility'], ['u', 'umask'], ['p', 'pid'], ['r', 'vrrp_pid'], ['c', 'checkers_pid'],
      ['b', 'bfd_pid'], ['A', 'snmp-agent-socket'], ['s', 'namespace'], ['M', 'core-dump-pattern'],
    ] as const
  ).map(([s, l]): OptionSpec => ({ name: l, short: s, long: l, value: 'required' })),
];

export function usage(): string {
  const lines = [
    'usage: keepalived-ts [-f FILE] [-n] [-l] [-D] [-P] [-p PIDFILE] ...   the daemon, with keepalived\'s flags',
    '       keepalived-ts -t [-f FILE] [-i ID] [--dump]     check a configuration (as keepalived -t)',
    '       keepalived-ts COMMAND [ARGS...]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(14)}${c.summary}`),
    '',
    'options:',
    '  -t, --config-test     check the configuration and exit (0: can run, 5: errors)',
    `  -f, --use-file FILE   configuration file (default ${DEFAULT_CONFIG_FILE})`,
    '  -i, --config-id ID    choose @ID conditional lines (default: the short host name)',
    '      --dump            with -t: print the normalized configuration as JSON',
    '  -h, --help            this help',
    '  -v, --version         version',
  ];
  return lines.join('\n');
}

export interface MainIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: MainIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

async function version(): Promise<string> {
  try {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return `keepalived-ts v${pkg.version ?? '?'}`;
  } catch {
    return 'keepalived-ts';
  }
}

/** `-t`, `-h`, `-v`, their long forms, or a cluster of short flags holding one (`-nlt`). */
function asksConfigTestHelpOrVersion(arg: string): boolean {
  if (arg === '--config-test' || arg.startsWith('--config-test=') || arg === '--help' || arg === '--version') return true;
  return /^-[A-Za-z]+$/.test(arg) && /[thv]/.test(arg);
}

export async function run(argv: string[], io: MainIo = defaultIo): Promise<number> {
  const first = argv[0];
  if (first !== undefined && !first.startsWith('-')) {
    const cmd = COMMANDS.find((c) => c.name === first);
    if (!cmd) {
      io.err(`keepalived-ts: unknown command '${first}'\n${usage()}\n`);
      return EXIT_USAGE;
    }
    return cmd.run(argv.slice(1));
  }
  // No subcommand and not -t / -h / -v: the daemon, with keepalived's flags (and our --log-dir).
  if (!argv.some(asksConfigTestHelpOrVersion)) return (await import('./daemon.js')).main(argv);
  const parsed = parseArgs(argv, TOP_SPECS);
  if (!parsed.ok) {
    io.err(`keepalived-ts: ${parsed.error}\n${usage()}\n`);
    return EXIT_USAGE;
  }
  const a = parsed.args;
  if (a.flags.has('help')) {
    io.out(`${usage()}\n`);
    return 0;
  }
  if (a.flags.has('version')) {
    io.out(`${await version()}\n`);
    return 0;
  }
  if (a.positionals.length > 0) {
    io.err(`keepalived-ts: unexpected argument '${a.positionals[0]}'\n${usage()}\n`);
    return EXIT_USAGE;
  }
  if (a.flags.has('config-test')) {
    const { runCheckConfig, hostInterfaceNames } = await import('./check-config.js');
    const opts: Parameters<typeof runCheckConfig>[0] = {
      files: [lastValue(a, 'use-file') ?? DEFAULT_CONFIG_FILE],
      dump: a.flags.has('dump'),
    };
    const id = lastValue(a, 'config-id');
    if (id !== undefined) opts.configId = id;
    // On the node itself, as keepalived -t does, a missing interface is worth a warning.
    const host = hostInterfaceNames();
    if (host) opts.hostInterfaces = host;
    return runCheckConfig(opts, io);
  }
  return (await import('./daemon.js')).main(argv);
}

// Run when executed (bin/keepalived-ts.js imports this module), not when imported by a test.
const invokedAsScript = (() => {
  const entry = process.argv[1] ?? '';
  return /keepalived-ts(\.js)?$/.test(entry) || /cli[\\/]main\.(js|ts)$/.test(entry);
})();

if (invokedAsScript) {
  // Before anything allocates in bulk (see gc-tuning.ts): the engine's per-event objects stay young.
  tuneGarbageCollector();
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`keepalived-ts: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
