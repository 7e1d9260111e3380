/**
 * Runs inside a lab namespace (`ip netns exec NS node --import tsx probe-runner.ts`) so probes send
 * their traffic there and never in the root namespace. Commands arrive as JSON lines on stdin:
 *   {id, op: 'probe', target, abortAfterMs?}  -> {id, result}
 *   {id, op: 'genhash', argv}                 -> {id, rc, out, err}
 * It prints {ready: true} once loaded.
 */
import { createInterface } from 'node:readline';
import { runProbe, type ProbeTarget } from '../../src/adapters/probes/index.js';
import { main as genhash } from '../../src/cli/genhash.js';

const rl = createInterface({ input: process.stdin });
const reply = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

rl.on('line', (line) => {
  let cmd: { id: number; op: string; target?: ProbeTarget; argv?: string[]; abortAfterMs?: number };
  try {
    cmd = JSON.parse(line) as typeof cmd;
  } catch {
    return;
  }
  if (cmd.op === 'probe' && cmd.target) {
    const ac = new AbortController();
    if (cmd.abortAfterMs !== undefined) setTimeout(() => ac.abort(), cmd.abortAfterMs);
    runProbe(cmd.target, ac.signal).then(
      (result) => reply({ id: cmd.id, result }),
      (e: unknown) => reply({ id: cmd.id, threw: String(e) }),
    );
  } else if (cmd.op === 'genhash') {
    let out = '';
    let err = '';
    genhash(cmd.argv ?? [], { out: (s) => void (out += s), err: (s) => void (err += s) }).then(
      (rc) => reply({ id: cmd.id, rc, out, err }),
      (e: unknown) => reply({ id: cmd.id, threw: String(e) }),
    );
  }
});
rl.on('close', () => process.exit(0));
reply({ ready: true });
