/**
 * `sge-inject fuse MODEL`: replace the SGE blocks an exporter wrote as primitive ops by our sites,
 * each proven in onnxruntime first, with the output rules, atomic write and exit codes of inject.
 */
import { stat } from 'node:fs/promises';
import { InputError, UsageError } from '../errors.js';
import { readError } from '../io/fs-errors.js';
import { loadModel } from '../io/load.js';
import { saveModel } from '../io/save.js';
import { EXIT_OK } from './exit-codes.js';
import type { CliIo } from './io.js';
import { checkOutputNotInput, checkOutputPath, defaultOutputPath, modelDataFiles } from './paths.js';
import type { FuseCliOptions } from './program.js';
import { formatFuseReport, formatNearMisses } from '../shell/fuse.js';

/** Suffix of the default output beside the model. */
export const FUSED_SUFFIX = '.fused.onnx';

/** Runs `fuse`; returns the exit status. */
export async function runFuse(modelPath: string, options: FuseCliOptions, io: CliIo): Promise<number> {
  if (options.output === '')
    throw new UsageError('-o/--output is empty', 'give the output file, e.g. -o model.fused.onnx');
  const output = options.output ?? defaultOutputPath(modelPath, FUSED_SUFFIX);
  await stat(modelPath).catch((err: unknown) => {
    throw readError(err, modelPath);
  });
  if (!options.dryRun) await checkOutputPath(modelPath, output, Boolean(options.overwrite));
  const model = await loadModel(modelPath);
  // External data is checked before anything is read or written; none of its files may be the output.
  const dataFiles = await modelDataFiles(model, modelPath);
  if (!options.dryRun) await checkOutputNotInput(output, dataFiles);
  // onnxruntime is loaded only now: a bad path or option fails before the native binding loads.
  const { loadOrt } = await import('../validate/node/load-ort.js');
  const { fuseSge } = await import('../sge/fuse/fuse.js');
  const report = await fuseSge(model, { ort: await loadOrt(), inline: Boolean(options.inline) });
  if (report.sites.length === 0) {
    if (options.json) io.stdout(`${JSON.stringify({ ...report, output: null }, null, 2)}\n`);
    const misses = formatNearMisses(report.nearMisses);
    throw new InputError(
      report.nearMisses.length
        ? `no exported SGE block in ${modelPath} can be fused; nothing written\n${misses.join('\n')}`
        : `${modelPath} has no exported SGE block (a gate Mul of X by Sigmoid of its normalized group similarity); nothing written`,
      report.nearMisses.length
        ? 'a near miss computes something other than SGE (docs: unbiased std, eps 1e-5 after the square root, Sigmoid gate); re-export it with the reference module, or insert our SGE with `sge-inject MODEL --after …`'
        : '`sge-inject list MODEL` shows the convolutions; `sge-inject MODEL --after …` inserts SGE',
    );
  }
  let notes: string[] = [];
  if (!options.dryRun) notes = [...(await saveModel(model, output)).notes];
  if (options.json) {
    io.stdout(`${JSON.stringify({ ...report, output: options.dryRun ? null : output, notes }, null, 2)}\n`);
  } else {
    io.stdout(formatFuseReport(report, options.dryRun ? 'dry run: nothing written' : `wrote ${output}`));
    for (const n of notes) io.stdout(`note: ${n}\n`);
  }
  return EXIT_OK;
}
