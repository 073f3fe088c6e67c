/** `sge-inject list MODEL`: every convolution and what the options would do with it. */
import { loadModel } from '../io/load.js';
import { listSites } from '../sge/list.js';
import { groupsOption, type ListCliOptions } from './program.js';
import { formatDims, renderTable } from './table.js';
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
  const patterns = (options.after?.length ?? 0) > 0;
  const rows = report.rows.map((r) => [
    r.name,
    r.output === r.name ? '' : r.output,
    r.channels === null ? '?' : String(r.channels),
    formatDims(r.spatial),
    r.divisible === null ? '?' : r.divisible ? 'yes' : 'no',
    patterns ? (r.selected ? 'yes' : '') : '',
    r.sge ?? '',
    r.graph === 'main' ? '' : r.graph,
  ]);
  io.stdout(
    `${renderTable(['node', 'output', 'channels', 'spatial', `÷${report.groups}`, 'selected', 'sge', 'subgraph'], rows)}\n`,
  );
  const selected = report.rows.filter((r) => r.selected).length;
  io.stdout(
    `${report.rows.length} convolutions${patterns ? `, ${selected} selected` : ''}; ${report.rows.filter((r) => r.divisible).length} divisible by ${report.groups}\n`,
  );
  return EXIT_OK;
}
