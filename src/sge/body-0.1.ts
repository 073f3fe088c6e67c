/**
 * The SGE function body that sge-inject 0.1 wrote, frozen: files written by that release carry it,
 * and recognizing, stripping, listing and validating them must keep knowing it as ours. This is the
 * 0.1 body.ts and function.ts, unchanged but for names; never edit what it emits (a test compares it
 * with fixtures/models/written-by-0.1.0). The current body is in body.ts.
 *
 * In 0.1 a function body read C, G and S from shapes at run time (Shape, Slice, Div, Concat, Cast).
 */
import { DataType, type FunctionProto } from '../codec/types.js';
import { makeAttribute, makeFunction, makeOpset } from '../graph/factory.js';
import { cast, OpBuilder, reduce, reshape, shapeOf } from '../builders/index.js';
import type { FloatElemType } from '../tensor/make.js';
import { SGE_DOMAIN, sgeOpFor } from './conventions.js';

/** The 0.1 FunctionProto for ai.onnx `opset` and element type FLOAT or FLOAT16. */
export function buildSgeFunction01(opset: number, elemType: FloatElemType): FunctionProto {
  const b = new OpBuilder({ opset, constants: 'node' });
  emitBody01(b, { x: 'X', weight: 'weight', bias: 'bias', y: 'Y', elemType });
  return makeFunction({
    name: sgeOpFor(elemType),
    domain: SGE_DOMAIN,
    input: ['X', 'weight', 'bias'],
    output: ['Y'],
    node: b.nodes,
    opset_import: [makeOpset('', opset)],
    doc_string:
      'Spatial Group-wise Enhance (arXiv 1905.09646): G = length of weight; unbiased std, eps 1e-5 after the square root.',
  });
}

interface Io01 {
  readonly x: string;
  readonly weight: string;
  readonly bias: string;
  readonly y: string;
  readonly elemType: FloatElemType;
}

// 0.1's emitSgeBody with no facts known (what the function form got), the unreachable branches removed.
function emitBody01(b: OpBuilder, io: Io01): void {
  const half = io.elemType === DataType.FLOAT16;
  let xShape: string | undefined;
  const wholeShapeOfX = (): string => (xShape ??= shapeOf(b, io.x, 'input_shape'));
  const xf = half ? cast(b, io.x, DataType.FLOAT, 'input_float') : io.x;
  const cv = shapeOf(b, io.x, 'channels', 1, 2, b.opset < 15 ? wholeShapeOfX() : undefined);
  const gv = shapeOf(b, io.weight, 'groups');
  const kv = b.op('Div', [cv, gv], 'group_channels');
  const groupShape = b.op('Concat', [b.int64('zero', [0]), gv, kv, b.int64('minus_one', [-1])], 'group_shape', {
    attributes: [makeAttribute('axis', { int: 0 })],
  });
  const xg = reshape(b, xf, groupShape, 'grouped');
  const mean = reduce(b, 'ReduceMean', xg, [3], 'channel_mean');
  const meanRow = reshape(b, mean, [0, 0, 1, -1], 'channel_mean_row');
  const t = b.op('MatMul', [meanRow, xg], 'similarity');
  const mu = reduce(b, 'ReduceMean', t, [3], 'similarity_mean');
  const centered = b.op('Sub', [t, mu], 'centered');
  const sumSquares = reduce(b, 'ReduceSum', b.op('Mul', [centered, centered], 'squares'), [3], 'sum_squares');
  const sMinus1 = b.op(
    'Sub',
    [cast(b, shapeOf(b, xg, 'positions', 3), DataType.FLOAT, 'positions_float'), b.float32('one', [1])],
    'positions_minus_one',
  );
  const variance = b.op('Div', [sumSquares, sMinus1], 'variance');
  const std = b.op('Sqrt', [variance], 'std');
  const denom = b.op('Add', [std, b.float32('eps', [1e-5])], 'std_eps');
  const weight = reshape(
    b,
    half ? cast(b, io.weight, DataType.FLOAT, 'weight_float') : io.weight,
    [-1, 1, 1],
    'weight_column',
  );
  const scale = b.op('Div', [weight, denom], 'scale');
  const scaled = b.op('Mul', [centered, scale], 'scaled');
  const bias = reshape(b, half ? cast(b, io.bias, DataType.FLOAT, 'bias_float') : io.bias, [-1, 1, 1], 'bias_column');
  const gate = b.op('Sigmoid', [b.op('Add', [scaled, bias], 'affine')], 'gate');
  let gated = b.op('Mul', [xg, gate], 'gated');
  if (half) gated = cast(b, gated, DataType.FLOAT16, 'gated_half');
  reshape(b, gated, wholeShapeOfX(), 'output', { output: io.y });
}
