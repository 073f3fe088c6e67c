/** `sge-inject strip MODEL`: remove the SGE blocks this tool inserted. */
import { loadModel } from '../io/load.js';
import { saveModel } from '../io/save.js';
import { stripSge } from '../sge/strip.js';
import type { StripCliOptions } from './program.js';
import { checkOutputNotInput, checkOutputPath, defaultOutputPath, modelDataFiles } from './paths.js';
import { formatStripReport, nothingToStrip } from '../shell/strip.js';
import type { CliIo } from './io.js';
import { EXIT_OK } from './exit-codes.js';

/** Runs `strip`; returns the exit status. */
export async function runStrip(modelPath: string, options: StripCliOptions, io: CliIo): Promise<number> {
  const model = await loadModel(modelPath);
  const output = options.output || defaultOutputPath(modelPath, '.nosge.onnx');
  const dataFiles = await modelDataFiles(model, modelPath);
  if (!options.dryRun) {
    await checkOutputPath(modelPath, output, Boolean(options.overwrite));
    await checkOutputNotInput(output, dataFiles);
  }
  const report = stripSge(model);
  if (report.sites.length === 0) {
    throw nothingToStrip(modelPath);
  }
  if (!options.dryRun) await saveModel(model, output);
  if (options.json) {
    io.stdout(`${JSON.stringify({ ...report, output: options.dryRun ? null : output }, null, 2)}\n`);
    return EXIT_OK;
  }
  io.stdout(formatStripReport(report, options.dryRun ? 'dry run: nothing written' : `wrote ${output}`));
  return EXIT_OK;
}
