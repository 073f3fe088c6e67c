import { InputError } from '../errors.js';

/** Raised when bytes cannot be decoded as an ONNX model. `source` names the file when known. */
export class ModelDecodeError extends InputError {
  override readonly name = 'ModelDecodeError';
  constructor(
    message: string,
    /** The file (or other source) the bytes came from, when the caller knows it. */
    readonly source?: string,
    options?: { cause?: unknown },
  ) {
    super(
      source ? `${source}: ${message}` : message,
      'check that the file is a complete .onnx model (re-export or re-download it)',
      options,
    );
  }
}

/** Raised when a message tree cannot be encoded (a value of the wrong type, or too large). */
export class ModelEncodeError extends Error {
  override readonly name = 'ModelEncodeError';
}
