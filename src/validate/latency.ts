/**
 * Timing two models on the same inputs. One warm-up run each (its outputs are kept: they are the
 * models' final outputs for the drift figures), then `runs` timed runs, alternating between the two
 * models so that machine-load drift hits both alike; the median of each is reported. The clock is the
 * global `performance`, which Node and browsers both have.
 */
import type { HostTensor } from './host-tensor.js';
import type { ModelRunner } from './session.js';

/** Timing result of {@link timeModels}. */
export interface Timings {
  /** Outputs of the warm-up run of each model. */
  readonly firstOutputs: readonly Record<string, HostTensor>[];
  /** Median milliseconds per model (NaN when `runs` is 0). */
  readonly medians: readonly number[];
}

/** Median of a non-empty list (mean of the middle two for an even count); NaN for an empty one. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Runs each model once (warm-up), then `runs` more times each, interleaved; `onRun(done, total)` is
 * called after every timed run.
 */
export async function timeModels(
  runners: readonly ModelRunner[],
  feeds: Readonly<Record<string, HostTensor>>,
  runs: number,
  onRun?: (done: number, total: number) => void,
): Promise<Timings> {
  const firstOutputs: Record<string, HostTensor>[] = [];
  for (const r of runners) firstOutputs.push(await r.run(feeds));
  const times: number[][] = runners.map(() => []);
  const total = runs * runners.length;
  let done = 0;
  for (let i = 0; i < runs; i++) {
    for (let m = 0; m < runners.length; m++) {
      const start = performance.now();
      await runners[m]!.run(feeds);
      times[m]!.push(performance.now() - start);
      onRun?.(++done, total);
    }
  }
  return { firstOutputs, medians: times.map(median) };
}
