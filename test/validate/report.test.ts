import { describe, expect, it } from 'vitest';
import { formatReport, reportToJson } from '../../src/validate/report.js';
import { createProgressLine } from '../../src/validate/progress.js';
import type { ValidationReport } from '../../src/validate/report-types.js';

const report: ValidationReport = {
  passed: false,
  failures: ['site b: Y differs from the reference SGE in 3 of 48 elements'],
  sites: [
    {
      site: 'a',
      form: 'function',
      graph: 'main',
      elemType: 'float32',
      shape: [1, 8, 2, 3],
      groups: 2,
      maxAbs: 1.5e-7,
      maxRel: 2e-6,
      failures: 0,
      elements: 48,
      referenceNaN: 0,
      input: { maxAbs: 0, failures: 0, bitwiseEqual: true },
      tolerance: { rtol: 1e-4, atol: 1e-5 },
      macs: 96,
      verdict: 'pass',
      reason: '',
    },
    {
      site: 'b',
      form: 'function',
      graph: 'main',
      elemType: 'float32',
      shape: [1, 8, 2, 3],
      groups: 2,
      maxAbs: 0.25,
      maxRel: Infinity,
      failures: 3,
      elements: 48,
      referenceNaN: 0,
      input: { maxAbs: 0, failures: 0, bitwiseEqual: true },
      tolerance: { rtol: 1e-4, atol: 1e-5 },
      macs: 96,
      verdict: 'fail',
      reason: 'Y differs from the reference SGE in 3 of 48 elements',
    },
    {
      site: 'c',
      form: 'inline',
      graph: 'main > If.then_branch',
      elemType: null,
      shape: null,
      groups: null,
      maxAbs: null,
      maxRel: null,
      failures: null,
      elements: null,
      referenceNaN: 0,
      input: null,
      tolerance: null,
      macs: null,
      verdict: 'not-checked',
      reason: 'inside a subgraph',
    },
  ],
  inputs: [{ name: 'x', type: 'float32', shape: [1, 3, 2, 3], source: 'random normal (seed 0)' }],
  outputs: [{ name: 'y', kept: true, declared: 'float32 [N, 8, 2, 3]', drift: 0.5, bypassMaxAbs: 0 }],
  latency: { runs: 10, threads: 1, originalMs: 1, rewrittenMs: 1.1, ratio: 1.1 },
  parametersAdded: 8,
  macs: { total: 192, formula: 'F', paper: 'P' },
  notes: ['n1'],
};

describe('formatReport', () => {
  it('prints the site table, the reasons and the summary lines', () => {
    const text = formatReport(report);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^site +shape +groups +max abs err +max rel err +verdict$/);
    expect(lines[2]).toMatch(/^a +1x8x2x3 +2 +1\.50e-7 +2\.00e-6 +pass$/);
    expect(lines[3]).toMatch(/^b +1x8x2x3 +2 +0\.250 +Infinity +fail$/);
    expect(lines[4]).toMatch(/^c +- +- +- +- +not-checked$/);
    expect(text).toContain('b (fail): Y differs from the reference SGE in 3 of 48 elements');
    expect(text).toContain('sites: 3 (1 pass, 1 fail, 1 not checked)');
    expect(text).toContain("site inputs: 2 of 2 equal the original's conv output bit for bit");
    expect(text).toContain('input x: float32 1x3x2x3, random normal (seed 0)');
    expect(text).toContain('outputs kept: 1 of 1 (y float32 [N, 8, 2, 3])');
    expect(text).toContain('latency (1 thread, median of 10): original 1.000 ms, rewritten 1.100 ms, ratio 1.100×');
    expect(text).toContain('parameters added: 8');
    expect(text).toContain('MACs added: 192 (F)');
    expect(text).toContain('note: n1');
    expect(text.trimEnd().split('\n').slice(-2)).toEqual([
      'result: FAIL',
      '  - site b: Y differs from the reference SGE in 3 of 48 elements',
    ]);
  });
});

describe('reportToJson', () => {
  it('is plain JSON with non-finite numbers spelled out', () => {
    const json = reportToJson(report) as { sites: { maxRel: unknown; shape: unknown }[] };
    expect(json.sites[1]!.maxRel).toBe('Infinity');
    expect(json.sites[2]!.shape).toBeNull();
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});

describe('createProgressLine', () => {
  it('writes nothing to a non-TTY stream', () => {
    const out: string[] = [];
    const p = createProgressLine({ isTTY: false, write: (t) => out.push(t) }, { now: () => 5000 });
    p.onProgress({ stage: 'run', message: 'running' });
    p.done();
    expect(out).toEqual([]);
  });

  it('stays quiet for the first second on a TTY, then rewrites one line and clears it', () => {
    const out: string[] = [];
    let t = 0;
    const p = createProgressLine({ isTTY: true, write: (s) => out.push(s) }, { now: () => t });
    p.onProgress({ stage: 'run', message: 'running the original model', done: 0, total: 3 });
    expect(out).toEqual([]);
    t = 1500;
    p.onProgress({ stage: 'latency', message: 'timing both models', done: 4, total: 20 });
    expect(out).toEqual(['\r\x1b[2Ktiming both models 4/20']);
    p.done();
    expect(out[1]).toBe('\r\x1b[2K');
  });
});
