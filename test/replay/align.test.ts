import { describe, expect, it } from 'vitest';
import { alignClocks, type AdvertPoint } from '../../src/replay/align.js';

const F100 = '100/100/198.51.100.1';
const F150 = '150/100/198.51.100.1';
const F90 = '90/100/198.51.100.1';
let seq = 0;
const send = (node: string, src: string, fields: string, wall: number): AdvertPoint => ({ node, vrid: 1, src, fields, wall, seq: ++seq });
const recv = send;

describe('clock alignment from adverts sent and received', () => {
  // True time t; clock of b = t + 5000; one-way delay 2 ms a→b, 4 ms b→a.
  const theta = 5000;
  const A = '192.0.2.10';
  const B = '192.0.2.11';

  it('recovers the offset within half the round trip, and says so', () => {
    const sends = [send('a', A, F150, 1000), send('a', A, F90, 11_000), send('b', B, F100, 14_000 + theta), send('a', A, F150, 24_000)];
    const receives = [
      recv('b', A, F150, 1000 + 2 + theta),
      recv('b', A, F90, 11_000 + 2 + theta),
      recv('a', B, F100, 14_000 + 4),
      recv('b', A, F150, 24_000 + 2 + theta),
    ];
    const al = alignClocks(['a', 'b'], sends, receives);
    const o = al.offsets.get('b')!;
    // (d_ab − d_ba)/2 = ((2 + θ) − (4 − θ))/2 = θ − 1; bound ±3 (half the 6 ms round trip).
    expect(o.offsetMs).toBeCloseTo(theta - 1, 6);
    expect(o.low).toBeCloseTo(theta - 4, 6);
    expect(o.high).toBeCloseTo(theta + 2, 6);
    expect(o.how).toContain('±3.000 ms');
    expect(al.offsets.get('a')!.offsetMs).toBe(0);
  });

  it('is not fooled by a late joiner or by a stream seen again after a restart', () => {
    const sends = [send('a', A, F150, 1000), send('a', A, F150, 60_000), send('b', B, F100, 30_000 + theta), send('b', B, F100, 90_000 + theta)];
    const receives = [
      // b started late: its first advert from a is the 8th of a's stream (7 s after the first).
      recv('b', A, F150, 8000 + 2 + theta),
      // a's stream again after a's restart: the true pair is with the send at 60 s.
      recv('b', A, F150, 60_000 + 2 + theta),
      recv('a', B, F100, 30_000 + 4),
      recv('a', B, F100, 90_000 + 4),
    ];
    const o = alignClocks(['a', 'b'], sends, receives).offsets.get('b')!;
    expect(Math.abs(o.offsetMs - theta)).toBeLessThanOrEqual(3);
  });

  it('with adverts one way only, gives a one-sided bound; with none, says the clock is unknown', () => {
    const one = alignClocks(['a', 'b'], [send('a', A, F150, 1000)], [recv('b', A, F150, 1000 + 2 + theta)]).offsets.get('b')!;
    expect(one.offsetMs).toBeCloseTo(theta + 2, 6);
    expect(one.high).toBeCloseTo(theta + 2, 6);
    expect(one.low).toBe(-Infinity);
    const none = alignClocks(['a', 'b', 'c'], [send('a', A, F150, 1000)], [recv('b', A, F150, 1002 + theta)]).offsets.get('c')!;
    expect(none.how).toMatch(/^unknown/);
  });

  it('aligns a node through another when it never exchanged adverts with the reference', () => {
    const C = '192.0.2.12';
    // c's clock = t + 700; every delay 1 ms.
    const sends = [send('a', A, F150, 1000), send('b', B, F100, 2000 + theta), send('c', C, F90, 3000 + 700), send('b', B, F150, 4000 + theta)];
    const receives = [recv('b', A, F150, 1001 + theta), recv('a', B, F100, 2001), recv('b', C, F90, 3001 + theta), recv('c', B, F150, 4001 + 700)];
    const o = alignClocks(['a', 'b', 'c'], sends, receives).offsets.get('c')!;
    expect(o.offsetMs).toBeCloseTo(700, 6);
    expect(o.how).toContain('via b');
  });
});
