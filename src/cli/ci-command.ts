/**
 * `sge-inject ci [CONFIG]`: every job of a config in parallel worker processes, a summary table (or
 * JSON), a JUnit report. Exit 0 when every job passed, 1 when any did not, 2 for a bad config or
 * options (refused before any job starts, nothing written).
 */
import { mkdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { parsePositiveInt, parseSeconds } from '../shell/parse.js';
import { ciFailedLine, ciProgressLine, formatCiSummary } from '../shell/ci.js';
import { parseShard, selectJobs } from '../ci/select.js';
import type { JobResult } from '../ci/result.js';
import { checkOutputPath, sameFile } from './paths.js';
import { EXIT_OK, EXIT_VALIDATION } from './exit-codes.js';
import type { CliIo } from './io.js';
import type { CiCliOptions } from './program.js';

/** Every file a job reads (an output may be none of them). */
function jobInputs(job: { model: string; params?: string }): string[] {
  return [job.model, ...(job.params ? [job.params] : [])];
}

/** Refuses `output` when it is one of `inputs`, then applies the output rules of every command. */
async function checkOutput(output: string, inputs: readonly string[], option: string): Promise<void> {
  for (const input of inputs) {
    if (await sameFile(input, output))
      throw new UsageError(`${option}: ${output} is ${input}, which the run reads`, `choose another ${option}`);
  }
  await checkOutputPath(inputs[0]!, output, false);
}

/** Runs `ci`; returns the exit status. */
export async function runCiCommand(configArg: string | undefined, options: CiCliOptions, io: CliIo): Promise<number> {
  const concurrency = options.jobs === undefined ? availableParallelism() : parsePositiveInt('--jobs', options.jobs);
  const shard = options.shard === undefined ? undefined : parseShard(options.shard);
  const timeout = options.timeout === undefined ? undefined : parseSeconds('--timeout', options.timeout);
  if (options.out === '') throw new UsageError('--out is empty', 'give a folder, e.g. --out build/models');
  if (options.junit === '') throw new UsageError('--junit is empty', 'give a file, e.g. --junit report.xml');

  const { loadCiConfig, DEFAULT_CONFIG } = await import('../ci/node/load-config.js');
  const configPath = configArg ?? DEFAULT_CONFIG;
  const config = await loadCiConfig(configPath);
  const jobs = selectJobs(config.jobs, options.only ?? [], shard);
  const { jobOutputPath } = await import('../ci/node/run-job.js');

  const inputs = [configPath, ...config.jobs.flatMap(jobInputs)];
  const outputs: string[] = [];
  if (options.out !== undefined) {
    const st = await stat(options.out).catch(() => undefined);
    if (st && !st.isDirectory())
      throw new InputError(`--out ${options.out} is not a folder`, 'give a folder for the rewritten models');
    for (const job of jobs) {
      const target = jobOutputPath(resolve(options.out), job.name);
      if (st) await checkOutput(target, inputs, '--out');
      outputs.push(target);
    }
  }
  if (options.junit !== undefined) await checkOutput(options.junit, [...inputs, ...outputs], '--junit');
  if (options.out !== undefined) await mkdir(options.out, { recursive: true });

  const started = new Date();
  const t0 = performance.now();
  let done = 0;
  const { runJobsInWorkers } = await import('../ci/node/pool.js');
  const workers = Math.max(1, Math.min(concurrency, jobs.length));
  const results: JobResult[] = await runJobsInWorkers(jobs, {
    concurrency: workers,
    ...(timeout !== undefined ? { timeout } : {}),
    ...(options.out !== undefined ? { outDir: resolve(options.out) } : {}),
    onResult: (r) => io.stderr(`${ciProgressLine(r, ++done, jobs.length)}\n`),
  });
  const seconds = (performance.now() - t0) / 1000;
  const facts = { configured: config.jobs.length, workers, seconds, ...(shard ? { shard } : {}) };

  if (options.junit !== undefined) {
    const { junitXml } = await import('../ci/junit.js');
    const { writeFileAtomic } = await import('../io/atomic-write.js');
    const name = basename(configPath);
    const xml = junitXml(results, {
      name: shard ? `${name} (shard ${shard.index}/${shard.count})` : name,
      classname: name,
      timestamp: started,
      seconds,
    });
    await writeFileAtomic(options.junit, [new TextEncoder().encode(xml)], false);
  }
  const passed = results.every((r) => r.verdict === 'pass');
  if (options.json) {
    const { toJsonValue } = await import('../validate/report.js');
    const counts = Object.fromEntries(
      (['pass', 'fail', 'error'] as const).map((v) => [v, results.filter((r) => r.verdict === v).length]),
    );
    const json = { config: configPath, shard: shard ?? null, passed, counts, workers, seconds, jobs: results };
    io.stdout(`${JSON.stringify(toJsonValue(json), null, 2)}\n`);
  } else {
    io.stdout(formatCiSummary(results, facts));
  }
  if (jobs.length === 0) io.stderr('note: this shard has no jobs (more shards than selected jobs)\n');
  if (!passed) {
    io.stderr(`${ciFailedLine(results)}\n`);
    return EXIT_VALIDATION;
  }
  return EXIT_OK;
}
