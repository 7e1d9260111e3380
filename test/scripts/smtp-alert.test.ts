import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SmtpAlerter,
  buildSmtpMessage,
  formatRfc822Date,
  sendSmtpMail,
  smtpAlertConfig,
  vrrpAlertText,
  type SmtpAlertConfig,
} from '../../src/adapters/scripts/smtp-alert.js';

interface Session {
  lines: string[];
  helo?: string;
  from?: string;
  rcpt: string[];
  data?: string;
  quit: boolean;
}

/**
 * A small SMTP server on 127.0.0.1 that records each session. `reject` answers a command
 * (by its verb) with a 5xx; `silent` never greets.
 */
function smtpServer(opts: { reject?: string; silent?: boolean; multilineGreeting?: boolean } = {}): Promise<{ server: Server; port: number; sessions: Session[] }> {
  const sessions: Session[] = [];
  const server = createServer((s) => {
    s.on('error', () => {});
    const sess: Session = { lines: [], rcpt: [], quit: false };
    sessions.push(sess);
    if (opts.silent) return;
    s.write(opts.multilineGreeting ? '220-mail.example ESMTP\r\n220 ready\r\n' : '220 mail.example ESMTP\r\n');
    let buf = '';
    let inData = false;
    let data = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            sess.data = data;
            s.write('250 queued\r\n');
          } else data += `${line}\r\n`;
          continue;
        }
        sess.lines.push(line);
        const verb = line.split(/[ :]/)[0]!.toUpperCase();
        if (opts.reject === verb) {
          s.write('550 rejected\r\n');
          continue;
        }
        if (verb === 'HELO') (sess.helo = line.slice(5)), s.write('250 hello\r\n');
        else if (line.startsWith('MAIL FROM:')) (sess.from = line.slice(10)), s.write('250 ok\r\n');
        else if (line.startsWith('RCPT TO:')) (sess.rcpt.push(line.slice(8)), s.write('250 ok\r\n'));
        else if (verb === 'DATA') (inData = true), s.write('354 go ahead\r\n');
        else if (verb === 'QUIT') (sess.quit = true), s.end('221 bye\r\n');
        else s.write('500 what\r\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, sessions })));
}

let open: Server | undefined;
afterEach(async () => {
  if (open) await new Promise((r) => open!.close(r));
  open = undefined;
});

function cfg(port: number, extra: Partial<SmtpAlertConfig> = {}): SmtpAlertConfig {
  return {
    host: '127.0.0.1',
    port,
    connectTimeoutMs: 2000,
    heloName: 'lb1.example',
    from: 'keepalived@lb1.example',
    to: ['ops@example.com', 'oncall@example.org'],
    routerId: 'LVS_DEVEL',
    ...extra,
  };
}

const DATE = new Date(2026, 10, 25, 3, 10, 52);

describe('smtp_alert wording and message (keepalived core/smtp.c, vrrp_notify.c)', () => {
  it('uses keepalived\'s subjects and bodies for instances and groups', () => {
    expect(vrrpAlertText({ type: 'INSTANCE', name: 'VI_1', state: 'MASTER' }, 'LVS_DEVEL')).toEqual({
      subject: '[LVS_DEVEL] VRRP Instance VI_1 - Entering MASTER state',
      body: '=> VRRP Instance is now owning VRRP VIPs <=',
    });
    expect(vrrpAlertText({ type: 'INSTANCE', name: 'VI_1', state: 'BACKUP' }, 'r').body).toBe('=> VRRP Instance is no longer owning VRRP VIPs <=');
    expect(vrrpAlertText({ type: 'INSTANCE', name: 'VI_1', state: 'STOP' }, 'r')).toEqual({
      subject: '[r] VRRP Instance VI_1 - Stopping',
      body: '=> VRRP Instance stopping <=',
    });
    expect(vrrpAlertText({ type: 'GROUP', name: 'VG_1', state: 'FAULT' }, 'r')).toEqual({
      subject: '[r] VRRP Group VG_1 - Entering FAULT state',
      body: '=> All VRRP group instances are now in FAULT state <=',
    });
  });

  it('formats the Date header as strftime %a, %d %b %Y %H:%M:%S %z', () => {
    expect(formatRfc822Date(DATE)).toMatch(/^Wed, 25 Nov 2026 03:10:52 [+-]\d{4}$/);
  });

  it('builds headers in keepalived\'s order, dot-stuffs the body, and keeps header values on one line', () => {
    const msg = buildSmtpMessage({ from: 'a@b', to: ['x@y', 'z@w'] }, 'sub\r\nBcc: evil@example.com', '.leading dot\nsecond', DATE);
    const [head, body] = msg.split('\r\n\r\n');
    expect(head!.split('\r\n').map((l) => l.split(':')[0])).toEqual(['Date', 'From', 'Subject', 'X-Mailer', 'To']);
    expect(head).toContain('Subject: sub  Bcc: evil@example.com');
    expect(head).toContain('To: x@y, z@w');
    expect(body).toBe('..leading dot\r\nsecond\r\n');
  });

  it('takes its settings from global_defs with keepalived\'s defaults, or none without a server or recipients', () => {
    const g = {
      notificationEmail: ['ops@example.com'],
      smtpServer: { host: '192.0.2.25', port: 25 },
      smtpConnectTimeoutMs: 30_000,
      routerId: 'lb1',
    };
    expect(smtpAlertConfig(g, 'host1')).toEqual({
      host: '192.0.2.25',
      port: 25,
      connectTimeoutMs: 30_000,
      heloName: 'host1',
      from: 'keepalived@host1',
      to: ['ops@example.com'],
      routerId: 'lb1',
    });
    expect(smtpAlertConfig({ ...g, notificationEmail: [] }, 'h')).toBeUndefined();
    const { smtpServer: _, ...noServer } = g;
    expect(smtpAlertConfig(noServer, 'h')).toBeUndefined();
  });
});

describe('smtp_alert against an SMTP server on 127.0.0.1', () => {
  it('sends HELO, MAIL FROM, one RCPT TO per address, DATA with the message, then QUIT', async () => {
    const srv = await smtpServer({ multilineGreeting: true });
    open = srv.server;
    const logs: string[] = [];
    const alerter = new SmtpAlerter(cfg(srv.port), { log: (l) => logs.push(l), now: () => DATE });
    expect(alerter.vrrpTransition({ type: 'INSTANCE', name: 'VI_1', state: 'MASTER' })).toBe(true);
    await alerter.idle();
    expect(logs).toEqual(['SMTP alert successfully sent.']);
    const s = srv.sessions[0]!;
    expect(s.lines.slice(0, 5)).toEqual([
      'HELO lb1.example',
      'MAIL FROM:<keepalived@lb1.example>',
      'RCPT TO:<ops@example.com>',
      'RCPT TO:<oncall@example.org>',
      'DATA',
    ]);
    expect(s.data).toBe(
      `Date: ${formatRfc822Date(DATE)}\r\n` +
        'From: keepalived@lb1.example\r\n' +
        'Subject: [LVS_DEVEL] VRRP Instance VI_1 - Entering MASTER state\r\n' +
        'X-Mailer: Keepalived\r\n' +
        'To: ops@example.com, oncall@example.org\r\n' +
        '\r\n' +
        '=> VRRP Instance is now owning VRRP VIPs <=\r\n',
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(s.quit).toBe(true);
  });

  it('mails each state once, in order, like keepalived\'s last_email_state', async () => {
    const srv = await smtpServer();
    open = srv.server;
    const alerter = new SmtpAlerter(cfg(srv.port, { to: ['ops@example.com'] }), { log: () => {} });
    alerter.vrrpTransition({ type: 'INSTANCE', name: 'VI_1', state: 'BACKUP' });
    expect(alerter.vrrpTransition({ type: 'INSTANCE', name: 'VI_1', state: 'BACKUP' })).toBe(false);
    alerter.vrrpTransition({ type: 'INSTANCE', name: 'VI_1', state: 'MASTER' });
    alerter.vrrpTransition({ type: 'GROUP', name: 'VG_1', state: 'MASTER' });
    await alerter.idle();
    expect(alerter.sent).toBe(3);
    expect(srv.sessions.map((s) => /Subject: (.*)\r\n/.exec(s.data ?? '')?.[1])).toEqual([
      '[LVS_DEVEL] VRRP Instance VI_1 - Entering BACKUP state',
      '[LVS_DEVEL] VRRP Instance VI_1 - Entering MASTER state',
      '[LVS_DEVEL] VRRP Group VG_1 - Entering MASTER state',
    ]);
  });

  it('logs a rejected recipient with the status code, never throws', async () => {
    const srv = await smtpServer({ reject: 'RCPT' });
    open = srv.server;
    const r = await sendSmtpMail(cfg(srv.port), 's', 'b', DATE);
    expect(r).toEqual({ ok: false, error: `Error processing RCPT cmd on SMTP server 127.0.0.1:${srv.port}. SMTP status code = 550` });
  });

  it('a server that never greets times out after smtp_connect_timeout', async () => {
    const srv = await smtpServer({ silent: true });
    open = srv.server;
    const started = Date.now();
    const r = await sendSmtpMail(cfg(srv.port, { connectTimeoutMs: 300 }), 's', 'b', DATE);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain('Timeout reading data from remote SMTP server');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a refused connection is a log line from the alerter, and the next mail is still tried', async () => {
    const srv = await smtpServer();
    const port = srv.port;
    await new Promise((r) => srv.server.close(r)); // nothing listens there now
    const logs: string[] = [];
    const alerter = new SmtpAlerter(cfg(port), { log: (l) => logs.push(l) });
    alerter.vrrpTransition({ type: 'INSTANCE', name: 'VI_1', state: 'FAULT' });
    alerter.vrrpTransition({ type: 'INSTANCE', name: 'VI_1', state: 'BACKUP' });
    await alerter.idle();
    expect(alerter.failed).toBe(2);
    expect(logs[0]).toMatch(new RegExp(`^SMTP connection ERROR to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });
});
