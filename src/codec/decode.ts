/** Bytes → ModelProto, with unknown fields kept and tensor data left as views of the input. */
import protobuf from 'protobufjs/light.js';
import { ModelProtoType, onnxRoot } from './schema.js';
import { ModelDecodeError } from './errors.js';
import type { ModelProto } from './types.js';

/** Options of {@link decodeModel}. */
export interface DecodeOptions {
  /** Named in error messages (usually the file path). */
  readonly source?: string;
  /** Accept a message with no `graph` (by default that is an error: it is not a usable model). */
  readonly allowNoGraph?: boolean;
}

/**
 * Decodes an ONNX model. `raw_data` and other bytes fields are views of `bytes` (no copy), so the
 * input buffer must not be modified while the model is in use. Unknown fields are kept and
 * re-emitted by the encoder.
 * @throws ModelDecodeError when the bytes are not a well-formed ModelProto.
 */
export function decodeModel(bytes: Uint8Array, options: DecodeOptions = {}): ModelProto {
  const { source } = options;
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeModel expects a Uint8Array');
  if (bytes.length === 0) throw new ModelDecodeError('the file is empty, not an ONNX model', source);
  // What the bytes look like instead, worked out only when they are refused.
  const hint = (): string => looksLikeText(bytes) || looksLikeTensor(bytes);
  let model: ModelProto;
  try {
    const reader = protobuf.Reader.create(bytes);
    reader.discardUnknown = false;
    model = ModelProtoType.decode(reader) as unknown as ModelProto;
  } catch (err) {
    throw new ModelDecodeError(`not a valid ONNX model (${describe(err)})${hint()}`, source, { cause: err });
  }
  if (!options.allowNoGraph && !Object.hasOwn(model, 'graph')) {
    throw new ModelDecodeError(`decodes as protobuf but is not an ONNX model: it has no graph${hint()}`, source);
  }
  return model;
}

function describe(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/index out of range/.test(msg)) return 'truncated, or a length field claims more bytes than the file has';
  if (/max depth/.test(msg)) return 'messages nested deeper than any real model';
  if (/invalid wire type|illegal tag|tag/i.test(msg)) return `corrupt field encoding: ${msg}`;
  return msg;
}

const TensorProtoType = onnxRoot.lookupType('onnx.TensorProto');

/** A tensor file (e.g. test data `input_0.pb`) given where a model was expected: say so. */
function looksLikeTensor(bytes: Uint8Array): string {
  try {
    const t = TensorProtoType.decode(bytes) as unknown as {
      data_type?: number;
      dims?: unknown[];
      raw_data?: Uint8Array;
      float_data?: unknown[];
    };
    const hasData = (t.raw_data?.length ?? 0) > 0 || (t.float_data?.length ?? 0) > 0;
    return t.data_type && (t.dims?.length ?? 0) > 0 && hasData
      ? '; it is a TensorProto (a tensor file, such as test data input_0.pb), not a model'
      : '';
  } catch {
    return '';
  }
}

function looksLikeText(bytes: Uint8Array): string {
  const first = bytes[0];
  if (first === 0x7b || first === 0x5b) return '; it looks like JSON text';
  return '';
}
