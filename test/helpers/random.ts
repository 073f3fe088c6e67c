/** Seeded pseudo-random data for tests, from the library's own generator (Mulberry32, src/validate/prng.ts). */
import { createPrng } from '../../src/validate/prng.js';

/** A generator of uniform numbers in [0, 1). */
export function rng(seed: number): () => number {
  return createPrng(seed).uniform;
}

/** `count` float32 values uniform in [lo, hi). */
export function seededUniform(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: count }, () => lo + r() * (hi - lo));
}

/** `n` float32 values, roughly normal (sum of uniforms) with the given scale and offset. */
export function randomFloats(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() + r() + r() - 1.5) * 2 * scale + offset;
  return out;
}
