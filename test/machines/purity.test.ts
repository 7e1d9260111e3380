import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import type { VrrpInput } from '../../src/machines/vrrp/contract.js';
import { vrrpMachine } from '../../src/machines/vrrp/machine.js';
import { createPureStepper } from '../../src/machines/vrrp/pure-step.js';
import { deriveSettings } from '../../src/machines/vrrp/settings.js';
import { globals, instance, rx, timer } from './fixtures.js';

const root = join(import.meta.dirname, '../../src/machines');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Strip comments so a comment that mentions Date.now does not count. */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

describe('machines are pure', () => {
  it('no clock, no timers, no node: imports, no process in src/machines', () => {
    const files = sources(root);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const c = code(readFileSync(f, 'utf8'));
      for (const banned of [/Date\.now/, /new Date\(/, /setTimeout/, /setInterval/, /performance\.now/, /from ['"]node:/, /require\(/, /\bprocess\./]) {
        expect(banned.test(c), `${f} uses ${banned}`).toBe(false);
      }
    }
  });

  it('the stepper gives the same snapshots and actions as xstate\'s own pure transition()', () => {
    const inputs: VrrpInput[] = [
      { type: 'startup', at: 0 },
      rx(500, '192.0.2.20', 150),
      rx(1500, '192.0.2.20', 0),
      timer(2109.375, 'masterDown'),
      timer(3109.375, 'advert'),
      rx(3200, '192.0.2.30', 50),
      { type: 'interface', at: 3300, name: 'eth0', up: false },
      { type: 'interface', at: 3400, name: 'eth0', up: true },
      { type: 'shutdown', at: 3500 },
    ];
    const settings = deriveSettings(instance(), globals());
    const pure = createPureStepper(vrrpMachine, { settings });
    let [ours, ourActions] = pure.initial();
    let [theirs, theirActions] = initialTransition(vrrpMachine, { settings });
    const strip = (a: Array<{ type: string; params?: unknown }>) => a.map((x) => ({ type: x.type, params: x.params }));
    expect(strip(ourActions)).toEqual(strip(theirActions));
    const seen = new Set<string>();
    for (const input of inputs) {
      [ours, ourActions] = pure.step(ours, input);
      [theirs, theirActions] = transition(vrrpMachine, theirs, input);
      expect(ours.value).toEqual(theirs.value);
      expect(ours.context).toEqual(theirs.context);
      expect(strip(ourActions)).toEqual(strip(theirActions));
      seen.add(String(ours.value));
      // Every effect is the one named kind, never executed by xstate.
      for (const a of ourActions) expect(a.type).toBe('vrrp');
    }
    expect([...seen]).toEqual(['BACKUP', 'MASTER', 'FAULT', 'STOP']);
  });

  it('stepping does not mutate the snapshot it is given (replay can branch from any snapshot)', () => {
    const settings = deriveSettings(instance(), globals());
    const pure = createPureStepper(vrrpMachine, { settings });
    const [s0] = pure.initial();
    const [s1] = pure.step(s0, { type: 'startup', at: 0 });
    const frozen = JSON.stringify(s1);
    const [a] = pure.step(s1, timer(3609.375, 'masterDown'));
    const [b] = pure.step(s1, rx(100, '192.0.2.20', 150));
    expect(JSON.stringify(s1)).toBe(frozen);
    expect(a.value).toBe('MASTER');
    expect(b.value).toBe('BACKUP');
  });
});
