/** IR versions: the range sge-inject reads and writes, and the one model-local functions need. */
import type { ModelProto } from '../codec/types.js';
import { InputError } from '../errors.js';

/** Lowest IR version that has model-local functions. */
export const FUNCTION_MIN_IR = 8;
/**
 * Newest IR version supported: the newest our schema describes and onnxruntime-node 1.30 loads (it
 * refuses IR 14, as it refuses opset 27). A newer file may hold fields we would carry without knowing
 * what they mean.
 */
export const MAX_IR_VERSION = 13;

/**
 * Checks that the model's IR version is one sge-inject supports.
 * @throws InputError above {@link MAX_IR_VERSION}, or for a negative or unreadable version
 */
export function checkIrVersion(model: ModelProto): void {
  const v = model.ir_version;
  const text = v === undefined || v === null ? '0' : typeof v === 'number' ? String(v) : v.toString();
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_IR_VERSION) {
    throw new InputError(
      `the model has IR version ${text}; the newest supported is ${MAX_IR_VERSION} (what onnxruntime-node 1.30 loads)`,
      `save the model with IR version ${MAX_IR_VERSION} or older (e.g. an older onnx release)`,
    );
  }
}
