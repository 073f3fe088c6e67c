/**
 * Evaluating the constant side of an exported block: shape arithmetic (Shape → Gather → Unsqueeze →
 * Concat chains, ReduceProd of dims, Cast) and folded constants, on small tensors of numbers. The
 * shapes come in as concrete numbers for one assignment of X's unknown dims (find.ts evaluates a
 * block under two assignments), so a batch read at run time and a batch baked in as b·G both become
 * plain numbers here. Float32 results are rounded to float32 as onnxruntime computes them.
 */
import type { AttributeProto, NodeProto, TensorProto } from '../../codec/types.js';
import { DataType } from '../../codec/types.js';
import { int64ToNumber } from '../../codec/int64.js';
import { isIntegerType, tensorNumbers } from '../../tensor/numbers.js';
import { resolveReshape } from './layout.js';

/** Largest constant evaluated (shape vectors and per-group parameters are far smaller). */
export const MAX_CONSTANT_ELEMENTS = 1 << 16;

/** A constant tensor of numbers. */
export interface Const {
  readonly kind: 'const';
  readonly dims: readonly number[];
  readonly values: Float64Array;
  /** ONNX element type. */
  readonly dataType: number;
}

/** A new constant (values rounded to float32 for FLOAT). */
export function makeConst(dims: readonly number[], values: ArrayLike<number>, dataType: number): Const {
  const v = Float64Array.from(values as ArrayLike<number>);
  if (dataType === DataType.FLOAT) for (let i = 0; i < v.length; i++) v[i] = Math.fround(v[i]!);
  return { kind: 'const', dims: [...dims], values: v, dataType };
}

/** An int64 vector. */
export const int64Vector = (values: readonly number[]): Const => makeConst([values.length], values, DataType.INT64);

/** A constant read from a TensorProto, or why it cannot be read. */
export function constOfTensor(t: TensorProto): Const | string {
  try {
    const dims = t.dims.map((d) => int64ToNumber(d));
    return makeConst(dims, tensorNumbers(t, MAX_CONSTANT_ELEMENTS), t.data_type ?? 0);
  } catch (err) {
    return `constant '${t.name ?? ''}' cannot be read: ${(err as Error).message}`;
  }
}

/** Number of elements. */
export const constSize = (c: Const): number => c.values.length;

/** The single value of a constant with one element (any dims of 1), else undefined. */
export function scalarOf(c: Const): number | undefined {
  return c.values.length === 1 ? c.values[0] : undefined;
}

/** Reads attribute `name` of a node. */
export function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

/** An INT attribute, or `fallback`. */
export function intAttribute(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a && Object.hasOwn(a, 'i') ? int64ToNumber(a.i) : fallback;
}

/** An INTS attribute, or undefined. */
export function intsAttribute(node: NodeProto, name: string): number[] | undefined {
  const a = attribute(node, name);
  return a ? a.ints.map((v) => int64ToNumber(v)) : undefined;
}

/** A Constant node's value, or why it cannot be read. */
export function constantNodeValue(node: NodeProto): Const | string {
  const a = node.attribute[0];
  if (!a || node.attribute.length !== 1) return `Constant node '${node.name ?? ''}' has no single value attribute`;
  switch (a.name) {
    case 'value':
      return a.t ? constOfTensor(a.t) : 'a Constant with an empty value';
    case 'value_float':
      return makeConst([], [a.f ?? 0], DataType.FLOAT);
    case 'value_floats':
      return makeConst([a.floats.length], a.floats, DataType.FLOAT);
    case 'value_int':
      return makeConst([], [int64ToNumber(a.i)], DataType.INT64);
    case 'value_ints':
      return makeConst(
        [a.ints.length],
        a.ints.map((v) => int64ToNumber(v)),
        DataType.INT64,
      );
    default:
      return `Constant node '${node.name ?? ''}' holds a ${a.name} value`;
  }
}

function strides(dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) out[i] = out[i + 1]! * dims[i + 1]!;
  return out;
}

/** numpy-style broadcast of dims, or undefined when they do not broadcast. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1,
      y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

function elementwise(inputs: readonly Const[], dataType: number, f: (...v: number[]) => number): Const | string {
  let dims: number[] | undefined = [...inputs[0]!.dims];
  for (const c of inputs.slice(1)) dims = dims && broadcastDims(dims, c.dims);
  if (!dims) return `constants of dims ${inputs.map((c) => `[${c.dims.join(', ')}]`).join(' and ')} do not broadcast`;
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > MAX_CONSTANT_ELEMENTS) return 'a constant too large to evaluate';
  const outStrides = strides(dims);
  const inStrides = inputs.map((c) => {
    const s = strides(c.dims);
    const off = dims!.length - c.dims.length;
    return dims!.map((_, i) => (i < off || c.dims[i - off] === 1 ? 0 : s[i - off]!));
  });
  const values = new Float64Array(count);
  const args = new Array<number>(inputs.length);
  for (let flat = 0; flat < count; flat++) {
    for (let k = 0; k < inputs.length; k++) {
      let at = 0,
        rest = flat;
      for (let i = 0; i < dims.length; i++) {
        const idx = Math.floor(rest / outStrides[i]!);
        rest -= idx * outStrides[i]!;
        at += idx * inStrides[k]![i]!;
      }
      args[k] = inputs[k]!.values[at]!;
    }
    values[flat] = f(...args);
  }
  return makeConst(dims, values, dataType);
}

function normalizeAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < Math.max(rank, 1) ? a : undefined;
}

const BINARY: Readonly<Record<string, (a: number, b: number, integer: boolean) => number>> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  // Integer Div truncates toward zero, as onnxruntime's.
  Div: (a, b, integer) => (integer ? Math.trunc(a / b) : a / b),
  Pow: (a, b) => a ** b,
  Max: (a, b) => Math.max(a, b),
  Min: (a, b) => Math.min(a, b),
  Equal: (a, b) => (a === b ? 1 : 0),
};

const UNARY: Readonly<Record<string, (a: number) => number>> = {
  Sqrt: Math.sqrt,
  Neg: (a) => -a,
  Abs: Math.abs,
  Reciprocal: (a) => 1 / a,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Identity: (a) => a,
};

/** Reduction axes of a Reduce* node: attribute, or input 1 (ReduceSum from 13, the others from 18). */
export function reduceAxes(node: NodeProto, axesInput: Const | undefined, rank: number): number[] | string {
  const fromAttr = intsAttribute(node, 'axes');
  let axes = fromAttr ?? (axesInput ? Array.from(axesInput.values) : undefined);
  if (!axes || axes.length === 0) {
    if (intAttribute(node, 'noop_with_empty_axes', 0)) return [];
    axes = Array.from({ length: rank }, (_, i) => i);
  }
  const out: number[] = [];
  for (const a of axes) {
    const n = normalizeAxis(a, rank);
    if (n === undefined) return `axis ${a} is out of range for rank ${rank}`;
    if (!out.includes(n)) out.push(n);
  }
  return out.sort((x, y) => x - y);
}

/** Dims after Unsqueeze at `axes` (output-rank positions). */
export function unsqueezeDims(dims: readonly number[], axes: readonly number[]): number[] | string {
  const rank = dims.length + axes.length;
  const at = axes.map((a) => normalizeAxis(a, rank));
  if (at.some((a) => a === undefined)) return `unsqueeze axes [${axes.join(', ')}] are out of range`;
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.includes(i) ? 1 : dims[k++]!);
  return out;
}

/** Dims after Squeeze of `axes` (all size-1 axes when none are given). */
export function squeezeDims(dims: readonly number[], axes: readonly number[] | undefined): number[] | string {
  if (!axes || axes.length === 0) return dims.filter((d) => d !== 1);
  const at = axes.map((a) => normalizeAxis(a, dims.length));
  if (at.some((a) => a === undefined || dims[a] !== 1)) return `squeeze axes [${axes.join(', ')}] are not of size 1`;
  return dims.filter((_, i) => !at.includes(i));
}

/** Axes of Unsqueeze/Squeeze: attribute before opset 13, input 1 from 13. */
export function axesOf(node: NodeProto, input: Const | undefined): number[] | undefined {
  return intsAttribute(node, 'axes') ?? (input ? Array.from(input.values) : undefined);
}

/** Dims of a Flatten at `axis`. */
export function flattenDims(dims: readonly number[], axis: number): number[] | string {
  const a = normalizeAxis(axis, dims.length + 1);
  if (a === undefined) return `flatten axis ${axis} is out of range`;
  const prod = (ds: readonly number[]) => ds.reduce((x, y) => x * y, 1);
  return [prod(dims.slice(0, a)), prod(dims.slice(a))];
}

/**
 * Evaluates `node` on constant inputs (absent optional inputs are undefined). Returns the outputs, or
 * why the node cannot be evaluated (an unsupported op, a shape error).
 */
export function evaluateConstant(node: NodeProto, inputs: readonly (Const | undefined)[]): Const | string {
  const op = node.op_type ?? '';
  const x = inputs[0];
  if (op === 'Constant') return constantNodeValue(node);
  if (!x) return `${op} without input`;
  const integer = isIntegerType(x.dataType);
  if (op in BINARY && inputs[1]) {
    const f = BINARY[op]!;
    return elementwise([x, inputs[1]], op === 'Equal' ? DataType.BOOL : x.dataType, (a, b) => f(a, b, integer));
  }
  if (op in UNARY) return elementwise([x], x.dataType, UNARY[op]!);
  switch (op) {
    case 'Cast': {
      const to = intAttribute(node, 'to', 0);
      const round = isIntegerType(to) ? Math.trunc : (v: number) => v;
      return makeConst(x.dims, Array.from(x.values, round), to);
    }
    case 'Shape':
      return shapeOfDims(node, x.dims);
    case 'Size':
      return makeConst([], [constSize(x)], DataType.INT64);
    case 'Gather':
      return gather(x, inputs[1], intAttribute(node, 'axis', 0));
    case 'Unsqueeze': {
      const axes = axesOf(node, inputs[1]);
      const dims = axes ? unsqueezeDims(x.dims, axes) : 'Unsqueeze without axes';
      return typeof dims === 'string' ? dims : makeConst(dims, x.values, x.dataType);
    }
    case 'Squeeze': {
      const dims = squeezeDims(x.dims, axesOf(node, inputs[1]));
      return typeof dims === 'string' ? dims : makeConst(dims, x.values, x.dataType);
    }
    case 'Flatten': {
      const dims = flattenDims(x.dims, intAttribute(node, 'axis', 1));
      return typeof dims === 'string' ? dims : makeConst(dims, x.values, x.dataType);
    }
    case 'Reshape': {
      const target = inputs[1];
      if (!target) return 'Reshape without a target';
      const dims = resolveReshape(x.dims, Array.from(target.values), intAttribute(node, 'allowzero', 0) === 1);
      return typeof dims === 'string' ? dims : makeConst(dims, x.values, x.dataType);
    }
    case 'Concat':
      return concat(inputs, intAttribute(node, 'axis', 0));
    case 'Slice':
      return slice(node, inputs);
    case 'ReduceProd':
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceMin':
      return reduceConst(node, op, x, inputs[1]);
    case 'ConstantOfShape': {
      const dims = Array.from(x.values);
      const count = dims.reduce((a, b) => a * b, 1);
      if (dims.some((d) => !Number.isSafeInteger(d) || d < 0) || count > MAX_CONSTANT_ELEMENTS)
        return 'a ConstantOfShape too large to evaluate';
      const value = attribute(node, 'value')?.t;
      const v = value ? constOfTensor(value) : makeConst([1], [0], DataType.FLOAT);
      if (typeof v === 'string') return v;
      return makeConst(dims, new Float64Array(count).fill(v.values[0] ?? 0), v.dataType);
    }
    case 'Where': {
      const [c, a, b] = inputs;
      if (!c || !a || !b) return 'Where without three inputs';
      return elementwise([c, a, b], a.dataType, (p, q, r) => (p ? q : r));
    }
    case 'Expand': {
      const shape = inputs[1];
      if (!shape) return 'Expand without a shape';
      const dims = broadcastDims(x.dims, Array.from(shape.values));
      if (!dims) return 'Expand to a shape that does not broadcast';
      return elementwise(
        [x, makeConst(dims, new Float64Array(dims.reduce((p, d) => p * d, 1)), x.dataType)],
        x.dataType,
        (a) => a,
      );
    }
    default:
      return `${op} is not evaluated on constants`;
  }
}

/** The output of Shape (with opset-15 start/end) for tensor dims. */
export function shapeOfDims(node: NodeProto, dims: readonly number[]): Const {
  const rank = dims.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = clamp(intAttribute(node, 'start', 0));
  const end = clamp(intAttribute(node, 'end', rank));
  return int64Vector(dims.slice(start, Math.max(start, end)));
}

function gather(x: Const, indices: Const | undefined, axisAttr: number): Const | string {
  if (!indices) return 'Gather without indices';
  const axis = normalizeAxis(axisAttr, x.dims.length);
  if (axis === undefined || x.dims.length === 0) return `Gather axis ${axisAttr} is out of range`;
  const size = x.dims[axis]!;
  const outer = x.dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const idx = Array.from(indices.values, (i) => (i < 0 ? i + size : i));
  if (idx.some((i) => i < 0 || i >= size || !Number.isInteger(i))) return 'Gather index out of range';
  const dims = [...x.dims.slice(0, axis), ...indices.dims, ...x.dims.slice(axis + 1)];
  const values: number[] = [];
  for (let o = 0; o < outer; o++)
    for (const i of idx) for (let n = 0; n < inner; n++) values.push(x.values[(o * size + i) * inner + n]!);
  return makeConst(dims, values, x.dataType);
}

function concat(inputs: readonly (Const | undefined)[], axisAttr: number): Const | string {
  const parts = inputs.filter((c): c is Const => c !== undefined);
  if (parts.length === 0) return 'Concat without inputs';
  const rank = parts[0]!.dims.length;
  const axis = normalizeAxis(axisAttr, rank);
  if (axis === undefined || parts.some((p) => p.dims.length !== rank)) return 'Concat of mismatched ranks';
  for (const p of parts)
    if (p.dims.some((d, i) => i !== axis && d !== parts[0]!.dims[i])) return 'Concat of mismatched dims';
  const outer = parts[0]!.dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const values: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = p.dims.slice(axis).reduce((a, b) => a * b, 1);
      for (let i = 0; i < chunk; i++) values.push(p.values[o * chunk + i]!);
    }
  }
  const dims = [...parts[0]!.dims];
  dims[axis] = parts.reduce((s, p) => s + p.dims[axis]!, 0);
  return makeConst(dims, values, parts[0]!.dataType);
}

function slice(node: NodeProto, inputs: readonly (Const | undefined)[]): Const | string {
  const x = inputs[0]!;
  const fromAttr = intsAttribute(node, 'starts') !== undefined;
  const starts = fromAttr ? intsAttribute(node, 'starts') : inputs[1] && Array.from(inputs[1].values);
  const ends = fromAttr ? intsAttribute(node, 'ends') : inputs[2] && Array.from(inputs[2].values);
  const axes =
    (fromAttr ? intsAttribute(node, 'axes') : inputs[3] && Array.from(inputs[3].values)) ?? starts?.map((_, i) => i);
  const steps = (fromAttr ? undefined : inputs[4] && Array.from(inputs[4].values)) ?? starts?.map(() => 1);
  if (!starts || !ends || !axes || !steps) return 'Slice without starts/ends';
  if (x.dims.length !== 1) return 'Slice of a constant of rank other than 1';
  if (axes.length !== 1 || normalizeAxis(axes[0]!, 1) !== 0) return 'Slice on an axis a vector does not have';
  const n = x.dims[0]!,
    step = steps[0]!;
  if (step === 0) return 'Slice with step 0';
  const clampIdx = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  const values: number[] = [];
  if (step > 0)
    for (let i = clampIdx(starts[0]!, 0, n); i < clampIdx(ends[0]!, 0, n); i += step) values.push(x.values[i]!);
  else
    for (let i = clampIdx(starts[0]!, -1, n - 1); i > clampIdx(ends[0]!, -1, n - 1); i += step)
      values.push(x.values[i]!);
  return makeConst([values.length], values, x.dataType);
}

function reduceConst(node: NodeProto, op: string, x: Const, axesInput: Const | undefined): Const | string {
  const axes = reduceAxes(node, axesInput, x.dims.length);
  if (typeof axes === 'string') return axes;
  const keep = intAttribute(node, 'keepdims', 1) === 1;
  const dims = x.dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const outDims = keep ? dims : x.dims.filter((_, i) => !axes.includes(i));
  const count = dims.reduce((a, b) => a * b, 1);
  const init = op === 'ReduceProd' ? 1 : op === 'ReduceMax' ? -Infinity : op === 'ReduceMin' ? Infinity : 0;
  const acc = new Float64Array(count).fill(init);
  const inStr = strides(x.dims),
    outStr = strides(dims);
  for (let flat = 0; flat < x.values.length; flat++) {
    let rest = flat,
      at = 0;
    for (let i = 0; i < x.dims.length; i++) {
      const idx = Math.floor(rest / inStr[i]!);
      rest -= idx * inStr[i]!;
      if (!axes.includes(i)) at += idx * outStr[i]!;
    }
    const v = x.values[flat]!;
    acc[at] =
      op === 'ReduceProd'
        ? acc[at]! * v
        : op === 'ReduceMax'
          ? Math.max(acc[at]!, v)
          : op === 'ReduceMin'
            ? Math.min(acc[at]!, v)
            : acc[at]! + v;
  }
  if (op === 'ReduceMean') {
    const n = x.values.length / Math.max(count, 1);
    for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! / n;
  }
  return makeConst(outDims, acc, x.dataType);
}
