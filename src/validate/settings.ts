/** What a validation run can be asked to do, the same for every shell, and its defaults. */
import { UsageError } from '../errors.js';
import { defaultTolerance, type Tolerance } from './compare.js';
import type { HostTensor } from './host-tensor.js';
import type { Distribution, ShapeOverrides } from './inputs.js';

/** A progress event; the library never prints, the caller decides (see createProgressLine). */
export interface ProgressEvent {
  readonly stage: 'load' | 'run' | 'latency';
  readonly message: string;
  readonly done?: number;
  readonly total?: number;
}

/** Settings of a validation run; every field is optional. */
export interface ValidationSettings {
  /** Tensors to feed, by input name (takes precedence over everything below). */
  readonly inputs?: Readonly<Record<string, HostTensor>>;
  /** Shapes of random inputs (`--shape`), and values of symbolic dims (`--dim`). */
  readonly shapes?: ShapeOverrides['shapes'];
  readonly dims?: ShapeOverrides['dims'];
  /** Seed of the random inputs (default 0). */
  readonly seed?: number;
  /** Distribution of random float inputs (default 'normal'). */
  readonly distribution?: Distribution;
  /** Timed runs per model after one warm-up (default 10; 0 skips timing). */
  readonly runs?: number;
  /** Tolerances for every comparison; by default per element type (compare.ts: float32 1e-4/1e-5). */
  readonly rtol?: number;
  readonly atol?: number;
  /** Called as work proceeds (loading, each run, each timed run). */
  readonly onProgress?: (event: ProgressEvent) => void;
  /**
   * Wraps the timed runs (both sessions are open by then). A shell that runs several validations at
   * once passes a function that makes the others wait, so that latency is measured on a quiet machine
   * (`sge-inject ci` does).
   */
  readonly timing?: <T>(measure: () => Promise<T>) => Promise<T>;
}

/** Default number of timed runs. */
export const DEFAULT_RUNS = 10;
/** Intra-op threads of the timing sessions (see session.ts: repeatable timings). */
export const LATENCY_THREADS = 1;

/**
 * The number of timed runs.
 * @throws UsageError when `runs` is not a non-negative integer.
 */
export function timedRuns(settings: ValidationSettings): number {
  const runs = settings.runs ?? DEFAULT_RUNS;
  if (!Number.isSafeInteger(runs) || runs < 0) throw new UsageError(`runs must be a non-negative integer, got ${runs}`);
  return runs;
}

/** The tolerance of comparisons of `type`: the settings' rtol/atol where given, else the type's default. */
export function toleranceFor(type: HostTensor['type'], settings: ValidationSettings): Tolerance {
  const d = defaultTolerance(type);
  return { rtol: settings.rtol ?? d.rtol, atol: settings.atol ?? d.atol };
}

/** A figure in a message: three significant digits. */
export function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(3) : String(v);
}
