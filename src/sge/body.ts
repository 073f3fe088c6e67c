/**
 * The SGE computation as ai.onnx ops: one body for the inline form (facts known when it is built become
 * constants) and the function form (which cannot see the caller's shapes, so it reads them from X in a
 * way onnxruntime evaluates while loading the model when the spatial dims are static: both forms then
 * run the same nodes).
 *
 * Layout: X [N, C, ...spatial] is viewed as Xg [N, G, K, S] (K = C/G, S = the spatial positions). Three
 * passes touch the full tensor: the channel means, the dot product of every position with its group's
 * mean vector (one batched MatMul [N,G,1,K]·[N,G,K,S]) and the gating Mul; everything between works on
 * [N, G, 1, S] or [N, G, 1, 1]. On small maps every node costs about the same whatever it computes, so
 * the body is written for few nodes (bench/NOTES.md has the measurements):
 *
 *   t = mean_row · Xg;  d = t − mean(t);  v = d / (√(d·dᵀ) + eps·√(S−1))
 *   Y = Xg · sigmoid(v · weight·√(S−1) + bias)          (one BatchNormalization does the affine)
 *
 * which is the reference's (t − μ) / (σ + eps) · weight + bias with σ = √(Σd² / (S−1)) (unbiased, eps
 * after the root) multiplied through by √(S−1). Float16 X is cast to float32 first (and the result
 * back), so the statistics are float32 as in the reference.
 */
import { DataType } from '../codec/types.js';
import { makeAttribute, makeTensor } from '../graph/factory.js';
import type { Dim } from '../graph/dims.js';
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
  /** doc_string of the first node (which reads `x` as its input 0). */
  readonly firstDocString?: string;
}

/** What is known at build time; anything missing is computed from shapes. */
export interface SgeFacts {
  /** C. */
  readonly channels?: number;
  /** G (the length of weight). */
  readonly groups?: number;
  /** The spatial dims (numbers where static); its length is the spatial rank. Undefined: rank unknown. */
  readonly spatial?: readonly Dim[];
  /**
   * Read what is not known through ops that onnxruntime folds into constants when X's spatial dims
   * are static (the function form); otherwise through the cheapest ops at run time.
   */
  readonly foldable?: boolean;
}

/** The shape facts the computation needs, as constants or values computed from X, each made when first asked. */
interface ShapeValues {
  /** [0, G, K, S], or −1 for one of K, S: the target of the grouping Reshape. */
  readonly groupShape: () => string;
  /** The target of the final Reshape back to X's shape. */
  readonly outShape: () => string;
  /** √(S − 1) and eps·√(S − 1), float scalars. */
  readonly roots: () => { readonly root: string; readonly epsRoot: string };
  /** [G] float zeros and ones (BatchNormalization's mean and variance). */
  readonly meanAndVariance: () => { readonly zeros: string; readonly ones: string };
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

  const xf = half ? cast(b, io.x, DataType.FLOAT, 'input_float', firstExtras()) : io.x;
  const shapes = shapeValues(b, io, facts);
  // With C and G known (the inline form) the grouping needs no other node, so this Reshape (or the Cast
  // before it) is the first node, reading X: the marker goes there.
  const xg = reshape(b, xf, shapes.groupShape(), 'grouped', firstExtras()); // [N, G, K, S]

  const mean = reduce(b, 'ReduceMean', xg, [3], 'channel_mean'); // [N, G, K, 1]
  const meanRow = reshape(b, mean, [0, 0, 1, -1], 'channel_mean_row'); // [N, G, 1, K]: same memory order
  const t = b.op('MatMul', [meanRow, xg], 'similarity'); // [N, G, 1, S]
  const mu = reduce(b, 'ReduceMean', t, [3], 'similarity_mean'); // [N, G, 1, 1]
  const centered = b.op('Sub', [t, mu], 'centered');
  // Σ d² as the dot product d·dᵀ: onnxruntime fuses the Transpose into its MatMul (one node), which ran
  // faster than ReduceSumSquare, ReduceL2, or Mul then ReduceSum (onnxruntime's reductions other than
  // Mean, Sum, Max and Min have no fast path).
  const sumSquares = b.op('MatMul', [centered, transposeLastTwo(b, centered, 'centered_column')], 'sum_squares');
  const norm = b.op('Sqrt', [sumSquares], 'norm'); // √Σd² = σ·√(S−1)
  const { root, epsRoot } = shapes.roots();
  const denom = b.op('Add', [norm, epsRoot], 'norm_eps'); // (σ + eps)·√(S−1): eps after the root
  const normalized = b.op('Div', [centered, denom], 'normalized'); // (t − μ)/(σ + eps) / √(S−1)
  const weight = half ? cast(b, io.weight, DataType.FLOAT, 'weight_float') : io.weight;
  const bias = half ? cast(b, io.bias, DataType.FLOAT, 'bias_float') : io.bias;
  // weight·√(S−1), and every BatchNormalization input but X, are constants once the model is loaded.
  const scale = b.op('Mul', [weight, root], 'weight_root');
  const { zeros, ones } = shapes.meanAndVariance();
  const affine = b.op('BatchNormalization', [normalized, scale, bias, zeros, ones], 'affine', {
    attributes: [makeAttribute('epsilon', { float: 0 })],
  });
  const gate = b.op('Sigmoid', [affine], 'gate');
  let gated = b.op('Mul', [xg, gate], 'gated'); // every channel of the group times its gate
  if (half) gated = cast(b, gated, DataType.FLOAT16, 'gated_half');
  reshape(b, gated, shapes.outShape(), 'output', {
    output: io.y,
    ...(io.lastNodeName ? { name: io.lastNodeName } : {}),
  });
}

function transposeLastTwo(b: OpBuilder, x: string, label: string): string {
  return b.op('Transpose', [x], label, { attributes: [makeAttribute('perm', { ints: [0, 1, 3, 2] })] });
}

/** Constants for what is known, the rest read from X and the weight. */
function shapeValues(b: OpBuilder, io: SgeIo, facts: SgeFacts): ShapeValues {
  const { channels: c, groups: g, spatial } = facts;
  const k = c !== undefined && g !== undefined ? c / g : undefined;
  const s = spatial?.every((d): d is number => typeof d === 'number') ? spatial.reduce((a, v) => a * v, 1) : undefined;
  const once = <T>(make: () => T): (() => T) => {
    let value: T | undefined;
    return () => (value ??= make());
  };

  const spatialDims = once((): string => {
    if (facts.foldable) {
      // onnxruntime folds a Shape only when its input's whole shape is static (Shape(X, start=2) too,
      // measured with 1.30), and X has the symbolic N: the shape of one channel of one sample is the
      // spatial dims alone, static when they are. At run time (symbolic dims) it costs a copy of N·S values.
      const first = (v: string, axis: number, label: string): string =>
        b.op('Gather', [v, b.int64('index_zero', [0], [])], label, {
          attributes: [makeAttribute('axis', { int: axis })],
        });
      return b.op('Shape', [first(first(io.x, 1, 'one_channel'), 0, 'one_map')], 'spatial');
    }
    return shapeOf(b, io.x, 'spatial', 2);
  });
  const positions = once((): string =>
    s !== undefined ? b.int64('positions', [s]) : reduce(b, 'ReduceProd', spatialDims(), [0], 'positions'),
  );
  const groups = once((): string => (g !== undefined ? b.int64('groups', [g]) : shapeOf(b, io.weight, 'groups')));
  const concat = (parts: string[], label: string): string =>
    b.op('Concat', parts, label, { attributes: [makeAttribute('axis', { int: 0 })] });

  return {
    groupShape: once(() =>
      k !== undefined
        ? b.int64('group_shape', [0, g!, k, s ?? -1]) // 0 keeps N, −1 collects the positions
        : concat([b.int64('zero', [0]), groups(), b.int64('minus_one', [-1]), positions()], 'group_shape'),
    ),
    outShape: once(() =>
      c !== undefined && spatial && spatial.filter((d) => typeof d !== 'number').length <= 1
        ? b.int64('output_shape', [0, c, ...spatial.map((d) => (typeof d === 'number' ? d : -1))])
        : concat([b.int64('zero_minus_one', [0, -1]), spatialDims()], 'output_shape'),
    ),
    roots: once(() => {
      if (s !== undefined) {
        return {
          root: b.float32('root_positions_minus_one', [Math.sqrt(s - 1)]),
          epsRoot: b.float32('eps_root', [SGE_EPS * Math.sqrt(s - 1)]),
        };
      }
      // S = 1 gives √0 = 0 and then 0/0 = NaN, as the reference.
      const sMinus1 = b.op(
        'Sub',
        [cast(b, positions(), DataType.FLOAT, 'positions_float'), b.float32('one', [1])],
        'positions_minus_one',
      );
      const root = b.op('Sqrt', [sMinus1], 'root_positions_minus_one');
      return { root, epsRoot: b.op('Mul', [root, b.float32('eps', [SGE_EPS])], 'eps_root') };
    }),
    meanAndVariance: once(() => {
      // ConstantOfShape rather than [G] initializers: folded at load all the same, and the model does
      // not carry 2·G constant elements a site beside the 2·G parameters (reports count initializers).
      const filled = (value: number, label: string): string =>
        b.op('ConstantOfShape', [groups()], label, {
          attributes: [makeAttribute('value', { tensor: makeTensor('', [1], Float32Array.of(value)) })],
        });
      return { zeros: filled(0, 'zeros'), ones: filled(1, 'ones') };
    }),
  };
}
