/** What one ci job found: made by the worker that ran it, or by the pool when the worker died. */
import type { JsonValue } from '../validate/report.js';

/**
 * `pass`; `fail`: a check failed (a site, an output, the test data, the latency budget); `error`: the
 * job could not be checked (bad model or data, its worker died, a bug).
 */
export type JobVerdict = 'pass' | 'fail' | 'error';

/** The test data of a job: sets run and sets whose every output matched. */
export interface JobTestData {
  readonly sets: number;
  readonly passed: number;
}

/** The latency figures of a job (validate's: 1 thread, medians, interleaved runs). */
export interface JobLatency {
  readonly originalMs: number;
  readonly rewrittenMs: number;
  readonly ratio: number;
  readonly runs: number;
  /** The job's budget, when it has one. */
  readonly max: number | null;
}

/** One job's result. Fields are null where the step did not run. */
export interface JobResult {
  readonly name: string;
  readonly verdict: JobVerdict;
  /** SGE sites inserted. */
  readonly sites: number | null;
  readonly validation: 'pass' | 'fail' | null;
  readonly testData: JobTestData | null;
  readonly latency: JobLatency | null;
  /** Wall time of the job, its worker's start-up included. */
  readonly seconds: number;
  /** Why it did not pass, one sentence each (empty on a pass). */
  readonly failures: readonly string[];
  /** Where the rewritten model was written (`--out`). */
  readonly output: string | null;
  /** The step reports as JSON (`--json`): inject, validation, testData. */
  readonly details: { readonly [step: string]: JsonValue };
}

/** The result of a job that produced none of its own (its worker died, or it could not start). */
export function erroredJob(name: string, reason: string, seconds: number): JobResult {
  return {
    name,
    verdict: 'error',
    sites: null,
    validation: null,
    testData: null,
    latency: null,
    seconds,
    failures: [reason],
    output: null,
    details: {},
  };
}
