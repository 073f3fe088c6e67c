/**
 * The entry of a ci worker process (forked by pool.ts): it receives one job over IPC, runs it, sends
 * the result and exits. One process per job: a crash, an abort or the out-of-memory killer ends this
 * job alone, and no job inherits another's memory. Its command line carries the job's name so that
 * `ps` shows which job a worker runs. Before timing its models it asks the pool for a quiet machine
 * and says when it is done (see pool.ts).
 */
import type { JobResult } from '../result.js';
import type { ResolvedJob } from './load-config.js';
import { runJob, type JobOptions } from './run-job.js';

/** Messages from the pool: the job, then the go-ahead to time. */
export type ToWorker = { readonly job: ResolvedJob; readonly options: JobOptions } | { readonly timing: 'go' };

/** Messages to the pool: a timing request, its end, the result. */
export type FromWorker = { readonly timing: 'request' | 'end' } | { readonly result: JobResult };

/**
 * Test-only: `SGE_INJECT_CI_TEST_FAULT=<job>:kill` or `<job>:abort` makes the worker of that job die
 * as the out-of-memory killer (SIGKILL) or V8's heap exhaustion (abort) would end it, so that the
 * isolation of jobs can be tested from outside. Nothing else reads it.
 */
function injectFault(job: string): void {
  const fault = process.env.SGE_INJECT_CI_TEST_FAULT;
  if (!fault) return;
  const at = fault.lastIndexOf(':');
  if (fault.slice(0, at) !== job) return;
  const kind = fault.slice(at + 1);
  if (kind === 'kill') process.kill(process.pid, 'SIGKILL');
  if (kind === 'abort') process.abort();
}

const send = (message: FromWorker, then?: () => void) => process.send!(message, undefined, {}, then);

let granted: (() => void) | undefined;

/** Runs `measure` once the pool has paused the other workers. */
async function quietly<T>(measure: () => Promise<T>): Promise<T> {
  await new Promise<void>((resolve) => {
    granted = resolve;
    send({ timing: 'request' });
  });
  try {
    return await measure();
  } finally {
    send({ timing: 'end' });
  }
}

if (!process.send) {
  console.error('sge-inject: the ci worker runs only as a child of `sge-inject ci`');
  process.exit(2);
}
// The parent gone, nobody wants the result.
process.on('disconnect', () => process.exit(1));
process.on('message', (message: ToWorker) => {
  if ('timing' in message) {
    granted?.();
    granted = undefined;
    return;
  }
  injectFault(message.job.name);
  void runJob(message.job, message.options, { timing: quietly }).then((result) => {
    send({ result }, () => process.exit(0));
  });
});
