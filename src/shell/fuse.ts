/** The fuse report as text: what the CLI prints after fusing and what the page shows. */
import { InputError } from '../errors.js';
import type { FuseReport } from '../sge/fuse/report.js';
import { formatDims, renderTable } from './table.js';

/** The near misses as lines: where, then each reason (empty when there are none). */
export function formatNearMisses(nearMisses: FuseReport['nearMisses']): string[] {
  if (nearMisses.length === 0) return [];
  const lines = [
    nearMisses.length === 1 ? '1 near miss left as it is:' : `${nearMisses.length} near misses left as they are:`,
  ];
  for (const n of nearMisses) {
    const where = n.site ? `after '${n.site}'` : `on '${n.input}'`;
    lines.push(`  - ${where} (${n.nodes} nodes, output '${n.output}'): ${n.reasons.join('; ')}`);
  }
  return lines;
}

/**
 * Formats the fuse report: the site table, summary lines, the near misses, then `outcome` (where the
 * model was written, or that it was a dry run).
 */
export function formatFuseReport(r: FuseReport, outcome: string): string {
  const rows = r.sites.map((s) => [
    s.name,
    String(s.channels),
    formatDims(s.spatial),
    String(s.groups),
    String(s.nodesRemoved),
    s.weightFrom,
    s.graph === 'main' ? '' : s.graph,
  ]);
  const lines = [
    renderTable(['site', 'channels', 'spatial', 'groups', 'nodes removed', 'weight from', 'subgraph'], rows),
    '',
    `${r.sites.length} exported SGE block${r.sites.length === 1 ? '' : 's'} fused (${r.mode} form, ai.onnx opset ${r.opset}): nodes ${r.nodesBefore} → ${r.nodesAfter}, initializers ${r.initializersBefore} → ${r.initializersAfter}, ${r.parametersRecovered} parameters recovered`,
    `each proven in onnxruntime against the float64 reference (largest difference ${Math.max(0, ...r.sites.map((s) => s.proof.maxAbs)).toExponential(2)})`,
  ];
  if (r.functionsAdded.length) lines.push(`functions added: ${r.functionsAdded.join(', ')}`);
  if (r.opsetImportsAdded.length) lines.push(`opset imports added: ${r.opsetImportsAdded.join(', ')}`);
  if (r.irVersion) lines.push(`IR version: ${r.irVersion.from} → ${r.irVersion.to}`);
  lines.push(...formatNearMisses(r.nearMisses));
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push(outcome);
  return `${lines.join('\n')}\n`;
}

/** The refusal when no exported block of `source` can be fused: its near misses, or that it has none. */
export function nothingToFuse(source: string, nearMisses: FuseReport['nearMisses']): InputError {
  const misses = formatNearMisses(nearMisses);
  return new InputError(
    nearMisses.length
      ? `no exported SGE block in ${source} can be fused; nothing written\n${misses.join('\n')}`
      : `${source} has no exported SGE block (a gate Mul of X by Sigmoid of its normalized group similarity); nothing written`,
    nearMisses.length
      ? 'a near miss computes something other than SGE (docs: unbiased std, eps 1e-5 after the square root, Sigmoid gate); re-export it with the reference module, or insert our SGE with `sge-inject MODEL --after …`'
      : '`sge-inject list MODEL` shows the convolutions; `sge-inject MODEL --after …` inserts SGE',
  );
}
