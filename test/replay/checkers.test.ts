import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/replay.js';
import { EventLog } from '../../src/store/event-log.js';
import type { NewEvent } from '../../src/store/schema.js';
import { configOf, EPOCH, LB1 } from './fixture.js';

const root = mkdtempSync(join(tmpdir(), 'kts-replay-ck-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('replay of a log that also holds checker records', () => {
  it('shows a real-server checker transition with its reason, and verifies the VRRP part alone', async () => {
    const dir = join(root, 'lb1');
    const log = await EventLog.open(dir, { node: 'lb1' });
    const at = (ms: number, e: Omit<NewEvent, 'wallTime' | 'monoTime' | 'node'>): NewEvent => ({ wallTime: EPOCH + ms, monoTime: ms, node: 'lb1', ...e });
    const rs = 'rs/192.0.2.10:80/192.0.2.21:80#0';
    log.append([
      at(0, { actor: 'engine', kind: 'config', type: 'config', data: { config: configOf(LB1), programVersion: 'x', schema: 1 } }),
      at(0, { actor: 'engine', kind: 'config', type: 'start', data: { routerId: 'lb1', instances: [{ name: 'VI_1', vrid: 51, priority: 100, primaryAddress: '192.0.2.10' }] } }),
      at(0, { actor: 'vrrp/VI_1', kind: 'input', type: 'startup', data: { type: 'startup', at: 0 } }),
      at(0, { actor: 'vrrp/VI_1', kind: 'transition', type: 'BACKUP', data: { from: 'INIT', to: 'BACKUP', reason: { code: 'startup' }, priority: 100 }, cause: 3 }),
      at(0, { actor: 'vrrp/VI_1', kind: 'effect', type: 'notify', data: { type: 'notify', state: 'BACKUP', priority: 100 }, cause: 3 }),
      at(5000, { actor: rs, kind: 'input', type: 'probe', data: { type: 'probe', at: 5000, ok: false, reason: 'status 503' } }),
      at(5000, { actor: rs, kind: 'transition', type: 'DOWN', data: { from: 'UP', to: 'DOWN', reason: { code: 'probeFailed', reason: 'status 503', attempts: 2 } }, cause: 6 }),
    ]);
    await log.close();
    let out = '';
    expect(await main([dir], { out: (s) => (out += s), err: () => undefined })).toBe(0);
    expect(out).toMatch(/lb1\s+rs\/192\.0\.2\.10:80\/192\.0\.2\.21:80#0\s+UP -> DOWN\s+probeFailed: reason status 503, attempts 2 \(seq 7, cause 6 probe\)/);
    out = '';
    expect(await main([dir, '--verify'], { out: (s) => (out += s), err: () => undefined })).toBe(0);
    expect(out).toContain('0 divergence(s)');
  });
});
