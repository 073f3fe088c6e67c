export { decodeModel, type DecodeOptions } from './decode.js';
export {
  encodeModel,
  encodeModelChunks,
  encodeMessageChunks,
  concatChunks,
  LARGE_BYTES,
  MAX_MESSAGE_BYTES,
  type EncodedChunks,
} from './encode.js';
export { ModelDecodeError, ModelEncodeError } from './errors.js';
export { onnxRoot, ModelProtoType } from './schema.js';
export { copyMessage } from './copy.js';
export {
  DataType,
  DataLocation,
  AttributeType,
  type Int64,
  type WithUnknowns,
  type StringStringEntryProto,
  type OperatorSetIdProto,
  type TensorSegment,
  type TensorProto,
  type SparseTensorProto,
  type TensorShapeDimension,
  type TensorShapeProto,
  type TypeProtoTensor,
  type TypeProto,
  type ValueInfoProto,
  type AttributeProto,
  type NodeProto,
  type TensorAnnotation,
  type GraphProto,
  type FunctionProto,
  type TrainingInfoProto,
  type ModelProto,
} from './types.js';
