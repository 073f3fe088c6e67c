/**
 * Test data in Node: `test_data_set_N` folders found beside a model or named by the user, read as
 * files for the core's checkTestData.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import { readError } from '../../io/fs-errors.js';
import { modelOrigin } from '../../io/provenance.js';
import type { ModelProto } from '../../codec/types.js';
import type { Blame } from '../model-sessions.js';
import { checkTestData, type TestDataReport, type TestDataSet } from '../test-data.js';
import { loadOrt } from './load-ort.js';
import { loadModelUnderTest, type ModelSource } from './validate-sge.js';

const SET_FOLDER = /^test_data_set_(\d+)$/;

/**
 * The `test_data_set_N` folders of a model, in order of N: those in `<dir>/<stem>/` (the layout of
 * this project's fixtures and of models kept side by side), else those in `<dir>/` itself (the ONNX
 * model zoo and backend tests: `model.onnx` beside its sets). Empty when there are none.
 */
export async function findTestDataSets(modelPath: string): Promise<string[]> {
  const dir = dirname(modelPath);
  const stem = basename(modelPath, extname(modelPath));
  for (const folder of [join(dir, stem), dir]) {
    const sets = await setFolders(folder);
    if (sets.length) return sets;
  }
  return [];
}

async function setFolders(folder: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && SET_FOLDER.test(e.name))
    .map((e) => ({ n: Number(SET_FOLDER.exec(e.name)![1]), path: join(folder, e.name) }))
    .sort((a, b) => a.n - b.n)
    .map((e) => e.path);
}

/**
 * A folder's files as a test data set (read when the core asks for them); `name` names it in the
 * report and messages (default: `dir`).
 * @throws InputError when `dir` is not a readable folder.
 */
export async function testDataSetFromDir(dir: string, name = dir): Promise<TestDataSet> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory())
      throw new InputError(`test data ${dir} is not a folder`, 'give a folder of input_0.pb … output_0.pb files');
    names = await readdir(dir);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = readError(err, dir, 'test data folder');
    throw e instanceof InputError ? e : new InputError(`cannot read the test data folder ${dir}: ${String(err)}`);
  }
  return {
    name,
    files: names.map((name) => {
      const path = join(dir, name);
      return { name, path, read: async () => new Uint8Array(await readFile(path)) };
    }),
  };
}

/** Options of {@link checkTestDataFiles}. */
export interface TestDataFilesOptions {
  /** Test data set folders; default: those found beside the model ({@link findTestDataSets}). */
  readonly data?: readonly string[];
  readonly rtol?: number;
  readonly atol?: number;
  /** Who is to blame when onnxruntime fails on the model (default 'input'). */
  readonly blame?: Blame;
}

/**
 * Runs a model in onnxruntime-node on its test data sets and compares every output with the expected
 * one (see checkTestData).
 * @throws UsageError when no set is given or found; InputError for bad data (naming the file and
 *   tensor) or a model that cannot be read; InputError or ValidationFailure (per `blame`) when
 *   onnxruntime cannot run the model.
 */
export async function checkTestDataFiles(
  model: ModelSource,
  options: TestDataFilesOptions = {},
): Promise<TestDataReport> {
  const subject = await loadModelUnderTest(model);
  let folders = options.data;
  if (!folders?.length) {
    const path = typeof model === 'string' ? model : modelOrigin(model as ModelProto)?.path;
    if (!path)
      throw new UsageError('no test data given', 'name the test_data_set_N folders (the --data option of `test`)');
    folders = await findTestDataSets(path);
    if (!folders.length) {
      const stem = basename(path, extname(path));
      throw new UsageError(
        `no test data found for ${path}: no test_data_set_N folder in ${join(dirname(path), stem)} or ${dirname(path)}`,
        'give the folders with --data DIR (repeatable), or lay them out as <stem>/test_data_set_0/{input_0.pb,output_0.pb}',
      );
    }
  }
  const sets = await Promise.all(folders.map((dir) => testDataSetFromDir(dir)));
  return checkTestData({
    ort: loadOrt,
    model: subject,
    sets,
    ...(options.rtol !== undefined ? { rtol: options.rtol } : {}),
    ...(options.atol !== undefined ? { atol: options.atol } : {}),
    ...(options.blame ? { blame: options.blame } : {}),
  });
}
