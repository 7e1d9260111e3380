/**
 * A script that runs the daemon (`keepalived-ts` with keepalived's flags) and exits with its status:
 * what `demo` starts in each namespace, independent of how src/cli/main.ts routes its arguments.
 */
import { main } from '../cli/daemon.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`keepalived-ts: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
