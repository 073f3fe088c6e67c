/** The validation report put together from the checks' results. */
import { MAC_FORMULA, PAPER_COMPARISON } from './cost.js';
import type { Timings } from './latency.js';
import type { InputReport, OutputReport, SiteReport, ValidationReport } from './report-types.js';
import { LATENCY_THREADS } from './settings.js';

const MACS = { formula: MAC_FORMULA, paper: PAPER_COMPARISON };

/** The report when the rewritten model has no SGE site: nothing ran, and it does not pass. */
export function noSitesReport(parametersAdded: number, notes: readonly string[]): ValidationReport {
  return {
    passed: false,
    failures: ['the rewritten model has no SGE site (neither a SpatialGroupEnhance node nor an inline expansion)'],
    sites: [],
    inputs: [],
    outputs: [],
    latency: null,
    parametersAdded,
    macs: { total: 0, ...MACS },
    notes,
  };
}

/** The results {@link assembleReport} puts together. */
export interface CheckResults {
  readonly failures: readonly string[];
  readonly sites: readonly SiteReport[];
  readonly inputs: readonly InputReport[];
  readonly outputs: readonly OutputReport[];
  readonly timings: Timings;
  readonly runs: number;
  readonly parametersAdded: number;
  readonly notes: readonly string[];
}

/** The full report: passed when no check failed; MACs summed over the sites; latency when timed. */
export function assembleReport(r: CheckResults): ValidationReport {
  const macsTotal = r.sites.reduce((a, s) => a + (s.macs ?? 0), 0);
  const [originalMs, rewrittenMs] = r.timings.medians as [number, number];
  return {
    passed: r.failures.length === 0,
    failures: r.failures,
    sites: r.sites,
    inputs: r.inputs,
    outputs: r.outputs,
    latency:
      r.runs > 0
        ? { runs: r.runs, threads: LATENCY_THREADS, originalMs, rewrittenMs, ratio: rewrittenMs / originalMs }
        : null,
    parametersAdded: r.parametersAdded,
    macs: { total: macsTotal, ...MACS },
    notes: r.notes,
  };
}
