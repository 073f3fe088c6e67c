/**
 * Is a model-local function named like ours (`com.sge-inject.SpatialGroupEnhance`, `…_float16`) the one
 * sge-inject writes? A model may define its own function under that name: reusing it would give every new
 * site the user's body, and strip would remove the user's definition. The one place that decides.
 *
 * Ours means semantically equal to what a known builder makes for the function's own ai.onnx opset and
 * element type: the same nodes in the same order with the same op types, domains, attributes and
 * constant values, wired the same way. Names of internal values, node names, doc strings and the encoding
 * of constants (raw_data or typed fields) do not matter.
 */
import type { AttributeProto, FunctionProto, Int64, ModelProto, TensorProto } from '../codec/types.js';
import { DataType } from '../codec/types.js';
import { canonicalDomain } from '../graph/opset.js';
import { MAX_OPSET, MIN_OPSET } from '../builders/opsets.js';
import type { FloatElemType } from '../tensor/make.js';
import { SGE_DOMAIN, SGE_OP, SGE_OP_FLOAT16 } from './conventions.js';
import { buildSgeFunction } from './function.js';
import { buildSgeFunction01 } from './body-0.1.js';

/**
 * The bodies sge-inject has written, newest first: each builds the function for an ai.onnx opset and an
 * element type. A body from an earlier release that is still recognized (and stripped) goes here.
 */
export const KNOWN_SGE_BODIES: ReadonlyArray<(opset: number, elemType: FloatElemType) => FunctionProto> = [
  buildSgeFunction,
  buildSgeFunction01,
];

/** The element type a function name of ours stands for, or undefined for another name. */
function elemTypeOfName(domain: string | undefined, name: string | undefined): FloatElemType | undefined {
  if (domain !== SGE_DOMAIN) return undefined;
  if (name === SGE_OP) return DataType.FLOAT;
  if (name === SGE_OP_FLOAT16) return DataType.FLOAT16;
  return undefined;
}

/** True when `fn` has one of our names (whatever its body). */
export function hasSgeFunctionName(fn: FunctionProto): boolean {
  return !fn.overload && elemTypeOfName(fn.domain, fn.name) !== undefined;
}

/** True when `fn` is a body sge-inject wrote (see the module comment). */
export function isOurSgeFunction(fn: FunctionProto): boolean {
  return ourBodyIndex(fn) !== undefined;
}

/**
 * Which of {@link KNOWN_SGE_BODIES} `fn` is (0: the body this release writes), or undefined when it is
 * not ours.
 */
export function ourBodyIndex(fn: FunctionProto): number | undefined {
  const elemType = elemTypeOfName(fn.domain, fn.name);
  if (elemType === undefined || fn.overload) return undefined;
  const opset = ownOpset(fn);
  if (opset === undefined) return undefined;
  let key: string;
  try {
    key = functionKey(fn);
  } catch (err) {
    if (err instanceof NotOurs) return undefined;
    throw err;
  }
  const i = KNOWN_SGE_BODIES.findIndex((build) => functionKey(build(opset, elemType)) === key);
  return i < 0 ? undefined : i;
}

/** The function's one ai.onnx import, when it is a version our builders support. */
function ownOpset(fn: FunctionProto): number | undefined {
  const imports = fn.opset_import.filter((o) => canonicalDomain(o.domain) === '');
  if (imports.length !== 1) return undefined;
  const v = Number(int64Text(imports[0]!.version));
  return Number.isInteger(v) && v >= MIN_OPSET && v <= MAX_OPSET ? v : undefined;
}

/**
 * Replaces every function of ours that an earlier release wrote by the body this release writes for the
 * same opset and element type (the same results with fewer nodes), in place.
 * @returns the ids of the functions replaced.
 */
export function upgradeSgeFunctions(model: ModelProto): string[] {
  const upgraded: string[] = [];
  model.functions.forEach((fn, i) => {
    const which = ourBodyIndex(fn);
    if (which === undefined || which === 0) return;
    model.functions[i] = KNOWN_SGE_BODIES[0]!(ownOpset(fn)!, elemTypeOfName(fn.domain, fn.name)!);
    upgraded.push(functionId(fn));
  });
  return upgraded;
}

/** The model's functions that carry one of our names but not our body. */
export function foreignSgeFunctions(model: ModelProto): FunctionProto[] {
  return model.functions.filter((f) => hasSgeFunctionName(f) && !isOurSgeFunction(f));
}

/** `com.sge-inject.SpatialGroupEnhance` */
export function functionId(fn: FunctionProto): string {
  return `${fn.domain ?? ''}.${fn.name ?? ''}`;
}

// ---- canonical form -------------------------------------------------------------------------------

function int64Text(v: Int64 | undefined): string {
  return v === undefined ? '0' : typeof v === 'number' ? String(v) : v.toString();
}

function hex(bytes: Uint8Array | undefined): string {
  return bytes ? Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('') : '';
}

/** Thrown inside the canonical form for content our bodies never have: such a function is not ours. */
class NotOurs extends Error {}

/** Element size and reader of raw_data per numeric data type (values as text, exact). */
const RAW: Readonly<Record<number, readonly [number, (v: DataView, at: number) => string]>> = {
  [DataType.FLOAT]: [4, (v, at) => String(v.getFloat32(at, true))],
  [DataType.UINT8]: [1, (v, at) => String(v.getUint8(at))],
  [DataType.INT8]: [1, (v, at) => String(v.getInt8(at))],
  [DataType.UINT16]: [2, (v, at) => String(v.getUint16(at, true))],
  [DataType.INT16]: [2, (v, at) => String(v.getInt16(at, true))],
  [DataType.INT32]: [4, (v, at) => String(v.getInt32(at, true))],
  [DataType.INT64]: [8, (v, at) => String(v.getBigInt64(at, true))],
  [DataType.BOOL]: [1, (v, at) => String(v.getUint8(at) ? 1 : 0)],
  [DataType.FLOAT16]: [2, (v, at) => String(v.getUint16(at, true))],
  [DataType.DOUBLE]: [8, (v, at) => String(v.getFloat64(at, true))],
  [DataType.UINT32]: [4, (v, at) => String(v.getUint32(at, true))],
  [DataType.UINT64]: [8, (v, at) => String(v.getBigUint64(at, true))],
  [DataType.BFLOAT16]: [2, (v, at) => String(v.getUint16(at, true))],
};

/** A tensor's values as text, whichever field holds them; undefined when they cannot be read here. */
function tensorValues(t: TensorProto): string[] | undefined {
  const type = t.data_type ?? 0;
  if (Object.hasOwn(t, 'raw_data') && t.raw_data) {
    const raw = RAW[type];
    if (!raw || t.raw_data.byteLength % raw[0] !== 0) return undefined;
    const view = new DataView(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength);
    return Array.from({ length: t.raw_data.byteLength / raw[0] }, (_, i) => raw[1](view, i * raw[0]));
  }
  switch (type) {
    case DataType.FLOAT:
      return t.float_data.map((v) => String(Math.fround(v)));
    case DataType.DOUBLE:
      return t.double_data.map(String);
    case DataType.INT64:
      return t.int64_data.map(int64Text);
    case DataType.UINT32:
    case DataType.UINT64:
      return t.uint64_data.map(int64Text);
    case DataType.STRING:
      return undefined;
    default:
      // int32_data holds INT32 and every narrower type (float16 and bfloat16 as bit patterns).
      return RAW[type] ? t.int32_data.map((v) => String(type === DataType.BOOL ? (v ? 1 : 0) : v)) : undefined;
  }
}

function tensorKey(t: TensorProto | undefined): unknown {
  if (!t) return null;
  const values = tensorValues(t);
  if (!values) throw new NotOurs();
  return [t.data_type ?? 0, t.dims.map(int64Text), values];
}

function attributeKey(a: AttributeProto): unknown {
  // Graphs, sparse tensors and type protos never occur in our bodies: a body that has them is not ours.
  if (a.g || a.graphs.length || a.sparse_tensor || a.sparse_tensors.length || a.tp || a.type_protos.length)
    throw new NotOurs();
  return [
    a.name ?? '',
    a.type ?? 0,
    a.ref_attr_name ?? '',
    Math.fround(a.f ?? 0),
    int64Text(a.i),
    hex(a.s),
    a.floats.map((v) => Math.fround(v)),
    a.ints.map(int64Text),
    a.strings.map(hex),
    tensorKey(a.t),
    a.tensors.map(tensorKey),
  ];
}

/** The function with every value named by where it comes from (formal input k, output j of node i). */
function functionKey(fn: FunctionProto): string {
  const names = new Map<string, string>(fn.input.map((n, k) => [n, `in${k}`]));
  const ref = (n: string): string => (n === '' ? '' : (names.get(n) ?? `free:${n}`));
  const nodes = fn.node.map((node, i) => {
    const inputs = node.input.map(ref);
    node.output.forEach((n, j) => {
      if (n) names.set(n, `n${i}.${j}`);
    });
    return [
      node.op_type ?? '',
      canonicalDomain(node.domain),
      node.overload ?? '',
      inputs,
      node.output.map((n) => (n ? 'o' : '')),
      [...node.attribute].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')).map(attributeKey),
    ];
  });
  const imports = fn.opset_import
    .map((o) => `${canonicalDomain(o.domain)}:${int64Text(o.version)}`)
    .sort()
    .join(',');
  return JSON.stringify([
    fn.domain ?? '',
    fn.name ?? '',
    fn.overload ?? '',
    fn.input.length,
    fn.output.map(ref),
    fn.attribute,
    fn.attribute_proto.map(attributeKey),
    imports,
    nodes,
  ]);
}
