/** The inject report as text: what the CLI prints after an injection and what the page shows. */
import { UsageError } from '../errors.js';
import type { InjectReport } from '../sge/inject.js';
import { formatDims, renderTable } from './table.js';

/**
 * Formats the inject report: the site table, then summary lines, then `outcome` (the CLI says where it
 * wrote the model or that it was a dry run; the page says what it offers to download).
 */
export function formatInjectReport(r: InjectReport, outcome: string): string {
  const rows = r.sites.map((s) => [
    s.name,
    String(s.channels),
    formatDims(s.spatial),
    String(s.groups),
    s.elemType,
    s.graph === 'main' ? '' : s.graph,
  ]);
  const lines = [renderTable(['site', 'channels', 'spatial', 'groups', 'type', 'subgraph'], rows), ''];
  lines.push(
    `${r.sites.length} SGE site${r.sites.length === 1 ? '' : 's'} (${r.mode} form, G=${r.groups}, ai.onnx opset ${r.opset}): +${r.nodesAdded} nodes, +${r.initializersAdded} initializers, +${r.parametersAdded} parameters`,
  );
  if (r.functionsAdded.length) lines.push(`functions added: ${r.functionsAdded.join(', ')}`);
  if (r.opsetImportsAdded.length) lines.push(`opset imports added: ${r.opsetImportsAdded.join(', ')}`);
  if (r.irVersion) lines.push(`IR version: ${r.irVersion.from} → ${r.irVersion.to}`);
  const replaced = r.sites.filter((s) => s.replaced).length;
  if (replaced) lines.push(`replaced ${replaced} existing SGE site${replaced === 1 ? '' : 's'} (--force)`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push(outcome);
  return `${lines.join('\n')}\n`;
}

/** The refusal when no pattern chooses a site (`--after` in the CLI, the "After" field in the page). */
export function noSiteChosen(): UsageError {
  return new UsageError(
    'no site chosen: --after is required',
    "e.g. --after '*/conv3/Conv'; `sge-inject list MODEL` shows the convolutions",
  );
}
