/** The `ci` summary as text: one row per job, each failure under the table, a count line. */
import type { JobResult } from '../ci/result.js';
import { renderTable } from './table.js';

/** What the run was, for the count line. */
export interface CiRunFacts {
  /** Jobs in the config, and the shard when one was asked for. */
  readonly configured: number;
  readonly shard?: { readonly index: number; readonly count: number };
  readonly workers: number;
  readonly seconds: number;
}

function latencyCell(r: JobResult): string {
  if (!r.latency) return '-';
  const ratio = `${r.latency.ratio.toFixed(2)}x`;
  return r.latency.max !== null && r.latency.ratio > r.latency.max ? `${ratio} > ${r.latency.max}` : ratio;
}

function testDataCell(r: JobResult): string {
  if (!r.testData) return '-';
  return `${r.testData.passed === r.testData.sets ? 'pass' : 'fail'} ${r.testData.passed}/${r.testData.sets}`;
}

/** The summary table (job, sites, validation, test data, latency ratio, verdict, time) and the failures. */
export function formatCiSummary(results: readonly JobResult[], facts: CiRunFacts): string {
  const rows = results.map((r) => [
    r.name,
    r.sites === null ? '-' : String(r.sites),
    r.validation ?? '-',
    testDataCell(r),
    latencyCell(r),
    r.verdict === 'pass' ? 'pass' : r.verdict.toUpperCase(),
    `${r.seconds.toFixed(1)} s`,
  ]);
  const lines = [renderTable(['job', 'sites', 'validation', 'test data', 'latency', 'verdict', 'time'], rows)];
  const bad = results.filter((r) => r.verdict !== 'pass');
  if (bad.length) {
    lines.push('');
    for (const r of bad) {
      for (const f of r.failures.slice(0, 5)) lines.push(`${r.name}: ${f}`);
      if (r.failures.length > 5) lines.push(`${r.name}: … (${r.failures.length} failures in all)`);
    }
  }
  lines.push('', ciCountLine(results, facts));
  return `${lines.join('\n')}\n`;
}

/** `3 jobs: 2 pass, 1 fail, 0 error (shard 1/2 of 5 jobs; 2 workers, 12.3 s)`. */
export function ciCountLine(results: readonly JobResult[], facts: CiRunFacts): string {
  const n = (v: JobResult['verdict']) => results.filter((r) => r.verdict === v).length;
  const scope = facts.shard
    ? `shard ${facts.shard.index}/${facts.shard.count} of ${facts.configured} job${facts.configured === 1 ? '' : 's'}; `
    : results.length < facts.configured
      ? `${facts.configured} in the config; `
      : '';
  return `${results.length} job${results.length === 1 ? '' : 's'}: ${n('pass')} pass, ${n('fail')} fail, ${n('error')} error (${scope}${facts.workers} worker${facts.workers === 1 ? '' : 's'}, ${facts.seconds.toFixed(1)} s)`;
}

/** A finished job, for the progress lines on stderr: `[2/5] pass  resnet50 (3.2 s)`. */
export function ciProgressLine(r: JobResult, done: number, total: number): string {
  const verdict = r.verdict === 'pass' ? 'pass ' : r.verdict === 'fail' ? 'FAIL ' : 'ERROR';
  return `[${done}/${total}] ${verdict} ${r.name} (${r.seconds.toFixed(1)} s)${r.verdict === 'pass' ? '' : `: ${r.failures[0] ?? ''}`}`;
}

/** `sge-inject: ci: 1 of 3 jobs did not pass: bad-params`. */
export function ciFailedLine(results: readonly JobResult[]): string {
  const bad = results.filter((r) => r.verdict !== 'pass').map((r) => r.name);
  return `sge-inject: ci: ${bad.length} of ${results.length} job${results.length === 1 ? '' : 's'} did not pass: ${bad.slice(0, 8).join(', ')}${bad.length > 8 ? ', …' : ''}`;
}
