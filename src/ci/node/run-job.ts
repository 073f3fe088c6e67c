/**
 * One ci job, run inside its worker process: inject (or fuse) in memory, write the result when `--out` asks,
 * validate every site as `validate` does, run the test data as `test` does, check the latency budget.
 * Every step's outcome is caught and becomes part of the result; this function does not throw.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { InputError, ValidationFailure } from '../../errors.js';
import { readError } from '../../io/fs-errors.js';
import { loadModel } from '../../io/load.js';
import { saveModel } from '../../io/save.js';
import { fuseSge } from '../../sge/fuse/fuse.js';
import { injectSge } from '../../sge/inject.js';
import { nothingToFuse } from '../../shell/fuse.js';
import { parseSgeParams } from '../../sge/params.js';
import type { ReplacedBlock } from '../../validate/model-copy.js';
import type { ModelUnderTest } from '../../validate/model-sessions.js';
import { loadInputsFromDir } from '../../validate/node/inputs-dir.js';
import { loadOrt } from '../../validate/node/load-ort.js';
import { folderModelFiles } from '../../validate/node/model-files.js';
import { testDataSetFromDir } from '../../validate/node/test-data-dir.js';
import { toJsonValue, type JsonValue } from '../../validate/report.js';
import type { ValidationReport } from '../../validate/report-types.js';
import { checkTestData } from '../../validate/test-data.js';
import { validateModels } from '../../validate/validate-models.js';
import type { JobLatency, JobResult, JobTestData, JobVerdict } from '../result.js';
import type { ResolvedJob } from './load-config.js';

/** Where a job writes. */
export interface JobOptions {
  /** `--out DIR`: the rewritten model goes to `<DIR>/<job name>.onnx`. */
  readonly outDir?: string;
}

/** What the process running a job lends it. */
export interface JobHooks {
  /** Wraps the timed runs (see ValidationSettings.timing): the worker makes its siblings wait. */
  readonly timing?: <T>(measure: () => Promise<T>) => Promise<T>;
}

/** The rewritten model's file under `--out`. */
export function jobOutputPath(outDir: string, name: string): string {
  return join(outDir, `${name}.onnx`);
}

/** An error as one line of a job's failures, and whether it means 'fail' or 'error'. */
function describe(err: unknown): { verdict: JobVerdict; text: string } {
  if (err instanceof ValidationFailure) return { verdict: 'fail', text: err.message };
  if (err instanceof InputError) return { verdict: 'error', text: `${err.message}${err.hint ? ` (${err.hint})` : ''}` };
  const e = err instanceof Error ? err : new Error(String(err));
  return { verdict: 'error', text: `internal error (a bug in sge-inject, please report it): ${e.stack ?? e.message}` };
}

/** Runs one job; never throws. */
export async function runJob(job: ResolvedJob, options: JobOptions = {}, hooks: JobHooks = {}): Promise<JobResult> {
  const start = performance.now();
  const failures: string[] = [];
  const details: Record<string, JsonValue> = {};
  let verdict: JobVerdict = 'pass';
  const record = (v: JobVerdict, text: string) => {
    failures.push(text);
    if (v === 'error' || verdict === 'pass') verdict = v;
  };
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      const d = describe(err);
      record(d.verdict, `${what}: ${d.text}`);
      return undefined;
    }
  };
  let sites: number | null = null;
  let validation: JobResult['validation'] = null;
  let testData: JobTestData | null = null;
  let latency: JobLatency | null = null;
  let output: string | null = null;

  const files = folderModelFiles(dirname(job.model));
  // The blocks a fuse job replaced: each site is validated against its block (see replacedBlocks).
  let replacedBlocks: ReplacedBlock[] | undefined;
  const models = await step(job.fuse ? 'fuse' : 'inject', async () => {
    const params = job.params ? parseSgeParams(await readParams(job.params), job.params) : undefined;
    // Two loads instead of a copy: both keep their origin (the folder of their external data).
    const original = await loadModel(job.model);
    const rewritten = await loadModel(job.model);
    if (job.fuse) {
      const report = await fuseSge(rewritten, { ort: await loadOrt(), inline: Boolean(job.inline) });
      if (report.sites.length === 0) throw nothingToFuse(job.model, report.nearMisses);
      sites = report.sites.length;
      details.fuse = toJsonValue(report);
      replacedBlocks = report.sites.map((s) => ({ input: s.input, output: s.output }));
      return { original, rewritten };
    }
    const report = injectSge(rewritten, {
      after: job.after ?? [],
      ...(job.exclude ? { exclude: job.exclude } : {}),
      ...(job.opTypes ? { opTypes: job.opTypes } : {}),
      ...(job.groups !== undefined ? { groups: job.groups } : {}),
      ...(params ? { params } : {}),
      inline: Boolean(job.inline),
    });
    sites = report.sites.length;
    details.inject = toJsonValue(report);
    return { original, rewritten };
  });

  if (models) {
    const original: ModelUnderTest = { model: models.original, path: job.model, name: job.model, files };
    const rewritten: ModelUnderTest = { model: models.rewritten, name: `rewritten model of ${job.name}`, files };
    if (options.outDir) {
      const target = jobOutputPath(options.outDir, job.name);
      await step('--out', async () => {
        await saveModel(models.rewritten, target);
        output = target;
      });
    }
    let report: ValidationReport | undefined;
    try {
      report = await validateModels({
        ort: loadOrt,
        original,
        rewritten,
        ...(replacedBlocks ? { replacedBlocks } : {}),
        ...(job.runs !== undefined ? { runs: job.runs } : {}),
        ...(hooks.timing ? { timing: hooks.timing } : {}),
        ...(job.seed !== undefined ? { seed: job.seed } : {}),
        ...(job.rtol !== undefined ? { rtol: job.rtol } : {}),
        ...(job.atol !== undefined ? { atol: job.atol } : {}),
        ...(job.shapes ? { shapes: job.shapes } : {}),
        ...(job.dims ? { dims: job.dims } : {}),
        ...(job.inputs ? { loadInputs: (specs) => loadInputsFromDir(job.inputs!, specs) } : {}),
      });
    } catch (err) {
      const d = describe(err);
      record(d.verdict, `validation: ${d.text}`);
      if (d.verdict === 'fail') validation = 'fail';
    }
    if (report) {
      details.validation = toJsonValue(report);
      validation = report.passed ? 'pass' : 'fail';
      for (const f of report.failures) record('fail', `validation: ${f}`);
      if (report.latency) {
        const l = report.latency;
        latency = {
          originalMs: l.originalMs,
          rewrittenMs: l.rewrittenMs,
          ratio: l.ratio,
          runs: l.runs,
          max: job.maxLatencyRatio ?? null,
        };
        if (job.maxLatencyRatio !== undefined && !(l.ratio <= job.maxLatencyRatio)) {
          record(
            'fail',
            `latency: the rewritten model takes ${l.ratio.toFixed(3)}× the original's time (median of ${l.runs} runs, ${l.threads} thread: ${l.originalMs.toFixed(3)} ms → ${l.rewrittenMs.toFixed(3)} ms), over maxLatencyRatio ${job.maxLatencyRatio}`,
          );
        }
      }
    }

    if (job.testData?.length) {
      const found = await step('test data', async () =>
        checkTestData({
          ort: loadOrt,
          model: rewritten,
          sets: await Promise.all(job.testData!.map((dir) => testDataSetFromDir(dir, relative(process.cwd(), dir)))),
          blame: 'validation',
          ...(job.rtol !== undefined ? { rtol: job.rtol } : {}),
          ...(job.atol !== undefined ? { atol: job.atol } : {}),
        }),
      );
      if (found) {
        details.testData = toJsonValue(found);
        testData = {
          sets: found.sets.length,
          passed: found.sets.filter((s) => s.outputs.every((o) => o.verdict === 'pass')).length,
        };
        for (const f of found.failures) record('fail', `test data ${f}`);
      }
    }
  }
  return {
    name: job.name,
    verdict,
    sites,
    validation,
    testData,
    latency,
    seconds: (performance.now() - start) / 1000,
    failures,
    output,
    details,
  };
}

async function readParams(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw readError(err, path, 'params file');
  }
}
