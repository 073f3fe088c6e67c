/** `sge-inject list MODEL`: every convolution and what the options would do with it. */
import { loadModel } from '../io/load.js';
import { listSites } from '../sge/list.js';
import { groupsOption, type ListCliOptions } from './program.js';
import { formatListReport } from '../shell/list.js';
import type { CliIo } from './io.js';
import { EXIT_OK } from './exit-codes.js';

/** Runs `list`; returns the exit status. */
export async function runList(modelPath: string, options: ListCliOptions, io: CliIo): Promise<number> {
  const groups = groupsOption(options.groups);
  const model = await loadModel(modelPath);
  const report = listSites(model, { after: options.after, exclude: options.exclude, opTypes: options.opTypes, groups });
  if (options.json) {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT_OK;
  }
  io.stdout(formatListReport(report, (options.after?.length ?? 0) > 0));
  return EXIT_OK;
}
