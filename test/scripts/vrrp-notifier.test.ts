import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotifyFifos } from '../../src/adapters/scripts/notify-fifo.js';
import { NotifyRunner } from '../../src/adapters/scripts/notify-runner.js';
import { SmtpAlerter } from '../../src/adapters/scripts/smtp-alert.js';
import { VrrpNotifier, smtpAlertEnabled } from '../../src/adapters/scripts/vrrp-notifier.js';
import { scriptDir, waitFor, writeScript } from './helpers.js';

const { dir, cleanup } = scriptDir('notifier');
afterAll(cleanup);

describe('VrrpNotifier (a committed notify effect → scripts, fifo, mail)', () => {
  it('smtp_alert: the instance\'s own setting, else smtp_alert_vrrp, else smtp_alert', () => {
    expect(smtpAlertEnabled(undefined, {})).toBe(false);
    expect(smtpAlertEnabled(undefined, { smtpAlert: true })).toBe(true);
    expect(smtpAlertEnabled(undefined, { smtpAlert: true, smtpAlertVrrp: false })).toBe(false);
    expect(smtpAlertEnabled(false, { smtpAlertVrrp: true })).toBe(false);
    expect(smtpAlertEnabled(true, {})).toBe(true);
  });

  it('runs the instance\'s scripts, writes the fifo line and mails only where smtp_alert is on', async () => {
    const log = join(dir, 'calls');
    const rec = writeScript(dir, 'rec.sh', `echo "$*" >> "${log}"`);
    const fifoPath = join(dir, 'fifo');
    const subjects: string[] = [];
    const server = createServer((s) => {
      s.write('220 hi\r\n');
      s.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\r\n')) {
          if (line.startsWith('Subject: ')) subjects.push(line.slice(9));
          if (/^(HELO|MAIL|RCPT)/.test(line) || line === '.') s.write('250 ok\r\n');
          else if (line === 'DATA') s.write('354 go\r\n');
          else if (line === 'QUIT') s.end('221 bye\r\n');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;

    const scripts = new NotifyRunner({ log: () => {} });
    const fifos = NotifyFifos.open({ vrrpNotifyFifo: { path: fifoPath }, enableScriptSecurity: false }, { log: () => {} });
    const cat = spawn('cat', [fifoPath], { stdio: ['ignore', 'pipe', 'ignore'] });
    let fifoText = '';
    cat.stdout.on('data', (d: Buffer) => (fifoText += d.toString()));
    const mailer = new SmtpAlerter(
      { host: '127.0.0.1', port, connectTimeoutMs: 2000, heloName: 'h', from: 'k@h', to: ['ops@example.com'], routerId: 'lb1' },
      { log: () => {} },
    );
    const notifier = new VrrpNotifier(
      {
        globalDefs: {},
        vrrpInstances: [
          { name: 'VI_1', smtpAlert: true, notifyMaster: { argv: [rec, 'master-of-VI_1'] }, notify: { argv: [rec] } },
          { name: 'VI_2', notify: { argv: [rec] } },
        ],
        vrrpSyncGroups: [{ name: 'VG_1', notifyMaster: { argv: [rec, 'group-master'] } }],
      },
      { scripts, fifos, mailer },
    );
    notifier.instance('VI_1', 'MASTER', 100);
    notifier.instance('VI_2', 'BACKUP', 90);
    notifier.group('VG_1', 'MASTER');
    await scripts.idle();
    await mailer.idle();
    await waitFor(() => fifoText.split('\n').length === 4, 3000, 'the fifo lines');
    await fifos.close();
    await new Promise((r) => server.close(r));
    expect(existsSync(log) && readFileSync(log, 'utf8')).toBe('master-of-VI_1\nINSTANCE VI_1 MASTER 100\nINSTANCE VI_2 BACKUP 90\ngroup-master\n');
    expect(fifoText).toBe('INSTANCE "VI_1" MASTER 100\nINSTANCE "VI_2" BACKUP 90\nGROUP "VG_1" MASTER 0\n');
    expect(subjects).toEqual(['[lb1] VRRP Instance VI_1 - Entering MASTER state']);
  });
});
