import { connect, type Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import type { GlobalDefs } from '../../config/types.js';
import { takeReply } from '../probes/smtp-reply.js';
import type { NotifyEvent, NotifyState, ScriptLog } from './types.js';

/**
 * smtp_alert: a mail per VRRP transition, as keepalived sends it (core/smtp.c, vrrp_notify.c):
 *
 *   HELO <smtp_helo_name>   MAIL FROM:<from>   RCPT TO:<each notification_email>   DATA
 *   Date: <RFC 822 local time>
 *   From: <from>
 *   Subject: [<router_id>] VRRP Instance VI_1 - Entering MASTER state
 *   X-Mailer: Keepalived
 *   To: a@example.com, b@example.com
 *
 *   => VRRP Instance is now owning VRRP VIPs <=
 *   .
 *   QUIT
 *
 * One session at a time, each step bounded by smtp_connect_timeout; any failure is a log line in
 * keepalived's words, never an exception.
 */

export interface SmtpAlertConfig {
  host: string;
  port: number;
  connectTimeoutMs: number;
  heloName: string;
  from: string;
  to: string[];
  routerId: string;
}

/**
 * The alert settings from global_defs, or undefined when mail cannot be sent (keepalived sends
 * only with notification_email and smtp_server set). Defaults as keepalived.conf(5): from
 * keepalived@<local host name>, HELO <local host name>.
 */
export function smtpAlertConfig(
  g: Pick<GlobalDefs, 'notificationEmail' | 'notificationEmailFrom' | 'smtpServer' | 'smtpHeloName' | 'smtpConnectTimeoutMs' | 'routerId'>,
  localName: string = osHostname(),
): SmtpAlertConfig | undefined {
  if (!g.smtpServer || g.notificationEmail.length === 0) return undefined;
  return {
    host: g.smtpServer.host,
    port: g.smtpServer.port,
    connectTimeoutMs: g.smtpConnectTimeoutMs,
    heloName: g.smtpHeloName ?? localName,
    from: g.notificationEmailFrom ?? `keepalived@${localName}`,
    to: [...g.notificationEmail],
    routerId: g.routerId,
  };
}

const INSTANCE_TEXT: Record<NotifyState, [string, string]> = {
  MASTER: ['Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <='],
  BACKUP: ['Entering BACKUP state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  FAULT: ['Entering FAULT state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  STOP: ['Stopping', '=> VRRP Instance stopping <='],
};

const GROUP_TEXT: Record<NotifyState, [string, string]> = {
  MASTER: ['Entering MASTER state', '=> All VRRP group instances are now in MASTER state <='],
  BACKUP: ['Entering BACKUP state', '=> All VRRP group instances are now in BACKUP state <='],
  FAULT: ['Entering FAULT state', '=> All VRRP group instances are now in FAULT state <='],
  STOP: ['Stopping', '=> All VRRP group instances are now stopping <='],
};

/** keepalived's subject and body for a VRRP instance or sync group transition. */
export function vrrpAlertText(ev: Pick<NotifyEvent, 'type' | 'name' | 'state'>, routerId: string): { subject: string; body: string } {
  const [what, body] = (ev.type === 'GROUP' ? GROUP_TEXT : INSTANCE_TEXT)[ev.state];
  const kind = ev.type === 'GROUP' ? 'VRRP Group' : 'VRRP Instance';
  return { subject: `[${routerId}] ${kind} ${ev.name} - ${what}`, body };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** strftime("%a, %d %b %Y %H:%M:%S %z") in local time, the Date header keepalived writes. */
export function formatRfc822Date(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return (
    `${DAYS[d.getDay()]}, ${two(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${sign}${two(Math.floor(a / 60))}${two(a % 60)}`
  );
}

/** A header value or envelope address must not carry a line break (it would inject commands). */
function clean(s: string): string {
  return s.replace(/[\r\n]/g, ' ');
}

/** The DATA payload: headers, blank line, body, with dot-stuffing (RFC 5321 §4.5.2), CRLF lines. */
export function buildSmtpMessage(cfg: Pick<SmtpAlertConfig, 'from' | 'to'>, subject: string, body: string, date: Date): string {
  const headers = [
    `Date: ${formatRfc822Date(date)}`,
    `From: ${clean(cfg.from)}`,
    `Subject: ${clean(subject)}`,
    'X-Mailer: Keepalived',
    `To: ${cfg.to.map(clean).join(', ')}`,
  ];
  const bodyLines = body.split(/\r?\n/).map((l) => (l.startsWith('.') ? `.${l}` : l));
  return `${headers.join('\r\n')}\r\n\r\n${bodyLines.join('\r\n')}\r\n`;
}

export type SmtpResult = { ok: true } | { ok: false; error: string };

/**
 * One SMTP session. Total: settles with ok or the reason, in keepalived's log words, never
 * rejects; the socket is always destroyed at the end.
 */
export function sendSmtpMail(cfg: SmtpAlertConfig, subject: string, body: string, date: Date = new Date()): Promise<SmtpResult> {
  const server = cfg.host.includes(':') ? `[${cfg.host}]:${cfg.port}` : `${cfg.host}:${cfg.port}`;
  return new Promise<SmtpResult>((resolve) => {
    let sock: Socket;
    let settled = false;
    let buf = Buffer.alloc(0);
    let timer: NodeJS.Timeout | undefined;
    // The commands in order; each waits for its reply code.
    type Step = { send?: string; expect: number; what: string };
    const steps: Step[] = [
      { expect: 220, what: 'connecting SMTP server' },
      { send: `HELO ${clean(cfg.heloName)}\r\n`, expect: 250, what: 'processing HELO cmd on SMTP server' },
      { send: `MAIL FROM:<${clean(cfg.from)}>\r\n`, expect: 250, what: 'processing MAIL cmd on SMTP server' },
      ...cfg.to.map((rcpt) => ({ send: `RCPT TO:<${clean(rcpt)}>\r\n`, expect: 250, what: 'processing RCPT cmd on SMTP server' })),
      { send: 'DATA\r\n', expect: 354, what: 'processing DATA cmd on SMTP server' },
      { send: `${buildSmtpMessage(cfg, subject, body, date)}.\r\n`, expect: 250, what: 'processing DOT cmd on SMTP server' },
    ];
    let step = 0;

    const finish = (r: SmtpResult): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (r.ok) {
        // Polite end; the answer does not matter (keepalived does not check it either).
        try {
          sock.end('QUIT\r\n');
        } catch {
          /* gone */
        }
        setTimeout(() => sock.destroy(), 1000).unref();
      } else {
        sock.destroy();
      }
      resolve(r);
    };
    const arm = (what: string): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => finish({ ok: false, error: `Timeout ${what} ${server}.` }), cfg.connectTimeoutMs);
    };

    try {
      sock = connect({ host: cfg.host, port: cfg.port });
    } catch (e) {
      resolve({ ok: false, error: `SMTP connection ERROR to ${server}: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
    arm('connecting SMTP server');
    sock.on('error', (e) => finish({ ok: false, error: `SMTP connection ERROR to ${server}: ${e.message}` }));
    sock.on('close', () => finish({ ok: false, error: `Remote SMTP server ${server} has closed the connection.` }));
    sock.on('connect', () => arm('reading data from remote SMTP server'));
    sock.on('data', (chunk: Buffer) => {
      if (settled) return;
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const r = takeReply(buf);
        if (r === 'incomplete') return;
        if (r === 'garbage') return finish({ ok: false, error: `Can not read data from remote SMTP server ${server}.` });
        buf = buf.subarray(r.used);
        const cur = steps[step];
        if (!cur) return;
        if (r.code !== cur.expect) return finish({ ok: false, error: `Error ${cur.what} ${server}. SMTP status code = ${r.code}` });
        step++;
        const next = steps[step];
        if (!next) return finish({ ok: true });
        arm('reading data from remote SMTP server');
        sock.write(next.send ?? '');
      }
    });
  });
}

export interface SmtpAlerterOptions {
  log: ScriptLog;
  /** Clock for the Date header (tests pin it). */
  now?: () => Date;
}

/**
 * Sends the alerts one session at a time, in order, and like keepalived (last_email_state) only
 * when the state differs from the one last mailed for that instance or group.
 */
export class SmtpAlerter {
  private chain: Promise<void> = Promise.resolve();
  private readonly lastState = new Map<string, NotifyState>();
  private inFlight = 0;
  sent = 0;
  failed = 0;

  constructor(
    readonly cfg: SmtpAlertConfig,
    private readonly opts: SmtpAlerterOptions,
  ) {}

  /** Queue the mail for a transition (if its state was not mailed last). Returns whether it was queued. */
  vrrpTransition(ev: Pick<NotifyEvent, 'type' | 'name' | 'state'>): boolean {
    const key = `${ev.type} ${ev.name}`;
    if (this.lastState.get(key) === ev.state) return false;
    this.lastState.set(key, ev.state);
    const { subject, body } = vrrpAlertText(ev, this.cfg.routerId);
    this.send(subject, body);
    return true;
  }

  /** Queue one mail with a given subject and body (checker alerts use this). */
  send(subject: string, body: string): void {
    this.inFlight++;
    this.chain = this.chain.then(async () => {
      const r = await sendSmtpMail(this.cfg, subject, body, (this.opts.now ?? (() => new Date()))());
      this.inFlight--;
      if (r.ok) {
        this.sent++;
        this.opts.log('SMTP alert successfully sent.');
      } else {
        this.failed++;
        this.opts.log(r.error);
      }
    });
  }

  get pending(): number {
    return this.inFlight;
  }

  /** Settles when every queued mail has been tried. */
  idle(): Promise<void> {
    return this.chain;
  }
}
