/** `--inputs DIR`: the files of a folder offered as inputs (matching and parsing: input-files.ts). */
import { readdir } from 'node:fs/promises';
import { readInputFile } from '../../io/input-file.js';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import type { LoadedInput } from '../feeds.js';
import { loadInputFiles } from '../input-files.js';
import type { InputSpec } from '../inputs.js';

/**
 * Reads one tensor per graph input from the files in `dir` (`input_0.pb` …, `.npy`; see
 * {@link loadInputFiles}) and checks it against the input's element type and static dims.
 * @throws InputError for an unreadable folder or file, a missing or doubly given input, or a tensor
 * whose type or shape does not fit.
 */
export async function loadInputsFromDir(
  dir: string,
  specs: readonly InputSpec[],
): Promise<Record<string, LoadedInput>> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new InputError(
      `--inputs ${dir}: cannot read the folder (${(err as Error).message})`,
      'give a folder of input_0.pb … or .npy files',
    );
  }
  const files = entries.map((name) => {
    const path = join(dir, name);
    return { name, path, read: () => readInputFile(path, 'input file') };
  });
  return loadInputFiles(files, specs, dir);
}
