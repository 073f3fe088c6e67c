/**
 * `sge-inject fuse MODEL`: replace the SGE blocks an exporter wrote as primitive ops by our sites,
 * each proven in onnxruntime first, with the output rules, atomic write and exit codes of inject; with
 * --validate, then run the exported and the fused model side by side as `validate` does.
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { decodeModel } from '../codec/decode.js';
import { encodeModel } from '../codec/encode.js';
import { UsageError } from '../errors.js';
import { readError } from '../io/fs-errors.js';
import { loadModel } from '../io/load.js';
import { modelOrigin } from '../io/provenance.js';
import { saveModel } from '../io/save.js';
import { EXIT_OK } from './exit-codes.js';
import type { CliIo } from './io.js';
import {
  checkOutputNotInput,
  checkOutputOutsideInputs,
  checkOutputPath,
  defaultOutputPath,
  inputsFolderFiles,
  modelDataFiles,
} from './paths.js';
import type { FuseCliOptions } from './program.js';
import { formatFuseReport, nothingToFuse } from '../shell/fuse.js';
import { validateAndReport, validationOptionsFor } from './validate-command.js';

/** Suffix of the default output beside the model. */
export const FUSED_SUFFIX = '.fused.onnx';

/** Runs `fuse`; returns the exit status. */
export async function runFuse(modelPath: string, options: FuseCliOptions, io: CliIo): Promise<number> {
  if (options.output === '')
    throw new UsageError('-o/--output is empty', 'give the output file, e.g. -o model.fused.onnx');
  const validateOptions = await validationOptionsFor(options);
  const output = options.output ?? defaultOutputPath(modelPath, FUSED_SUFFIX);
  await stat(modelPath).catch((err: unknown) => {
    throw readError(err, modelPath);
  });
  if (!options.dryRun) {
    await checkOutputPath(modelPath, output, Boolean(options.overwrite));
    if (options.inputs !== undefined) {
      await checkOutputNotInput(output, await inputsFolderFiles(options.inputs));
      await checkOutputOutsideInputs(output, options.inputs);
    }
  }
  const model = await loadModel(modelPath);
  // External data is checked before anything is read or written; none of its files may be the output.
  const dataFiles = await modelDataFiles(model, modelPath);
  if (!options.dryRun) await checkOutputNotInput(output, dataFiles);
  // The exported model, for validation: a copy decoded from an encoding of the untouched model, with
  // the folder its external data locations are relative to.
  const original = options.validate
    ? {
        model: decodeModel(encodeModel(model), { source: modelPath }),
        dir: modelOrigin(model)?.baseDir ?? dirname(resolve(modelPath)),
      }
    : undefined;
  // onnxruntime is loaded only now: a bad path or option fails before the native binding loads.
  const { loadOrt } = await import('../validate/node/load-ort.js');
  const { fuseSge } = await import('../sge/fuse/fuse.js');
  const report = await fuseSge(model, { ort: await loadOrt(), inline: Boolean(options.inline) });
  if (report.sites.length === 0) {
    if (options.json) io.stdout(`${JSON.stringify({ ...report, output: null }, null, 2)}\n`);
    throw nothingToFuse(modelPath, report.nearMisses);
  }
  let notes: string[] = [];
  if (!options.dryRun) notes = [...(await saveModel(model, output)).notes];
  const written = options.dryRun ? null : output;
  if (options.json && !options.validate) {
    io.stdout(`${JSON.stringify({ ...report, output: written, notes }, null, 2)}\n`);
  } else if (!options.json) {
    io.stdout(formatFuseReport(report, written ? `wrote ${written}` : 'dry run: nothing written'));
    for (const n of notes) io.stdout(`note: ${n}\n`);
  }
  if (!original) return EXIT_OK;
  if (!options.json) io.stdout('\nvalidation: the exported model (original) against the fused one (rewritten)\n');
  return validateAndReport(original, model, {
    json: Boolean(options.json),
    io,
    // Each site is judged against the block it replaced: X is the block's input in both models.
    options: { ...validateOptions, replacedBlocks: report.sites.map((s) => ({ input: s.input, output: s.output })) },
    extra: options.json ? { fuse: report, output: written, notes } : undefined,
    outputNote: written ?? undefined,
  });
}
