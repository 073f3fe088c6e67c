// CI mode benchmark: `sge-inject ci` over this repository's own sge-inject.json (the fixture jobs)
// beside what a pipeline scripts without it: for each job, `sge-inject MODEL --after … --validate -o OUT`
// and then `sge-inject test OUT --data …`, one process after another. Whole-process wall time, fresh
// processes, the two ways interleaved in one run; medians.
//
//   npm run bench -- ci [--reps N] [--jobs N]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { arg, median, OUT, ROOT } from './common.js';

const REPS = Number(arg('--reps', process.env.BENCH_REPS ?? '3'));
const JOBS = arg('--jobs');
const BIN = join(ROOT, 'bin', 'sge-inject.js');
const CONFIG = join(ROOT, 'sge-inject.json');

interface Job {
  readonly name: string;
  readonly model: string;
  readonly after: readonly string[];
  readonly groups?: number;
  readonly params?: string;
  readonly inline?: boolean;
  readonly testData?: readonly string[];
}

/** Runs the CLI; a non-zero status stops the benchmark (a failing job would time the wrong thing). */
function cli(args: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`sge-inject ${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return ms;
}

/** The commands a pipeline runs for one job without `ci`. */
function jobCommands(job: Job, out: string): string[][] {
  const inject = [job.model, ...job.after.flatMap((p) => ['--after', p]), '--validate', '-o', out, '--overwrite'];
  if (job.groups !== undefined) inject.push('--groups', String(job.groups));
  if (job.params !== undefined) inject.push('--params', job.params);
  if (job.inline) inject.push('--inline');
  const test = job.testData?.length ? [['test', out, ...job.testData.flatMap((d) => ['--data', d])]] : [];
  return [inject, ...test];
}

function oneByOne(jobs: readonly Job[], dir: string): number {
  let ms = 0;
  for (const job of jobs) for (const args of jobCommands(job, join(dir, `${job.name}.onnx`))) ms += cli(args);
  return ms;
}

const jobs = (JSON.parse(readFileSync(CONFIG, 'utf8')) as { jobs: Job[] }).jobs;
const dir = join(OUT, 'ci-bench');
mkdirSync(dir, { recursive: true });
const ciArgs = ['ci', CONFIG, ...(JOBS ? ['--jobs', JOBS] : [])];
const ciMs: number[] = [];
const scriptedMs: number[] = [];
try {
  for (let rep = 0; rep < REPS; rep++) {
    ciMs.push(cli(ciArgs));
    scriptedMs.push(oneByOne(jobs, dir));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ci = median(ciMs);
const scripted = median(scriptedMs);
const commands = jobs.reduce((n, j) => n + jobCommands(j, '').length, 0);
console.log(`${jobs.length} jobs from sge-inject.json; ${REPS} interleaved reps; medians of whole-process wall time`);
console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('| way | time | ratio |');
console.log('|---|---|---|');
console.log(
  `| sge-inject ci${JOBS ? ` --jobs ${JOBS}` : ''} | ${(ci / 1000).toFixed(2)} s | ${(ci / scripted).toFixed(2)} |`,
);
console.log(`| ${commands} commands one by one (inject --validate, test) | ${(scripted / 1000).toFixed(2)} s | 1.00 |`);
