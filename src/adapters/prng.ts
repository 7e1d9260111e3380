/**
 * A small seeded PRNG (mulberry32): the simulated LAN's losses, delays and duplicates must replay
 * exactly from a seed, which Math.random cannot do. 32-bit state, period 2^32: plenty for a LAN.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True with probability p (p ≤ 0 never draws, so a lossless link costs no random numbers). */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }
}
