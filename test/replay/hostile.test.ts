import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/replay.js';
import { EventLog } from '../../src/store/event-log.js';
import type { EventKind, NewEvent } from '../../src/store/schema.js';
import { writeFileSync } from 'node:fs';
import { nodeConfigText } from '../engine/lab.js';
import { configOf, LB2 } from './fixture.js';

const root = mkdtempSync(join(tmpdir(), 'kts-replay-hostile-'));
writeFileSync(join(root, 'lb2.conf'), nodeConfigText(LB2));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const KINDS: EventKind[] = ['input', 'transition', 'effect', 'summary', 'config', 'meta'];
const TYPES = ['advert', 'timer', 'script', 'interface', 'shutdown', 'startup', 'syncGroup', 'drop', 'sendAdvert', 'addVips', 'notify', 'MASTER', 'BACKUP', 'start', 'config', 'writeResumed'];

/** Data shaped like the real thing, or not at all. */
const data = fc.oneof(
  fc.anything(),
  fc.record({ type: fc.constantFrom(...TYPES), at: fc.double(), src: fc.oneof(fc.ipV4(), fc.anything()), priority: fc.integer({ min: -5, max: 300 }), maxAdverIntCs: fc.integer({ min: -1, max: 500 }), addresses: fc.oneof(fc.array(fc.ipV4(), { maxLength: 3 }), fc.anything()), name: fc.string(), ok: fc.anything(), up: fc.boolean() }, { requiredKeys: [] }),
  fc.record({ from: fc.constantFrom('INIT', 'BACKUP', 'MASTER', 'FAULT', 'STOP', 'X'), to: fc.constantFrom('INIT', 'BACKUP', 'MASTER', 'FAULT', 'STOP'), reason: fc.oneof(fc.anything(), fc.record({ code: fc.string(), masterDownIntervalMs: fc.anything(), lastMaster: fc.anything() })), priority: fc.anything() }, { requiredKeys: [] }),
  fc.record({ key: fc.string(), kind: fc.constantFrom('input', 'effect', 'x'), count: fc.oneof(fc.integer({ min: -2, max: 50 }), fc.double(), fc.constant(1e15)), first: fc.anything(), last: fc.anything(), sample: fc.anything() }, { requiredKeys: [] }),
  fc.record({ routerId: fc.string(), instances: fc.oneof(fc.anything(), fc.array(fc.record({ name: fc.constantFrom('VI_1', 'VI_2'), vrid: fc.anything(), primaryAddress: fc.anything() }, { requiredKeys: [] }))) }, { requiredKeys: [] }),
);

const event = fc.record({
  kind: fc.constantFrom(...KINDS),
  type: fc.constantFrom(...TYPES),
  actor: fc.constantFrom('vrrp/VI_1', 'vrrp/VI_2', 'engine', 'rs/x'),
  data,
  dt: fc.double({ min: 0, max: 5000, noNaN: true }),
  cause: fc.option(fc.integer({ min: -3, max: 60 }), { nil: undefined }),
});

let n = 0;

describe('replay never crashes on what a log holds', () => {
  it('timeline, --verify, --html and --what-if on logs of arbitrary records: an exit status, no throw, no stack trace', async () => {
    const config = configOf(LB2);
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(event, { maxLength: 40 }), async (withConfig, events) => {
        const dir = join(root, `log-${n++}`);
        const log = await EventLog.open(dir, { node: 'lb2' });
        let t = 1_795_000_000_000;
        let mono = 0;
        const batch: NewEvent[] = [];
        if (withConfig) {
          batch.push({ wallTime: t, monoTime: 0, node: 'lb2', actor: 'engine', kind: 'config', type: 'config', data: { config, programVersion: 'x', schema: 1 } });
          batch.push({ wallTime: t, monoTime: 0, node: 'lb2', actor: 'engine', kind: 'config', type: 'start', data: { routerId: 'lb2', instances: [{ name: 'VI_1', vrid: 51, priority: 150, primaryAddress: '192.0.2.11' }] } });
        }
        for (const e of events) {
          t += e.dt;
          mono += e.dt;
          const ev: NewEvent = { wallTime: t, monoTime: mono, node: 'lb2', actor: e.actor, kind: e.kind, type: e.type, data: e.data };
          if (e.cause !== undefined) ev.cause = e.cause;
          batch.push(ev);
        }
        log.append(batch);
        await log.close();
        const conf = join(root, 'lb2.conf');
        for (const argv of [[dir], [dir, '--verify', '--json'], [dir, '--html', join(root, 'p.html')], [dir, '--what-if', conf]]) {
          let err = '';
          const code = await main(argv, { out: () => undefined, err: (s) => (err += s) });
          expect([0, 1]).toContain(code);
          expect(err).not.toMatch(/\n\s+at /);
          expect(err).not.toContain('internal error');
        }
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
