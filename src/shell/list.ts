/** The `list` table as text: every candidate convolution and what the options would do with it. */
import type { ListReport } from '../sge/list.js';
import { formatDims, renderTable } from './table.js';

/**
 * Formats a listing: the table, then a count line. `patterns` says whether --after was given (the
 * `selected` column and count mean nothing without it).
 */
export function formatListReport(report: ListReport, patterns: boolean): string {
  const rows = report.rows.map((r) => [
    r.name,
    r.output === r.name ? '' : r.output,
    r.channels === null ? '?' : String(r.channels),
    formatDims(r.spatial),
    r.divisible === null ? '?' : r.divisible ? 'yes' : 'no',
    r.injectable ? 'yes' : `no: ${r.blocker}`,
    patterns ? (r.selected ? 'yes' : '') : '',
    r.sge ?? (r.exported ? (r.exported.status === 'candidate' ? 'candidate' : 'near miss') : ''),
    r.graph === 'main' ? '' : r.graph,
  ]);
  const header = [
    'node',
    'output',
    'channels',
    'spatial',
    `÷${report.groups}`,
    'injectable',
    'selected',
    'sge',
    'subgraph',
  ];
  return `${renderTable(header, rows)}\n${listSummary(report, patterns)}\n${exportedLines(report)}`;
}

/** What `list` says about exported SGE blocks: how many `fuse` would take, and each near miss's reasons. */
function exportedLines(report: ListReport): string {
  const lines: string[] = [];
  const candidates = report.rows.filter((r) => r.exported?.status === 'candidate').length;
  if (candidates)
    lines.push(
      `${candidates} exported SGE block${candidates === 1 ? '' : 's'} (candidate): \`sge-inject fuse MODEL\` proves and replaces them`,
    );
  for (const r of report.rows)
    if (r.exported?.status === 'near-miss') lines.push(`near miss after ${r.name}: ${r.exported.reasons.join('; ')}`);
  return lines.map((l) => `${l}\n`).join('');
}

/** `23 convolutions, 6 selected; 23 divisible by 8, 22 injectable`: the listing's count line. */
export function listSummary(report: ListReport, patterns: boolean): string {
  const selected = report.rows.filter((r) => r.selected).length;
  return `${report.rows.length} convolutions${patterns ? `, ${selected} selected` : ''}; ${report.rows.filter((r) => r.divisible).length} divisible by ${report.groups}, ${report.rows.filter((r) => r.injectable).length} injectable`;
}
