/**
 * Which jobs a run takes: `--only NAME` (repeatable), then `--shard I/N`. The shard rule is
 * deterministic and needs no coordination between runners: the selected jobs, in config order, are
 * dealt out like cards, the 1st to shard 1, the 2nd to shard 2, …, the (N+1)-th to shard 1 again. So
 * every job is in exactly one shard, shards differ in size by at most one job, and neighbours in the
 * config (often alike in cost) land on different runners.
 */
import { UsageError } from '../errors.js';
import { nearestNames } from '../graph/suggest.js';

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * Parses `I/N` (1 ≤ I ≤ N).
 * @throws UsageError otherwise.
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new UsageError(
      `--shard '${text}' is not valid: it must be I/N with 1 ≤ I ≤ N`,
      'e.g. --shard 2/4 runs the second of four slices',
    );
  }
  return { index, count };
}

/** Whether the job at `position` (0-based, among the selected jobs) is in `shard`. */
export function inShard(position: number, shard: Shard): boolean {
  return position % shard.count === shard.index - 1;
}

/**
 * The jobs of this run, in config order: those named by `only` (all when empty), then this shard's.
 * @throws UsageError when `only` names a job the config does not have.
 */
export function selectJobs<J extends { readonly name: string }>(
  jobs: readonly J[],
  only: readonly string[] = [],
  shard?: Shard,
): J[] {
  const names = new Set(jobs.map((j) => j.name));
  const unknown = only.filter((n) => !names.has(n));
  if (unknown.length) {
    const near = nearestNames(unknown[0]!, names, 3);
    throw new UsageError(
      `--only ${unknown.map((n) => `'${n}'`).join(', ')}: no such job in the config`,
      `jobs: ${[...names].slice(0, 12).join(', ')}${names.size > 12 ? ', …' : ''}${near.length ? ` (nearest: ${near.join(', ')})` : ''}`,
    );
  }
  const chosen = only.length ? jobs.filter((j) => only.includes(j.name)) : [...jobs];
  return shard ? chosen.filter((_, i) => inShard(i, shard)) : chosen;
}
