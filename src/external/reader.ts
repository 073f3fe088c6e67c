/**
 * The one path by which tensor data stored in external files is read, whatever the platform. A shell
 * supplies an {@link ExternalDataSource} (Node: a folder, in src/io; the web page: the files the user
 * picked); {@link ExternalDataReader} checks every reference in one place (the location, then the byte
 * range against the file's size) before reading it.
 */
import type { TensorProto } from '../codec/types.js';
import { InputError } from '../errors.js';
import { externalRef, safeLocation, type ExternalRef } from './location.js';

/** An open external data file. */
export interface ExternalFile {
  /** Size in bytes. */
  readonly size: number;
  /** Reads exactly `length` bytes at `offset` (the reader has checked they lie inside the file). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the file. */
  close(): Promise<void>;
}

/** Where a model's external data files are: the platform's part of reading them. */
export interface ExternalDataSource {
  /**
   * Opens the file at `location`, a location as the model names it (in canonical form when it is safe).
   * @throws InputError when there is no such file or it cannot be read (the reader adds the tensor).
   */
  open(location: string): Promise<ExternalFile>;
}

/** Options of {@link ExternalDataReader}. */
export interface ExternalDataReaderOptions {
  /** Names the model in messages (its file, or "the rewritten model"). */
  readonly source: string;
}

/**
 * The location to open for `ref`, in canonical form.
 * @throws InputError for a location that is absolute or leaves the model's folder.
 */
export function checkLocation(ref: ExternalRef, where: string, source: string): string {
  const safe = safeLocation(ref.location);
  if (safe !== undefined) return safe;
  throw new InputError(
    `${source}: ${where} keeps its data at '${ref.location}', which is absolute or outside the model's folder`,
    'onnx and onnxruntime refuse such locations: put the data file beside the model and name it relatively',
  );
}

/**
 * The number of bytes `ref` covers in a file of `size` bytes: its `length`, else `impliedLength` (the
 * tensor's size by its type and shape) when given, else the rest of the file.
 * @throws InputError naming the tensor and the file when the range does not lie inside the file.
 */
export function checkRange(
  ref: ExternalRef,
  size: number,
  where: string,
  source: string,
  impliedLength?: number,
): number {
  const length = ref.length ?? impliedLength ?? size - ref.offset;
  if (length < 0 || ref.offset + length > size) {
    throw new InputError(
      `${source}: ${where} needs bytes ${ref.offset}..${ref.offset + Math.max(length, 0)} of '${ref.location}', which has only ${size} bytes`,
      'the external data file does not belong to this model, or it is truncated',
    );
  }
  return length;
}

/** Reads external tensor data through a source, opening each file once; {@link close} releases them. */
export class ExternalDataReader {
  readonly #source: ExternalDataSource;
  readonly #options: ExternalDataReaderOptions;
  readonly #files = new Map<string, Promise<ExternalFile>>();

  constructor(source: ExternalDataSource, options: ExternalDataReaderOptions) {
    this.#source = source;
    this.#options = options;
  }

  /**
   * The bytes of an external tensor. `where` names it in messages (`initializer 'conv1.weight'`);
   * `impliedLength` is its size by type and shape, used when the reference gives no length.
   * @throws InputError for a damaged reference, an unsafe location, a missing file or a range past its end.
   */
  async read(tensor: TensorProto, where: string, impliedLength?: number): Promise<Uint8Array> {
    const { source } = this.#options;
    const ref = externalRef(tensor, where, source);
    const location = checkLocation(ref, where, source);
    const file = await this.#open(location, ref, where);
    const length = checkRange(ref, file.size, where, source, impliedLength);
    return file.read(ref.offset, length);
  }

  /** Closes every file opened so far. */
  async close(): Promise<void> {
    const files = [...this.#files.values()];
    this.#files.clear();
    for (const f of files) await f.then((file) => file.close()).catch(() => {});
  }

  #open(location: string, ref: ExternalRef, where: string): Promise<ExternalFile> {
    let file = this.#files.get(location);
    if (!file) {
      file = this.#source.open(location).catch((err: unknown) => {
        this.#files.delete(location);
        if (!(err instanceof InputError)) throw err;
        throw new InputError(
          `${this.#options.source}: ${where} keeps its data in '${ref.location}': ${err.message}`,
          'keep external data files beside the model, at the locations it names',
          { cause: err },
        );
      });
      this.#files.set(location, file);
    }
    return file;
  }
}
