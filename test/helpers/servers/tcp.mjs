// A TCP port that opens and closes on command. Usage: node tcp.mjs PORT
// Stdin: {id, open: true|false} -> {id, ok:true, open}. Starts open. Prints {ready}.
import net from 'node:net';
import { createInterface } from 'node:readline';

const port = Number(process.argv[2]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let server;
const sockets = new Set();

function open(cb) {
  server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  server.listen({ port, host: '::' }, cb);
}
function close(cb) {
  for (const s of sockets) s.destroy();
  server.close(() => {
    server = undefined;
    cb();
  });
}

open(() => out({ ready: true }));
createInterface({ input: process.stdin }).on('line', (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    return;
  }
  const done = () => out({ id: cmd.id, ok: true, open: !!server });
  if (cmd.open && !server) open(done);
  else if (!cmd.open && server) close(done);
  else done();
});
