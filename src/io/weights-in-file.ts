/**
 * A loaded model whose large initializers stay in its file: each becomes an external data reference to
 * the .onnx file itself (location: the file's name, offset and length of its raw_data there), and every
 * other bytes field is copied out, so the buffer the file was read into can be freed. Validation loads
 * models this way: onnxruntime reads the weights from the file when a session needs them, and the
 * JavaScript side holds the graph only (ONNX lets external data live in any file of the model's folder).
 */
import { DataLocation, type ModelProto, type TensorProto } from '../codec/types.js';
import type { SkippedBytes } from '../codec/skip-weights.js';
import { refEntries, safeLocation } from '../external/location.js';

/** raw_data of at least this many bytes stays in the file. */
export const WEIGHT_IN_FILE_MIN_BYTES = 1024;

/**
 * Turns the main graph's initializers whose raw_data is a view of `bytes` (the whole file, named
 * `fileName` in its folder) into references to that file, then copies every remaining view of `bytes`.
 * @returns the number of tensors left in the file (0 when the file name cannot be a location).
 */
export function leaveWeightsInFile(model: ModelProto, bytes: Uint8Array, fileName: string): number {
  const location = selfLocation(fileName);
  if (location === undefined) return 0;
  const left: SkippedBytes[] = [];
  for (const [i, t] of (model.graph?.initializer ?? []).entries()) {
    const raw = Object.hasOwn(t, 'raw_data') ? t.raw_data : undefined;
    if (!raw || raw.buffer !== bytes.buffer || raw.byteLength < WEIGHT_IN_FILE_MIN_BYTES) continue;
    if (t.data_location === DataLocation.EXTERNAL) continue;
    left.push({ initializer: i, offset: raw.byteOffset - bytes.byteOffset, length: raw.byteLength });
  }
  referToFile(model, bytes, location, left);
  return left.length;
}

/** The location by which a model file named `fileName` refers to itself, or undefined when it cannot. */
export function selfLocation(fileName: string): string | undefined {
  return safeLocation(fileName) === fileName ? fileName : undefined;
}

/**
 * Makes each initializer of `left` a reference to its bytes in the file `location` (dropping its raw_data,
 * if it was read), then copies every view of `bytes` (what the model was decoded from) out of it.
 */
export function referToFile(
  model: ModelProto,
  bytes: Uint8Array,
  location: string,
  left: readonly SkippedBytes[],
): void {
  const initializers = model.graph?.initializer ?? [];
  for (const { initializer, offset, length } of left)
    reference(initializers[initializer]!, { location, offset, length });
  detachViews(model, bytes.buffer, new Set());
}

function reference(t: TensorProto, ref: { location: string; offset: number; length: number }): void {
  delete (t as { raw_data?: Uint8Array }).raw_data;
  t.data_location = DataLocation.EXTERNAL;
  t.external_data = refEntries(ref, t.external_data);
}

/** Replaces every Uint8Array in the message tree that views `buffer` by a copy (unknown fields too). */
function detachViews(value: unknown, buffer: ArrayBufferLike, seen: Set<object>): unknown {
  if (value instanceof Uint8Array) return value.buffer === buffer ? value.slice() : value;
  if (typeof value !== 'object' || value === null || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = detachViews(value[i], buffer, seen);
    return value;
  }
  // Own names, not keys: protobufjs keeps unknown fields in a non-enumerable `$unknowns`.
  for (const key of Object.getOwnPropertyNames(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v !== 'object' || v === null) continue;
    const w = detachViews(v, buffer, seen);
    if (w !== v) (value as Record<string, unknown>)[key] = w;
  }
  return value;
}
