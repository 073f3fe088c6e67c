/** Output paths: the default name beside the model, and the checks done before any work starts. */
import type { Stats } from 'node:fs';
import { stat, realpath } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { InputError, UsageError } from '../errors.js';

/** `<dir>/<stem><suffix>` beside the model: `.sge.onnx` for injection, `.nosge.onnx` for strip. */
export function defaultOutputPath(model: string, suffix = '.sge.onnx'): string {
  const ext = extname(model);
  const stem = basename(model, ext.toLowerCase() === '.onnx' ? ext : '');
  return join(dirname(model), `${stem}${suffix}`);
}

/** True when two paths name the same file (directly or through links). */
export async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  try {
    return (await realpath(a)) === (await realpath(b));
  } catch {
    return false;
  }
}

/**
 * Checks that `output` can be written before the work starts: its folder exists and is a folder, it is
 * not a folder itself, and it is not the input unless `overwrite` is set.
 */
export async function checkOutputPath(input: string, output: string, overwrite: boolean): Promise<void> {
  if (!overwrite && (await sameFile(input, output))) {
    throw new UsageError(
      `the output ${output} is the input model`,
      'pass --overwrite to replace it (atomically), or -o another path',
    );
  }
  const folder = dirname(resolve(output));
  let st: Stats;
  try {
    st = await stat(folder);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new InputError(
        `cannot write ${output}: permission denied for the folder ${dirname(output)}`,
        'choose an output folder you can write to',
        { cause: err },
      );
    }
    if (code === 'ENOTDIR')
      throw new InputError(`${dirname(output)} is not a folder`, 'choose another -o path', { cause: err });
    throw new InputError(
      `the output folder ${dirname(output)} does not exist`,
      'create it first, or choose another -o path',
      { cause: err },
    );
  }
  if (!st.isDirectory()) throw new InputError(`${dirname(output)} is not a folder`, 'choose another -o path');
  const out = await stat(output).catch(() => undefined);
  if (out?.isDirectory())
    throw new InputError(`the output ${output} is a folder`, 'give a file name, e.g. -o model.sge.onnx');
}
