/**
 * The proof that a candidate block computes SGE: the block, cut out (cut.ts), runs in onnxruntime on
 * the probe inputs (probe-inputs.ts) and its output is compared with the float64 reference, element
 * by element, by the project's tolerance rule (validate/compare.ts). The onnxruntime module comes from
 * the caller (onnxruntime-node in the CLI, onnxruntime-web in a page): only its types are imported.
 */
import type * as Ort from 'onnxruntime-common';
import { DataType, type ModelProto } from '../../codec/types.js';
import { encodeModel } from '../../codec/encode.js';
import type { ModelIndex } from '../../graph/model-index.js';
import { toFloat16Bits, float16BitsToFloat32 } from '../../tensor/float16.js';
import { compareValues, FLOAT16_TOLERANCE, FLOAT32_TOLERANCE } from '../../validate/compare.js';
import { referenceSge } from '../reference.js';
import { cutBlock } from './cut.js';
import type { CandidateBlock } from './find.js';
import { probeData } from './probe-inputs.js';
import type { Param } from './terms.js';

/** What the proof uses of an onnxruntime module (`import * as ort from 'onnxruntime-node'` fits). */
export type FuseRuntime = Pick<typeof Ort, 'InferenceSession' | 'Tensor'>;

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

/** Proves each block on its own; never throws for a block that fails (that is a result). */
export async function proveBlock(
  ort: FuseRuntime,
  model: ModelProto,
  index: ModelIndex,
  block: CandidateBlock,
  seed: number,
): Promise<ProofResult> {
  const cut = cutBlock(model, index, block);
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(encodeModel(cut.model), {
      executionProviders: ['cpu'],
      logSeverityLevel: 3,
    });
  } catch (err) {
    return failed(`onnxruntime cannot load the block on its own: ${message(err)}`);
  }
  const half = block.elemType === DataType.FLOAT16;
  const tolerance = half ? FLOAT16_TOLERANCE : FLOAT32_TOLERANCE;
  let maxAbs = 0,
    maxRel = 0,
    elements = 0;
  try {
    const runs = probeData(
      block.shape ?? [],
      block.channels,
      block.groups,
      count(block.weight.use.dims),
      count(block.bias.use.dims),
      seed,
    );
    for (const run of runs) {
      const x = fedValues(run.x, block.elemType);
      const feeds: Record<string, Ort.Tensor> = {
        [cut.x]: tensor(ort, x.fed, block.elemType, run.dims),
        [cut.weight]: tensor(
          ort,
          fedValues(run.weight, block.weight.use.dataType).fed,
          block.weight.use.dataType,
          block.weight.use.dims,
        ),
        [cut.bias]: tensor(
          ort,
          fedValues(run.bias, block.bias.use.dataType).fed,
          block.bias.use.dataType,
          block.bias.use.dims,
        ),
      };
      let y: Float64Array;
      try {
        const out = await session.run(feeds);
        y = readOutput(out[cut.y]);
      } catch (err) {
        return failed(`onnxruntime cannot run the block on ${run.label}: ${message(err)}`, maxAbs, maxRel, elements);
      }
      const weight = effective(block.weight, fedValues(run.weight, block.weight.use.dataType).exact);
      const bias = effective(block.bias, fedValues(run.bias, block.bias.use.dataType).exact);
      const expected = referenceSge(x.exact, run.dims, weight, bias);
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
    await session.release();
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

type Fed = Float32Array | Float64Array | Uint16Array;

/** Values as the element type holds them, and exactly those values in float64. */
function fedValues(values: Float64Array, dataType: number): { fed: Fed; exact: Float64Array } {
  if (dataType === DataType.DOUBLE) return { fed: values, exact: values };
  if (dataType === DataType.FLOAT16) {
    const bits = toFloat16Bits(values);
    return { fed: bits, exact: Float64Array.from(float16BitsToFloat32(bits)) };
  }
  const f = Float32Array.from(values);
  return { fed: f, exact: Float64Array.from(f) };
}

function tensor(ort: FuseRuntime, data: Fed, dataType: number, dims: readonly number[]): Ort.Tensor {
  const type = dataType === DataType.FLOAT16 ? 'float16' : dataType === DataType.DOUBLE ? 'float64' : 'float32';
  return new ort.Tensor(type, data as Float32Array, [...dims]);
}

function readOutput(t: Ort.Tensor | undefined): Float64Array {
  if (!t) throw new Error('no output');
  if (t.type === 'float16') return Float64Array.from(float16BitsToFloat32(t.data as Uint16Array));
  if (t.type !== 'float32' && t.type !== 'float64') throw new Error(`the output is ${t.type}`);
  return Float64Array.from(t.data as Float32Array);
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim().split('\n')[0]!;
}
