import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotifyRunner, notifyCommands } from '../../src/adapters/scripts/notify-runner.js';
import type { NotifyEvent } from '../../src/adapters/scripts/types.js';
import { processGone, scriptDir, waitFor, writeScript } from './helpers.js';

const { dir, cleanup } = scriptDir('notify');
afterAll(cleanup);

/** Records each call's argv (NUL between arguments, \x01 after a call) into `log`. */
function recorder(name: string, log: string, extra = ''): string {
  return writeScript(dir, name, `${extra}\nprintf '%s\\0' "$0" "$@" >> "${log}"\nprintf '\\001' >> "${log}"`);
}
function records(log: string): string[][] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\x01')
    .filter((r) => r !== '')
    .map((r) => r.split('\0').slice(0, -1));
}

const ev = (state: NotifyEvent['state'], priority: number, name = 'VI_1'): NotifyEvent => ({ type: 'INSTANCE', name, state, priority });

describe('notifyCommands (what keepalived runs for a state change)', () => {
  it('runs the state script with its own arguments, then notify with TYPE NAME STATE PRIORITY', () => {
    const cmds = notifyCommands(ev('MASTER', 150), {
      notifyMaster: { argv: ['/etc/k/master.sh', 'a b'] },
      notifyBackup: { argv: ['/etc/k/backup.sh'] },
      notify: { argv: ['/etc/k/notify.sh', 'x'] },
    });
    expect(cmds.map((c) => [c.keyword, c.argv])).toEqual([
      ['notify_master', ['/etc/k/master.sh', 'a b']],
      ['notify', ['/etc/k/notify.sh', 'x', 'INSTANCE', 'VI_1', 'MASTER', '150']],
    ]);
  });

  it('passes priority 0 for a sync group and STOP/FAULT states by their keywords', () => {
    const g: NotifyEvent = { type: 'GROUP', name: 'VG_1', state: 'FAULT', priority: 99 };
    const cmds = notifyCommands(g, { notifyFault: { argv: ['/f'] }, notify: { argv: ['/n'] } });
    expect(cmds.map((c) => c.argv)).toEqual([['/f'], ['/n', 'GROUP', 'VG_1', 'FAULT', '0']]);
    expect(notifyCommands(ev('STOP', 1), { notifyStop: { argv: ['/s'] } }).map((c) => c.keyword)).toEqual(['notify_stop']);
    expect(notifyCommands(ev('BACKUP', 1), { notifyMaster: { argv: ['/m'] } })).toEqual([]);
  });
});

describe('NotifyRunner on real scripts', () => {
  it('passes a name with blanks, quotes and shell syntax as one argument, untouched', async () => {
    const log = join(dir, 'argv.log');
    const rec = recorder('argv.sh', log);
    const logs: string[] = [];
    const runner = new NotifyRunner({ log: (l) => logs.push(l) });
    const nasty = `VI "1" it's $HOME; touch ${join(dir, 'pwned')} \`id\``;
    runner.notify(ev('BACKUP', 90, nasty), { notify: { argv: [rec, 'conf arg'] } });
    await runner.idle();
    expect(records(log)).toEqual([[rec, 'conf arg', 'INSTANCE', nasty, 'BACKUP', '90']]);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(logs).toEqual([]);
  });

  it('runs a burst of effects strictly in log order, the state script before notify', async () => {
    const log = join(dir, 'order.log');
    // The state script and even priorities sleep: without the queue the others would overtake them.
    const master = recorder('order-master.sh', log, 'sleep 0.02');
    const generic = recorder('order-notify.sh', log, `case "$4" in *[02468]) sleep 0.03;; esac`);
    const runner = new NotifyRunner({ log: () => {} });
    const scripts = { notifyMaster: { argv: [master] }, notifyBackup: { argv: [master] }, notify: { argv: [generic] } };
    const states = ['MASTER', 'BACKUP'] as const;
    for (let i = 1; i <= 16; i++) runner.notify(ev(states[i % 2]!, i), scripts);
    expect(runner.pending).toBe(32);
    await runner.idle();
    const got = records(log);
    const expected: string[][] = [];
    for (let i = 1; i <= 16; i++) {
      expected.push([master]);
      expected.push([generic, 'INSTANCE', 'VI_1', states[i % 2]!, String(i)]);
    }
    expect(got).toEqual(expected);
  });

  it('kills a hanging notify script (and what it started) after the timeout, then goes on', async () => {
    const log = join(dir, 'hang.log');
    const pidFile = join(dir, 'notify-grandchild.pid');
    const hang = writeScript(dir, 'hang.sh', `sleep 30 &\necho $! > "${pidFile}"\nwait`);
    const after = recorder('after.sh', log);
    const logs: string[] = [];
    const runner = new NotifyRunner({ log: (l) => logs.push(l), timeoutMs: 300, killGraceMs: 300 });
    runner.notify(ev('MASTER', 100), { notifyMaster: { argv: [hang] }, notify: { argv: [after] } });
    runner.notify(ev('BACKUP', 100), { notify: { argv: [after] } });
    await runner.idle();
    expect(records(log).map((r) => r[3])).toEqual(['MASTER', 'BACKUP']);
    expect(logs).toContain('notify_master script for instance VI_1 (MASTER) timed out after 300 ms - process group killed');
    const grandchild = Number(readFileSync(pidFile, 'utf8').trim());
    await waitFor(() => processGone(grandchild), 3000, 'the grandchild to die');
  });

  it('a missing or refused script is a log line; the next one still runs', async () => {
    const log = join(dir, 'refused.log');
    const after = recorder('refused-after.sh', log);
    const insecure = writeScript(dir, 'ww-notify.sh', 'exit 0', 0o777);
    chmodSync(insecure, 0o777);
    const logs: string[] = [];
    const runner = new NotifyRunner({ log: (l) => logs.push(l), globals: { enableScriptSecurity: true } });
    runner.notify(ev('MASTER', 100), { notifyMaster: { argv: [join(dir, 'missing.sh')] }, notify: { argv: [after] } });
    runner.notify(ev('FAULT', 0), { notifyFault: { argv: [insecure] }, notify: { argv: [after] } });
    await runner.idle();
    expect(records(log).map((r) => r[3])).toEqual(['MASTER', 'FAULT']);
    expect(logs.some((l) => l.startsWith('Disabling notify_master script for instance VI_1 (MASTER) since not found') && l.includes('missing.sh'))).toBe(true);
    expect(
      logs.some((l) => l.startsWith('Disabling notify_fault script for instance VI_1 (FAULT) due to insecure') && l.includes(`script ${insecure} is world-writable`)),
    ).toBe(true);
  });

  it('runs a notify script as its configured user', async () => {
    const outDir = join(dir, 'nobody-out');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(outDir);
    chmodSync(outDir, 0o777);
    const out = join(outDir, 'id');
    const who = writeScript(dir, 'notify-who.sh', `id -u > "${out}"`);
    const runner = new NotifyRunner({ log: () => {} });
    runner.notify(ev('MASTER', 100), { notifyMaster: { argv: [who], user: 'nobody' } });
    await runner.idle();
    expect(readFileSync(out, 'utf8').trim()).toBe('65534');
  });
});
