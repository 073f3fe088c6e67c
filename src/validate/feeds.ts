/**
 * The tensors both models run on, and how the report describes them: given by the caller, loaded by
 * the shell (`--inputs DIR` in Node), or seeded random values of the chosen shapes.
 */
import { InputError } from '../errors.js';
import type { HostTensor } from './host-tensor.js';
import { chooseShapes, randomInputs, DEFAULT_BATCH_DIM, DEFAULT_OTHER_DIM, type InputSpec } from './inputs.js';
import type { InputReport } from './report-types.js';
import type { ValidationSettings } from './settings.js';

/** A tensor a shell loaded for an input, and where it came from (the report's `source`). */
export interface LoadedInput {
  readonly tensor: HostTensor;
  readonly file: string;
}

/**
 * Loads one tensor per input (Node: `loadInputsFromDir`); called once the models are known to take
 * the same inputs.
 */
export type InputLoader = (specs: readonly InputSpec[]) => Promise<Record<string, LoadedInput>>;

/** Feeds and their report rows. */
export interface Feeds {
  readonly feeds: Record<string, HostTensor>;
  readonly inputs: InputReport[];
}

function described(specs: readonly InputSpec[], feeds: Record<string, HostTensor>, source: (name: string) => string) {
  return specs.map((s) => ({
    name: s.name,
    type: feeds[s.name]!.type,
    shape: [...feeds[s.name]!.dims],
    source: source(s.name),
  }));
}

/**
 * The feeds, in order of precedence: `settings.inputs`, then `loadInputs`, then random inputs (their
 * defaulted dims are said in `notes`).
 * @throws InputError when a given tensor is missing; whatever `loadInputs` throws; UsageError for bad shapes.
 */
export async function makeFeeds(
  specs: readonly InputSpec[],
  settings: ValidationSettings,
  loadInputs: InputLoader | undefined,
  notes: string[],
): Promise<Feeds> {
  if (settings.inputs) {
    const feeds: Record<string, HostTensor> = {};
    for (const s of specs) {
      const t = settings.inputs[s.name];
      if (!t) throw new InputError(`no tensor given for input '${s.name}'`);
      feeds[s.name] = t;
    }
    return { feeds, inputs: described(specs, feeds, () => 'given') };
  }
  if (loadInputs) {
    const loaded = await loadInputs(specs);
    const feeds = Object.fromEntries(specs.map((s) => [s.name, loaded[s.name]!.tensor]));
    return { feeds, inputs: described(specs, feeds, (name) => loaded[name]!.file) };
  }
  const shapes = chooseShapes(specs, { shapes: settings.shapes, dims: settings.dims });
  const seed = settings.seed ?? 0;
  const distribution = settings.distribution ?? 'normal';
  const feeds = randomInputs(specs, shapes, { seed, distribution });
  const defaults = [...new Set(specs.flatMap((s) => shapes[s.name]!.defaults))];
  if (defaults.length) {
    notes.push(
      `symbolic input dims took defaults (${DEFAULT_BATCH_DIM} for a first, batch-like dim, ${DEFAULT_OTHER_DIM} for others): ${defaults.join(', ')}; set them with --shape or --dim`,
    );
  }
  return {
    feeds,
    inputs: specs.map((s) => ({
      name: s.name,
      type: feeds[s.name]!.type,
      shape: [...shapes[s.name]!.dims],
      source: `random ${distribution} (seed ${seed})${shapes[s.name]!.defaulted ? `, default ${shapes[s.name]!.defaults.join(', ')}` : ''}`,
    })),
  };
}
