/**
 * VRRP timer formulas (RFC 3768 §6.1, RFC 5798 §6.1), computed the way keepalived 2.2.7 does: in
 * whole microseconds (its TIMER_HZ), so the delays we arm match the real daemon to the µs. The
 * results are returned in milliseconds (the contract's unit) and may carry a fraction, e.g. a v2
 * Skew_Time for priority 100 is 609.375 ms, not 609 or 610.
 */

const US_PER_MS = 1000;
const US_PER_CS = 10_000;

/** RFC 3768 / 5798: the Master_Down_Interval is this many advert intervals plus the skew. */
export const DOWN_TIMER_ADVERTS = 3;

/**
 * Skew_Time in µs.
 * - v2 (RFC 3768): (256 − Priority) / 256 seconds, whatever the advert interval.
 * - v3 (RFC 5798): ((256 − Priority) × Master_Adver_Interval) / 256, Master_Adver_Interval in
 *   centiseconds. keepalived computes (256 − p) × cs × 625 / 16 µs (625/16 = 10 000/256) with
 *   integer division, which is exact to the µs; we do the same.
 */
export function skewTimeUs(version: 2 | 3, priority: number, masterAdverIntCs: number): number {
  const weight = 256 - priority;
  if (version === 3) return Math.floor((weight * masterAdverIntCs * 625) / 16);
  return Math.floor((weight * 1_000_000) / 256);
}

/** Skew_Time in ms (fraction kept: µs resolution). */
export function skewTimeMs(version: 2 | 3, priority: number, masterAdverIntCs: number): number {
  return skewTimeUs(version, priority, masterAdverIntCs) / US_PER_MS;
}

/**
 * Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time, in ms.
 * v2 has no learnt interval: Master_Adver_Interval is our own Advertisement_Interval (RFC 3768
 * requires every router to use the same one, and the receive checks drop adverts that differ).
 */
export function masterDownIntervalMs(version: 2 | 3, priority: number, masterAdverIntCs: number): number {
  const us = DOWN_TIMER_ADVERTS * masterAdverIntCs * US_PER_CS + skewTimeUs(version, priority, masterAdverIntCs);
  return us / US_PER_MS;
}

/**
 * The advert interval we send, in centiseconds, from the configured `advert_int` (ms).
 * keepalived rounds a v2 interval to whole seconds (1..255 s) and a v3 one to centiseconds
 * (1..4095 cs), because those are the units of the wire field.
 */
export function advertIntCs(version: 2 | 3, advertIntMs: number): number {
  if (!Number.isFinite(advertIntMs) || advertIntMs <= 0) return 100;
  if (version === 2) {
    const s = Math.min(255, Math.max(1, Math.round(advertIntMs / 1000)));
    return s * 100;
  }
  return Math.min(4095, Math.max(1, Math.round(advertIntMs / 10)));
}

/** Centiseconds to ms (exact). */
export function csToMs(cs: number): number {
  return cs * 10;
}
