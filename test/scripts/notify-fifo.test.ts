import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  NotifyFifo,
  NotifyFifos,
  formatRsFifoLine,
  formatServiceAddress,
  formatVrrpFifoLine,
  formatVsFifoLine,
} from '../../src/adapters/scripts/notify-fifo.js';
import { processGone, scriptDir, waitFor, writeScript } from './helpers.js';

const { dir, cleanup } = scriptDir('fifo');
afterAll(cleanup);

/** A reader process (cat) collecting what comes out of the fifo until EOF. */
function reader(path: string): { text: () => string; done: Promise<void> } {
  const child = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return { text: () => out, done: new Promise((r) => child.once('exit', () => r())) };
}

describe('fifo line formats (keepalived vrrp_notify.c / keepalived.conf(5))', () => {
  it('writes vrrp lines with the name quoted and priority 0 for a group', () => {
    expect(formatVrrpFifoLine({ type: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 })).toBe('INSTANCE "VI_1" MASTER 100\n');
    expect(formatVrrpFifoLine({ type: 'GROUP', name: 'VG_1', state: 'BACKUP', priority: 100 })).toBe('GROUP "VG_1" BACKUP 0\n');
    // a line break in a name cannot forge a second event
    expect(formatVrrpFifoLine({ type: 'INSTANCE', name: 'a\nINSTANCE "b"', state: 'FAULT', priority: 0 })).toBe('INSTANCE "a INSTANCE "b"" FAULT 0\n');
  });

  it('writes checker lines as the man page shows them', () => {
    const vs = formatServiceAddress('192.0.2.15', 'TCP', 80);
    expect(formatVsFifoLine(vs, true)).toBe('VS [192.0.2.15]:tcp:80 UP\n');
    expect(formatRsFifoLine(formatServiceAddress('198.51.100.4', 'TCP', 80), vs, false)).toBe('RS [198.51.100.4]:tcp:80 [192.0.2.15]:tcp:80 DOWN\n');
  });
});

describe('NotifyFifo on a real fifo', () => {
  it('creates the fifo, and a reader process reads the lines back in order; closing removes it', async () => {
    const path = join(dir, 'vrrp_notify_fifo');
    const logs: string[] = [];
    const fifo = NotifyFifo.open({ path }, { log: (l) => logs.push(l), keyword: 'vrrp_notify_fifo' });
    expect(lstatSync(path).isFIFO()).toBe(true);
    expect((lstatSync(path).mode & 0o777).toString(8)).toBe('600');
    const r = reader(path);
    const lines = [
      formatVrrpFifoLine({ type: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 100 }),
      formatVrrpFifoLine({ type: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 }),
      formatVrrpFifoLine({ type: 'GROUP', name: 'VG_1', state: 'MASTER', priority: 0 }),
    ];
    for (const l of lines) expect(fifo.write(l)).toBe(true);
    await waitFor(() => r.text() === lines.join(''), 3000, 'the reader');
    await fifo.close();
    await r.done; // EOF reached the reader once our end closed
    expect(existsSync(path)).toBe(false);
    expect(logs).toEqual([]);
  });

  it('never blocks without a reader: lines are dropped when the pipe is full, and logged once', () => {
    const path = join(dir, 'noreader');
    const logs: string[] = [];
    const fifo = NotifyFifo.open({ path }, { log: (l) => logs.push(l) });
    const line = formatVrrpFifoLine({ type: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 });
    const started = Date.now();
    let ok = 0;
    for (let i = 0; i < 5000; i++) if (fifo.write(line)) ok++;
    expect(Date.now() - started).toBeLessThan(2000);
    // a pipe holds 64 KiB: some fit, the rest are dropped
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(5000);
    expect(fifo.dropped).toBe(5000 - ok);
    expect(logs.filter((l) => l.includes('dropping lines'))).toHaveLength(1);
    return fifo.close();
  });

  it('runs notify_fifo_script with the fifo name as its last argument, and stops it at close', async () => {
    const path = join(dir, 'with_script');
    const out = join(dir, 'script-read');
    const pidFile = join(dir, 'fifo-script.pid');
    const script = writeScript(dir, 'fifo-reader.sh', `echo $$ > "${pidFile}"\nprintf '%s\\n' "$1" "$2" > "${out}.args"\nwhile read line; do echo "$line" >> "${out}"; done < "$2"`);
    const logs: string[] = [];
    const fifo = NotifyFifo.open({ path }, { log: (l) => logs.push(l), script: { argv: [script, 'first'] }, keyword: 'notify_fifo' });
    fifo.write('INSTANCE "VI_1" MASTER 100\n');
    fifo.write('INSTANCE "VI_2" BACKUP 90\n');
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').split('\n').length >= 3, 5000, 'the fifo script');
    expect(readFileSync(`${out}.args`, 'utf8')).toBe(`first\n${path}\n`);
    expect(readFileSync(out, 'utf8')).toBe('INSTANCE "VI_1" MASTER 100\nINSTANCE "VI_2" BACKUP 90\n');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    await fifo.close();
    await waitFor(() => processGone(pid), 3000, 'the fifo script to stop');
  });

  it('refuses a path that exists and is not a fifo, and keeps a fifo it did not create', async () => {
    const plain = join(dir, 'plain-file');
    writeFileSync(plain, '');
    const logs: string[] = [];
    const f = NotifyFifo.open({ path: plain }, { log: (l) => logs.push(l) });
    expect(f.isOpen).toBe(false);
    expect(f.write('x\n')).toBe(false);
    expect(readFileSync(plain, 'utf8')).toBe('');
    expect(logs[0]).toContain('is not a FIFO');

    const path = join(dir, 'pre-existing');
    const a = NotifyFifo.open({ path }, { log: () => {} });
    const b = NotifyFifo.open({ path }, { log: () => {} }); // opens the one a made
    await b.close();
    expect(lstatSync(path).isFIFO()).toBe(true);
    await a.close();
    expect(existsSync(path)).toBe(false);
  });
});

describe('NotifyFifos (global, vrrp and lvs)', () => {
  it('sends vrrp lines to notify_fifo and vrrp_notify_fifo, checker lines to notify_fifo and lvs_notify_fifo', async () => {
    const g = join(dir, 'g');
    const v = join(dir, 'v');
    const l = join(dir, 'l');
    const fifos = NotifyFifos.open(
      { notifyFifo: { path: g }, vrrpNotifyFifo: { path: v }, lvsNotifyFifo: { path: l }, enableScriptSecurity: false },
      { log: () => {} },
    );
    const rg = reader(g);
    const rv = reader(v);
    const rl = reader(l);
    fifos.writeVrrp({ type: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 });
    fifos.writeLvs(formatVsFifoLine('[192.0.2.1]:tcp:80', false));
    await waitFor(() => rg.text().split('\n').length === 3 && rv.text() !== '' && rl.text() !== '', 3000);
    await fifos.close();
    await Promise.all([rg.done, rv.done, rl.done]);
    expect(rg.text()).toBe('INSTANCE "VI_1" MASTER 100\nVS [192.0.2.1]:tcp:80 DOWN\n');
    expect(rv.text()).toBe('INSTANCE "VI_1" MASTER 100\n');
    expect(rl.text()).toBe('VS [192.0.2.1]:tcp:80 DOWN\n');
  });

  it('ignores a vrrp fifo with the global fifo\'s name, as keepalived does', async () => {
    const g = join(dir, 'same');
    const logs: string[] = [];
    const fifos = NotifyFifos.open({ notifyFifo: { path: g }, vrrpNotifyFifo: { path: g }, enableScriptSecurity: false }, { log: (x) => logs.push(x) });
    expect(fifos.vrrp).toBeUndefined();
    expect(logs[0]).toContain('ignoring vrrp FIFO');
    await fifos.close();
  });
});
