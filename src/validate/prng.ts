/**
 * The seeded generator behind random inputs: Mulberry32 (a 32-bit state, one multiply-xorshift step per
 * draw; public-domain, by Tommy Ettinger). Not cryptographic; chosen because it is tiny, fast, has a
 * full 2^32 period over its state and gives the same stream on every platform, so `--seed S` reproduces
 * the same inputs anywhere.
 */

/** A stream of uniform and normal draws. */
export interface Prng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number;
  /** Standard normal (mean 0, std 1), by the Box–Muller transform. */
  normal(): number;
  /** Uniform integer in [lo, hi). */
  int(lo: number, hi: number): number;
}

/** A generator seeded with `seed` (taken modulo 2^32). */
export function createPrng(seed: number): Prng {
  let state = Math.trunc(seed) >>> 0;
  let spare: number | undefined;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal() {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = 0;
      while (u === 0) u = uniform(); // log(0) would be -Infinity
      const v = uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int(lo, hi) {
      return lo + Math.floor(uniform() * (hi - lo));
    },
  };
}
