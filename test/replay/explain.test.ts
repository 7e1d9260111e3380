import { describe, expect, it } from 'vitest';
import { explainReason, seconds } from '../../src/replay/explain.js';

describe('explainReason: causes in the words of a post-mortem', () => {
  it('names the silent master and the master-down interval in seconds', () => {
    expect(explainReason({ code: 'masterDownTimeout', masterDownIntervalMs: 3609.375, lastMaster: '192.0.2.11' })).toBe(
      'no advert from 192.0.2.11 for 3.609 s (master-down interval)',
    );
    expect(explainReason({ code: 'masterDownTimeout', masterDownIntervalMs: 361.1 })).toBe(
      'no advert for 0.361 s (master-down interval)',
    );
  });

  it('compares priorities of a higher-priority advert', () => {
    expect(explainReason({ code: 'higherPriorityAdvert', from: '192.0.2.12', priority: 150, ourPriority: 100 })).toBe(
      'advert from 192.0.2.12, priority 150 > ours 100',
    );
    expect(explainReason({ code: 'higherPriorityAdvert', from: '192.0.2.12', priority: 100, ourPriority: 100 })).toBe(
      'advert from 192.0.2.12, priority 100 = ours, higher address wins',
    );
  });

  it('says how a track changed the priority', () => {
    expect(explainReason({ code: 'priorityChange', from: 150, to: 90, by: 'track_script chk_nginx failed: weight -60' })).toBe(
      'track_script chk_nginx failed: weight -60 → priority 90 (was 150)',
    );
  });

  it('renders ms as seconds with three decimals', () => {
    expect(seconds(609.375)).toBe('0.609 s');
    expect(seconds(3219)).toBe('3.219 s');
  });
});
