/**
 * The door to onnxruntime: one session over host tensors. The onnxruntime module comes from the
 * caller (onnxruntime-node, or onnxruntime-web in a browser or in Node), typed by the API both
 * implement, onnxruntime-common 1.30; nothing here loads a runtime.
 */
import type * as Ort from 'onnxruntime-common';
import { InputError, ValidationFailure } from '../errors.js';
import type { ElemType, HostData, HostTensor } from './host-tensor.js';

/** What validation uses of an onnxruntime module: `import * as ort from 'onnxruntime-node'` (or `-web`) fits. */
export type OrtModule = Pick<typeof Ort, 'InferenceSession' | 'Tensor' | 'env'>;

/** Session options a shell adds so onnxruntime finds a model's external data (see ModelFiles). */
export type ExternalDataSessionOptions = Pick<Ort.InferenceSession.SessionOptions, 'externalData' | 'extra'>;

/** Where a session's model comes from. */
export type SessionSource =
  /** Serialized model, with the options that let onnxruntime find its external data. */
  | { readonly bytes: Uint8Array; readonly externalData?: ExternalDataSessionOptions }
  /** A model file (or URL) onnxruntime reads itself; it finds external data beside it. */
  | { readonly path: string };

/** Options of {@link openSession}. */
export interface OpenSessionOptions {
  /** Names the model in error messages: 'original model', 'rewritten model (with exposed tensors)'. */
  readonly label: string;
  /**
   * Who is to blame when onnxruntime refuses the model or a run: 'input' → InputError (the user's
   * model or inputs, exit 2), 'validation' → ValidationFailure (what we wrote, exit 1).
   */
  readonly blame: 'input' | 'validation';
  /**
   * Intra-op threads. Latency is measured with 1: a single thread gives repeatable timings on a shared
   * machine and is the setting the project's performance figures use (CPU, 1 thread). Undefined lets
   * onnxruntime choose (all cores), which is faster for the correctness runs. onnxruntime-web ignores
   * it (its threads are `env.wasm.numThreads`).
   */
  readonly intraOpNumThreads?: number;
  /** Graph optimization level; undefined leaves onnxruntime's default ('all'). */
  readonly graphOptimizationLevel?: Ort.InferenceSession.SessionOptions['graphOptimizationLevel'];
}

/** An open onnxruntime session with host-tensor feeds and results. */
export interface ModelRunner {
  readonly label: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model; `fetch` defaults to every graph output. */
  run(feeds: Readonly<Record<string, HostTensor>>, fetch?: readonly string[]): Promise<Record<string, HostTensor>>;
  /** Frees the session. */
  release(): Promise<void>;
}

/**
 * Opens a session on the CPU execution provider (onnxruntime-web: wasm), with onnxruntime's own
 * logging limited to errors (the library stays quiet; failures come back as exceptions carrying
 * onnxruntime's message).
 * @throws InputError or ValidationFailure (per `blame`) when onnxruntime cannot load the model.
 */
export async function openSession(
  ort: OrtModule,
  source: SessionSource,
  options: OpenSessionOptions,
): Promise<ModelRunner> {
  const sessionOptions: Ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    // Fatal only: onnxruntime's error lines (colour codes, C++ paths) would reach the user's stderr beside
    // ours; every failure comes back as an exception whose text message() cleans.
    logSeverityLevel: 4,
    ...(options.intraOpNumThreads !== undefined
      ? { intraOpNumThreads: options.intraOpNumThreads, interOpNumThreads: 1 }
      : {}),
    ...(options.graphOptimizationLevel ? { graphOptimizationLevel: options.graphOptimizationLevel } : {}),
    ...('bytes' in source ? source.externalData : {}),
  };
  const runtime = runtimeName(ort);
  let session: Ort.InferenceSession;
  try {
    session =
      'bytes' in source
        ? await ort.InferenceSession.create(source.bytes, sessionOptions)
        : await ort.InferenceSession.create(source.path, sessionOptions);
  } catch (err) {
    throw fail(options, runtime, `onnxruntime could not load the ${options.label}: ${message(err)}`, err);
  }
  return {
    label: options.label,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, fetch) {
      const ortFeeds: Record<string, Ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds))
        ortFeeds[name] = new ort.Tensor(t.type, t.data as never, [...t.dims]);
      let result: Ort.InferenceSession.ReturnType;
      try {
        result = fetch ? await session.run(ortFeeds, [...fetch]) : await session.run(ortFeeds);
      } catch (err) {
        throw fail(options, runtime, `onnxruntime could not run the ${options.label}: ${message(err)}`, err);
      }
      const out: Record<string, HostTensor> = {};
      for (const [name, value] of Object.entries(result)) {
        const t = value as Ort.Tensor;
        if (typeof t.type !== 'string' || !('dims' in t)) {
          throw fail(
            options,
            runtime,
            `the ${options.label} produced output '${name}' that is not a tensor`,
            undefined,
          );
        }
        if (t.type === 'string')
          throw fail(
            options,
            runtime,
            `the ${options.label}: output '${name}' holds strings, which validation cannot compare`,
            undefined,
          );
        out[name] = { type: t.type as ElemType, dims: [...t.dims], data: t.data as HostData };
      }
      return out;
    },
    async release() {
      await session.release();
    },
  };
}

/**
 * The graph optimization level of the correctness runs (the variants that expose intermediate tensors
 * as graph outputs, and float16 sites run alone), in every runtime; the timed runs keep onnxruntime's
 * default ('all'), which is what a deployment gets. Two reasons, one per runtime:
 * - cost (onnxruntime-node): a correctness session is created and run once, and the 'layout' level's
 *   NCHWc transforms and weight prepacking cost more to set up than they save on one run (ResNet-50 from
 *   its file, 2 threads, create + run: 288 + 33 ms at 'all', 170 + 52 at 'extended' for a process's first
 *   session; its SGE version next, 202 + 39 against 140 + 50). 'basic' and 'disabled' save at most
 *   ~15 ms more a session, but would skip the fusions a deployment applies to the SGE nodes: the site
 *   checks would no longer see what those compute;
 * - correctness (onnxruntime-web 1.30): from its 'layout' level up it loses a graph output that a Conv
 *   fused with the following Add also consumes (the run fails: "Reading data from non-tensor typed value
 *   is not supported").
 * The same level everywhere also keeps the verdicts of the two runtimes alike. Every comparison is of
 * like with like: a site's Y against the reference of the X of the same run, the bypassed run's X and
 * outputs against the original's correctness run (the same level), and the final outputs of the two
 * timed runs against each other.
 */
export const CORRECTNESS_RUN_OPTIMIZATION = 'extended' satisfies OpenSessionOptions['graphOptimizationLevel'];

function flavourOf(ort: OrtModule): string | undefined {
  const versions = ort.env.versions as Record<string, string | undefined>;
  return ['node', 'web', 'react-native'].find((k) => versions[k]);
}

/** 'onnxruntime-node 1.30', 'onnxruntime-web 1.30': the runtime a hint tells the user to try. */
function runtimeName(ort: OrtModule): string {
  const versions = ort.env.versions as Record<string, string | undefined>;
  const flavour = flavourOf(ort);
  const version = (versions[flavour ?? 'common'] ?? '').split('.').slice(0, 2).join('.');
  return `onnxruntime${flavour ? `-${flavour}` : ''}${version ? ` ${version}` : ''}`;
}

function fail(options: OpenSessionOptions, runtime: string, text: string, cause: unknown): Error {
  return options.blame === 'input'
    ? new InputError(text, `check that the model and the inputs run in ${runtime} on their own`, { cause })
    : new ValidationFailure(text, { cause });
}

/**
 * An error's message as the user reads it. onnxruntime's carry its own log prefix, terminal colour codes
 * and the C++ source location and function signature of the check that failed
 * (`/onnxruntime_src/…/reshape_helper.h:84 onnxruntime::ReshapeHelper::ReshapeHelper(…) size != 0 … was
 * false.`): those go, what the check says stays.
 */
export function message(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return cleanOrtText(m);
}

/** onnxruntime's text without colour codes, log prefixes and C++ locations (see {@link message}). */
export function cleanOrtText(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
      .replace(/\x1b\[[0-9;]*m/g, '')
      .replace(/^\S+ \S+ \[[EWIV]:onnxruntime:[^\]]*\]\s*/gm, '')
      .replace(/\[[EWIV]:onnxruntime:[^\]]*\]\s*/g, '')
      // A source location, then the C++ function it is in (qualified name, parameter list, qualifiers).
      .replace(
        /(?:[A-Za-z]:)?[^\s'"]*\.(?:h|hpp|cc|cpp|c):\d+\s+(?:[\w:<>~*&, ]+?\([^()]*(?:\([^()]*\)[^()]*)*\)(?:\s*const)?\s+)?/g,
        '',
      )
      .replace(/[ \t]+\n/g, '\n')
      .trim()
  );
}
