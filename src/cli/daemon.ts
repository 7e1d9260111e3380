/**
 * `keepalived-ts [-f FILE] [-n] [-l] [-D] [-P] [-C] [-V] [-p PID] [-r VRRP_PID] [-c CHECK_PID] [--log-dir DIR]`:
 * the daemon, with keepalived's flags. Without -n it detaches (runs itself again with -n in a new
 * session) and returns at once, as keepalived forks into the background.
 */
import { spawn } from 'node:child_process';
import { createLogger } from '../daemon/logger.js';
import { parseDaemonArgs } from '../daemon/options.js';
import { runDaemon } from '../daemon/watchdog.js';

export const DAEMON_USAGE =
  'usage: keepalived-ts [-f FILE] [-i ID] [-n] [-l] [-D] [-P|-C] [-V] [-R] [-p PIDFILE] [-r VRRP_PIDFILE] [-c CHECKERS_PIDFILE] [--log-dir DIR]';

export async function main(argv: string[]): Promise<number> {
  const parsed = parseDaemonArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`keepalived-ts: ${parsed.error}\n${DAEMON_USAGE}\n`);
    return 2;
  }
  const opts = parsed.options;
  if (!opts.foreground) {
    const script = process.argv[1];
    if (script === undefined) {
      process.stderr.write('keepalived-ts: cannot find my own script to detach; run with -n\n');
      return 1;
    }
    const child = spawn(process.execPath, [...process.execArgv, script, ...argv, '-n'], { detached: true, stdio: 'ignore' });
    child.unref();
    return 0;
  }
  const log = createLogger({ tag: 'Keepalived', console: opts.logConsole, detailed: opts.logDetail });
  return runDaemon(opts, log);
}
