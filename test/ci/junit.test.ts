/**
 * The JUnit report is well-formed XML whatever the names and messages hold (model-supplied names reach
 * the messages), checked by an independent parser, with the counts CI services read.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { junitXml } from '../../src/ci/junit.js';
import { erroredJob, type JobResult } from '../../src/ci/result.js';

const passed: JobResult = {
  name: 'good',
  verdict: 'pass',
  sites: 6,
  validation: 'pass',
  testData: { sets: 1, passed: 1 },
  latency: { originalMs: 1, rewrittenMs: 1.5, ratio: 1.5, runs: 10, max: 2 },
  seconds: 2.5,
  failures: [],
  output: null,
  details: {},
};
const nasty = `site '/a<b>&c"d'e]]>\u0001\u0008\u001f\uFFFE\uD800 end`;
const failed: JobResult = {
  ...passed,
  name: 'bad',
  verdict: 'fail',
  failures: [`validation: ${nasty}: Y differs`, "test data x: output 'logits': 3 of 20\nelements"],
};

describe('junitXml', () => {
  const xml = junitXml([passed, failed, erroredJob('crashed', 'its worker process was killed', 0.4)], {
    name: 'sge-inject.json (shard 1/2)',
    classname: 'sge-inject.json',
    timestamp: new Date('2024-05-06T07:08:09.123Z'),
    seconds: 3.25,
  });

  it('is well-formed XML 1.0 with characters XML cannot hold replaced', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    for (const c of ['\u0001', '\u0008', '\u001f', '\uFFFE', '\uD800']) expect(xml.includes(c), escape(c)).toBe(false);
    expect(xml).not.toMatch(/]]>/);
  });

  it('has one test case per job, failure for a failed check, error for a job that could not be checked', () => {
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', trimValues: false }).parse(xml);
    const suites = doc.testsuites;
    expect(suites).toMatchObject({ tests: '3', failures: '1', errors: '1', time: '3.250' });
    const suite = suites.testsuite;
    expect(suite).toMatchObject({ name: 'sge-inject.json (shard 1/2)', timestamp: '2024-05-06T07:08:09' });
    const cases = suite.testcase as Array<Record<string, unknown>>;
    expect(cases.map((c) => c.name)).toEqual(['good', 'bad', 'crashed']);
    expect(cases.every((c) => c.classname === 'sge-inject.json')).toBe(true);
    expect(cases[0]!.failure).toBeUndefined();
    expect(cases[0]!['system-out']).toMatch(/latency: ratio 1\.500 .*budget 2/);
    const failure = cases[1]!.failure as Record<string, string>;
    // The message is the first reason, the text all of them; the parser gives back what we escaped.
    expect(failure.message).toBe(`validation: site '/a<b>&c"d'e]]>\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD end: Y differs`);
    expect(failure['#text']).toContain('3 of 20\nelements');
    expect((cases[2]!.error as Record<string, string>).message).toBe('its worker process was killed');
  });
});
