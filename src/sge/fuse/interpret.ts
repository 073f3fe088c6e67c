/**
 * Evaluates a candidate block backwards from its output: every tensor it reads becomes a constant
 * (constants.ts), a term over the block input X (terms.ts), or unknown. The walk stops at X, at
 * initializers, and at any node that is not one SGE is made of (a Conv, a Relu…), so it never wanders
 * into the rest of the network; the nodes it visited are the block.
 */
import type { NodeProto } from '../../codec/types.js';
import { DataType } from '../../codec/types.js';
import type { ModelIndex } from '../../graph/model-index.js';
import { isDefaultDomain } from '../../graph/opset.js';
import {
  axesOf,
  type Const,
  constOfTensor,
  evaluateConstant,
  flattenDims,
  intAttribute,
  intsAttribute,
  makeConst,
  reduceAxes,
  shapeOfDims,
  squeezeDims,
  unsqueezeDims,
} from './constants.js';
import { axisSize, inputLayout, type Layout, layoutDims, reshapeLayout, resolveReshape } from './layout.js';
import {
  applyBinary,
  applyReduce,
  applyUnary,
  type Data,
  type Frame,
  type ReduceKind,
  unknown,
  type Unknown,
} from './terms.js';

/** What a tensor is, for one block under one frame. */
export type Value = Const | Data | Unknown;

/** Most nodes a block may have (torch's export of one SGE has about 80). */
export const MAX_BLOCK_NODES = 400;

const VIEWS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Cast']);
const REDUCTIONS: Readonly<Record<string, ReduceKind>> = {
  ReduceMean: 'mean',
  GlobalAveragePool: 'mean',
  ReduceSum: 'sum',
  ReduceSumSquare: 'sumSquare',
  ReduceL2: 'l2',
};
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow']);
const UNARY = new Set([
  'Sqrt',
  'Reciprocal',
  'Neg',
  'Sigmoid',
  'Tanh',
  'HardSigmoid',
  'Relu',
  'Softsign',
  'Softplus',
  'Exp',
  'Erf',
  'Abs',
]);
/** Ops only ever evaluated on constants (shape arithmetic). */
const CONSTANT_ONLY = new Set([
  'Constant',
  'Shape',
  'Size',
  'Gather',
  'Concat',
  'Slice',
  'ReduceProd',
  'ReduceMax',
  'ReduceMin',
  'ConstantOfShape',
  'Equal',
  'Where',
  'Expand',
  'Max',
  'Min',
  'Floor',
  'Ceil',
]);
const FLOAT_TYPES: ReadonlySet<number> = new Set([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE]);

/**
 * Ops that move or contract axes: Transpose where it moves only size-1 axes (a view then), MatMul of
 * two block tensors as the broadcast product it is followed by a sum over the contracted axis (how
 * `torch.bmm(mean^T, x)` writes the similarity).
 */
const AXIS_OPS = new Set(['Transpose', 'MatMul']);

/** True for the ops the interpreter knows (the others end the walk). */
export function isBlockOp(node: NodeProto): boolean {
  const op = node.op_type ?? '';
  return (
    isDefaultDomain(node.domain) &&
    (VIEWS.has(op) || op in REDUCTIONS || BINARY.has(op) || UNARY.has(op) || CONSTANT_ONLY.has(op) || AXIS_OPS.has(op))
  );
}

/** The view ops between X and the block's reshapes (what `find.ts` follows to find X and Y). */
export const isViewOp = (node: NodeProto): boolean =>
  isDefaultDomain(node.domain) && VIEWS.has(node.op_type ?? '') && node.op_type !== 'Cast';

/** One block's evaluation under one frame. */
export class BlockInterpreter {
  private readonly values = new Map<string, Value>();
  /** Every node the walk evaluated, in the order it finished them. */
  readonly nodes = new Set<NodeProto>();

  constructor(
    private readonly index: ModelIndex,
    /** The block input. */
    readonly x: string,
    readonly frame: Frame,
  ) {}

  /** What `name` is. */
  value(name: string): Value {
    const known = this.values.get(name);
    if (known) return known;
    // A graph with a cycle would otherwise recurse forever; a valid one never reads this placeholder.
    this.values.set(name, unknown(`'${name}' depends on itself`));
    const v = this.compute(name);
    this.values.set(name, v);
    return v;
  }

  private compute(name: string): Value {
    if (name === this.x)
      return { kind: 'data', layout: inputLayout(this.frame.dims), term: { kind: 'x', scale: 1, defects: [] } };
    const source = this.index.source(name);
    if (!source) return unknown(`'${name}' is not defined`);
    if (source.kind === 'initializer') {
      const c = constOfTensor(source.tensor);
      return typeof c === 'string' ? unknown(c) : c;
    }
    if (source.kind === 'graph-input') return unknown(`the block reads the graph input '${name}'`);
    const node = source.node;
    if (!isBlockOp(node))
      return unknown(`the block reads '${name}', made by ${node.op_type ?? '?'} node '${node.name ?? ''}' outside it`);
    if (source.outputIndex !== 0)
      return unknown(`the block reads output ${source.outputIndex} of '${node.name ?? ''}'`);
    if (this.nodes.size >= MAX_BLOCK_NODES)
      return unknown(`more than ${MAX_BLOCK_NODES} nodes: too large for one SGE block`);
    this.nodes.add(node);
    const inputs = node.input.map((i) => (i ? this.value(i) : undefined));
    return this.apply(node, inputs);
  }

  private apply(node: NodeProto, inputs: readonly (Value | undefined)[]): Value {
    const op = node.op_type ?? '';
    const bad = inputs.find((v): v is Unknown => v?.kind === 'unknown');
    const x = inputs[0];
    if (!inputs.some((v) => v?.kind === 'data')) {
      if (bad) return bad;
      const c = evaluateConstant(node, inputs as (Const | undefined)[]);
      return typeof c === 'string' ? unknown(`${op} '${node.name ?? ''}': ${c}`) : c;
    }
    if (bad) return unknown(bad.reason, ...inputs);
    const where = (reason: string) => unknown(`${op} '${node.name ?? ''}': ${reason}`, ...inputs);
    if (x?.kind !== 'data') {
      if (BINARY.has(op) && x && inputs[1]?.kind === 'data')
        return applyBinary(op, x as Const, inputs[1], { node, frame: this.frame });
      return where('reads a tensor derived from X where a constant belongs');
    }
    // Shape arithmetic on block tensors: their dims are known in this frame.
    if (op === 'Shape') return shapeOfDims(node, layoutDims(x.layout));
    if (op === 'Size') return makeConst([], [layoutDims(x.layout).reduce((a, b) => a * b, 1)], DataType.INT64);
    if (VIEWS.has(op)) return this.view(node, x, inputs[1]);
    if (op in REDUCTIONS) {
      if (inputs[1]?.kind === 'data') return where('its axes input is derived from X');
      const rank = x.layout.length;
      const axes =
        op === 'GlobalAveragePool'
          ? Array.from({ length: Math.max(rank - 2, 0) }, (_, i) => i + 2)
          : reduceAxes(node, inputs[1] as Const | undefined, rank);
      if (typeof axes === 'string') return where(axes);
      const keep = op === 'GlobalAveragePool' || intAttribute(node, 'keepdims', 1) === 1;
      return applyReduce(REDUCTIONS[op]!, x, axes, keep, this.frame);
    }
    if (BINARY.has(op)) {
      const y = inputs[1];
      if (!y) return where('has one input');
      return applyBinary(op, x, y as Data | Const, { node, frame: this.frame });
    }
    if (UNARY.has(op)) return applyUnary(op, x);
    if (op === 'Transpose') return this.transpose(node, x);
    if (op === 'MatMul') {
      const y = inputs[1];
      if (y?.kind !== 'data') return where('multiplies a tensor derived from X by a constant matrix');
      return this.matMul(x, y, where);
    }
    return where('is not evaluated on tensors derived from X');
  }

  /**
   * Transpose: a view when the axes of size > 1 keep their order (only size-1 axes move); any other
   * permutation reorders X's elements, which no step of SGE does.
   */
  private transpose(node: NodeProto, x: Data): Value {
    const rank = x.layout.length;
    const perm = intsAttribute(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
      return unknown(`Transpose '${node.name ?? ''}': perm [${perm.join(', ')}] does not fit rank ${rank}`, x);
    const moved = perm.filter((p) => axisSize(x.layout[p]!) > 1);
    if (moved.some((p, i) => i > 0 && p < moved[i - 1]!))
      return unknown(`Transpose '${node.name ?? ''}' reorders the axes of a tensor derived from X`, x);
    return { kind: 'data', layout: perm.map((p) => x.layout[p]!), term: x.term };
  }

  /**
   * MatMul of two block tensors of rank ≥ 2 ([…, M, K] · […, K, N]): A·B is Σ_k A[…, m, k]·B[…, k, n],
   * evaluated as A unsqueezed to […, M, K, 1] times B unsqueezed to […, 1, K, N], then summed over K.
   */
  private matMul(a: Data, b: Data, where: (reason: string) => Unknown): Value {
    if (a.layout.length < 2 || b.layout.length < 2) return where('a matrix product of vectors');
    const a4: Layout = [...a.layout, []];
    const b4: Layout = [...b.layout.slice(0, -2), [], ...b.layout.slice(-2)];
    const product = applyBinary(
      'Mul',
      { kind: 'data', layout: a4, term: a.term },
      { ...b, layout: b4 },
      {
        node: { input: [], output: [], attribute: [] } as unknown as NodeProto,
        frame: this.frame,
      },
    );
    if (product.kind !== 'data') return product;
    return applyReduce('sum', product, [product.layout.length - 2], false, this.frame);
  }

  private view(node: NodeProto, x: Data, second: Value | undefined): Value {
    const op = node.op_type ?? '';
    const dims = layoutDims(x.layout);
    const where = (reason: string) => unknown(`${op} '${node.name ?? ''}': ${reason}`, x);
    if (second?.kind === 'data') return where('its shape input is derived from X');
    const constSecond = second as Const | undefined;
    let target: number[] | string;
    switch (op) {
      case 'Identity':
      case 'Dropout':
        return x;
      case 'Cast':
        return FLOAT_TYPES.has(intAttribute(node, 'to', 0)) ? x : where('casts X-derived data to a non-float type');
      case 'Reshape':
        if (!constSecond) return where('has no target shape');
        target = resolveReshape(dims, Array.from(constSecond.values), intAttribute(node, 'allowzero', 0) === 1);
        break;
      case 'Flatten':
        target = flattenDims(dims, intAttribute(node, 'axis', 1));
        break;
      case 'Squeeze':
        target = squeezeDims(dims, axesOf(node, constSecond));
        break;
      default: {
        const axes = axesOf(node, constSecond);
        target = axes ? unsqueezeDims(dims, axes) : 'Unsqueeze without axes';
      }
    }
    if (typeof target === 'string') return where(target);
    const layout = reshapeLayout(x.layout, target);
    return typeof layout === 'string' ? where(layout) : { kind: 'data', layout, term: x.term };
  }
}
