/**
 * The daemon's advert path after issue #5: adverts leave at their append, ahead of the event log's
 * commit. A graceful stop must then put exactly ONE priority-0 advert on the wire — the stopped
 * unit's effects are replayed from the committed log to its adapters, and that replay must not send
 * the advert a second time. Counted on the wire (tcpdump in the peer's namespace) and in the log.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type NetnsLab } from '../helpers/netns.js';
import { count, hasVip, startDaemon, vrrpConf, waitFor } from './daemons.js';

const VIP = '192.0.2.100';
let lab: NetnsLab;
let dir: string;

beforeAll(() => {
  lab = createLab(2, { tag: 'advf' });
  dir = mkdtempSync(join(tmpdir(), 'kts-advert-first-'));
  writeFileSync(join(dir, 'a.conf'), vrrpConf('lb-a', 150, VIP));
});

afterAll(() => {
  lab?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('graceful stop with adverts sent at append', () => {
  it('puts exactly one priority-0 advert on the wire, and releases the VIP', async () => {
    const [hostA, hostB] = lab.hosts;
    const capture = lab.spawn(hostB!.ns, ['tcpdump', '-i', 'eth0', '-nn', '-l', '-v', 'ip proto 112'], {});
    let wire = '';
    capture.stdout?.on('data', (b: Buffer) => (wire += b.toString()));
    let tcpdumpErr = '';
    capture.stderr?.on('data', (b: Buffer) => (tcpdumpErr += b.toString()));
    await waitFor('tcpdump to listen', () => tcpdumpErr.includes('listening on'), 5000);

    const a = startDaemon(lab, hostA!.ns, 'a', join(dir, 'a.conf'), dir);
    await waitFor('a to become MASTER', () => a.output().includes('(VI_1) Entering MASTER STATE') && hasVip(lab, hostA!.ns, VIP));
    await waitFor('a advert on the wire', () => /prio 150/.test(wire), 5000);
    process.kill(a.proc.pid!, 'SIGTERM');
    expect(await a.exited).toBe(0);
    // Whatever tcpdump still has in flight: a quarter of a second is plenty on one bridge.
    await new Promise((r) => setTimeout(r, 250));
    capture.kill('SIGTERM');
    expect(count(wire, 'prio 0,')).toBe(1);
    expect(count(a.output(), '(VI_1) sent 0 priority')).toBe(1);
    expect(hasVip(lab, hostA!.ns, VIP)).toBe(false);
  });
});
