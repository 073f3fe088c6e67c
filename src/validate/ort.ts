/**
 * The only door to onnxruntime-node. It is imported lazily (inside {@link loadOrt}) so that the rest of
 * the library, and CLI commands that never run a model, do not load the native binding.
 */
import type * as OrtTypes from 'onnxruntime-node';
import { InputError, ValidationFailure } from '../errors.js';
import type { ElemType, HostData, HostTensor } from './host-tensor.js';

/** The onnxruntime-node module. */
export type OrtModule = typeof OrtTypes;

let ortPromise: Promise<OrtModule> | undefined;

/**
 * Loads onnxruntime-node once.
 * @throws InputError when the package or its native binding cannot be loaded (e.g. its install
 * script did not run on this platform).
 */
export function loadOrt(): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-node').then(
    (m) => m,
    (err: unknown) => {
      ortPromise = undefined;
      throw new InputError(
        `onnxruntime-node could not be loaded: ${message(err)}`,
        'validation runs models in onnxruntime-node 1.30; reinstall it (npm ci) on a supported platform',
        { cause: err },
      );
    },
  );
  return ortPromise;
}

/** Where a session's model comes from. */
export type SessionSource =
  /** Serialized model; `externalDataDir` is the folder its external data locations are relative to. */
  | { readonly bytes: Uint8Array; readonly externalDataDir?: string }
  /** A model file; onnxruntime finds external data beside it. */
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
   * onnxruntime choose (all cores), which is faster for the correctness runs.
   */
  readonly intraOpNumThreads?: number;
}

/** An open onnxruntime session with host-tensor feeds and results. */
export interface ModelRunner {
  readonly label: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model; `fetch` defaults to every graph output. */
  run(feeds: Readonly<Record<string, HostTensor>>, fetch?: readonly string[]): Promise<Record<string, HostTensor>>;
  /** Frees the native session. */
  release(): Promise<void>;
}

/**
 * Opens a session on the CPU execution provider, with onnxruntime's own logging limited to errors (the
 * library stays quiet; failures come back as exceptions carrying onnxruntime's message).
 * @throws InputError or ValidationFailure (per `blame`) when onnxruntime cannot load the model.
 */
export async function openSession(source: SessionSource, options: OpenSessionOptions): Promise<ModelRunner> {
  const ort = await loadOrt();
  const sessionOptions: OrtTypes.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    logSeverityLevel: 3,
    ...(options.intraOpNumThreads !== undefined
      ? { intraOpNumThreads: options.intraOpNumThreads, interOpNumThreads: 1 }
      : {}),
    ...('bytes' in source && source.externalDataDir !== undefined
      ? // From bytes onnxruntime resolves external locations against the working directory unless told
        // the model's folder through this session config entry.
        { extra: { session: { model_external_initializers_file_folder_path: source.externalDataDir } } }
      : {}),
  };
  let session: OrtTypes.InferenceSession;
  try {
    session =
      'bytes' in source
        ? await ort.InferenceSession.create(source.bytes, sessionOptions)
        : await ort.InferenceSession.create(source.path, sessionOptions);
  } catch (err) {
    throw fail(options, `onnxruntime could not load the ${options.label}: ${message(err)}`, err);
  }
  return {
    label: options.label,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, fetch) {
      const ortFeeds: Record<string, OrtTypes.Tensor> = {};
      for (const [name, t] of Object.entries(feeds))
        ortFeeds[name] = new ort.Tensor(t.type, t.data as never, [...t.dims]);
      let result: OrtTypes.InferenceSession.ReturnType;
      try {
        result = fetch ? await session.run(ortFeeds, [...fetch]) : await session.run(ortFeeds);
      } catch (err) {
        throw fail(options, `onnxruntime could not run the ${options.label}: ${message(err)}`, err);
      }
      const out: Record<string, HostTensor> = {};
      for (const [name, value] of Object.entries(result)) {
        const t = value as OrtTypes.Tensor;
        if (typeof t.type !== 'string' || !('dims' in t)) {
          throw fail(options, `the ${options.label} produced output '${name}' that is not a tensor`, undefined);
        }
        if (t.type === 'string')
          throw fail(
            options,
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

function fail(options: OpenSessionOptions, text: string, cause: unknown): Error {
  return options.blame === 'input'
    ? new InputError(text, 'check that the model and the inputs run in onnxruntime-node 1.30 on their own', { cause })
    : new ValidationFailure(text, { cause });
}

function message(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.trim();
}
