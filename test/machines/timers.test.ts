import { describe, expect, it } from 'vitest';
import { advertIntCs, masterDownIntervalMs, skewTimeMs, skewTimeUs } from '../../src/machines/vrrp/timers.js';

describe('VRRP timer formulas', () => {
  it('v2 skew time is (256 - priority)/256 s, independent of the advert interval', () => {
    expect(skewTimeMs(2, 100, 100)).toBe(609.375);
    expect(skewTimeMs(2, 100, 300)).toBe(609.375);
    expect(skewTimeMs(2, 255, 100)).toBe(3.906);
    expect(skewTimeUs(2, 1, 100)).toBe(996093);
  });

  it('v3 skew time is ((256 - priority) x Master_Adver_Interval)/256, in µs like keepalived', () => {
    expect(skewTimeMs(3, 200, 100)).toBe(218.75);
    // Half the interval, half the skew.
    expect(skewTimeMs(3, 200, 50)).toBe(109.375);
    expect(skewTimeUs(3, 255, 1)).toBe(39);
  });

  it('v2, advert_int 1 s, priority 100: master down after 3.609 s', () => {
    expect(masterDownIntervalMs(2, 100, 100)).toBe(3609.375);
    expect((masterDownIntervalMs(2, 100, 100) / 1000).toFixed(3)).toBe('3.609');
  });

  it('v3, advert_int 1 s, priority 200: master down after 3.219 s', () => {
    expect(masterDownIntervalMs(3, 200, 100)).toBe(3218.75);
    expect((masterDownIntervalMs(3, 200, 100) / 1000).toFixed(3)).toBe('3.219');
  });

  it('v3 master down follows a learnt Master_Adver_Interval', () => {
    // 2 s learnt from the master: 6 s + 2 x 218.75 ms.
    expect(masterDownIntervalMs(3, 200, 200)).toBe(6437.5);
  });

  it('the advert interval is whole seconds for v2 and centiseconds for v3 (keepalived rounding)', () => {
    expect(advertIntCs(2, 1000)).toBe(100);
    expect(advertIntCs(2, 1400)).toBe(100);
    expect(advertIntCs(2, 1600)).toBe(200);
    expect(advertIntCs(2, 100)).toBe(100);
    expect(advertIntCs(3, 920)).toBe(92);
    expect(advertIntCs(3, 1)).toBe(1);
    expect(advertIntCs(3, 50_000)).toBe(4095);
  });
});
