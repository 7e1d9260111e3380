// A small SMTP server for SMTP_CHECK. Usage: node smtp.mjs PORT
// Prints {ready}, {event:'line', line} for each client line. Stdin: {id, mode} -> {id, ok:true}.
// Modes: ok | multiline (220- continuation greeting) | badbanner (554) | badhelo (501 to HELO)
//        | silent (never greets) | garbage (non-SMTP bytes) | close-after-helo (hangs up, no 250).
import net from 'node:net';
import { createInterface } from 'node:readline';

const port = Number(process.argv[2]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let mode = 'ok';

net
  .createServer((s) => {
    s.on('error', () => {});
    if (mode === 'silent') return;
    if (mode === 'garbage') return s.end('\x00\x01\x02 hello?\r\n');
    if (mode === 'badbanner') s.write('554 no service here\r\n');
    else if (mode === 'multiline') s.write('220-mail.example ESMTP\r\n220-second line\r\n220 ready\r\n');
    else s.write('220 mail.example ESMTP test\r\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let nl;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        out({ event: 'line', line });
        if (/^HELO /i.test(line)) {
          if (mode === 'badhelo') s.write('501 bad HELO\r\n');
          else if (mode === 'close-after-helo') s.destroy();
          else s.write('250 mail.example pleased to meet you\r\n');
        } else if (/^QUIT/i.test(line)) s.end('221 bye\r\n');
        else s.write('500 what?\r\n');
      }
    });
  })
  .listen({ port, host: '::' }, () => out({ ready: true }));

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
