/**
 * The proof that a candidate block computes SGE: the block, cut out (cut.ts), runs in onnxruntime on
 * the probe inputs (probe-inputs.ts) and its output is compared with the float64 reference, element
 * by element, by the project's tolerance rule (validate/compare.ts). The onnxruntime module comes from
 * the caller (onnxruntime-node in the CLI, onnxruntime-web in a page): only its types are imported.
 */
import { DataType, type ModelProto } from '../../codec/types.js';
import { copyMessage } from '../../codec/copy.js';
import { encodeModel } from '../../codec/encode.js';
import type { ModelIndex } from '../../graph/model-index.js';
import { float16BitsToFloat32, toFloat16Bits } from '../../tensor/float16.js';
import { compareValues, FLOAT16_TOLERANCE, FLOAT32_TOLERANCE } from '../../validate/compare.js';
import { elemTypeOf, type HostTensor, toFloat64 } from '../../validate/host-tensor.js';
import { type ModelRunner, type OrtModule, openSession } from '../../validate/session.js';
import { referenceSge } from '../reference.js';
import { type CutBlock, cutBlock } from './cut.js';
import type { CandidateBlock } from './find.js';
import { probeData } from './probe-inputs.js';
import type { Param } from './terms.js';

/** What the proof uses of an onnxruntime module (`import * as ort from 'onnxruntime-node'` fits): validation's. */
export type FuseRuntime = OrtModule;

/** The outcome of one block's proof. */
export interface ProofResult {
  readonly passed: boolean;
  /** Why it failed. */
  readonly reason?: string;
  /** Largest differences from the reference over all runs. */
  readonly maxAbs: number;
  readonly maxRel: number;
  /** Elements compared over all runs. */
  readonly elements: number;
}

/** Spatial dims of the first, smaller proof (see {@link proveBlock}). */
const SMALL_SPATIAL = [5, 4, 3] as const;

/**
 * Proves each block on its own; never throws for a block that fails (that is a result). A block on a
 * large map (ResNet-50's first stage: 256 × 56 × 56) is first proven on a small one, with X's spatial
 * dims declared as the small ones: an exporter that reads the dims at run time (Shape chains) made a
 * block that computes SGE at any size, and the small run costs a fraction of the time (the structural
 * analysis already evaluated the block at the model's own dims). A block whose reshapes bake in its
 * spatial dims fails or errs there, and is then proven at its own size, which decides.
 */
export async function proveBlock(
  ort: FuseRuntime,
  model: ModelProto,
  index: ModelIndex,
  block: CandidateBlock,
  seed: number,
  cache: ProofCache = new Map(),
): Promise<ProofResult> {
  const small = smallerShape(block.shape);
  if (small) {
    const r = await proveAt(ort, model, index, block, seed, small, cache);
    if (r.passed) return r;
  }
  return proveAt(ort, model, index, block, seed, block.shape ?? [], cache);
}

/**
 * Proofs already run in one fuse, by the cut block's canonical form: the same nodes, attributes and
 * constants wired the same way, X declared with the same shape, the same parameters as found, and the
 * same seed are the same computation on the same inputs, whatever the tensors are called. The 16
 * blocks of an exported SGE-ResNet-50 are 4 such forms (one per channel count).
 */
export type ProofCache = Map<string, ProofResult>;

/** The cut model with every tensor renamed by order of appearance and no node names, as a key. */
function canonicalKey(cut: CutBlock, block: CandidateBlock, seed: number): string {
  const names = new Map<string, string>();
  const rename = (n: string | undefined): string => {
    if (!n) return '';
    const known = names.get(n);
    if (known !== undefined) return known;
    const c = `t${names.size}`;
    names.set(n, c);
    return c;
  };
  const g = cut.model.graph!;
  for (const v of g.input) rename(v.name);
  const graph = copyMessage(g, {
    name: '',
    doc_string: '',
    node: g.node.map((n) =>
      copyMessage(n, { name: '', doc_string: '', input: n.input.map(rename), output: n.output.map(rename) }),
    ),
    initializer: g.initializer.map((t) => copyMessage(t, { name: rename(t.name) })),
    input: g.input.map((v) => copyMessage(v, { name: rename(v.name) })),
    output: g.output.map((v) => copyMessage(v, { name: rename(v.name) })),
    value_info: [],
  });
  const bytes = encodeModel(copyMessage(cut.model, { graph }));
  const params = [block.weight, block.bias].map((p) => [...p.factor, '|', ...p.addend].join(','));
  // One character per byte (no Buffer: this runs in browsers too).
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return `${seed};${params.join(';')};${text}`;
}

/** X's shape with its known spatial dims cut to {@link SMALL_SPATIAL}, when that makes it smaller. */
function smallerShape(shape: CandidateBlock['shape']): CandidateBlock['shape'] {
  if (!shape || shape.length < 3) return undefined;
  let smaller = false;
  const out = shape.map((d, i) => {
    if (i < 2 || typeof d !== 'number') return d;
    const s = SMALL_SPATIAL[(i - 2) % SMALL_SPATIAL.length]!;
    if (d <= s) return d;
    smaller = true;
    return s;
  });
  return smaller ? out : undefined;
}

async function proveAt(
  ort: FuseRuntime,
  model: ModelProto,
  index: ModelIndex,
  block: CandidateBlock,
  seed: number,
  shape: NonNullable<CandidateBlock['shape']>,
  cache: ProofCache,
): Promise<ProofResult> {
  const cut = cutBlock(model, index, block, shape);
  const key = canonicalKey(cut, block, seed);
  const known = cache.get(key);
  if (known) return known;
  const result = await runProof(ort, cut, block, seed, shape);
  cache.set(key, result);
  return result;
}

async function runProof(
  ort: FuseRuntime,
  cut: CutBlock,
  block: CandidateBlock,
  seed: number,
  shape: NonNullable<CandidateBlock['shape']>,
): Promise<ProofResult> {
  let runner: ModelRunner;
  try {
    runner = await openSession(
      ort,
      { bytes: encodeModel(cut.model) },
      // One thread: the proof inputs are small, and a session's thread pool costs more than it saves.
      { label: 'block on its own', blame: 'validation', intraOpNumThreads: 1 },
    );
  } catch (err) {
    return failed(message(err));
  }
  const half = block.elemType === DataType.FLOAT16;
  const tolerance = half ? FLOAT16_TOLERANCE : FLOAT32_TOLERANCE;
  let maxAbs = 0,
    maxRel = 0,
    elements = 0;
  try {
    const runs = probeData(
      shape,
      block.channels,
      block.groups,
      count(block.weight.use.dims),
      count(block.bias.use.dims),
      seed,
    );
    for (const run of runs) {
      const x = fed(run.x, block.elemType, run.dims);
      const w = fed(run.weight, block.weight.use.dataType, block.weight.use.dims);
      const b = fed(run.bias, block.bias.use.dataType, block.bias.use.dims);
      let y: Float64Array;
      try {
        const out = await runner.run({ [cut.x]: x.tensor, [cut.weight]: w.tensor, [cut.bias]: b.tensor }, [cut.y]);
        y = toFloat64(out[cut.y]!);
      } catch (err) {
        return failed(`${message(err)} (on ${run.label})`, maxAbs, maxRel, elements);
      }
      const expected = referenceSge(
        x.exact,
        run.dims,
        effective(block.weight, w.exact),
        effective(block.bias, b.exact),
      );
      if (y.length !== expected.length)
        return failed(
          `the block's output has ${y.length} elements for an input of ${expected.length}`,
          maxAbs,
          maxRel,
          elements,
        );
      const c = compareValues(y, expected, tolerance);
      maxAbs = Math.max(maxAbs, c.maxAbs);
      maxRel = Math.max(maxRel, c.maxRel);
      elements += c.count;
      if (c.failures > 0) {
        const f = c.firstFailure!;
        return failed(
          `onnxruntime: the block differs from the reference SGE on ${run.label} in ${c.failures} of ${c.count} elements (max rel ${c.maxRel.toPrecision(3)}; first at ${f.index}: ${f.actual} vs ${f.expected})`,
          maxAbs,
          maxRel,
          elements,
        );
      }
    }
  } finally {
    await runner.release();
  }
  return { passed: true, maxAbs, maxRel, elements };
}

const count = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

const failed = (reason: string, maxAbs = 0, maxRel = 0, elements = 0): ProofResult => ({
  passed: false,
  reason,
  maxAbs,
  maxRel,
  elements,
});

/** The parameter per group for the values fed at its use. */
function effective(p: Param, fed: Float64Array): Float64Array {
  return p.factor.map((f, g) => f * (p.use.groupAxis === null ? fed[0]! : fed[g]!) + p.addend[g]!);
}

/** Values as a tensor of the element type, and exactly the values it holds, in float64. */
function fed(
  values: Float64Array,
  dataType: number,
  dims: readonly number[],
): { tensor: HostTensor; exact: Float64Array } {
  const type = elemTypeOf(dataType) ?? 'float32';
  if (type === 'float64') return { tensor: { type, dims, data: values }, exact: values };
  if (type === 'float16') {
    const bits = toFloat16Bits(values);
    return { tensor: { type, dims, data: bits }, exact: Float64Array.from(float16BitsToFloat32(bits)) };
  }
  const f = Float32Array.from(values);
  return { tensor: { type: 'float32', dims, data: f }, exact: Float64Array.from(f) };
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim().split('\n')[0]!;
}
