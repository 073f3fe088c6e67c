/**
 * Constructors for new messages. Decoded messages keep absent repeated fields on a shared frozen
 * prototype array, so new messages are created here as plain objects with every repeated field
 * present (empty arrays are not written) and only the optional fields that were given.
 */
import {
  AttributeType,
  DataType,
  type AttributeProto,
  type FunctionProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type OperatorSetIdProto,
  type TensorProto,
  type TypeProto,
  type ValueInfoProto,
} from '../codec/types.js';
import type { Dim } from './dims.js';

/** Fields of a new node; `input`/`output` default to empty. */
export interface NodeInit {
  op_type: string;
  input?: string[];
  output?: string[];
  name?: string;
  domain?: string;
  doc_string?: string;
  attribute?: AttributeProto[];
}

/** A new NodeProto. Empty strings are omitted so the wire form stays minimal. */
export function makeNode(init: NodeInit): NodeProto {
  const node: NodeProto = {
    input: init.input ? [...init.input] : [],
    output: init.output ? [...init.output] : [],
    op_type: init.op_type,
    attribute: init.attribute ?? [],
    metadata_props: [],
    device_configurations: [],
  };
  if (init.name) node.name = init.name;
  if (init.domain) node.domain = init.domain;
  if (init.doc_string) node.doc_string = init.doc_string;
  return node;
}

/** A value of an attribute: numbers are INT unless `float` is asked for; arrays become lists. */
export type AttributeValue =
  | { int: number }
  | { float: number }
  | { string: string }
  | { ints: number[] }
  | { floats: number[] }
  | { tensor: TensorProto }
  | { graph: GraphProto };

/** A new AttributeProto with its `type` set. */
export function makeAttribute(name: string, value: AttributeValue): AttributeProto {
  const a: AttributeProto = {
    name,
    floats: [],
    ints: [],
    strings: [],
    tensors: [],
    graphs: [],
    sparse_tensors: [],
    type_protos: [],
  };
  if ('int' in value) {
    a.i = value.int;
    a.type = AttributeType.INT;
  } else if ('float' in value) {
    a.f = value.float;
    a.type = AttributeType.FLOAT;
  } else if ('string' in value) {
    a.s = new TextEncoder().encode(value.string);
    a.type = AttributeType.STRING;
  } else if ('ints' in value) {
    a.ints = [...value.ints];
    a.type = AttributeType.INTS;
  } else if ('floats' in value) {
    a.floats = [...value.floats];
    a.type = AttributeType.FLOATS;
  } else if ('tensor' in value) {
    a.t = value.tensor;
    a.type = AttributeType.TENSOR;
  } else {
    a.g = value.graph;
    a.type = AttributeType.GRAPH;
  }
  return a;
}

/** An empty TensorProto shell (no data). */
export function makeTensorShell(name: string, dims: number[], dataType: number): TensorProto {
  const t: TensorProto = {
    dims: [...dims],
    data_type: dataType,
    float_data: [],
    int32_data: [],
    string_data: [],
    int64_data: [],
    external_data: [],
    double_data: [],
    uint64_data: [],
    metadata_props: [],
  };
  if (name) t.name = name;
  return t;
}

/** Bytes of a typed array in little-endian order (a view when the platform is little-endian). */
function littleEndianBytes(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A tensor holding `data` in `raw_data`. `dataType` defaults from the array: Float32Array → FLOAT,
 * BigInt64Array → INT64, Int32Array → INT32, Float64Array → DOUBLE; Uint16Array must say FLOAT16.
 */
export function makeTensor(
  name: string,
  dims: number[],
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint16Array | Uint8Array,
  dataType?: number,
): TensorProto {
  const type =
    dataType ??
    (data instanceof Float32Array
      ? DataType.FLOAT
      : data instanceof Float64Array
        ? DataType.DOUBLE
        : data instanceof Int32Array
          ? DataType.INT32
          : data instanceof BigInt64Array
            ? DataType.INT64
            : undefined);
  if (type === undefined) throw new TypeError('makeTensor: give the dataType for Uint16Array/Uint8Array data');
  const t = makeTensorShell(name, dims, type);
  // A copy: the tensor must not alias a caller's array that may change later.
  t.raw_data = littleEndianBytes(data).slice();
  return t;
}

/** An INT64 tensor from numbers (shapes, axes, indices). */
export function makeInt64Tensor(name: string, dims: number[], values: number[]): TensorProto {
  return makeTensor(
    name,
    dims,
    BigInt64Array.from(values, (v) => BigInt(v)),
  );
}

/** A tensor TypeProto; `shape` undefined means rank unknown. */
export function makeTensorType(elemType: number, shape?: Dim[]): TypeProto {
  const tensor_type: NonNullable<TypeProto['tensor_type']> = { elem_type: elemType };
  if (shape) {
    tensor_type.shape = {
      dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})),
    };
  }
  return { tensor_type };
}

/** A ValueInfoProto for a tensor. */
export function makeValueInfo(name: string, elemType: number, shape?: Dim[]): ValueInfoProto {
  return { name, type: makeTensorType(elemType, shape), metadata_props: [] };
}

/** An opset import entry. */
export function makeOpset(domain: string, version: number): OperatorSetIdProto {
  return { domain, version };
}

/** A new empty GraphProto. */
export function makeGraph(
  init: Partial<Pick<GraphProto, 'node' | 'initializer' | 'input' | 'output' | 'value_info'>> & { name?: string } = {},
): GraphProto {
  const g: GraphProto = {
    node: init.node ?? [],
    initializer: init.initializer ?? [],
    sparse_initializer: [],
    input: init.input ?? [],
    output: init.output ?? [],
    value_info: init.value_info ?? [],
    quantization_annotation: [],
    metadata_props: [],
  };
  if (init.name) g.name = init.name;
  return g;
}

/** A new FunctionProto. */
export function makeFunction(init: {
  name: string;
  domain: string;
  input: string[];
  output: string[];
  node: NodeProto[];
  opset_import: OperatorSetIdProto[];
  doc_string?: string;
}): FunctionProto {
  const f: FunctionProto = {
    name: init.name,
    domain: init.domain,
    input: [...init.input],
    output: [...init.output],
    attribute: [],
    attribute_proto: [],
    node: init.node,
    value_info: [],
    opset_import: init.opset_import,
    metadata_props: [],
  };
  if (init.doc_string) f.doc_string = init.doc_string;
  return f;
}

/** A new ModelProto around a graph. */
export function makeModel(graph: GraphProto, opsets: OperatorSetIdProto[], irVersion = 8): ModelProto {
  return {
    ir_version: irVersion,
    opset_import: opsets,
    producer_name: 'sge-inject',
    graph,
    metadata_props: [],
    training_info: [],
    functions: [],
    configuration: [],
  };
}
