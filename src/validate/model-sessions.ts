/**
 * Sessions of the models under test and their in-memory variants, one at a time: each is released
 * before the next is created, and a variant's bytes live only until its session exists. A session
 * opens from the model's file when it runs the model unchanged (the shell says where, if anywhere),
 * otherwise from freshly encoded bytes, with the shell telling onnxruntime where the external data is.
 */
import type { ModelProto } from '../codec/types.js';
import { encodeModel } from '../codec/encode.js';
import { isExternal } from '../external/location.js';
import type { ExternalDataSource } from '../external/reader.js';
import { collectTensors } from '../external/tensors.js';
import type { HostTensor } from './host-tensor.js';
import {
  CORRECTNESS_RUN_OPTIMIZATION,
  openSession,
  type ExternalDataSessionOptions,
  type OpenSessionOptions,
  type ModelRunner,
  type OrtModule,
  type SessionSource,
} from './session.js';

/**
 * A model's external data files as validation needs them: read through the checked reader (the SGE
 * parameters may live there), and handed to onnxruntime for sessions created from bytes. Node: a
 * folder (`folderModelFiles`); the web page: the files the user picked.
 */
export interface ModelFiles extends ExternalDataSource {
  /**
   * Session options with which onnxruntime finds the files at `locations` (as the model writes them)
   * for a model created from bytes: Node names the folder (session config entry
   * `session.model_external_initializers_file_folder_path`); onnxruntime-web takes
   * `externalData: [{ path: location, data }]`.
   */
  sessionOptions(locations: readonly string[]): ExternalDataSessionOptions | Promise<ExternalDataSessionOptions>;
}

/** One of the two models given to validation. */
export interface ModelUnderTest {
  readonly model: ModelProto;
  /**
   * A file (or URL) holding exactly `model`, which onnxruntime may load itself whenever a session runs
   * the model unchanged: no encoding, and no second copy of the weights in JavaScript memory.
   */
  readonly path?: string;
  /** Where its external data files are (needed only when it has external data). */
  readonly files?: ModelFiles;
  /** Names the model in messages about its data (its file); default 'original model' / 'rewritten model'. */
  readonly name?: string;
}

/** The onnxruntime module, or a function that loads it when the first session opens. */
export type OrtProvider = OrtModule | (() => Promise<OrtModule>);

/** Who is to blame when onnxruntime fails (see OpenSessionOptions.blame). */
export type Blame = 'input' | 'validation';

/** Opens sessions of models under test. */
export class ModelSessions {
  readonly #provider: OrtProvider;
  #ort: OrtModule | undefined;
  readonly #locations = new WeakMap<ModelProto, readonly string[]>();

  constructor(ort: OrtProvider) {
    this.#provider = ort;
  }

  /** A session of `variant` (a copy of `subject.model`, or the model itself) as onnxruntime runs it by default. */
  async open(
    subject: ModelUnderTest,
    variant: ModelProto,
    label: string,
    blame: Blame,
    threads?: number,
  ): Promise<ModelRunner> {
    return this.#open(subject, variant, { label, blame, ...(threads ? { intraOpNumThreads: threads } : {}) });
  }

  /**
   * Opens a session of `variant`, runs it once on `feeds` and releases it, at the correctness runs'
   * optimization level (see CORRECTNESS_RUN_OPTIMIZATION). For the correctness runs, whose variants
   * expose intermediate tensors.
   */
  async runOnce(
    subject: ModelUnderTest,
    variant: ModelProto,
    label: string,
    blame: Blame,
    feeds: Record<string, HostTensor>,
  ): Promise<Record<string, HostTensor>> {
    const runner = await this.#open(subject, variant, {
      label,
      blame,
      graphOptimizationLevel: CORRECTNESS_RUN_OPTIMIZATION,
    });
    try {
      return await runner.run(feeds);
    } finally {
      await runner.release();
    }
  }

  async #open(subject: ModelUnderTest, variant: ModelProto, options: OpenSessionOptions): Promise<ModelRunner> {
    const ort = await this.#runtime();
    return openSession(ort, await this.#source(subject, variant), options);
  }

  async #runtime(): Promise<OrtModule> {
    this.#ort ??= typeof this.#provider === 'function' ? await this.#provider() : this.#provider;
    return this.#ort;
  }

  async #source(subject: ModelUnderTest, variant: ModelProto): Promise<SessionSource> {
    if (variant === subject.model && subject.path) return { path: subject.path };
    const bytes = encodeModel(variant);
    if (!subject.files) return { bytes };
    return { bytes, externalData: await subject.files.sessionOptions(this.#locationsOf(subject.model)) };
  }

  /** Every location the model's external tensors name (its variants name no others). */
  #locationsOf(model: ModelProto): readonly string[] {
    let locations = this.#locations.get(model);
    if (!locations) {
      const names = new Set<string>();
      for (const { tensor } of collectTensors(model)) {
        // Read leniently: a damaged reference is onnxruntime's to refuse, with the blame of the session.
        const location = isExternal(tensor) ? tensor.external_data.find((e) => e.key === 'location')?.value : undefined;
        if (location) names.add(location);
      }
      locations = [...names];
      this.#locations.set(model, locations);
    }
    return locations;
  }
}
