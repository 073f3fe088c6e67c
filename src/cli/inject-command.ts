/** The main command: load, inject, save (atomically), report, and optionally validate. */
import { stat } from 'node:fs/promises';
import { loadModel } from '../io/load.js';
import { saveModel } from '../io/save.js';
import { readError } from '../io/fs-errors.js';
import { decodeModel } from '../codec/decode.js';
import { encodeModel } from '../codec/encode.js';
import { injectSge } from '../sge/inject.js';
import { parseSgeParams } from '../sge/params.js';
import { readInputFile } from '../io/input-file.js';
import { groupsOption, type InjectCliOptions } from './program.js';
import {
  checkOutputNotInput,
  checkOutputOutsideInputs,
  checkOutputPath,
  defaultOutputPath,
  inputsFolderFiles,
  modelDataFiles,
  type CommandInput,
} from './paths.js';
import { formatInjectReport, noSiteChosen } from '../shell/inject.js';
import type { CliIo } from './io.js';
import { EXIT_OK } from './exit-codes.js';
import { UsageError } from '../errors.js';
import { validateAndReport, validationOptionsFor } from './validate-command.js';
import { modelOrigin } from '../io/provenance.js';
import { dirname, resolve } from 'node:path';

/** Runs the main command; returns the exit status. */
export async function runInject(modelPath: string, options: InjectCliOptions, io: CliIo): Promise<number> {
  if (!options.after?.length) {
    throw noSiteChosen();
  }
  if (options.output === '')
    throw new UsageError('-o/--output is empty', 'give the output file, e.g. -o model.sge.onnx');
  const validateOptions = await validationOptionsFor(options);
  const groups = groupsOption(options.groups);
  const output = options.output ?? defaultOutputPath(modelPath);
  // A missing model is the fault to name, not the missing folder its default output would go to.
  await stat(modelPath).catch((err: unknown) => {
    throw readError(err, modelPath);
  });
  const write = !options.dryRun;
  if (write) {
    await checkOutputPath(modelPath, output, Boolean(options.overwrite));
    const inputs: CommandInput[] = [];
    if (options.params) inputs.push({ path: options.params, what: 'the --params file' });
    if (options.inputs !== undefined) inputs.push(...(await inputsFolderFiles(options.inputs)));
    await checkOutputNotInput(output, inputs);
    if (options.inputs !== undefined) await checkOutputOutsideInputs(output, options.inputs);
  }
  const params = options.params
    ? parseSgeParams(await readInputFile(options.params, 'params file'), options.params)
    : undefined;
  const model = await loadModel(modelPath);
  const baseDir = modelOrigin(model)?.baseDir ?? dirname(resolve(modelPath));
  // External data is checked (location, file, range) even in a dry run, before anything is written.
  const dataFiles = await modelDataFiles(model, modelPath);
  if (write) await checkOutputNotInput(output, dataFiles);
  // The original, for validation: a copy decoded from an encoding of the untouched model (no disk
  // re-read), with the folder its external data locations are relative to.
  const original = options.validate
    ? { model: decodeModel(encodeModel(model), { source: modelPath }), dir: baseDir }
    : undefined;
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
      options: validateOptions,
      extra: options.json ? { inject: report, output: options.dryRun ? null : output } : undefined,
      outputNote: options.dryRun ? undefined : output,
    });
  }
  return EXIT_OK;
}
