export { decodeModel, type DecodeOptions } from './decode.js';
export {
  encodeModel,
  encodeModelChunks,
  encodeMessageChunks,
  concatChunks,
  LARGE_BYTES,
  type EncodedChunks,
} from './encode.js';
export { ModelDecodeError, ModelEncodeError } from './errors.js';
export { onnxRoot, ModelProtoType } from './schema.js';
export { copyMessage } from './copy.js';
export * from './types.js';
