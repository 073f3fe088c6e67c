/**
 * The SGE computation as ai.onnx ops: one body shared by the inline form (facts known at build time
 * become constants) and the function form (everything found from shapes at run time).
 *
 * Layout: X [N, C, ...spatial] is viewed as Xg [N, G, K, S] (K = C/G, S = the spatial positions), and
 * only three passes touch the full tensor: the channel means (ReduceMean), the dot product of every
 * position with its group's mean vector (one batched MatMul [N,G,1,K]·[N,G,K,S]) and the gating Mul.
 * Everything between works on [N, G, 1, S] or [N, G, 1, 1]. Float16 X is cast to float32 first (and the
 * result back), so the statistics are float32 as in the reference.
 */
import { DataType } from '../codec/types.js';
import { makeAttribute, type Dim } from '../graph/factory.js';
import { cast, reduce, reshape, shapeOf, type OpBuilder } from '../builders/index.js';
import type { FloatElemType } from '../tensor/make.js';
import { SGE_EPS } from './reference.js';

/** The values the body reads and writes. */
export interface SgeIo {
  readonly x: string;
  readonly weight: string;
  readonly bias: string;
  readonly y: string;
  readonly elemType: FloatElemType;
  /** Name of the last node (the one producing `y`), verbatim; default a generated one. */
  readonly lastNodeName?: string;
  /** doc_string of the first node (which reads `x` as its input 0 when channels and groups are known). */
  readonly firstDocString?: string;
}

/** What is known at build time; anything missing is computed from shapes at run time. */
export interface SgeFacts {
  /** C. */
  readonly channels?: number;
  /** G (the length of weight). */
  readonly groups?: number;
  /** The spatial dims (numbers where static); its length is the spatial rank. Undefined: rank unknown. */
  readonly spatial?: readonly Dim[];
}

/** Adds the SGE nodes Y = SGE(X, weight, bias) to `b`. */
export function emitSgeBody(b: OpBuilder, io: SgeIo, facts: SgeFacts): void {
  const half = io.elemType === DataType.FLOAT16;
  let doc = io.firstDocString;
  const firstExtras = (): { docString?: string } => {
    const extras = doc ? { docString: doc } : {};
    doc = undefined;
    return extras;
  };

  const { channels: c, groups: g, spatial } = facts;
  const k = c !== undefined && g !== undefined ? c / g : undefined;
  const s = spatial?.every((d): d is number => typeof d === 'number') ? spatial.reduce((a, v) => a * v, 1) : undefined;
  // X's whole shape: needed for the final Reshape unless the output dims can be written as constants.
  const outDims =
    c !== undefined && spatial && spatial.filter((d) => typeof d !== 'number').length <= 1
      ? [0, c, ...spatial.map((d) => (typeof d === 'number' ? d : -1))]
      : undefined;
  let xShape: string | undefined;
  const wholeShapeOfX = (): string => (xShape ??= shapeOf(b, io.x, 'input_shape'));

  const xf = half ? cast(b, io.x, DataType.FLOAT, 'input_float', firstExtras()) : io.x;
  let groupShape: readonly number[] | string;
  if (k !== undefined) {
    groupShape = [0, g!, k, -1]; // 0 keeps N, −1 collects the spatial positions
  } else {
    // Before opset 15 the channel count is sliced from X's whole shape, which the final Reshape reuses.
    const cv =
      c !== undefined
        ? b.int64('channels', [c])
        : shapeOf(b, io.x, 'channels', 1, 2, b.opset < 15 && !outDims ? wholeShapeOfX() : undefined);
    const gv = g !== undefined ? b.int64('groups', [g]) : shapeOf(b, io.weight, 'groups');
    const kv = b.op('Div', [cv, gv], 'group_channels');
    groupShape = b.op('Concat', [b.int64('zero', [0]), gv, kv, b.int64('minus_one', [-1])], 'group_shape', {
      attributes: [makeAttribute('axis', { int: 0 })],
    });
  }
  const xg = reshape(b, xf, groupShape, 'grouped', firstExtras()); // [N, G, K, S]

  const mean = reduce(b, 'ReduceMean', xg, [3], 'channel_mean'); // [N, G, K, 1]
  const meanRow = reshape(b, mean, [0, 0, 1, -1], 'channel_mean_row'); // [N, G, 1, K]: same memory order
  const t = b.op('MatMul', [meanRow, xg], 'similarity'); // [N, G, 1, S]
  const mu = reduce(b, 'ReduceMean', t, [3], 'similarity_mean'); // [N, G, 1, 1]
  const centered = b.op('Sub', [t, mu], 'centered');
  // Σ (t − μ)² as Mul then ReduceSum: onnxruntime's ReduceSumSquare over the last axis has no fast
  // path and measured ~2× slower than the pair (a MatMul of the row with itself, ~3× slower).
  const sumSquares = reduce(b, 'ReduceSum', b.op('Mul', [centered, centered], 'squares'), [3], 'sum_squares'); // [N, G, 1, 1]
  // Unbiased: divide by S − 1 (S = 1 gives 0/0 = NaN, as the reference).
  const sMinus1 =
    s !== undefined
      ? b.float32('positions_minus_one', [s - 1])
      : b.op(
          'Sub',
          [cast(b, shapeOf(b, xg, 'positions', 3), DataType.FLOAT, 'positions_float'), b.float32('one', [1])],
          'positions_minus_one',
        );
  const variance = b.op('Div', [sumSquares, sMinus1], 'variance');
  const std = b.op('Sqrt', [variance], 'std');
  const denom = b.op('Add', [std, b.float32('eps', [SGE_EPS])], 'std_eps'); // eps after the square root
  // weight / (σ + eps) per (n, g) first: one small Div instead of one per position.
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
  let gated = b.op('Mul', [xg, gate], 'gated'); // every channel of the group times its gate
  if (half) gated = cast(b, gated, DataType.FLOAT16, 'gated_half');
  reshape(b, gated, outDims ?? wholeShapeOfX(), 'output', {
    output: io.y,
    ...(io.lastNodeName ? { name: io.lastNodeName } : {}),
  });
}
