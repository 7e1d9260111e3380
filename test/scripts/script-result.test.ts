import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ScriptResult } from '../../src/adapters/scripts/script-result.js';

/** Feed a sequence; return the verdicts reported as changes (true = ok). */
function changes(rise: number, fall: number, initFail: boolean, runs: boolean[]): boolean[] {
  const r = new ScriptResult(rise, fall, initFail);
  const out: boolean[] = [];
  for (const ok of runs) if (r.feed(ok).changed) out.push(r.ok);
  return out;
}

describe('ScriptResult (rise/fall as keepalived counts)', () => {
  it('starts good without init_fail, bad with it', () => {
    expect(new ScriptResult(2, 2, false).ok).toBe(true);
    expect(new ScriptResult(2, 2, false).status).toBe('INIT');
    expect(new ScriptResult(2, 2, true).ok).toBe(false);
    expect(new ScriptResult(2, 2, true).status).toBe('INIT/FAILED');
  });

  it('the first run decides alone while INIT: one failure is enough, one success reports nothing', () => {
    expect(changes(3, 3, false, [false])).toEqual([false]);
    expect(changes(3, 3, false, [true])).toEqual([]);
  });

  it('fall failures in a row make a good script bad; fewer do not', () => {
    // first success: result jumps to the top (rise+fall-1)
    expect(changes(2, 3, false, [true, false, false])).toEqual([]);
    expect(changes(2, 3, false, [true, false, false, false])).toEqual([false]);
    // a success in between resets the count
    expect(changes(2, 3, false, [true, false, false, true, false, false])).toEqual([]);
  });

  it('rise successes in a row make a bad script good', () => {
    expect(changes(3, 1, true, [true, true])).toEqual([]);
    expect(changes(3, 1, true, [true, true, true])).toEqual([true]);
    expect(changes(3, 1, true, [true, true, false, true, true, true])).toEqual([true]);
  });

  it('init_fail: failures while already bad report nothing', () => {
    expect(changes(1, 1, true, [false, false, false])).toEqual([]);
    expect(changes(1, 1, true, [false, true])).toEqual([true]);
  });

  it('feed reports keepalived verdicts even when they do not change what was reported', () => {
    const r = new ScriptResult(1, 1, false);
    expect(r.feed(true)).toEqual({ verdict: 'succeeded', changed: false });
    expect(r.feed(false)).toEqual({ verdict: 'failed', changed: true });
    expect(r.status).toBe('BAD');
  });

  // Reference model in words: after INIT, the verdict flips to bad after `fall` consecutive
  // failures while good, and to good after `rise` consecutive successes while bad.
  fcTest.prop([fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.array(fc.boolean(), { maxLength: 60 })])(
    'matches the consecutive-run model and only reports alternating changes',
    (rise, fall, initFail, runs) => {
      let good = !initFail;
      let streak = 0;
      let first = !initFail;
      const expected: boolean[] = [];
      for (const ok of runs) {
        if (first) {
          first = false;
          if (!ok) {
            good = false;
            expected.push(false);
          }
          streak = 0;
          continue;
        }
        if (ok === good) {
          streak = 0;
          continue;
        }
        streak++;
        if (streak >= (good ? fall : rise)) {
          good = !good;
          expected.push(good);
          streak = 0;
        }
      }
      const got = changes(rise, fall, initFail, runs);
      expect(got).toEqual(expected);
      for (let i = 1; i < got.length; i++) expect(got[i]).not.toBe(got[i - 1]);
    },
  );
});
