/**
 * Writing a model file: encoded into chunks (tensor data stays views of the loaded buffer), streamed
 * with writev to a temporary file beside the target, flushed, then renamed over it. External data
 * references are kept valid from the output's folder; models over protobuf's 2 GiB limit get their
 * large tensors written to an external data file automatically.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { encodeModelChunks, type EncodedChunks } from '../codec/encode.js';
import type { ModelProto } from '../codec/types.js';
import { PendingFile, syncFolder } from './atomic-write.js';
import { writeDataPieces } from './data-file.js';
import {
  EXTERNAL_DEFAULTS,
  planExternalData,
  type DataFilePlan,
  type ExternalDataOptions,
  type ExternalPlan,
} from './external-plan.js';
import { writeError } from './fs-errors.js';
import { MAX_MODEL_FILE_BYTES } from './load.js';
import { modelOrigin } from './provenance.js';
import { collectTensors, withSwappedTensors } from '../external/tensors.js';
import { checkOutputTarget, checkReplaceable } from './target.js';

/** Options of {@link saveModel}. */
export interface SaveOptions {
  /**
   * Write initializers' large `raw_data` to an external data file beside the model: `true` for the
   * defaults, or {@link ExternalDataOptions}. Default (undefined): only when the model would pass
   * `maxModelBytes`. `false` refuses that automatic switch (the save fails instead).
   */
  readonly externalData?: boolean | ExternalDataOptions;
  /**
   * Folder the model's existing external data locations are relative to. Default: the folder it was
   * loaded from (see {@link modelOrigin}), or the output folder for a model built in memory.
   */
  readonly baseDir?: string;
  /**
   * Flush files to disk (fsync) before renaming them into place. Default: only when the target already
   * exists. Atomicity against interrupts needs no flush (the rename alone gives it); the flush guards a
   * file being REPLACED against an OS crash, where the old copy may be the only one. A new file has
   * nothing to lose, and the flush would cost more than the whole load + save of a 100 MB model.
   */
  readonly durable?: boolean;
  /** Largest model file written without external data. Default 2^31 - 1, protobuf's limit. */
  readonly maxModelBytes?: number;
}

/** What {@link saveModel} wrote. */
export interface SaveReport {
  /** Absolute path of the model file. */
  readonly path: string;
  /** Size of the model file in bytes. */
  readonly byteLength: number;
  /** The external data file written by this save, if any. */
  readonly externalData?: {
    readonly location: string;
    readonly path: string;
    readonly tensors: number;
    readonly byteLength: number;
    /** True when it was written because the model would pass protobuf's size limit. */
    readonly automatic: boolean;
  };
  /** Existing external data files copied beside the output so its references stay valid. */
  readonly copied: ReadonlyArray<{ readonly from: string; readonly to: string }>;
  /** Human-readable notes on anything the user did not explicitly ask for (say them). */
  readonly notes: readonly string[];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * Saves a model atomically: the target is either the complete new model or left as it was, and no
 * temporary file remains on failure or interrupt.
 *
 * The encoded pieces are written with `writev`, so tensor data goes from the loaded file's buffer to
 * the new file without being copied. The model object is not modified (external data edits are
 * applied to copies of the affected tensors while encoding).
 *
 * External data: references of a loaded model are kept valid from the output folder (data files are
 * copied beside it when it is another folder; locations that are absolute or contain `..` are
 * rewritten to a file beside the output, since onnxruntime refuses them). With `externalData`, or
 * automatically when the model would pass 2 GiB, initializers of at least 1 KiB go to
 * `<output name>.data`; the report says so in `notes`.
 *
 * @throws InputError when the output folder is missing or not writable, a referenced data file is
 *   missing, or the model cannot fit in a protobuf file even with external data
 * @throws UsageError for an external data location outside the output folder
 * @throws ModelEncodeError when the message tree holds values of the wrong type (a bug upstream)
 */
export async function saveModel(model: ModelProto, path: string, options: SaveOptions = {}): Promise<SaveReport> {
  if (typeof model !== 'object' || model === null) throw new TypeError('saveModel: model must be a ModelProto');
  if (typeof path !== 'string' || path === '') throw new TypeError('saveModel: path must be a non-empty string');
  // A path ending in '/' names a folder; resolve() would drop the slash and write a file of that name.
  if (/[/\\]$/.test(path))
    throw new InputError(`${path} ends with '/', which names a folder`, 'give a file path for the output model');
  const target = resolve(path);
  await checkOutputTarget(target, path);
  const durable = options.durable ?? (await exists(target));
  const save = await planSave(model, target, options);
  await writeFiles(save, target, path, durable);
  return saveReport(save, target);
}

/** What a save writes: the encoded model, and what it does about external data. */
interface SavePlan {
  readonly plan: ExternalPlan;
  readonly encoded: EncodedChunks;
  /** The new data file, when one gets tensors. */
  readonly dataFile?: DataFilePlan;
  /** True when external data was chosen because the model would pass the size limit. */
  readonly automatic: boolean;
}

/**
 * Encodes the model with its external data plan, switching to external data when the model would pass
 * `maxModelBytes` (unless refused), and checks every file the save replaces. Writes nothing.
 */
async function planSave(model: ModelProto, target: string, options: SaveOptions): Promise<SavePlan> {
  const outDir = dirname(target);
  const origin = modelOrigin(model);
  const baseDir = options.baseDir !== undefined ? resolve(options.baseDir) : (origin?.baseDir ?? outDir);
  const source = origin?.path ?? 'the model';
  const limit = options.maxModelBytes ?? MAX_MODEL_FILE_BYTES;
  const slots = collectTensors(model);
  const requested = options.externalData;
  let external: ExternalDataOptions | undefined = requested === true ? {} : requested || undefined;

  const prepare = async (): Promise<{ plan: ExternalPlan; encoded: EncodedChunks }> => {
    const plan = await planExternalData({ slots, baseDir, outDir, target, source, external });
    const encoded = withSwappedTensors(plan.swaps, () => encodeModelChunks(model));
    return { plan, encoded };
  };
  let { plan, encoded } = await prepare();
  let automatic = false;
  if (encoded.byteLength > limit && !external) {
    const size = encoded.byteLength;
    if (requested === false) {
      throw new InputError(
        `the model would be ${size} bytes, more than a protobuf file can hold (${limit})`,
        'allow external data (the externalData option) so large tensors go to a file beside the model',
      );
    }
    automatic = true;
    external = {};
    ({ plan, encoded } = await prepare());
    const data = plan.dataFile!;
    plan.notes.unshift(
      `the model would be ${size} bytes (${mib(size)}), more than a protobuf file can hold (${limit}): ` +
        `${data.tensors} initializer(s) of ${EXTERNAL_DEFAULTS.threshold} bytes or more were written to external data '${data.location}' (${mib(data.byteLength)}) beside it`,
    );
  }
  if (encoded.byteLength > limit) {
    throw new InputError(
      `the model is ${encoded.byteLength} bytes even with its large initializers in external data, more than a protobuf file can hold (${limit})`,
      'the graph itself is too large: keep large constants as initializers so they can go to external data',
    );
  }
  const dataFile = plan.dataFile && plan.dataFile.tensors > 0 ? plan.dataFile : undefined;
  if (plan.dataFile && !dataFile)
    plan.notes.push(`no initializer reached the external data threshold: no data file written`);
  // Every file this save replaces is checked before the first byte is written.
  if (dataFile) await checkReplaceable(dataFile.path, dataFile.location);
  return { plan, encoded, dataFile, automatic };
}

/**
 * Writes every file of the save beside its target and renames them into place, data first and the
 * model last; on any failure every file written so far is removed and nothing is replaced.
 */
async function writeFiles(save: SavePlan, target: string, path: string, durable: boolean): Promise<void> {
  const { plan, encoded, dataFile } = save;
  const pending: PendingFile[] = [];
  try {
    for (const c of plan.copies) {
      await mkdir(dirname(c.to), { recursive: true });
      pending.push(await PendingFile.copyOf(c.from, c.to));
    }
    if (dataFile) {
      await mkdir(dirname(dataFile.path), { recursive: true });
      const f = await PendingFile.create(dataFile.path);
      pending.push(f);
      await writeDataPieces(f, dataFile.pieces);
      if (f.position !== dataFile.byteLength)
        throw new Error(`wrote ${f.position} bytes of external data, expected ${dataFile.byteLength}`);
    }
    const file = await PendingFile.create(target);
    pending.push(file);
    await file.write(encoded.chunks);
    if (file.position !== encoded.byteLength)
      throw new Error(`wrote ${file.position} bytes, expected ${encoded.byteLength}`);
    for (const f of pending) await f.finish(durable);
    // Data first, model last: the model never appears before the files it references.
    for (const f of pending) await f.commit();
  } catch (err) {
    for (const f of pending) await f.discard();
    throw writeError(err, dirname(target), path);
  }
  if (durable) {
    for (const folder of new Set(pending.map((f) => dirname(f.target)))) await syncFolder(folder);
  }
}

function saveReport(save: SavePlan, target: string): SaveReport {
  const { plan, encoded, dataFile } = save;
  return {
    path: target,
    byteLength: encoded.byteLength,
    ...(dataFile
      ? {
          externalData: {
            location: dataFile.location,
            path: dataFile.path,
            tensors: dataFile.tensors,
            byteLength: dataFile.byteLength,
            automatic: save.automatic,
          },
        }
      : {}),
    copied: plan.copies.map((c) => ({ from: c.from, to: c.to })),
    notes: plan.notes,
  };
}
