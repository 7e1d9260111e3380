// Test HTTP(S) server for the probe lab. Usage: node http.mjs PORT [--tls CERT KEY]
// Prints JSON lines: {ready}, {event:'request', head}, {event:'sni', servername}.
// Stdin JSON lines switch its behaviour: {id, status?, body?, mode?} -> {id, ok:true}.
// Modes: normal | silent (accepts, never answers) | garbage (bytes that are not HTTP, then close)
//        | midclose (promises 1000 bytes, sends 10, closes) | trickle (header then a byte a
//        second, forever) | keepalive (answers with Content-Length and keeps the connection open)
//        | headeronly-close (closes in the middle of the header).
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const port = Number(process.argv[2]);
const useTls = process.argv[3] === '--tls';
const state = { status: 200, body: 'hello from the real server\n', mode: 'normal' };
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sockets = new Set();

function answer(sock, head) {
  out({ event: 'request', head });
  const body = Buffer.from(state.body);
  switch (state.mode) {
    case 'silent':
      return;
    case 'garbage':
      sock.end(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a, 0x42]));
      return;
    case 'headeronly-close':
      sock.end('HTTP/1.0 200 OK\r\nContent-Len');
      return;
    case 'midclose':
      sock.write('HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789');
      setTimeout(() => sock.destroy(), 50);
      return;
    case 'trickle': {
      sock.write('HTTP/1.0 200 OK\r\n\r\n');
      const t = setInterval(() => (sock.destroyed ? clearInterval(t) : sock.write('x')), 200);
      return;
    }
    case 'keepalive':
      sock.write(`HTTP/1.1 ${state.status} X\r\nContent-Length: ${body.length}\r\n\r\n`);
      sock.write(body);
      return;
    default:
      sock.write(`HTTP/1.0 ${state.status} Status\r\nContent-Type: text/plain\r\n\r\n`);
      sock.end(body);
  }
}

function onConnection(sock) {
  sockets.add(sock);
  sock.on('close', () => sockets.delete(sock));
  sock.on('error', () => {});
  let buf = '';
  let answered = false;
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    const at = buf.indexOf('\r\n\r\n');
    if (!answered && at >= 0) {
      answered = true;
      answer(sock, buf.slice(0, at + 4));
    }
  });
}

let server;
if (useTls) {
  server = tls.createServer({ cert: readFileSync(process.argv[4]), key: readFileSync(process.argv[5]) }, onConnection);
  server.on('secureConnection', (s) => out({ event: 'sni', servername: s.servername || null }));
  server.on('tlsClientError', () => {});
} else {
  server = net.createServer(onConnection);
}
server.listen({ port, host: '::' }, () => out({ ready: true }));

createInterface({ input: process.stdin }).on('line', (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    return;
  }
  if (cmd.status !== undefined) state.status = cmd.status;
  if (cmd.body !== undefined) state.body = cmd.body;
  if (cmd.mode !== undefined) state.mode = cmd.mode;
  out({ id: cmd.id, ok: true });
});
