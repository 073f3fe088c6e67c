// Latency measurement shared by the benchmarks: onnxruntime-node sessions on one intra-op thread, every
// variant of a network timed round-robin in one process (see bench/sge.bench.ts for why).
import * as ort from 'onnxruntime-node';
import { createPrng } from 'sge-inject';
import { median } from './common.js';

export type Feeds = Record<string, ort.Tensor>;
/** A model to time. */
export interface Variant {
  readonly variant: string;
  readonly bytes: Uint8Array;
  /** Nodes onnxruntime runs beyond the plain model's, per site. */
  perSite?: number;
}
export interface Timed extends Variant {
  readonly ms: number;
  readonly paired: number;
  readonly cpuPaired: number;
  readonly runs: number;
  readonly output: Float32Array;
}

/** One intra-op thread, sequential, every graph optimization: repeatable timings. */
export const sessionOptions: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
  // Denormals as zero in every variant: the floor's ungated x·mean(x), compounded over MobileNetV3's 34
  // sites, drives activations into denormals that made its convs 2x slower (floor 2.76x plain, 1.47x
  // with this; plain and our forms unchanged): an artifact of a gate nobody deploys, not dispatch cost.
  extra: { session: { set_denormal_as_zero: '1' } },
};

/** Seeded uniform(-1, 1) input, the same for every variant of a network. */
export function input(dims: number[], seed = 7): ort.Tensor {
  const uniform = createPrng(seed).uniform;
  const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => uniform() * 2 - 1);
  return new ort.Tensor('float32', data, dims);
}

/** Every variant timed round-robin, `k` sessions each (created interleaved). */
export async function timeRoundRobin(
  variants: readonly Variant[],
  feeds: Feeds,
  seconds: number,
  warmup: number,
  k: number,
): Promise<Timed[]> {
  const sessions: { v: number; s: ort.InferenceSession }[] = [];
  for (let i = 0; i < k; i++)
    for (let v = 0; v < variants.length; v++)
      sessions.push({ v, s: await ort.InferenceSession.create(variants[v]!.bytes, sessionOptions) });
  const outputs: Float32Array[] = [];
  for (const { v, s } of sessions) {
    let out: ort.InferenceSession.OnnxValueMapType | undefined;
    for (let i = 0; i < warmup; i++) out = await s.run(feeds);
    outputs[v] = out![s.outputNames[0]!]!.data as Float32Array;
  }
  const wall: number[][] = variants.map(() => []);
  const cpu: number[][] = variants.map(() => []);
  const deadline = performance.now() + seconds * 1000;
  for (let round = 0; round < 5 || performance.now() < deadline; round++) {
    const w = variants.map(() => 0);
    const c = variants.map(() => 0);
    for (let j = 0; j < sessions.length; j++) {
      const { v, s } = sessions[(round + j) % sessions.length]!;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await s.run(feeds);
      w[v]! += (performance.now() - t0) / k;
      const d = process.cpuUsage(c0);
      c[v]! += (d.user + d.system) / 1000 / k;
    }
    for (let v = 0; v < variants.length; v++) {
      wall[v]!.push(w[v]!);
      cpu[v]!.push(c[v]!);
    }
  }
  for (const { s } of sessions) await s.release();
  const paired = (xs: number[][], v: number) => median(xs[v]!.map((t, r) => t / xs[0]![r]!));
  return variants.map((variant, v) => ({
    ...variant,
    ms: median(wall[v]!),
    paired: paired(wall, v),
    cpuPaired: paired(cpu, v),
    runs: wall[v]!.length,
    output: outputs[v]!,
  }));
}

/** Our output against a reference by the tests' rule (Polygraphy's: rtol 1e-4 and atol 1e-5 both exceeded). */
export function check(label: string, ours: Float32Array, ref: Float32Array): boolean {
  let maxAbs = 0;
  let bad = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i]! - ref[i]!);
    if (!(d <= maxAbs)) maxAbs = d; // NaN propagates
    if (!(d <= 1e-5 || d <= 1e-4 * Math.abs(ref[i]!))) bad++;
  }
  const verdict =
    bad === 0 ? 'equal within rtol 1e-4 / atol 1e-5' : `${bad} of ${ours.length} elements beyond tolerance`;
  console.log(`check ${label}: max abs diff ${maxAbs.toExponential(2)}: ${verdict}`);
  return bad === 0;
}
