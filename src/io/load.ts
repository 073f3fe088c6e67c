/**
 * Reading a model file: one read into one buffer, decoded in place (tensor data stays views of it); or, when
 * the weights are to stay in the file, the file without them (see skip-weights.ts).
 */
import { type FileHandle, open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { decodeModel } from '../codec/decode.js';
import { ModelDecodeError } from '../codec/errors.js';
import { type ModelWithoutWeights, readWithoutWeights } from '../codec/skip-weights.js';
import { MAX_MESSAGE_BYTES } from '../codec/encode.js';
import type { ModelProto } from '../codec/types.js';
import { readError } from './fs-errors.js';
import { rememberOrigin } from './provenance.js';
import { loadExternalData } from './external-load.js';
import { leaveWeightsInFile, referToFile, selfLocation, WEIGHT_IN_FILE_MIN_BYTES } from './weights-in-file.js';

/** protobuf cannot address more than 2 GiB - 1 bytes; a bigger .onnx file is not a model. */
export const MAX_MODEL_FILE_BYTES = MAX_MESSAGE_BYTES;

/** Options of {@link loadModel}. */
export interface LoadOptions {
  /**
   * Read tensors stored in external data files into `raw_data` now. Default false: such tensors
   * stay references (`data_location` EXTERNAL) and their bytes are never read; saveModel keeps the
   * references valid.
   */
  readonly loadExternal?: boolean;
  /** Accept a protobuf message with no graph (default false: that is a ModelDecodeError). */
  readonly allowNoGraph?: boolean;
  /**
   * @internal For validation: leave large initializers in the file, as external data references to the
   * model file itself, so that the model costs its graph in memory and not its weights (see
   * weights-in-file.ts); those weights are not even read. Such a model is for reading and for onnxruntime,
   * not for saving elsewhere.
   */
  readonly weightsInFile?: boolean;
}

/**
 * Loads an ONNX model file.
 *
 * The file is read once into one buffer and decoded without copying tensor data: every `raw_data`
 * (and other large bytes field) is a view of that buffer, so the model costs about its file size
 * in memory. External data is not read unless `loadExternal` is set; the model's folder is
 * remembered (see {@link modelOrigin}) so {@link saveModel} can resolve the references later.
 *
 * @param path the .onnx file; named as given in error messages
 * @throws InputError when the file is missing, a folder, not a regular file, unreadable or larger
 *   than 2 GiB; when an external data file is missing or too short (with `loadExternal`)
 * @throws ModelDecodeError (from the codec) when the bytes are not an ONNX model; it names the file
 */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<ModelProto> {
  if (typeof path !== 'string' || path === '') throw new TypeError('loadModel: path must be a non-empty string');
  const absolute = resolve(path);
  let size: number;
  try {
    const st = await stat(absolute);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!st.isFile()) {
      // A FIFO or device could block forever or never end: refuse it rather than hang.
      throw new InputError(`${path} is not a regular file`, 'give the path of an .onnx model file');
    }
    size = st.size;
  } catch (err) {
    throw readError(err, path);
  }
  if (size > MAX_MODEL_FILE_BYTES)
    throw readError(Object.assign(new Error('too large'), { code: 'ERR_FS_FILE_TOO_LARGE' }), path);

  // onnxruntime follows links in an external data path and refuses one that ends outside the folder it
  // was given, so a model reached through a link (the file or a folder on its path) cannot refer to itself
  // by name: it keeps its weights in memory instead.
  const location =
    options.weightsInFile && (await realpath(absolute).catch(() => '')) === absolute
      ? selfLocation(basename(absolute))
      : undefined;
  const model =
    (location !== undefined ? await loadGraphOnly(absolute, size, location, path, options) : undefined) ??
    (await loadWhole(absolute, path, options, location));
  const baseDir = dirname(absolute);
  rememberOrigin(model, { path: absolute, baseDir, byteLength: size });
  if (options.loadExternal) await loadExternalData(model, baseDir, path);
  return model;
}

/** The whole file read into one buffer and decoded; with `location`, its large weights left in the file. */
async function loadWhole(
  absolute: string,
  path: string,
  options: LoadOptions,
  location: string | undefined,
): Promise<ModelProto> {
  let bytes: Uint8Array;
  try {
    bytes = await readWhole(absolute);
  } catch (err) {
    throw readError(err, path);
  }
  const model = decodeModel(bytes, { source: path, allowNoGraph: options.allowNoGraph });
  if (location !== undefined) leaveWeightsInFile(model, bytes, location);
  return model;
}

/**
 * The whole file in one buffer of its own, read by as few read() calls as the kernel allows: readFile's
 * 512 KiB reads cost one thread-pool round trip each (~200 for ResNet-50), 73 against 56 ms for its
 * 102 MB from the page cache (medians, quiet machine). A file that changes size while it is read gives
 * what was there (a model cut short is then refused by the decoder, as any truncated file).
 */
async function readWhole(absolute: string): Promise<Uint8Array> {
  const fh = await open(absolute, 'r');
  try {
    const { size } = await fh.stat();
    // Unpooled and not zero-filled (every byte is read over); a plain Uint8Array view of it, so decoded
    // bytes fields are plain views too.
    const buffer = Buffer.allocUnsafeSlow(size);
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fh.read(bytes, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? bytes : bytes.subarray(0, done);
  } finally {
    await fh.close();
  }
}

/**
 * The model with its large weights left in the file (`location` in its folder), which are never read:
 * the same model as {@link loadWhole} gives, for a fraction of the reading. Undefined for a file that is
 * anything but an ordinary model; reading it whole then gives what it gives today (an error, usually).
 */
async function loadGraphOnly(
  absolute: string,
  size: number,
  location: string,
  path: string,
  options: LoadOptions,
): Promise<ModelProto | undefined> {
  let reduced: ModelWithoutWeights | null;
  let handle: FileHandle | undefined;
  try {
    handle = await open(absolute, 'r');
    const file = handle;
    reduced = await readWithoutWeights(
      (offset, length) => readAt(file, offset, length),
      size,
      WEIGHT_IN_FILE_MIN_BYTES,
    );
  } catch (err) {
    throw readError(err, path);
  } finally {
    await handle?.close();
  }
  if (!reduced) return undefined;
  let model: ModelProto;
  try {
    model = decodeModel(reduced.bytes, { source: path, allowNoGraph: options.allowNoGraph });
  } catch (err) {
    if (err instanceof ModelDecodeError) return undefined; // its message would name offsets in the reduced bytes
    throw err;
  }
  referToFile(model, reduced.bytes, location, reduced.skipped);
  return model;
}

/** `length` bytes at `offset` of `file` in a buffer of their own (fewer where the file ends). */
async function readAt(file: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let n = 0;
  while (n < length) {
    const { bytesRead } = await file.read(bytes, n, length - n, offset + n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return n < length ? bytes.subarray(0, n) : bytes;
}
