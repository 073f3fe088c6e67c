/** Output paths: the default name beside the model, and the checks done before any work starts. */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { checkOutputTarget } from '../io/target.js';
import { checkExternalRefs } from '../io/external-check.js';
import { collectTensors } from '../external/tensors.js';
import { modelOrigin } from '../io/provenance.js';
import type { ModelProto } from '../codec/types.js';

/** `<dir>/<stem><suffix>` beside the model: `.sge.onnx` for injection, `.nosge.onnx` for strip. */
export function defaultOutputPath(model: string, suffix = '.sge.onnx'): string {
  const ext = extname(model);
  const stem = basename(model, ext.toLowerCase() === '.onnx' ? ext : '');
  return join(dirname(model), `${stem}${suffix}`);
}

/** True when both paths name one file: the same path, or the same file through links (device and inode). */
export async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** A file the command reads, named in the refusal when the output is that file. */
export interface CommandInput {
  readonly path: string;
  /** e.g. 'the --params file', "the model's external data file". */
  readonly what: string;
}

/**
 * Refuses an output that is one of the command's inputs (the params file, an external data file of the
 * model, a file of the --inputs folder): writing it would replace what the command reads or what the
 * model needs. Only the model itself may be replaced, and only with --overwrite (checkOutputPath).
 */
export async function checkOutputNotInput(output: string, inputs: readonly CommandInput[]): Promise<void> {
  for (const input of inputs) {
    if (await sameFile(input.path, output)) {
      throw new UsageError(
        `the output ${output} is ${input.what} ${input.path}`,
        'choose another output path (-o): the output may replace only the model, and only with --overwrite',
      );
    }
  }
}

/**
 * Checks that `output` can be written before the work starts: its folder exists and is a folder, it is
 * neither a folder nor a device, FIFO or socket (a rename would replace those), and it is not the
 * input unless `overwrite` is set.
 */
export async function checkOutputPath(input: string, output: string, overwrite: boolean): Promise<void> {
  // `-o newdir/` names a folder: a file called newdir is not what was asked for.
  if (/[/\\]$/.test(output))
    throw new UsageError(
      `the output ${output} ends with '/', which names a folder`,
      'give a file name, e.g. -o out/model.sge.onnx',
    );
  if (!overwrite && (await sameFile(input, output))) {
    throw new UsageError(
      `the output ${output} is the input model`,
      'pass --overwrite to replace it (atomically), or -o another path',
    );
  }
  await checkOutputTarget(output);
}

/** The files validation reads from an --inputs folder (its .pb and .npy files), as command inputs. */
export async function inputsFolderFiles(dir: string): Promise<CommandInput[]> {
  const entries = await readdir(dir).catch(() => [] as string[]); // an unreadable folder is validation's to report
  return entries
    .filter((e) => e.endsWith('.pb') || e.endsWith('.npy'))
    .map((e) => ({ path: join(dir, e), what: 'a file of the --inputs folder' }));
}

/**
 * Refuses an output that would be a new .pb/.npy file in the --inputs folder: validation, which runs after
 * the write, would read the model as an input tensor.
 */
export async function checkOutputOutsideInputs(output: string, inputsDir: string): Promise<void> {
  const ext = extname(output).toLowerCase();
  if (ext !== '.pb' && ext !== '.npy') return;
  if (await sameFile(dirname(resolve(output)), inputsDir)) {
    throw new UsageError(
      `the output ${output} would be written into the --inputs folder ${inputsDir}, where validation reads ${ext} files as inputs`,
      'choose another output path (-o), e.g. one ending in .onnx',
    );
  }
}

/**
 * The external data files a loaded model reads, as command inputs, once every reference is checked (a
 * safe location, a regular file holding the whole range): nothing has been read or written yet.
 */
export async function modelDataFiles(model: ModelProto, modelPath: string): Promise<CommandInput[]> {
  const baseDir = modelOrigin(model)?.baseDir ?? dirname(resolve(modelPath));
  const files = await checkExternalRefs(collectTensors(model), baseDir, modelPath);
  return [...files.keys()].map((path) => ({ path, what: 'an external data file of the model:' }));
}
