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
    patterns ? (r.selected ? 'yes' : '') : '',
    r.sge ?? '',
    r.graph === 'main' ? '' : r.graph,
  ]);
  return `${renderTable(['node', 'output', 'channels', 'spatial', `÷${report.groups}`, 'selected', 'sge', 'subgraph'], rows)}\n${listSummary(report, patterns)}\n`;
}

/** `23 convolutions, 6 selected; 23 divisible by 8`: the listing's count line. */
export function listSummary(report: ListReport, patterns: boolean): string {
  const selected = report.rows.filter((r) => r.selected).length;
  return `${report.rows.length} convolutions${patterns ? `, ${selected} selected` : ''}; ${report.rows.filter((r) => r.divisible).length} divisible by ${report.groups}`;
}
