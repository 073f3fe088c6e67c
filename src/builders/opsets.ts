/**
 * Which definition of an operator a model gets: the newest one whose since-version is not above the
 * model's ai.onnx opset (the way Netron looks schemas up). Builders decide an op's form from that
 * since-version, so one builder serves every opset instead of being registered for one number.
 */
import { InputError } from '../errors.js';

/** Oldest ai.onnx opset the builders support (Slice with inputs, ReduceMean-11, Concat-11, …). */
export const MIN_OPSET = 11;
/**
 * Newest ai.onnx opset supported: the newest onnxruntime-node 1.30 loads. onnxruntime does not tie the
 * IR version to the opset: IR 8 (what model-local functions need) runs at every opset 11…26, as does
 * the IR of the ONNX release that introduced each opset (11→6, 12–14→7, 15–18→8, 19–20→9, 21–22→10,
 * 23→11, 24→12, 25–26→13; onnx.helper.VERSION_TABLE), both checked in test/sge/expansion.test.ts.
 */
export const MAX_OPSET = 26;

/**
 * Since-versions of the ai.onnx operators the builders emit, ascending, as ONNX 1.23's operator list
 * gives them (the onnx/onnx repository's Operators.md, opset 28; none of these changed after 25).
 */
export const SINCE_VERSIONS: Readonly<Record<string, readonly number[]>> = {
  Add: [1, 6, 7, 13, 14],
  BatchNormalization: [1, 6, 7, 9, 14, 15],
  Cast: [1, 6, 9, 13, 19, 21, 23, 24, 25],
  Concat: [1, 4, 11, 13],
  Constant: [1, 9, 11, 12, 13, 19, 21, 23, 24, 25],
  ConstantOfShape: [9, 20, 21, 23, 24, 25],
  Div: [1, 6, 7, 13, 14],
  Gather: [1, 11, 13],
  MatMul: [1, 9, 13],
  Mul: [1, 6, 7, 13, 14],
  ReduceMax: [1, 11, 12, 13, 18, 20],
  ReduceMean: [1, 11, 13, 18],
  ReduceMin: [1, 11, 12, 13, 18, 20],
  ReduceProd: [1, 11, 13, 18],
  ReduceSum: [1, 11, 13],
  ReduceSumSquare: [1, 11, 13, 18],
  Reshape: [1, 5, 13, 14, 19, 21, 23, 24, 25],
  Shape: [1, 13, 15, 19, 21, 23, 24, 25],
  Sigmoid: [1, 6, 13],
  Slice: [1, 10, 11, 13],
  Sqrt: [1, 6, 13],
  Squeeze: [1, 11, 13, 21, 23, 24, 25],
  Sub: [1, 6, 7, 13, 14],
  Transpose: [1, 13, 21, 23, 24, 25],
  Unsqueeze: [1, 11, 13, 21, 23, 24, 25],
};

/**
 * The since-version of `opType`'s definition in effect at ai.onnx `opset`.
 * @throws TypeError for an operator not in {@link SINCE_VERSIONS}, or one that does not exist yet at `opset`.
 */
export function sinceVersion(opType: string, opset: number): number {
  const versions = SINCE_VERSIONS[opType];
  if (!versions) throw new TypeError(`sinceVersion: no version table for operator '${opType}'`);
  let found: number | undefined;
  for (const v of versions) if (v <= opset) found = v;
  if (found === undefined) throw new TypeError(`sinceVersion: ${opType} does not exist at opset ${opset}`);
  return found;
}

/**
 * Checks that the builders can write ops for ai.onnx `opset`.
 * @throws InputError below {@link MIN_OPSET} or above {@link MAX_OPSET}.
 */
export function checkOpset(opset: number): void {
  if (!Number.isInteger(opset)) throw new TypeError(`opset must be an integer, got ${opset}`);
  if (opset < MIN_OPSET) {
    throw new InputError(
      `the model uses ai.onnx opset ${opset}; SGE injection needs opset ${MIN_OPSET} or newer`,
      `convert the model first, e.g. onnx.version_converter.convert_version(model, ${MIN_OPSET})`,
    );
  }
  if (opset > MAX_OPSET) {
    throw new InputError(
      `the model uses ai.onnx opset ${opset}; the newest supported is ${MAX_OPSET} (what onnxruntime-node 1.30 runs)`,
      `convert the model to opset ${MAX_OPSET} or older`,
    );
  }
}
