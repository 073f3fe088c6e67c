/**
 * validateSge: run the original and the rewritten model in onnxruntime-node on the same inputs and
 * prove, site by site, that every inserted SGE computes the float64 reference SGE of its own input and
 * that nothing else changed.
 *
 * Runs (each a separate in-memory variant; nothing on disk changes):
 * 1. original + every site's conv output as extra graph outputs;
 * 2. rewritten + every site's X and Y as extra outputs → Y is compared with referenceSge(X, weight, bias);
 * 3. rewritten with every SGE block replaced by Identity(X) → Y, + every X as an extra output → X must
 *    equal the original's conv output (bit for bit, in practice) and the final outputs must equal the
 *    original's. In the real rewritten model a site downstream of another site sees activations the
 *    upstream SGE changed, so "X equals the original's conv output" can only be checked with the
 *    blocks taken out;
 * 4. original and rewritten as they are, 1 intra-op thread: latency, final outputs (drift), output shapes.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelProto, ValueInfoProto } from '../codec/types.js';
import { encodeModel } from '../codec/encode.js';
import { loadModel } from '../io/load.js';
import { modelOrigin } from '../io/provenance.js';
import { referenceSge } from '../sge/reference.js';
import { InputError, UsageError } from '../errors.js';
import { bitwiseEqual, compareValues, defaultTolerance, maxAbsDiff, type Tolerance } from './compare.js';
import { float16InputAllowance } from './fp16-allowance.js';
import { MAC_FORMULA, PAPER_COMPARISON, parametersAdded, siteMacs } from './cost.js';
import { dataTypeOf, elemTypeOf, elementCount, formatDims, toFloat64, type HostTensor } from './host-tensor.js';
import {
  checkSameInputs,
  chooseShapes,
  inputSpecs,
  randomInputs,
  DEFAULT_BATCH_DIM,
  DEFAULT_OTHER_DIM,
  type Distribution,
  type InputSpec,
  type ShapeOverrides,
} from './inputs.js';
import { loadInputsFromDir } from './inputs-dir.js';
import { timeModels } from './latency.js';
import { withExtraOutputs, withSitesBypassed, type ExtraOutput } from './model-copy.js';
import { openSession, type ModelRunner, type SessionSource } from './ort.js';
import type { InputReport, OutputReport, SiteReport, ValidationReport } from './report-types.js';
import { isolateSite } from './site-model.js';
import { findInjectedSites, type InjectedSite } from '../sge/detect.js';
import { ModelIndex } from '../graph/model-index.js';
import { readTensor, type ExternalReader } from './tensor-data.js';

/**
 * A model to validate: a file path, a ModelProto (its folder is known when it came from loadModel),
 * or a ModelProto with the folder its external data locations are relative to.
 */
export type ModelSource = string | ModelProto | { readonly model: ModelProto; readonly dir: string };

/** A progress event; the library never prints, the caller decides (see createProgressLine). */
export interface ProgressEvent {
  readonly stage: 'load' | 'run' | 'latency';
  readonly message: string;
  readonly done?: number;
  readonly total?: number;
}

/** Options of {@link validateSge}; every field is optional. */
export interface ValidateOptions {
  /** Tensors to feed, by input name (takes precedence over everything below). */
  readonly inputs?: Readonly<Record<string, HostTensor>>;
  /** A folder of `input_0.pb` … / `.npy` files (ONNX test data set layout). */
  readonly inputsDir?: string;
  /** Shapes of random inputs (`--shape`), and values of symbolic dims (`--dim`). */
  readonly shapes?: ShapeOverrides['shapes'];
  readonly dims?: ShapeOverrides['dims'];
  /** Seed of the random inputs (default 0). */
  readonly seed?: number;
  /** Distribution of random float inputs (default 'normal'). */
  readonly distribution?: Distribution;
  /** Timed runs per model after one warm-up (default 10; 0 skips timing). */
  readonly runs?: number;
  /** Tolerances for every comparison; by default per element type (compare.ts: float32 1e-4/1e-5). */
  readonly rtol?: number;
  readonly atol?: number;
  /** Called as work proceeds (loading, each run, each timed run). */
  readonly onProgress?: (event: ProgressEvent) => void;
}

/** Default number of timed runs. */
export const DEFAULT_RUNS = 10;
/** Intra-op threads of the timing sessions (see ort.ts: repeatable timings). */
export const LATENCY_THREADS = 1;

interface Loaded {
  readonly model: ModelProto;
  /** The file, when the model is exactly what is in it (then sessions load it directly). */
  readonly path?: string;
  readonly dir?: string;
  readonly label: string;
}

/**
 * Validates a rewritten model against the model it was made from. Never modifies either model or any
 * file. The report's `passed` is false when any check fails (see {@link ValidationReport.failures});
 * the CLI turns that into exit 1.
 * @throws InputError (exit 2) when a model cannot be read, the models take different inputs, the
 *   inputs cannot be made or loaded, or onnxruntime cannot load or run the ORIGINAL model;
 * @throws ValidationFailure (exit 1) when onnxruntime cannot load or run the REWRITTEN model;
 * @throws UsageError for contradictory options.
 */
export async function validateSge(
  original: ModelSource,
  rewritten: ModelSource,
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const progress = options.onProgress ?? (() => {});
  const runs = options.runs ?? DEFAULT_RUNS;
  if (!Number.isSafeInteger(runs) || runs < 0) throw new UsageError(`runs must be a non-negative integer, got ${runs}`);
  if (options.inputsDir !== undefined && (options.shapes || options.dims)) {
    throw new UsageError('--inputs and --shape/--dim exclude each other: the files fix the shapes');
  }
  progress({ stage: 'load', message: 'loading models' });
  const orig = await load(original, 'original model');
  const rewr = await load(rewritten, 'rewritten model');
  const notes: string[] = [];
  const failures: string[] = [];

  const sites = findInjectedSites(rewr.model);
  const macsEmpty = { total: 0, formula: MAC_FORMULA, paper: PAPER_COMPARISON };
  const params = parametersAdded(orig.model, rewr.model);
  if (sites.length === 0) {
    return {
      passed: false,
      failures: ['the rewritten model has no SGE site (neither a SpatialGroupEnhance node nor an inline expansion)'],
      sites: [],
      inputs: [],
      outputs: [],
      latency: null,
      parametersAdded: params,
      macs: macsEmpty,
      notes,
    };
  }

  const specs = inputSpecs(orig.model);
  checkSameInputs(specs, inputSpecs(rewr.model));
  const { feeds, inputs } = await makeFeeds(specs, options, notes);

  // Which sites can be read site by site, and what each variant must expose.
  const checkable = sites.filter((s) => s.scope.depth === 0 && !s.problem);
  const origIndex = new ModelIndex(orig.model);
  const rewrIndex = new ModelIndex(rewr.model);
  // Only main-graph tensors can be exposed as outputs of the original.
  const missingInOriginal = new Set(checkable.filter((s) => origIndex.source(s.y)?.scope.depth !== 0).map((s) => s.y));
  const exposable = checkable.filter((s) => !missingInOriginal.has(s.y));
  const typeOfSite = (s: InjectedSite) => rewrIndex.initializer(s.weight)?.data_type;
  const origExtra: ExtraOutput[] = exposable.map((s) => ({ name: s.y, dataType: typeOfSite(s) }));
  const rewrExtra: ExtraOutput[] = checkable.flatMap((s) => [
    { name: s.x, dataType: typeOfSite(s) },
    { name: s.y, dataType: typeOfSite(s) },
  ]);
  const bypassExtra: ExtraOutput[] = exposable.map((s) => ({ name: s.x, dataType: typeOfSite(s) }));
  const sitesHaveProblems = sites.some((s) => s.problem);

  progress({ stage: 'run', message: 'running the original model', done: 0, total: 3 });
  const origOut = await runOnce(
    orig,
    withExtraOutputs(orig.model, origExtra),
    'original model (with exposed conv outputs)',
    'validation',
    feeds,
  );
  progress({ stage: 'run', message: 'running the rewritten model', done: 1, total: 3 });
  const rewrOut = await runOnce(
    rewr,
    withExtraOutputs(rewr.model, rewrExtra),
    'rewritten model (with exposed site tensors)',
    'validation',
    feeds,
  );
  let bypassOut: Record<string, HostTensor> | undefined;
  if (!sitesHaveProblems) {
    progress({ stage: 'run', message: 'running the rewritten model with its SGE blocks bypassed', done: 2, total: 3 });
    bypassOut = await runOnce(
      rewr,
      withExtraOutputs(withSitesBypassed(rewr.model, sites), bypassExtra),
      'rewritten model (SGE blocks bypassed)',
      'validation',
      feeds,
    );
  } else {
    notes.push(
      'the bypass check (rewritten model without its SGE blocks = original) was skipped: some sites are malformed',
    );
  }

  const isolated = await runIsolatedFloat16Sites(rewr, checkable, rewrOut);
  const readExternal = rewr.dir ? externalReader(rewr.dir) : undefined;
  const siteReports = sites.map((s) =>
    checkSite(s, {
      rewritten: rewrIndex,
      rewrOut,
      origOut,
      bypassOut,
      missingInOriginal,
      readExternal,
      options,
      isolated,
    }),
  );
  for (const r of siteReports) if (r.verdict === 'fail') failures.push(`site ${r.site}: ${r.reason}`);

  progress({ stage: 'latency', message: 'timing both models', done: 0, total: 2 * runs });
  const origPlain = await open(orig, orig.model, 'original model', 'validation', LATENCY_THREADS);
  let timings: Awaited<ReturnType<typeof timeModels>>;
  try {
    const rewrPlain = await open(rewr, rewr.model, 'rewritten model', 'validation', LATENCY_THREADS);
    try {
      timings = await timeModels([origPlain, rewrPlain], feeds, runs, (done, total) =>
        progress({ stage: 'latency', message: 'timing both models', done, total }),
      );
    } finally {
      await rewrPlain.release();
    }
  } finally {
    await origPlain.release();
  }
  const [origFinal, rewrFinal] = timings.firstOutputs as [Record<string, HostTensor>, Record<string, HostTensor>];

  const outputs = checkOutputs(orig.model, rewr.model, origFinal, rewrFinal, origOut, bypassOut, options, failures);
  const subgraphSites = sites.filter((s) => s.scope.depth > 0).length;
  if (subgraphSites)
    notes.push(
      `${subgraphSites} site(s) inside If/Loop/Scan bodies were not checked site by site; the rewritten model ran`,
    );

  const macsTotal = siteReports.reduce((a, r) => a + (r.macs ?? 0), 0);
  const latency =
    runs > 0
      ? {
          runs,
          threads: LATENCY_THREADS,
          originalMs: timings.medians[0]!,
          rewrittenMs: timings.medians[1]!,
          ratio: timings.medians[1]! / timings.medians[0]!,
        }
      : null;
  return {
    passed: failures.length === 0,
    failures,
    sites: siteReports,
    inputs,
    outputs,
    latency,
    parametersAdded: params,
    macs: { ...macsEmpty, total: macsTotal },
    notes,
  };
}

async function load(source: ModelSource, label: string): Promise<Loaded> {
  if (typeof source === 'string') {
    const model = await loadModel(source);
    const origin = modelOrigin(model);
    return { model, path: origin?.path ?? source, dir: origin?.baseDir, label };
  }
  if ('dir' in source && 'model' in source) return { model: source.model, dir: source.dir, label };
  const model = source as ModelProto;
  // A loaded model may have been edited since: its folder still holds its external data, but the
  // file itself is not what the object says, so sessions are made from fresh bytes.
  return { model, dir: modelOrigin(model)?.baseDir, label };
}

function sessionSource(loaded: Loaded, variant: ModelProto): SessionSource {
  if (variant === loaded.model && loaded.path) return { path: loaded.path };
  return { bytes: encodeModel(variant), ...(loaded.dir ? { externalDataDir: loaded.dir } : {}) };
}

function open(
  loaded: Loaded,
  variant: ModelProto,
  label: string,
  blame: 'input' | 'validation',
  threads?: number,
): Promise<ModelRunner> {
  return openSession(sessionSource(loaded, variant), {
    label,
    blame,
    ...(threads ? { intraOpNumThreads: threads } : {}),
  });
}

async function runOnce(
  loaded: Loaded,
  variant: ModelProto,
  label: string,
  blame: 'input' | 'validation',
  feeds: Record<string, HostTensor>,
): Promise<Record<string, HostTensor>> {
  const runner = await open(loaded, variant, label, blame);
  try {
    return await runner.run(feeds);
  } finally {
    await runner.release();
  }
}

async function makeFeeds(
  specs: readonly InputSpec[],
  options: ValidateOptions,
  notes: string[],
): Promise<{ feeds: Record<string, HostTensor>; inputs: InputReport[] }> {
  if (options.inputs) {
    const feeds: Record<string, HostTensor> = {};
    for (const s of specs) {
      const t = options.inputs[s.name];
      if (!t) throw new InputError(`no tensor given for input '${s.name}'`);
      feeds[s.name] = t;
    }
    return {
      feeds,
      inputs: specs.map((s) => ({
        name: s.name,
        type: feeds[s.name]!.type,
        shape: [...feeds[s.name]!.dims],
        source: 'given',
      })),
    };
  }
  if (options.inputsDir !== undefined) {
    const loaded = await loadInputsFromDir(options.inputsDir, specs);
    const feeds = Object.fromEntries(specs.map((s) => [s.name, loaded[s.name]!.tensor]));
    return {
      feeds,
      inputs: specs.map((s) => ({
        name: s.name,
        type: feeds[s.name]!.type,
        shape: [...feeds[s.name]!.dims],
        source: loaded[s.name]!.file,
      })),
    };
  }
  const shapes = chooseShapes(specs, { shapes: options.shapes, dims: options.dims });
  const seed = options.seed ?? 0;
  const distribution = options.distribution ?? 'normal';
  const feeds = randomInputs(specs, shapes, { seed, distribution });
  const defaults = [...new Set(specs.flatMap((s) => shapes[s.name]!.defaults))];
  if (defaults.length) {
    notes.push(
      `symbolic input dims took defaults (${DEFAULT_BATCH_DIM} for a first, batch-like dim, ${DEFAULT_OTHER_DIM} for others): ${defaults.join(', ')}; set them with --shape or --dim`,
    );
  }
  return {
    feeds,
    inputs: specs.map((s) => ({
      name: s.name,
      type: feeds[s.name]!.type,
      shape: [...shapes[s.name]!.dims],
      source: `random ${distribution} (seed ${seed})${shapes[s.name]!.defaulted ? `, default ${shapes[s.name]!.defaults.join(', ')}` : ''}`,
    })),
  };
}

/** Every tensor name the main graph defines: inputs, initializers and node outputs. */
function externalReader(dir: string): ExternalReader {
  return (location, offset, length) => {
    const fd = openSync(join(dir, location), 'r');
    try {
      const out = new Uint8Array(length ?? 0);
      let got = 0;
      while (got < out.length) {
        const n = readSync(fd, out, got, out.length - got, offset + got);
        if (n === 0) throw new InputError(`external data ${location} ends before offset ${offset + out.length}`);
        got += n;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  };
}

/**
 * For each float16 site, Y of the site run alone on the X the full model computed (see
 * site-model.ts), or why the site could not be cut out.
 */
async function runIsolatedFloat16Sites(
  rewr: Loaded,
  sites: readonly InjectedSite[],
  rewrOut: Record<string, HostTensor>,
): Promise<Map<string, HostTensor | string>> {
  const out = new Map<string, HostTensor | string>();
  for (const site of sites) {
    const x = rewrOut[site.x];
    if (x?.type !== 'float16') continue;
    const alone = isolateSite(rewr.model, site, dataTypeOf(x.type), x.dims);
    if (typeof alone === 'string') {
      out.set(site.name, alone);
      continue;
    }
    const result = await runOnce(rewr, alone, `site ${site.name} run alone`, 'validation', { [site.x]: x });
    out.set(site.name, result[site.y]!);
  }
  return out;
}

interface SiteContext {
  readonly isolated: ReadonlyMap<string, HostTensor | string>;
  readonly rewritten: ModelIndex;
  readonly rewrOut: Record<string, HostTensor>;
  readonly origOut: Record<string, HostTensor>;
  readonly bypassOut: Record<string, HostTensor> | undefined;
  readonly missingInOriginal: ReadonlySet<string>;
  readonly readExternal: ExternalReader | undefined;
  readonly options: ValidateOptions;
}

function toleranceFor(type: HostTensor['type'], options: ValidateOptions): Tolerance {
  const d = defaultTolerance(type);
  return { rtol: options.rtol ?? d.rtol, atol: options.atol ?? d.atol };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(3) : String(v);
}

function checkSite(site: InjectedSite, ctx: SiteContext): SiteReport {
  const base = {
    site: site.name,
    form: site.mode,
    graph: site.scope.path,
    elemType: null,
    shape: null,
    groups: null,
    maxAbs: null,
    maxRel: null,
    failures: null,
    elements: null,
    referenceNaN: 0,
    input: null,
    tolerance: null,
    macs: null,
  };
  if (site.problem) return { ...base, verdict: 'fail', reason: site.problem };
  if (site.scope.depth > 0) {
    return {
      ...base,
      verdict: 'not-checked',
      reason: `inside a subgraph (${site.scope.path}): its tensors cannot be exposed as graph outputs; the model ran`,
    };
  }
  const x = ctx.rewrOut[site.x],
    y = ctx.rewrOut[site.y];
  if (!x || !y)
    return { ...base, verdict: 'fail', reason: `onnxruntime did not return X '${site.x}' or Y '${site.y}'` };
  const shape = [...x.dims];
  const params = readParams(site, ctx);
  if (typeof params === 'string') return { ...base, elemType: x.type, shape, verdict: 'fail', reason: params };
  const { weight, bias } = params;
  const groups = weight.length;
  const withShape = { ...base, elemType: x.type, shape, groups, macs: siteMacs(shape) };
  if (x.type !== 'float32' && x.type !== 'float16')
    return { ...withShape, verdict: 'fail', reason: `X is ${x.type}; SGE sites are float32 or float16` };
  if (y.type !== x.type || formatDims(y.dims) !== formatDims(x.dims)) {
    return {
      ...withShape,
      verdict: 'fail',
      reason: `Y is ${y.type} ${formatDims(y.dims)} but X is ${x.type} ${formatDims(x.dims)}`,
    };
  }
  if (shape.length < 3 || groups === 0 || shape[1]! % groups !== 0) {
    return { ...withShape, verdict: 'fail', reason: `${groups} groups do not fit X of shape ${formatDims(shape)}` };
  }
  const reasons: string[] = [];
  const notes: string[] = [];
  const tolerance = toleranceFor(x.type, ctx.options);
  const xs = toFloat64(x);
  const reference = referenceSge(xs, shape, weight, bias);
  const describe = (c: ReturnType<typeof compareValues>, extra = '') => {
    const f = c.firstFailure!;
    return `differs from the reference SGE in ${c.failures} of ${c.count} elements (max abs ${fmt(c.maxAbs)}, max rel ${fmt(c.maxRel)}; first at index ${f.index}: ${f.actual} vs ${f.expected}; rtol ${tolerance.rtol}, atol ${tolerance.atol}${extra})`;
  };
  // float32: Y in the full model against the reference. float16: Y of the site run alone on the same
  // X (exact float16 input) against the reference, and Y in the full model within the input-rounding
  // allowance (onnxruntime may have fed the site the unrounded conv output there).
  const alone = ctx.isolated.get(site.name);
  const inSitu =
    x.type === 'float16'
      ? compareValues(toFloat64(y), reference, tolerance, float16InputAllowance(xs, shape, weight, bias))
      : compareValues(toFloat64(y), reference, tolerance);
  let cmp = inSitu;
  if (alone && typeof alone !== 'string') {
    cmp = compareValues(toFloat64(alone), reference, tolerance);
    if (cmp.failures > 0) reasons.push(`Y (site run alone on the model's X) ${describe(cmp)}`);
    if (inSitu.failures > 0)
      reasons.push(`Y in the full model ${describe(inSitu, ', beyond the float16 input-rounding allowance')}`);
    if (!cmp.failures && !inSitu.failures)
      notes.push(
        `float16: judged on the site run alone on the model's X; in the full model (where onnxruntime may skip rounding the conv output) max rel ${fmt(inSitu.maxRel)}, within the input-rounding allowance`,
      );
  } else {
    if (typeof alone === 'string')
      notes.push(
        `float16: the site could not be run alone (${alone}); judged in the full model within the input-rounding allowance`,
      );
    if (inSitu.failures > 0)
      reasons.push(
        `Y ${describe(inSitu, x.type === 'float16' ? ', beyond the float16 input-rounding allowance' : '')}`,
      );
  }
  // The input check: X with the blocks bypassed against the original's conv output.
  let input: SiteReport['input'] = null;
  if (ctx.missingInOriginal.has(site.y)) {
    reasons.push(
      `the original model has no tensor '${site.y}' (the site's output should carry the conv output's original name)`,
    );
  } else if (ctx.bypassOut) {
    const xb = ctx.bypassOut[site.x],
      xo = ctx.origOut[site.y];
    if (!xb || !xo) reasons.push(`onnxruntime did not return '${site.x}' (bypassed) or '${site.y}' (original)`);
    else if (xb.type !== xo.type || formatDims(xb.dims) !== formatDims(xo.dims)) {
      reasons.push(
        `X is ${xb.type} ${formatDims(xb.dims)} but the original's '${site.y}' is ${xo.type} ${formatDims(xo.dims)}`,
      );
    } else {
      const c = compareValues(toFloat64(xb), toFloat64(xo), tolerance);
      input = { maxAbs: c.maxAbs, failures: c.failures, bitwiseEqual: bitwiseEqual(xb.data, xo.data) };
      if (c.failures > 0)
        reasons.push(
          `X differs from the original model's conv output '${site.y}' in ${c.failures} elements (max abs ${fmt(c.maxAbs)})`,
        );
    }
  }
  if (cmp.expectedNaN > 0) {
    notes.push(
      `the reference is NaN in ${cmp.expectedNaN} of ${cmp.count} elements (a 1×1 map: std over one position is 0/0)${cmp.failures === 0 ? '; Y is NaN exactly there' : ''}`,
    );
  }
  if (input && !input.bitwiseEqual && input.failures === 0)
    notes.push(
      `X matches the original's conv output within tolerance but not bit for bit (max abs ${fmt(input.maxAbs)})`,
    );
  return {
    ...withShape,
    maxAbs: cmp.maxAbs,
    maxRel: cmp.maxRel,
    failures: cmp.failures,
    elements: cmp.count,
    referenceNaN: cmp.expectedNaN,
    input,
    tolerance,
    verdict: reasons.length ? 'fail' : 'pass',
    reason: [...reasons, ...notes].join('; '),
  };
}

function readParams(site: InjectedSite, ctx: SiteContext): { weight: Float64Array; bias: Float64Array } | string {
  const w = ctx.rewritten.initializer(site.weight),
    b = ctx.rewritten.initializer(site.bias);
  if (!w || !b) return `the parameters '${!w ? site.weight : site.bias}' are not an initializer of the main graph`;
  try {
    const weight = toFloat64(readTensor(w, `initializer '${site.weight}'`, ctx.readExternal));
    const bias = toFloat64(readTensor(b, `initializer '${site.bias}'`, ctx.readExternal));
    if (weight.length !== bias.length) return `weight has ${weight.length} values, bias ${bias.length}`;
    return { weight, bias };
  } catch (err) {
    return `cannot read the parameters: ${(err as Error).message}`;
  }
}

function declared(vi: ValueInfoProto | undefined): string {
  const tt = vi?.type?.tensor_type;
  if (!tt) return vi?.type ? 'non-tensor' : 'untyped';
  const type = elemTypeOf(tt.elem_type) ?? `DataType ${tt.elem_type ?? 0}`;
  const dims = Object.hasOwn(tt, 'shape')
    ? tt.shape!.dim.map((d) => (Object.hasOwn(d, 'dim_value') ? String(d.dim_value) : d.dim_param || '?'))
    : undefined;
  return `${type} ${dims ? `[${dims.join(', ')}]` : '(rank unknown)'}`;
}

function checkOutputs(
  original: ModelProto,
  rewritten: ModelProto,
  origFinal: Record<string, HostTensor>,
  rewrFinal: Record<string, HostTensor>,
  origExposed: Record<string, HostTensor>,
  bypassOut: Record<string, HostTensor> | undefined,
  options: ValidateOptions,
  failures: string[],
): OutputReport[] {
  const rewrOutputs = new Map(rewritten.graph!.output.map((o) => [o.name ?? '', o]));
  return original.graph!.output.map((o): OutputReport => {
    const name = o.name ?? '';
    const want = declared(o);
    const r = rewrOutputs.get(name);
    let problem: string | undefined;
    if (!r) problem = 'missing from the rewritten model';
    else if (declared(r) !== want) problem = `declared ${declared(r)} in the rewritten model, ${want} in the original`;
    const a = origFinal[name],
      b = rewrFinal[name];
    if (!problem && a && b && (a.type !== b.type || formatDims(a.dims) !== formatDims(b.dims))) {
      problem = `runs as ${b.type} ${formatDims(b.dims)} in the rewritten model, ${a.type} ${formatDims(a.dims)} in the original`;
    }
    if (problem) failures.push(`output '${name}': ${problem}`);
    const drift =
      a && b && elementCount(a.dims) === elementCount(b.dims) ? maxAbsDiff(toFloat64(b), toFloat64(a)) : null;
    let bypassMaxAbs: number | null = null;
    const e = origExposed[name],
      p = bypassOut?.[name];
    if (e && p && e.type === p.type && formatDims(e.dims) === formatDims(p.dims)) {
      const c = compareValues(toFloat64(p), toFloat64(e), toleranceFor(e.type, options));
      bypassMaxAbs = c.maxAbs;
      if (c.failures > 0) {
        failures.push(
          `output '${name}': with the SGE blocks bypassed the rewritten model gives ${c.failures} elements different from the original (max abs ${fmt(c.maxAbs)}): the rewrite changed more than its sites`,
        );
      }
    }
    return { name, kept: !problem, ...(problem ? { problem } : {}), declared: want, drift, bypassMaxAbs };
  });
}
