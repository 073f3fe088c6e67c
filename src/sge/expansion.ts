/** The inline form of an SGE site: standard ops at the site, constants where shapes are static. */
import type { NodeProto, TensorProto } from '../codec/types.js';
import { DataType } from '../codec/types.js';
import type { Dim } from '../graph/dims.js';
import { OpBuilder } from '../builders/builder.js';
import type { FloatElemType } from '../tensor/make.js';
import { SGE_INLINE_MARKER } from './conventions.js';
import { emitSgeBody } from './body.js';

/** Options of {@link buildSgeNodes}. */
export interface SgeNodesOptions {
  /** The model's ai.onnx opset (11…26). */
  readonly opset: number;
  /** Element type of X, Y, weight and bias: FLOAT or FLOAT16. */
  readonly elemType: FloatElemType;
  /** Input value (the conv output under its fresh name). */
  readonly x: string;
  /** Weight initializer, shape [G]. */
  readonly weight: string;
  /** Bias initializer, shape [G]. */
  readonly bias: string;
  /** Output value (the conv output's original name). */
  readonly y: string;
  /** `<site>/sge`: the last node's exact name; every other name is `<prefix>/…`. */
  readonly prefix: string;
  /** C, X's channel count. */
  readonly channels: number;
  /** G, the length of weight; must divide `channels`. */
  readonly groups: number;
  /**
   * X's shape [N, C, ...spatial] as far as known (numbers static, strings or undefined symbolic); its
   * length gives the spatial rank. Static spatial dims let S − 1 and the output shape be constants.
   * Default: rank unknown, all found at run time.
   */
  readonly shape?: readonly Dim[];
  /** Makes a wanted name unique in the target graph (e.g. NameAuthority.fresh); default identity. */
  readonly freshName?: (base: string) => string;
}

/** Nodes (in topological order) and constant initializers of one inline SGE site. */
export interface SgeNodes {
  readonly nodes: NodeProto[];
  readonly initializers: TensorProto[];
}

/**
 * The inline SGE: Y = SGE(X, weight, bias) as standard ai.onnx ops at `opset`. The first node reads X
 * as its input 0 and carries the doc_string `sge-inject:SpatialGroupEnhance`; the last node (the
 * Reshape back to X's shape) is named exactly `prefix` and outputs Y. Other nodes, values and constant
 * initializers are named `<prefix>/<what>` through `freshName`; the initializers belong in the same
 * graph as the nodes.
 *
 * @throws TypeError for an element type other than FLOAT/FLOAT16, or groups that do not divide channels.
 * @throws InputError for an opset outside 11…26.
 */
export function buildSgeNodes(options: SgeNodesOptions): SgeNodes {
  const { channels, groups, shape } = options;
  checkElemType(options.elemType);
  if (!Number.isInteger(channels) || !Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
    throw new TypeError(`buildSgeNodes: ${groups} groups do not divide ${channels} channels`);
  }
  if (shape) {
    if (shape.length < 3)
      throw new TypeError(`buildSgeNodes: X's shape must be [N, C, ...spatial], got rank ${shape.length}`);
    if (typeof shape[1] === 'number' && shape[1] !== channels) {
      throw new TypeError(`buildSgeNodes: shape says ${shape[1]} channels, channels says ${channels}`);
    }
  }
  const b = new OpBuilder({
    opset: options.opset,
    prefix: options.prefix,
    constants: 'initializer',
    ...(options.freshName ? { freshName: options.freshName } : {}),
  });
  emitSgeBody(
    b,
    {
      x: options.x,
      weight: options.weight,
      bias: options.bias,
      y: options.y,
      elemType: options.elemType,
      lastNodeName: options.prefix,
      firstDocString: SGE_INLINE_MARKER,
    },
    { channels, groups, ...(shape ? { spatial: shape.slice(2) } : {}) },
  );
  return { nodes: b.nodes, initializers: b.initializers };
}

/** @throws TypeError unless FLOAT or FLOAT16. */
export function checkElemType(elemType: number): asserts elemType is FloatElemType {
  if (elemType !== DataType.FLOAT && elemType !== DataType.FLOAT16) {
    throw new TypeError(`SGE element type must be FLOAT (1) or FLOAT16 (10), got ${elemType}`);
  }
}
