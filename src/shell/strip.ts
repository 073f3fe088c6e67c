/** The strip report as text. */
import { InputError } from '../errors.js';
import type { StripReport } from '../sge/strip.js';

/** Formats what strip removed; `outcome` is the last line (where the model went, or a dry run). */
export function formatStripReport(report: StripReport, outcome: string): string {
  const lines = [
    `removed ${report.sites.length} SGE site${report.sites.length === 1 ? '' : 's'}: ${report.sites.slice(0, 8).join(', ')}${report.sites.length > 8 ? ', …' : ''}`,
    `-${report.nodesRemoved} nodes, -${report.initializersRemoved} initializers`,
  ];
  if (report.irVersionRestored !== undefined) lines.push(`IR version restored to ${report.irVersionRestored}`);
  for (const n of report.notes) lines.push(`note: ${n}`);
  lines.push(outcome);
  return `${lines.join('\n')}\n`;
}

/** The refusal when a model has no block of ours to strip (the CLI exits 2 with it; the page shows it). */
export function nothingToStrip(source: string): InputError {
  return new InputError(
    `${source} has no SGE block inserted by sge-inject`,
    'nothing to strip; `sge-inject list MODEL` shows which convolutions have one',
  );
}
