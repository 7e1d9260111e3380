// UDP echo for UDP_CHECK. Usage: node udp.mjs PORT
// Prints {ready}, {event:'datagram', hex}. Stdin: {id, mode} -> {id, ok:true}.
// Modes: echo | silent | reply:<hex> (answers with those bytes).
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';

const port = Number(process.argv[2]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let mode = 'echo';
const sock = dgram.createSocket({ type: 'udp6', ipv6Only: false });
sock.on('message', (msg, rinfo) => {
  out({ event: 'datagram', hex: msg.toString('hex') });
  if (mode === 'echo') sock.send(msg, rinfo.port, rinfo.address);
  else if (mode.startsWith('reply:')) sock.send(Buffer.from(mode.slice(6), 'hex'), rinfo.port, rinfo.address);
});
sock.bind(port, '::', () => out({ ready: true }));

createInterface({ input: process.stdin }).on('line', (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    return;
  }
  if (cmd.mode !== undefined) mode = cmd.mode;
  out({ id: cmd.id, ok: true });
});
