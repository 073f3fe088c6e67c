/**
 * Running ci jobs in worker processes, at most `concurrency` at once. Each job gets a fresh process
 * (worker.ts), so a job that crashes, aborts or is killed for memory fails alone, with a message that
 * says how its worker ended; the other jobs go on.
 *
 * Latency is measured on a quiet machine: a worker about to time its models asks first, and while it
 * times, every other worker is paused (SIGSTOP, then SIGCONT) and no new one starts. Timing phases
 * take a small part of a job (validate's 10 runs of each model), and without the pause sibling jobs'
 * onnxruntime threads share the cores with the timed runs: on two cores the mini ResNet's ratio read
 * 1.9 beside another job instead of 1.5 alone. Windows has no SIGSTOP; there timing is only serialized.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { erroredJob, type JobResult } from '../result.js';
import type { ResolvedJob } from './load-config.js';
import type { JobOptions } from './run-job.js';
import type { FromWorker, ToWorker } from './worker.js';

/** Options of {@link runJobsInWorkers}. */
export interface PoolOptions extends JobOptions {
  /** Workers at once (at least 1). */
  readonly concurrency: number;
  /** The worker script (default: worker.js beside this module in the build). */
  readonly workerEntry?: string;
  /** Seconds a job's worker may take (`--timeout`) when the job sets no `timeout` of its own. */
  readonly timeout?: number;
  /** Called as each job ends, in the order they end. */
  readonly onResult?: (result: JobResult) => void;
}

/** The compiled worker beside this module. */
export function defaultWorkerEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return here.replace(/\.[cm]?[jt]s$/, '.js').replace(/pool\.js$/, 'worker.js');
}

/** Keeps the last `limit` characters a worker wrote to stderr (a crash's last words). */
class Tail {
  #text = '';
  constructor(readonly limit = 4096) {}
  push(chunk: string): void {
    this.#text = (this.#text + chunk).slice(-this.limit);
  }
  lastLine(): string {
    const lines = this.#text.trim().split('\n').filter(Boolean);
    return lines.at(-1)?.trim().slice(0, 300) ?? '';
  }
}

/** How a worker that did not report ended, for the job's failure line. */
export function deathMessage(code: number | null, signal: NodeJS.Signals | null, lastWords: string): string {
  const how =
    signal === 'SIGKILL'
      ? 'was killed (SIGKILL: the out-of-memory killer, or killed from outside)'
      : signal === 'SIGABRT' || code === 134
        ? 'aborted (SIGABRT: e.g. JavaScript heap out of memory)'
        : signal
          ? `was ended by ${signal}`
          : `exited with status ${code}`;
  return `its worker process ${how} before reporting a result; the other jobs were not affected${lastWords ? ` (last words: ${lastWords})` : ''}`;
}

/** One timing phase at a time, with every other worker paused. */
class QuietTiming {
  readonly #workers = new Set<ChildProcess>();
  readonly #queue: ChildProcess[] = [];
  #holder: ChildProcess | undefined;
  #idle: Array<() => void> = [];
  readonly #pause = process.platform !== 'win32';

  add(worker: ChildProcess): void {
    this.#workers.add(worker);
  }

  /** A worker is gone: it holds and waits for nothing any more. */
  remove(worker: ChildProcess): void {
    this.#workers.delete(worker);
    const queued = this.#queue.indexOf(worker);
    if (queued >= 0) this.#queue.splice(queued, 1);
    if (this.#holder === worker) this.#release();
  }

  request(worker: ChildProcess): void {
    if (this.#holder) this.#queue.push(worker);
    else this.#grant(worker);
  }

  end(worker: ChildProcess): void {
    if (this.#holder === worker) this.#release();
  }

  /** Resolves when no timing phase is running (a new worker would disturb it). */
  idle(): Promise<void> {
    return this.#holder ? new Promise((resolve) => this.#idle.push(resolve)) : Promise.resolve();
  }

  #grant(worker: ChildProcess): void {
    this.#holder = worker;
    for (const other of this.#workers) if (other !== worker) this.#signal(other, 'SIGSTOP');
    worker.send({ timing: 'go' } satisfies ToWorker, (err) => {
      if (err) this.remove(worker); // it died meanwhile; its close event finishes the job
    });
  }

  #release(): void {
    this.#holder = undefined;
    for (const other of this.#workers) this.#signal(other, 'SIGCONT');
    const next = this.#queue.shift();
    if (next) this.#grant(next);
    else for (const resolve of this.#idle.splice(0)) resolve();
  }

  #signal(worker: ChildProcess, signal: NodeJS.Signals): void {
    if (!this.#pause || worker.exitCode !== null || worker.signalCode !== null) return;
    try {
      worker.kill(signal);
    } catch {
      /* gone meanwhile */
    }
  }
}

/** Runs one job in a fresh worker; resolves to its result, made up when the worker dies. */
function runInWorker(job: ResolvedJob, options: PoolOptions, entry: string, gate: QuietTiming): Promise<JobResult> {
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  return new Promise((resolvePromise) => {
    let result: JobResult | undefined;
    let timedOut: string | undefined;
    const stderr = new Tail();
    const child = fork(entry, ['--job', job.name], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      // Flags of this process (e.g. --max-old-space-size) apply to workers too; a debugger port would clash.
      execArgv: process.execArgv.filter((a) => !a.startsWith('--inspect')),
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
    gate.add(child);
    // A hung job (a model onnxruntime never finishes, a stuck read) must not hold the pipeline: past its
    // time the worker is killed and the job reported, the other jobs go on. A worker paused while a
    // sibling times its models keeps counting, a small share of a job's time.
    const limit = job.timeout ?? options.timeout;
    const timer =
      limit === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = `took longer than its timeout of ${limit} s (${job.timeout !== undefined ? 'its "timeout"' : '--timeout'}), so its worker was stopped; the other jobs were not affected`;
            child.kill('SIGKILL');
          }, limit * 1000);
    child.on('message', (m: FromWorker) => {
      if ('result' in m) result = { ...m.result, seconds: elapsed() };
      else if (m.timing === 'request') gate.request(child);
      else gate.end(child);
    });
    child.on('error', (err) => {
      // Could not start (or signal), reported once the process is gone, or now if it never began.
      if (child.pid === undefined)
        resolvePromise(erroredJob(job.name, `its worker could not start: ${err.message}`, elapsed()));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      gate.remove(child);
      const death = timedOut ?? deathMessage(code, signal, stderr.lastLine());
      resolvePromise(result ?? erroredJob(job.name, death, elapsed()));
    });
    const request: ToWorker = { job, options: options.outDir ? { outDir: options.outDir } : {} };
    child.send(request, () => {
      /* a worker that died at once is reported by its close event */
    });
  });
}

/**
 * Runs every job in its own worker process, `concurrency` at a time, and resolves to their results in
 * the order of `jobs`. Never rejects for a job's sake.
 */
export async function runJobsInWorkers(jobs: readonly ResolvedJob[], options: PoolOptions): Promise<JobResult[]> {
  const entry = options.workerEntry ?? defaultWorkerEntry();
  if (!existsSync(entry)) throw new Error(`the ci worker ${entry} is missing: build sge-inject (npm run build)`);
  const results: JobResult[] = new Array(jobs.length);
  const gate = new QuietTiming();
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      await gate.idle();
      if (next >= jobs.length) break;
      const i = next++;
      results[i] = await runInWorker(jobs[i]!, options, entry, gate);
      options.onResult?.(results[i]!);
    }
  };
  const lanes = Math.max(1, Math.min(options.concurrency, jobs.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return results;
}
