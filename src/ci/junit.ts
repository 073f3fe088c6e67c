/**
 * JUnit XML for CI services (GitHub, GitLab, Jenkins, Azure and others display it as tests): one
 * <testcase> per job, <failure> for a failed check and <error> for a job that could not be checked,
 * with the first reason as the message and all of them in the body. Model-supplied names end up in
 * messages, so every string is escaped and characters XML 1.0 cannot hold are replaced.
 */
import type { JobResult } from './result.js';

/** What the report is about. */
export interface JunitSuite {
  /** The suite's name (the config file, and the shard when sharded). */
  readonly name: string;
  /** Each test case's classname (the config file: the same in every shard, so merged reports group). */
  readonly classname: string;
  /** When the run started. */
  readonly timestamp: Date;
  /** Wall time of the whole run, seconds. */
  readonly seconds: number;
}

// Everything outside XML 1.0's Char production (control characters, lone surrogates, U+FFFE/FFFF).
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text content, escaped. */
export function xmlText(s: string): string {
  return s.replace(NOT_XML_CHAR, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value, escaped (line breaks and tabs as references, which attribute normalization keeps). */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

const seconds = (s: number) => (Number.isFinite(s) ? s.toFixed(3) : '0');

/** One line per job step, for the test case's system-out. */
function summary(r: JobResult): string {
  const lines = [`sites: ${r.sites ?? '-'}`, `validation: ${r.validation ?? '-'}`];
  lines.push(`test data: ${r.testData ? `${r.testData.passed}/${r.testData.sets} sets pass` : '-'}`);
  if (r.latency)
    lines.push(
      `latency: ratio ${r.latency.ratio.toFixed(3)} (original ${r.latency.originalMs.toFixed(3)} ms, rewritten ${r.latency.rewrittenMs.toFixed(3)} ms, median of ${r.latency.runs})${r.latency.max !== null ? `, budget ${r.latency.max}` : ''}`,
    );
  if (r.output) lines.push(`output: ${r.output}`);
  return lines.join('\n');
}

/** The JUnit XML document of a run. */
export function junitXml(results: readonly JobResult[], suite: JunitSuite): string {
  const failures = results.filter((r) => r.verdict === 'fail').length;
  const errors = results.filter((r) => r.verdict === 'error').length;
  const counts = `tests="${results.length}" failures="${failures}" errors="${errors}"`;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sge-inject ci" ${counts} time="${seconds(suite.seconds)}">`,
    `  <testsuite name="${xmlAttr(suite.name)}" ${counts} skipped="0" time="${seconds(suite.seconds)}" timestamp="${suite.timestamp.toISOString().replace(/\.\d+Z$/, '')}">`,
  ];
  for (const r of results) {
    out.push(
      `    <testcase name="${xmlAttr(r.name)}" classname="${xmlAttr(suite.classname)}" time="${seconds(r.seconds)}">`,
    );
    if (r.verdict !== 'pass') {
      const tag = r.verdict === 'fail' ? 'failure' : 'error';
      const message = r.failures[0] ?? `job ${r.verdict}`;
      out.push(
        `      <${tag} message="${xmlAttr(message)}" type="${r.verdict === 'fail' ? 'sge-inject.check' : 'sge-inject.error'}">${xmlText(r.failures.join('\n'))}</${tag}>`,
      );
    }
    out.push(`      <system-out>${xmlText(summary(r))}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
