/**
 * Typed views of the decoded ONNX messages. Objects of these shapes are what protobufjs decodes
 * (absent fields read as the schema default through the prototype) and what the encoder writes.
 * A field is written only when it is an own property, so presence survives a round trip.
 */
import type Long from 'long';

/** An int64 on the wire: a `Long` when decoded (exact), or a plain number when we create it. */
export type Int64 = number | Long;

/** Raw unknown fields kept by the decoder, re-emitted last in their message. */
export interface WithUnknowns {
  $unknowns?: Uint8Array[];
}

export interface StringStringEntryProto extends WithUnknowns {
  key?: string;
  value?: string;
}

export interface OperatorSetIdProto extends WithUnknowns {
  domain?: string;
  version?: Int64;
}

export interface TensorSegment extends WithUnknowns {
  begin?: Int64;
  end?: Int64;
}

export interface TensorProto extends WithUnknowns {
  dims: Int64[];
  data_type?: number;
  segment?: TensorSegment;
  float_data: number[];
  int32_data: number[];
  string_data: Uint8Array[];
  int64_data: Int64[];
  name?: string;
  doc_string?: string;
  raw_data?: Uint8Array;
  external_data: StringStringEntryProto[];
  data_location?: number;
  double_data: number[];
  uint64_data: Int64[];
  metadata_props: StringStringEntryProto[];
}

export interface SparseTensorProto extends WithUnknowns {
  values?: TensorProto;
  indices?: TensorProto;
  dims: Int64[];
}

export interface TensorShapeDimension extends WithUnknowns {
  dim_value?: Int64;
  dim_param?: string;
  denotation?: string;
  /** Which member of the oneof is set, as protobufjs reports it. */
  value?: 'dim_value' | 'dim_param';
}

export interface TensorShapeProto extends WithUnknowns {
  dim: TensorShapeDimension[];
}

export interface TypeProtoTensor extends WithUnknowns {
  elem_type?: number;
  shape?: TensorShapeProto;
}

export interface TypeProto extends WithUnknowns {
  tensor_type?: TypeProtoTensor;
  sequence_type?: { elem_type?: TypeProto } & WithUnknowns;
  map_type?: { key_type?: number; value_type?: TypeProto } & WithUnknowns;
  optional_type?: { elem_type?: TypeProto } & WithUnknowns;
  sparse_tensor_type?: TypeProtoTensor;
  opaque_type?: { domain?: string; name?: string } & WithUnknowns;
  denotation?: string;
  value?: string;
}

export interface ValueInfoProto extends WithUnknowns {
  name?: string;
  type?: TypeProto;
  doc_string?: string;
  metadata_props: StringStringEntryProto[];
}

export interface AttributeProto extends WithUnknowns {
  name?: string;
  ref_attr_name?: string;
  doc_string?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  sparse_tensor?: SparseTensorProto;
  tp?: TypeProto;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
  sparse_tensors: SparseTensorProto[];
  type_protos: TypeProto[];
}

export interface NodeProto extends WithUnknowns {
  input: string[];
  output: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  overload?: string;
  attribute: AttributeProto[];
  doc_string?: string;
  metadata_props: StringStringEntryProto[];
  device_configurations: unknown[];
}

export interface TensorAnnotation extends WithUnknowns {
  tensor_name?: string;
  quant_parameter_tensor_names: StringStringEntryProto[];
}

export interface GraphProto extends WithUnknowns {
  node: NodeProto[];
  name?: string;
  initializer: TensorProto[];
  sparse_initializer: SparseTensorProto[];
  doc_string?: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  value_info: ValueInfoProto[];
  quantization_annotation: TensorAnnotation[];
  metadata_props: StringStringEntryProto[];
}

export interface FunctionProto extends WithUnknowns {
  name?: string;
  domain?: string;
  overload?: string;
  input: string[];
  output: string[];
  attribute: string[];
  attribute_proto: AttributeProto[];
  node: NodeProto[];
  value_info: ValueInfoProto[];
  doc_string?: string;
  opset_import: OperatorSetIdProto[];
  metadata_props: StringStringEntryProto[];
}

export interface TrainingInfoProto extends WithUnknowns {
  initialization?: GraphProto;
  algorithm?: GraphProto;
  initialization_binding: StringStringEntryProto[];
  update_binding: StringStringEntryProto[];
}

export interface ModelProto extends WithUnknowns {
  ir_version?: Int64;
  opset_import: OperatorSetIdProto[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: Int64;
  doc_string?: string;
  graph?: GraphProto;
  metadata_props: StringStringEntryProto[];
  training_info: TrainingInfoProto[];
  functions: FunctionProto[];
  configuration: unknown[];
}

/** `TensorProto.DataType` values used by this project. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

/** `TensorProto.DataLocation` values. */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

/** `AttributeProto.AttributeType` values. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;
