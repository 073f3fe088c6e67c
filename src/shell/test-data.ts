/** The `test` report as text: one row per test data set and output, then the failures. */
import { formatDims } from '../validate/host-tensor.js';
import { figure } from '../validate/report.js';
import type { TestDataReport } from '../validate/test-data.js';
import { renderTable } from './table.js';

/** Formats a test data report: the table, then each failure's reason, then a result line. */
export function formatTestReport(report: TestDataReport): string {
  const rows = report.sets.flatMap((set) =>
    set.outputs.map((o) => [
      set.name,
      o.name,
      o.type,
      formatDims(o.shape),
      figure(o.maxAbs),
      figure(o.maxRel),
      o.failures === null ? '-' : `${o.failures}/${o.elements}`,
      o.verdict,
    ]),
  );
  const lines = [
    renderTable(['test data', 'output', 'type', 'shape', 'max abs', 'max rel', 'out of tol', 'verdict'], rows),
    '',
  ];
  const outputs = rows.length;
  const failed = report.sets.reduce((n, s) => n + s.outputs.filter((o) => o.verdict === 'fail').length, 0);
  lines.push(
    `${report.sets.length} test data set${report.sets.length === 1 ? '' : 's'}, ${outputs} output${outputs === 1 ? '' : 's'} compared: ${outputs - failed} pass, ${failed} fail`,
  );
  const nan = report.sets.reduce((n, s) => n + s.outputs.reduce((m, o) => m + o.expectedNaN, 0), 0);
  if (nan) lines.push(`note: ${nan} expected elements are NaN; they pass only where the model gives NaN too`);
  lines.push(report.passed ? 'result: PASS' : `result: FAIL\n${report.failures.map((f) => `  - ${f}`).join('\n')}`);
  return `${lines.join('\n')}\n`;
}

/** `sge-inject: test data mismatch: <the first five failures>`. */
export function testFailedLine(failures: readonly string[]): string {
  return `sge-inject: test data mismatch: ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? '; …' : ''}`;
}
