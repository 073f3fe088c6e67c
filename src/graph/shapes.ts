/**
 * Tensor types and shapes: what the model declares (inputs, outputs, value_info, initializers), filled in
 * by a small forward inference over the operators convolutional networks are made of. Unknown ops give
 * unknown shapes, never wrong ones. Symbolic dimensions travel as their names.
 */
import {
  type AttributeProto,
  DataType,
  type GraphProto,
  type Int64,
  type NodeProto,
  type TypeProto,
} from '../codec/types.js';
import { declaredDims, type Dim } from './dims.js';
import { isDefaultDomain } from './opset.js';
import type { ModelIndex } from './model-index.js';

/** @deprecated the same type as {@link Dim}, under its old name. */
export type ShapeDim = Dim;

/** A tensor's element type and shape (undefined shape: rank unknown). */
export interface TensorInfo {
  readonly elemType?: number;
  readonly shape?: readonly Dim[];
}

/**
 * An int64 from the model as a number, or undefined when it is not a safe integer (a crafted model may
 * hold 2^62 anywhere): inference then says "unknown", never throws.
 */
function safeInt(v: Int64 | undefined | null): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : v.toNumber();
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A size inference can compute with: a non-negative safe integer (a crafted model may hold anything). */
function sizeOf(n: number | undefined): number | undefined {
  return n !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Reads the type of a ValueInfo. */
export function tensorInfoOfType(type: TypeProto | undefined): TensorInfo | undefined {
  const tt = type?.tensor_type;
  if (!tt) return undefined;
  const elemType = tt.elem_type || undefined;
  const dims = declaredDims(type);
  if (!dims) return { elemType };
  return { elemType, shape: dims.map((d) => (typeof d === 'number' ? sizeOf(d) : d)) };
}

function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}
function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a ? a.ints.map((v) => safeInt(v) ?? Number.NaN) : undefined;
}
function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a && Object.hasOwn(a, 'i') ? (safeInt(a.i) ?? fallback) : fallback;
}
function attrString(node: NodeProto, name: string): string | undefined {
  const a = attr(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : undefined;
}

const SAME_SHAPE = new Set([
  'Relu',
  'LeakyRelu',
  'PRelu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Clip',
  'Elu',
  'Selu',
  'Celu',
  'Gelu',
  'Mish',
  'Softplus',
  'Softsign',
  'Identity',
  'Dropout',
  'BatchNormalization',
  'InstanceNormalization',
  'LRN',
  'Neg',
  'Abs',
  'Exp',
  'Log',
  'Sqrt',
  'Erf',
  'Softmax',
  'LogSoftmax',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'LayerNormalization',
  'GroupNormalization',
  'ThresholdedRelu',
  'Shrink',
  'Sign',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'PRelu']);

/** Output spatial size of a sliding window; undefined when not computable. */
function windowOut(
  inp: Dim,
  k: number,
  stride: number,
  dil: number,
  padSum: number,
  autoPad: string | undefined,
  ceil: boolean,
): Dim {
  if (typeof inp !== 'number') return undefined;
  // Attributes out of their domain (a crafted or damaged model) give "unknown", never NaN or a negative size.
  if (!(k >= 1 && stride >= 1 && dil >= 1 && Number.isSafeInteger(padSum))) return undefined;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(inp / stride);
  const eff = dil * (k - 1) + 1;
  const pads = autoPad === 'VALID' ? 0 : padSum;
  const v = (inp + pads - eff) / stride;
  const out = (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
  return Number.isSafeInteger(out) && out >= 1 ? out : undefined;
}

function broadcast(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(
      x === 1 ? y : y === 1 ? x : x === y ? x : typeof x === 'number' && typeof y === 'number' ? undefined : (x ?? y),
    );
  }
  return out;
}

/** What a shape rule may look up besides the node's input infos. */
export interface ShapeContext {
  /** The values of an INT64 initializer (e.g. Reshape's target shape), when it is one. */
  constInts(name: string): number[] | undefined;
}

/**
 * Output infos of one node from its input infos (entries may be undefined; an empty list: nothing
 * known). A rule must give unknown rather than wrong shapes.
 */
export type ShapeRule = (
  node: NodeProto,
  inputs: readonly (TensorInfo | undefined)[],
  context: ShapeContext,
) => (TensorInfo | undefined)[];

const sameShape: ShapeRule = (_node, inputs) => [inputs[0]];

const broadcasting: ShapeRule = (_node, inputs) => {
  const x = inputs[0];
  let shape = x?.shape;
  for (const i of inputs.slice(1)) shape = shape && i?.shape ? broadcast(shape, i.shape) : undefined;
  return [{ elemType: x?.elemType ?? inputs[1]?.elemType, shape }];
};

const cast: ShapeRule = (node, inputs) => [{ elemType: attrInt(node, 'to', 0) || undefined, shape: inputs[0]?.shape }];

/** Conv and the sliding-window pools: [N, C, ...spatial] with each spatial size from its window. */
const slidingWindow: ShapeRule = (node, inputs) => {
  const x = inputs[0];
  const isConv = node.op_type === 'Conv';
  const xs = x?.shape;
  const w = inputs[1]?.shape;
  const kernel =
    attrInts(node, 'kernel_shape') ??
    (isConv && w ? w.slice(2).map((d) => (typeof d === 'number' ? d : NaN)) : undefined);
  // X is [N, C, ...spatial]: anything shorter is not a valid input, and its output rank is unknown.
  if (!xs || xs.length < 3) return [{ elemType: x?.elemType }];
  const rank = xs.length - 2;
  const channels = isConv ? w?.[0] : xs[1];
  if (!kernel || kernel.length !== rank || kernel.some((k) => Number.isNaN(k))) {
    return [{ elemType: x?.elemType, shape: [xs[0], channels, ...new Array<Dim>(rank).fill(undefined)] }];
  }
  const strides = attrInts(node, 'strides') ?? new Array<number>(rank).fill(1);
  const dil = attrInts(node, 'dilations') ?? new Array<number>(rank).fill(1);
  const pads = attrInts(node, 'pads') ?? new Array<number>(2 * rank).fill(0);
  const autoPad = attrString(node, 'auto_pad');
  const ceil = attrInt(node, 'ceil_mode', 0) === 1;
  const spatial = xs
    .slice(2)
    .map((d, i) =>
      windowOut(
        d,
        kernel[i]!,
        strides[i] ?? 1,
        dil[i] ?? 1,
        (pads[i] ?? 0) + (pads[i + rank] ?? 0),
        autoPad === 'NOTSET' ? undefined : autoPad,
        ceil,
      ),
    );
  return [{ elemType: x?.elemType, shape: [xs[0], channels, ...spatial] }];
};

const globalPool: ShapeRule = (_node, inputs) => {
  const x = inputs[0];
  return [
    {
      elemType: x?.elemType,
      shape: x?.shape && x.shape.length >= 2 ? [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] : undefined,
    },
  ];
};

const flatten: ShapeRule = (node, inputs) => {
  const x = inputs[0];
  if (!x?.shape) return [];
  let axis = attrInt(node, 'axis', 1);
  if (axis < 0) axis += x.shape.length;
  if (axis < 0 || axis > x.shape.length) return [{ elemType: x.elemType }];
  const prod = (ds: readonly Dim[]): Dim =>
    ds.reduce<Dim>((p, d) => (typeof p === 'number' && typeof d === 'number' ? p * d : undefined), 1);
  return [{ elemType: x.elemType, shape: [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))] }];
};

const gemm: ShapeRule = (node, inputs) => {
  const a = inputs[0]?.shape,
    b = inputs[1]?.shape;
  const m = a?.length === 2 ? a[attrInt(node, 'transA', 0) ? 1 : 0] : undefined;
  const n = b?.length === 2 ? b[attrInt(node, 'transB', 0) ? 0 : 1] : undefined;
  return [{ elemType: inputs[0]?.elemType, shape: [m, n] }];
};

const concat: ShapeRule = (node, inputs) => {
  const x = inputs[0];
  const shapes = inputs.map((i) => i?.shape);
  if (shapes.length === 0 || shapes.some((s) => !s)) return [{ elemType: x?.elemType }];
  const rank = shapes[0]!.length;
  let axis = attrInt(node, 'axis', 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank || shapes.some((sh) => sh!.length !== rank)) return [{ elemType: x?.elemType }];
  const out = shapes[0]!.map((d, i) =>
    i === axis
      ? shapes.reduce<Dim>(
          (s, sh) => (typeof s === 'number' && typeof sh![i] === 'number' ? s + (sh![i] as number) : undefined),
          0,
        )
      : d,
  );
  return [{ elemType: x?.elemType, shape: out }];
};

const reshape: ShapeRule = (node, inputs, context) => {
  const x = inputs[0];
  const target = context.constInts(node.input[1] ?? '');
  if (
    !target ||
    !x?.shape ||
    target.some((d) => !Number.isSafeInteger(d) || d < -1) ||
    target.filter((d) => d === -1).length > 1
  )
    return [{ elemType: x?.elemType }];
  const out: Dim[] = target.map((d, i) => (d === 0 ? x.shape![i] : d === -1 ? undefined : d));
  return [{ elemType: x.elemType, shape: out }];
};

/**
 * Constant: its value's type and dims (exporters write conv weights as Constant nodes too, and a
 * Conv's output channels come from its weight's dims).
 */
const constant: ShapeRule = (node) => {
  const t = attr(node, 'value')?.t;
  if (t) {
    const dims = t.dims.map((d) => sizeOf(safeInt(d)));
    return [{ elemType: t.data_type || undefined, shape: dims.every((d) => d !== undefined) ? dims : undefined }];
  }
  const a = node.attribute[0];
  switch (a?.name) {
    case 'value_float':
      return [{ elemType: DataType.FLOAT, shape: [] }];
    case 'value_floats':
      return [{ elemType: DataType.FLOAT, shape: [a.floats.length] }];
    case 'value_int':
      return [{ elemType: DataType.INT64, shape: [] }];
    case 'value_ints':
      return [{ elemType: DataType.INT64, shape: [a.ints.length] }];
    default:
      return [];
  }
};

/** The rules for ai.onnx operators, by op_type. */
const STANDARD_RULES: ReadonlyMap<string, ShapeRule> = new Map<string, ShapeRule>([
  ...[...SAME_SHAPE].filter((op) => !BROADCAST.has(op)).map((op) => [op, sameShape] as const),
  ...[...BROADCAST].map((op) => [op, broadcasting] as const),
  ['Cast', cast],
  ...['Conv', 'MaxPool', 'AveragePool', 'LpPool'].map((op) => [op, slidingWindow] as const),
  ...['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool'].map((op) => [op, globalPool] as const),
  ['Flatten', flatten],
  ['Gemm', gemm],
  ['Concat', concat],
  ['Reshape', reshape],
  ['Constant', constant],
]);

/** Rules callers registered for operators of other domains: domain → op_type (or '*') → rule. */
const CUSTOM_RULES = new Map<string, Map<string, ShapeRule>>();

/**
 * Teaches shape inference an operator of a custom domain (as graphsurgeon's `register` lets callers
 * add ops), so the graph core needs to know nothing of its callers' operators. `opType` '*' covers
 * every operator of the domain that has no rule of its own. A later registration replaces an earlier.
 */
export function registerShapeRule(domain: string, opType: string, rule: ShapeRule): void {
  if (isDefaultDomain(domain)) throw new TypeError('registerShapeRule: the ai.onnx operators have their rules');
  const byOp = CUSTOM_RULES.get(domain) ?? new Map<string, ShapeRule>();
  byOp.set(opType, rule);
  CUSTOM_RULES.set(domain, byOp);
}

function ruleFor(node: NodeProto): ShapeRule | undefined {
  const op = node.op_type ?? '';
  if (isDefaultDomain(node.domain)) return STANDARD_RULES.get(op);
  const byOp = CUSTOM_RULES.get(node.domain!);
  return byOp?.get(op) ?? byOp?.get('*');
}

/**
 * Types and shapes of every tensor of a graph that the model declares or that inference reaches.
 * Declared shapes win over inferred ones. `outer` supplies infos of enclosing scopes for nested graphs.
 */
export function inferShapes(
  graph: GraphProto,
  index: ModelIndex,
  outer?: ReadonlyMap<string, TensorInfo>,
  onNode?: NodeVisitor,
): Map<string, TensorInfo> {
  const infos = new Map<string, TensorInfo>(outer ?? []);
  for (const t of graph.initializer) {
    if (t.name) infos.set(t.name, { elemType: t.data_type || undefined, shape: t.dims.map((d) => sizeOf(safeInt(d))) });
  }
  for (const v of [...graph.input, ...graph.value_info, ...graph.output]) {
    const info = v.name ? tensorInfoOfType(v.type) : undefined;
    if (v.name && info && (info.shape || !infos.has(v.name))) infos.set(v.name, info);
  }
  const constInts = (name: string): number[] | undefined => {
    const t = index.initializer(name);
    if (!t) return undefined;
    if (t.int64_data.length) return t.int64_data.map((v) => safeInt(v) ?? Number.NaN);
    if (t.raw_data && t.data_type === 7) {
      const dv = new DataView(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength);
      return Array.from({ length: t.raw_data.byteLength / 8 }, (_, i) => Number(dv.getBigInt64(i * 8, true)));
    }
    return undefined;
  };
  const context: ShapeContext = { constInts };
  for (const node of graph.node) {
    const outs =
      ruleFor(node)?.(
        node,
        node.input.map((n) => (n ? infos.get(n) : undefined)),
        context,
      ) ?? [];
    node.output.forEach((name, i) => {
      const inferred = outs[i];
      const declared = infos.get(name);
      if (name && inferred && !declared?.shape)
        infos.set(name, { elemType: declared?.elemType ?? inferred.elemType, shape: inferred.shape });
    });
    onNode?.(node, infos);
  }
  return infos;
}

/**
 * Called after each node's outputs are inferred, in graph order, with the infos so far. A caller may
 * add facts for tensors not yet reached (what inference cannot follow): later nodes read them, and a
 * fact with a shape is kept over what inference would give.
 */
export type NodeVisitor = (node: NodeProto, infos: Map<string, TensorInfo>) => void;

/**
 * Types and shapes for every scope of the model (names are unique model-wide, so one map serves).
 * `known` adds facts the caller established (e.g. that a block's output has its input's shape); the
 * model's own declarations still win over them. `onNode` sees each node as inference passes it.
 */
export function inferModelShapes(
  index: ModelIndex,
  known?: ReadonlyMap<string, TensorInfo>,
  onNode?: NodeVisitor,
): Map<string, TensorInfo> {
  const all = new Map<string, TensorInfo>();
  const byScope = new Map<GraphProto, Map<string, TensorInfo>>();
  for (const scope of index.scopes) {
    const outer = scope.parent ? byScope.get(scope.parent.graph) : known;
    const infos = inferShapes(scope.graph, index, outer, onNode);
    byScope.set(scope.graph, infos);
    for (const [k, v] of infos) if (!all.has(k) || v.shape) all.set(k, v);
  }
  return all;
}
