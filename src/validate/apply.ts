/**
 * Running a validation plan: the correctness runs of the three variants, the float16 sites run alone,
 * then the timed runs of both models as they are. One session at a time.
 */
import type { InjectedSite } from '../sge/detect.js';
import { dataTypeOf, type HostTensor } from './host-tensor.js';
import { timeModels, type Timings } from './latency.js';
import type { ModelSessions, ModelUnderTest } from './model-sessions.js';
import type { ValidationPlan } from './plan.js';
import { LATENCY_THREADS, type ProgressEvent } from './settings.js';
import { isolateSite } from './site-model.js';

type Outputs = Record<string, HostTensor>;

/** What the correctness runs returned. */
export interface RunOutputs {
  /** Variant 1: the original with its conv outputs exposed. */
  readonly original: Outputs;
  /** Variant 2: the rewritten model with every site's X and Y exposed. */
  readonly rewritten: Outputs;
  /** Variant 3: the rewritten model with its blocks bypassed (undefined when skipped). */
  readonly bypassed: Outputs | undefined;
  /** For each float16 site, Y of the site run alone on the X the full model computed, or why it could not run. */
  readonly isolated: ReadonlyMap<string, HostTensor | string>;
}

/** The models, their sessions, the feeds and where progress goes. */
export interface RunContext {
  readonly sessions: ModelSessions;
  readonly original: ModelUnderTest;
  readonly rewritten: ModelUnderTest;
  readonly feeds: Record<string, HostTensor>;
  readonly progress: (event: ProgressEvent) => void;
}

/**
 * Runs variants 1–3 and the isolated float16 sites.
 * @throws ValidationFailure when onnxruntime cannot load or run a variant.
 */
export async function runVariants(plan: ValidationPlan, ctx: RunContext): Promise<RunOutputs> {
  const { sessions, original, rewritten, feeds, progress } = ctx;
  progress({ stage: 'run', message: 'running the original model', done: 0, total: 3 });
  const origOut = await sessions.runOnce(
    original,
    plan.originalExposed,
    'original model (with exposed conv outputs)',
    'validation',
    feeds,
  );
  progress({ stage: 'run', message: 'running the rewritten model', done: 1, total: 3 });
  const rewrOut = await sessions.runOnce(
    rewritten,
    plan.rewrittenExposed,
    'rewritten model (with exposed site tensors)',
    'validation',
    feeds,
  );
  let bypassOut: Outputs | undefined;
  if (plan.bypassed) {
    progress({ stage: 'run', message: 'running the rewritten model with its SGE blocks bypassed', done: 2, total: 3 });
    bypassOut = await sessions.runOnce(
      rewritten,
      plan.bypassed,
      'rewritten model (SGE blocks bypassed)',
      'validation',
      feeds,
    );
  }
  const isolated = await runIsolatedFloat16Sites(ctx, plan.checkable, rewrOut);
  return { original: origOut, rewritten: rewrOut, bypassed: bypassOut, isolated };
}

/**
 * For each float16 site, Y of the site run alone on the X the full model computed (see
 * site-model.ts), or why the site could not be cut out.
 */
async function runIsolatedFloat16Sites(
  ctx: RunContext,
  sites: readonly InjectedSite[],
  rewrOut: Outputs,
): Promise<Map<string, HostTensor | string>> {
  const out = new Map<string, HostTensor | string>();
  for (const site of sites) {
    const x = rewrOut[site.x];
    if (x?.type !== 'float16') continue;
    const alone = isolateSite(ctx.rewritten.model, site, dataTypeOf(x.type), x.dims);
    if (typeof alone === 'string') {
      out.set(site.name, alone);
      continue;
    }
    const result = await ctx.sessions.runOnce(ctx.rewritten, alone, `site ${site.name} run alone`, 'validation', {
      [site.x]: x,
    });
    out.set(site.name, result[site.y]!);
  }
  return out;
}

/**
 * Both models as they are, on 1 intra-op thread: one warm-up run each (its outputs are the final
 * outputs the report compares), then `runs` timed runs, alternating.
 */
export async function timeBoth(
  ctx: RunContext,
  runs: number,
  timing: <T>(measure: () => Promise<T>) => Promise<T> = (measure) => measure(),
): Promise<Timings> {
  const { sessions, original, rewritten, feeds, progress } = ctx;
  progress({ stage: 'latency', message: 'timing both models', done: 0, total: 2 * runs });
  // With one timed run each there is nothing to interleave: one session at a time halves the peak memory.
  if (runs <= 1) return timeOneByOne(ctx, runs, timing);
  const origPlain = await sessions.open(original, original.model, 'original model', 'validation', LATENCY_THREADS);
  try {
    const rewrPlain = await sessions.open(rewritten, rewritten.model, 'rewritten model', 'validation', LATENCY_THREADS);
    try {
      return await timing(() =>
        timeModels([origPlain, rewrPlain], feeds, runs, (done, total) =>
          progress({ stage: 'latency', message: 'timing both models', done, total }),
        ),
      );
    } finally {
      await rewrPlain.release();
    }
  } finally {
    await origPlain.release();
  }
}

/** {@link timeBoth} for at most one timed run: each model's session is released before the other's opens. */
async function timeOneByOne(
  ctx: RunContext,
  runs: number,
  timing: <T>(measure: () => Promise<T>) => Promise<T>,
): Promise<Timings> {
  const { sessions, original, rewritten, feeds, progress } = ctx;
  const firstOutputs: Record<string, HostTensor>[] = [];
  const medians: number[] = [];
  for (const [subject, label] of [
    [original, 'original model'],
    [rewritten, 'rewritten model'],
  ] as const) {
    const runner = await sessions.open(subject, subject.model, label, 'validation', LATENCY_THREADS);
    try {
      const t = await timing(() => timeModels([runner], feeds, runs));
      firstOutputs.push(t.firstOutputs[0]!);
      medians.push(t.medians[0]!);
      progress({ stage: 'latency', message: 'timing both models', done: runs * medians.length, total: 2 * runs });
    } finally {
      await runner.release();
    }
  }
  return { firstOutputs, medians };
}
