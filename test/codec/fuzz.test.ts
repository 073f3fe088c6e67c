// Mutated fixture models (bit flips, truncations, inserted bytes, length prefixes made huge) must
// each end in a clean decode or a ModelDecodeError, quickly. Anything else thrown is a decoder bug.
// SGE_FUZZ_N sets the number of mutations (npm test: 500; .ci/run: 10,000); SGE_FUZZ_SEED replays a run.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, ModelDecodeError } from '../../src/codec/index.js';
import type { ModelProto } from '../../src/codec/types.js';
import { lengthPrefixes, varint, type LengthPrefix } from './wire.js';
import { rng } from '../helpers/random.js';

const N = Number(process.env.SGE_FUZZ_N ?? 500);
const SEED = Number(process.env.SGE_FUZZ_SEED ?? 0x5ce1);
/** Per-input bound. A decode of these ~600 KB models takes about a millisecond. */
const MAX_MS = 1000;

const SOURCES = [
  'models/mini_resnet_bottleneck_op13.onnx',
  'models/mini_resnet_bottleneck_sge_g8_op17.onnx',
  'models/mini_vgg_caffe_op13.onnx',
  'ir13/mini_resnet_ir13_future_fields.onnx',
].map((rel) => {
  const bytes = new Uint8Array(readFileSync(new URL(`../../fixtures/${rel}`, import.meta.url)));
  return { rel, bytes, prefixes: lengthPrefixes(bytes) };
});

type Mutation = { kind: string; bytes: Uint8Array };

function mutate(src: Uint8Array, prefixes: LengthPrefix[], r: () => number): Mutation {
  const int = (n: number): number => Math.floor(r() * n);
  const kind = int(5);
  if (kind === 0) {
    const out = src.slice();
    const flips = 1 + int(8);
    for (let i = 0; i < flips; i++) out[int(out.length)]! ^= 1 << int(8);
    return { kind: `bit flips x${flips}`, bytes: out };
  }
  if (kind === 1) {
    const cut = int(src.length);
    return { kind: `truncated at ${cut}`, bytes: src.slice(0, cut) };
  }
  if (kind === 2) {
    const at = int(src.length);
    const ins = Uint8Array.from({ length: 1 + int(16) }, () => int(256));
    const out = new Uint8Array(src.length + ins.length);
    out.set(src.subarray(0, at));
    out.set(ins, at);
    out.set(src.subarray(at), at + ins.length);
    return { kind: `${ins.length} bytes inserted at ${at}`, bytes: out };
  }
  // A length prefix replaced by a huge (or merely larger) value, possibly of another byte width.
  const p = prefixes[int(prefixes.length)]!;
  const choices = [2 ** 31 - 1, 2 ** 32 - 1, 2 ** 35, p.value + 1 + int(1000), src.length, 2 ** 28 + int(2 ** 20)];
  const value = choices[int(choices.length)]!;
  const enc = varint(value);
  const out = new Uint8Array(src.length - p.size + enc.length);
  out.set(src.subarray(0, p.pos));
  out.set(enc, p.pos);
  out.set(src.subarray(p.pos + p.size), p.pos + enc.length);
  return { kind: `length at ${p.pos} (${p.value}) set to ${value}`, bytes: out };
}

describe(`decoder fuzz (${N} mutations, seed ${SEED})`, () => {
  it('finds length prefixes to corrupt in every source', () => {
    for (const s of SOURCES) expect(s.prefixes.length, s.rel).toBeGreaterThan(100);
  });

  it('ends every mutation in a clean decode or a ModelDecodeError, within the time bound', () => {
    const r = rng(SEED);
    const counts = { clean: 0, typed: 0 };
    let slowest = 0;
    for (let i = 0; i < N; i++) {
      const src = SOURCES[i % SOURCES.length]!;
      const m = mutate(src.bytes, src.prefixes, r);
      const what = `mutation ${i} of ${src.rel}: ${m.kind} (replay with SGE_FUZZ_SEED=${SEED})`;
      const t0 = performance.now();
      let decoded: ModelProto | undefined;
      try {
        decoded = decodeModel(m.bytes, { source: 'fuzz.onnx' });
      } catch (err) {
        if (!(err instanceof ModelDecodeError)) throw new Error(`${what}: threw ${String(err)}`, { cause: err });
        expect(err.message.startsWith('fuzz.onnx: '), what).toBe(true);
        counts.typed++;
      }
      if (decoded) {
        // Whatever decodes must encode, and the re-encoding must itself be a stable round trip.
        let again: Uint8Array;
        try {
          const once = encodeModel(decoded);
          again = encodeModel(decodeModel(once));
          expect(Buffer.compare(Buffer.from(again), Buffer.from(once)), what).toBe(0);
        } catch (err) {
          throw new Error(`${what}: decoded, but re-encoding failed: ${String(err)}`, { cause: err });
        }
        counts.clean++;
      }
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      expect(ms, `${what} took ${ms.toFixed(0)} ms`).toBeLessThan(MAX_MS);
    }
    console.log(
      `fuzz: ${N} mutations, ${counts.clean} decoded cleanly, ${counts.typed} ModelDecodeError, slowest ${slowest.toFixed(1)} ms`,
    );
    expect(counts.clean + counts.typed).toBe(N);
    expect(counts.typed).toBeGreaterThan(0);
  }, 600_000);
});
