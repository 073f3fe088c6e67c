/**
 * validateSge: validation from files or loaded models in Node. A thin shell over the core
 * (validateModels): it loads the models, says where their external data is, reads `--inputs DIR` and
 * lends onnxruntime-node, imported only when the first session opens.
 */
import type { ModelProto } from '../../codec/types.js';
import { UsageError } from '../../errors.js';
import { loadModel } from '../../io/load.js';
import { modelOrigin } from '../../io/provenance.js';
import { checkExternalRefs } from '../../io/external-check.js';
import { collectTensors } from '../../external/tensors.js';
import { isExternal } from '../../external/location.js';
import { basename } from 'node:path';
import type { ReplacedBlock } from '../model-copy.js';
import type { ModelUnderTest } from '../model-sessions.js';
import type { ValidationReport } from '../report-types.js';
import { timedRuns, type ValidationSettings } from '../settings.js';
import { validateModels } from '../validate-models.js';
import { loadInputsFromDir } from './inputs-dir.js';
import { loadOrt } from './load-ort.js';
import { folderModelFiles } from './model-files.js';

/**
 * A model to validate: a file path, a ModelProto (its folder is known when it came from loadModel),
 * or a ModelProto with the folder its external data locations are relative to.
 */
export type ModelSource = string | ModelProto | { readonly model: ModelProto; readonly dir: string };

/** Options of {@link validateSge}; every field is optional. */
export interface ValidateOptions extends ValidationSettings {
  /** A folder of `input_0.pb` … / `.npy` files (ONNX test data set layout). */
  readonly inputsDir?: string;
  /** The original's blocks that the rewritten model's sites replaced (see ValidateModelsRequest.replacedBlocks). */
  readonly replacedBlocks?: readonly ReplacedBlock[];
}

/**
 * Validates a rewritten model against the model it was made from, in onnxruntime-node. Never modifies
 * either model or any file. The report's `passed` is false when any check fails (see
 * {@link ValidationReport.failures}); the CLI turns that into exit 1.
 * @throws InputError (exit 2) when a model cannot be read, the models take different inputs, the
 *   inputs cannot be made or loaded, or onnxruntime-node cannot be loaded;
 * @throws ValidationFailure (exit 1) when onnxruntime cannot load or run a model or a variant;
 * @throws UsageError for contradictory options.
 */
export async function validateSge(
  original: ModelSource,
  rewritten: ModelSource,
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  timedRuns(options);
  const { inputsDir, ...settings } = options;
  if (inputsDir !== undefined && (options.shapes || options.dims)) {
    throw new UsageError('--inputs and --shape/--dim exclude each other: the files fix the shapes');
  }
  options.onProgress?.({ stage: 'load', message: 'loading models' });
  return validateModels({
    ...settings,
    ort: loadOrt,
    original: await loadModelUnderTest(original),
    rewritten: await loadModelUnderTest(rewritten),
    ...(inputsDir !== undefined ? { loadInputs: (specs) => loadInputsFromDir(inputsDir, specs) } : {}),
  });
}

/**
 * A model as the core takes it: loaded from its file (which sessions of it unchanged then open
 * directly), with its external data folder when known.
 * @throws InputError when the file cannot be read or decoded.
 */
export async function loadModelUnderTest(source: ModelSource): Promise<ModelUnderTest> {
  if (typeof source === 'string') {
    // The weights stay in the file: onnxruntime reads them from there for every session (the variants
    // refer to them too), and no copy of them is kept in JavaScript memory.
    const model = await loadModel(source, { weightsInFile: true });
    const origin = modelOrigin(model);
    return checked(described(model, origin?.path ?? source, origin?.baseDir), origin?.baseDir);
  }
  if ('dir' in source && 'model' in source) return checked(described(source.model, undefined, source.dir), source.dir);
  const model = source as ModelProto;
  // A loaded model may have been edited since: its folder still holds its external data, but the
  // file itself is not what the object says, so sessions are made from fresh bytes.
  const origin = modelOrigin(model);
  return checked(
    { model, ...(origin ? { name: origin.path, files: folderModelFiles(origin.baseDir) } : {}) },
    origin?.baseDir,
  );
}

/**
 * The model, once its external data references are checked as every command checks them (a safe
 * location, a regular file holding the whole range): onnxruntime would otherwise open a FIFO and wait,
 * or give its own message for a short file.
 */
async function checked(subject: ModelUnderTest, dir: string | undefined): Promise<ModelUnderTest> {
  if (dir !== undefined) await checkExternalRefs(collectTensors(subject.model), dir, subject.name ?? 'the model');
  return subject;
}

/**
 * A model read from `path` with its data in `dir`. Sessions of it unchanged open the file itself only
 * when its weights were read into memory: when they were left in the file, a session made from the
 * encoded graph (onnxruntime told the folder) reads them from there, which measured faster and with a
 * lower peak than onnxruntime parsing the whole file (ResNet-50: 0.7 s less CPU, 466 -> 400 MiB).
 */
function described(model: ModelProto, path: string | undefined, dir: string | undefined): ModelUnderTest {
  const whole = path !== undefined && !refersToItself(model, basename(path));
  return {
    model,
    ...(path !== undefined ? { name: path } : {}),
    ...(whole ? { path } : {}),
    ...(dir !== undefined ? { files: folderModelFiles(dir) } : {}),
  };
}

/** True when an initializer of the main graph is external data in the model's own file (`fileName`). */
function refersToItself(model: ModelProto, fileName: string): boolean {
  return (model.graph?.initializer ?? []).some(
    (t) => isExternal(t) && t.external_data.some((e) => e.key === 'location' && e.value === fileName),
  );
}
