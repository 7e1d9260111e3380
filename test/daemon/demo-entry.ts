// Runs `keepalived-ts demo` through its main(), as src/cli/main.ts will once it routes `demo` there.
import { main } from '../../src/cli/demo.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
