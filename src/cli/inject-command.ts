/** The main command: load, inject, save (atomically), report, and optionally validate. */
import { readFile, stat } from 'node:fs/promises';
import { loadModel } from '../io/load.js';
import { saveModel } from '../io/save.js';
import { readError } from '../io/fs-errors.js';
import { decodeModel } from '../codec/decode.js';
import { encodeModel } from '../codec/encode.js';
import { injectSge } from '../sge/inject.js';
import { parseSgeParams, type SgeParamsFile } from '../sge/params.js';
import { groupsOption, type InjectCliOptions } from './program.js';
import { checkOutputPath, defaultOutputPath } from './paths.js';
import { formatInjectReport } from '../shell/inject.js';
import type { CliIo } from './io.js';
import { EXIT_OK } from './exit-codes.js';
import { UsageError } from '../errors.js';
import { validateAndReport } from './validate-command.js';

/** Runs the main command; returns the exit status. */
export async function runInject(modelPath: string, options: InjectCliOptions, io: CliIo): Promise<number> {
  if (!options.after?.length) {
    throw new UsageError(
      'no site chosen: --after is required',
      "e.g. --after '*/conv3/Conv'; `sge-inject list MODEL` shows the convolutions",
    );
  }
  if (options.output === '')
    throw new UsageError('-o/--output is empty', 'give the output file, e.g. -o model.sge.onnx');
  const groups = groupsOption(options.groups);
  const output = options.output ?? defaultOutputPath(modelPath);
  // A missing model is the fault to name, not the missing folder its default output would go to.
  await stat(modelPath).catch((err: unknown) => {
    throw readError(err, modelPath);
  });
  if (!options.dryRun) await checkOutputPath(modelPath, output, Boolean(options.overwrite));
  let params: SgeParamsFile | undefined;
  if (options.params) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(options.params));
    } catch (err) {
      throw readError(err, options.params, 'params file');
    }
    params = parseSgeParams(bytes, options.params);
  }
  const model = await loadModel(modelPath);
  // The original, for validation, is re-decoded from an encoding of the untouched model (no disk re-read).
  const original = options.validate ? decodeModel(encodeModel(model), { source: modelPath }) : undefined;
  const report = injectSge(model, {
    after: options.after,
    exclude: options.exclude,
    opTypes: options.opTypes,
    groups,
    params,
    inline: Boolean(options.inline),
    force: Boolean(options.force),
  });
  let saveNotes: string[] = [];
  if (!options.dryRun) {
    const saved = await saveModel(model, output);
    saveNotes = [...saved.notes];
  }
  if (options.json && !options.validate) {
    io.stdout(`${JSON.stringify({ ...report, output: options.dryRun ? null : output, notes: saveNotes }, null, 2)}\n`);
  } else if (!options.json) {
    io.stdout(formatInjectReport(report, options.dryRun ? 'dry run: nothing written' : `wrote ${output}`));
    for (const n of saveNotes) io.stdout(`note: ${n}\n`);
  }
  if (options.validate) {
    return validateAndReport(original!, model, {
      json: Boolean(options.json),
      io,
      extra: options.json ? { inject: report, output: options.dryRun ? null : output } : undefined,
      outputNote: options.dryRun ? undefined : output,
    });
  }
  return EXIT_OK;
}
