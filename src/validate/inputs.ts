/**
 * The inputs both models run on: what the graph inputs are, that both models agree on them, their
 * concrete shapes (from overrides or documented defaults) and seeded random values.
 */
import type { ModelProto, ValueInfoProto } from '../codec/types.js';
import { declaredDims, type Dim } from '../graph/dims.js';
import { InputError, UsageError } from '../errors.js';
import { allocate, elemTypeOf, elementCount, formatDims, type ElemType, type HostTensor } from './host-tensor.js';
import { numberToFloat16Bits } from '../tensor/float16.js';
import { createPrng } from './prng.js';
import { dataTypeName } from '../tensor/type-name.js';

/** A graph input the caller must feed (graph inputs that are also initializers are excluded). */
export interface InputSpec {
  readonly name: string;
  /** ONNX DataType value (0 when the input is not a tensor or has no type). */
  readonly dataType: number;
  /** Validation's element type, undefined when it cannot feed this type. */
  readonly type: ElemType | undefined;
  /** Declared dims; undefined when the rank is unknown. */
  readonly dims: readonly Dim[] | undefined;
}

/** Default for a symbolic or unknown FIRST dimension (batch-like). */
export const DEFAULT_BATCH_DIM = 1;
/**
 * Default for any other symbolic or unknown dimension. Never 1: a 1×1 spatial map is degenerate for
 * SGE (its normalization divides by zero: the reference is NaN there), and 1 hides broadcasting bugs.
 */
export const DEFAULT_OTHER_DIM = 32;
/** Random integer inputs are uniform in [0, RANDOM_INT_HIGH): small, so index-like inputs stay in range. */
export const RANDOM_INT_HIGH = 4;

/** The inputs of a model that are not initializers, in graph order. */
export function inputSpecs(model: ModelProto): InputSpec[] {
  const graph = model.graph;
  if (!graph) return [];
  const initialized = new Set(graph.initializer.map((t) => t.name ?? ''));
  return graph.input.filter((vi) => !initialized.has(vi.name ?? '')).map(specOf);
}

/**
 * The outputs of a model, in graph order, described like inputs (the expected values of a test data
 * set are checked against them).
 */
export function outputSpecs(model: ModelProto): InputSpec[] {
  return (model.graph?.output ?? []).map(specOf);
}

function specOf(vi: ValueInfoProto): InputSpec {
  const tt = vi.type?.tensor_type;
  const dataType = tt?.elem_type ?? 0;
  // A negative dim_value, which no tensor has, counts as unknown; one past 2^53 stays (approximately),
  // so such an input is refused as too large when generated, never an internal RangeError.
  const dims = declaredDims(vi.type)?.map((d) => (typeof d === 'number' && d < 0 ? undefined : d));
  return { name: vi.name ?? '', dataType, type: elemTypeOf(dataType), dims };
}

/** `[N, 3, 224, 224]` style text of declared dims. */
export function formatDeclared(dims: readonly Dim[] | undefined): string {
  return dims ? `[${dims.map((d) => d ?? '?').join(', ')}]` : '(rank unknown)';
}

function typeName(s: InputSpec): string {
  return s.type ?? dataTypeName(s.dataType);
}

/**
 * Checks that both models take the same inputs: same names, element types, ranks and static sizes.
 * @throws InputError saying how they differ.
 */
export function checkSameInputs(original: readonly InputSpec[], rewritten: readonly InputSpec[]): void {
  const problems: string[] = [];
  const byName = new Map(rewritten.map((s) => [s.name, s]));
  for (const o of original) {
    const r = byName.get(o.name);
    if (!r) {
      problems.push(`input '${o.name}' of the original is missing from the rewritten model`);
      continue;
    }
    if (o.dataType !== r.dataType)
      problems.push(`input '${o.name}' is ${typeName(o)} in the original, ${typeName(r)} in the rewritten model`);
    const staticConflict =
      o.dims &&
      r.dims &&
      (o.dims.length !== r.dims.length ||
        o.dims.some((d, i) => typeof d === 'number' && typeof r.dims![i] === 'number' && d !== r.dims![i]));
    if (staticConflict)
      problems.push(
        `input '${o.name}' has shape ${formatDeclared(o.dims)} in the original, ${formatDeclared(r.dims)} in the rewritten model`,
      );
  }
  const known = new Set(original.map((s) => s.name));
  for (const r of rewritten)
    if (!known.has(r.name)) problems.push(`the rewritten model has an extra input '${r.name}'`);
  if (problems.length) {
    throw new InputError(
      `the two models do not take the same inputs: ${problems.join('; ')}`,
      'validate a rewritten model against the model it was made from',
    );
  }
}

/** Shape overrides: whole shapes by input name, and values for symbolic dimension names. */
export interface ShapeOverrides {
  /** `--shape NAME=1x3x224x224`: the full shape of input NAME. */
  readonly shapes?: Readonly<Record<string, readonly number[]>>;
  /** `--dim NAME=VALUE`: the value of symbolic dimension NAME wherever it appears. */
  readonly dims?: Readonly<Record<string, number>>;
}

/** A concrete input shape and which of its dims came from the defaults. */
export interface ChosenShape {
  readonly dims: readonly number[];
  /** True when at least one dimension took a default value (the report prints these). */
  readonly defaulted: boolean;
  /** The defaulted dims as `name=value` (`batch=1`), or `#i=value` for an unnamed dim at position i. */
  readonly defaults: readonly string[];
}

/**
 * Concrete shapes for every input. Static dims are kept; symbolic or unknown ones come from
 * `overrides.dims` (by dim_param name), else the defaults: {@link DEFAULT_BATCH_DIM} for the first
 * dimension, {@link DEFAULT_OTHER_DIM} for the others. A symbolic name takes one value model-wide (its
 * first occurrence, in input order, decides its default). `overrides.shapes` replaces a whole shape.
 * @throws UsageError for an override naming no input or dimension, or contradicting a static size;
 * InputError for an input of unknown rank with no `--shape`.
 */
export function chooseShapes(specs: readonly InputSpec[], overrides: ShapeOverrides = {}): Record<string, ChosenShape> {
  const shapes = overrides.shapes ?? {};
  const dimValues = new Map(Object.entries(overrides.dims ?? {}));
  const names = new Set(specs.map((s) => s.name));
  for (const n of Object.keys(shapes)) {
    if (!names.has(n))
      throw new UsageError(
        `--shape names '${n}', which is not an input of the model`,
        `inputs: ${[...names].join(', ') || '(none)'}`,
      );
  }
  const params = new Set(specs.flatMap((s) => (s.dims ?? []).filter((d): d is string => typeof d === 'string')));
  for (const [n, v] of dimValues) {
    if (!params.has(n))
      throw new UsageError(
        `--dim names '${n}', which is not a symbolic dimension of any input`,
        `symbolic dimensions: ${[...params].join(', ') || '(none)'}`,
      );
    if (!Number.isSafeInteger(v) || v < 1)
      throw new UsageError(`--dim ${n}=${v}: a dimension must be a positive integer`);
  }
  const out: Record<string, ChosenShape> = {};
  const chosenByDefault = new Set<string>();
  for (const s of specs) {
    const given = shapes[s.name];
    if (given) {
      if (
        s.dims &&
        (s.dims.length !== given.length || s.dims.some((d, i) => typeof d === 'number' && d !== given[i]))
      ) {
        throw new UsageError(`--shape ${s.name}=${given.join('x')} contradicts the model's ${formatDeclared(s.dims)}`);
      }
      out[s.name] = { dims: [...given], defaulted: false, defaults: [] };
      continue;
    }
    if (!s.dims) {
      throw new InputError(
        `input '${s.name}' has no declared shape`,
        `give it with --shape ${s.name}=1x3x224x224 (its real sizes)`,
      );
    }
    const defaults: string[] = [];
    const dims = s.dims.map((d, i) => {
      if (typeof d === 'number') return d;
      if (typeof d === 'string' && dimValues.has(d)) {
        const v = dimValues.get(d)!;
        if (chosenByDefault.has(d)) defaults.push(`${d}=${v}`);
        return v;
      }
      const v = i === 0 ? DEFAULT_BATCH_DIM : DEFAULT_OTHER_DIM;
      if (typeof d === 'string') {
        dimValues.set(d, v);
        chosenByDefault.add(d);
      }
      defaults.push(`${d ?? `#${i}`}=${v}`);
      return v;
    });
    out[s.name] = { dims, defaulted: defaults.length > 0, defaults };
  }
  return out;
}

/** How random values are drawn for floating-point inputs. */
export type Distribution = 'normal' | 'uniform';

/** Options of {@link randomInputs}. */
export interface RandomInputOptions {
  /** Seed of the generator (default 0). */
  readonly seed?: number;
  /** 'normal': standard normal (default); 'uniform': uniform in [-1, 1). */
  readonly distribution?: Distribution;
}

/**
 * Seeded random tensors for the given inputs, drawn in input order from one {@link createPrng} stream:
 * floats from the chosen distribution (float16 rounded to nearest), integers uniform in
 * [0, {@link RANDOM_INT_HIGH}), bools 0/1. The same seed, specs and shapes give the same tensors.
 * @throws InputError for an input type validation cannot generate.
 */
export function randomInputs(
  specs: readonly InputSpec[],
  shapes: Readonly<Record<string, ChosenShape>>,
  options: RandomInputOptions = {},
): Record<string, HostTensor> {
  const prng = createPrng(options.seed ?? 0);
  const draw = options.distribution === 'uniform' ? () => prng.uniform() * 2 - 1 : () => prng.normal();
  const out: Record<string, HostTensor> = {};
  for (const s of specs) {
    if (!s.type)
      throw new InputError(
        `input '${s.name}' has type ${dataTypeName(s.dataType)}, which validation cannot generate`,
        'give the inputs with --inputs DIR',
      );
    const dims = shapes[s.name]!.dims;
    const count = elementCount(dims);
    checkInputSize(s.name, s.type, dims, count);
    const data = allocate(s.type, count);
    for (let i = 0; i < count; i++) {
      if (data instanceof BigInt64Array || data instanceof BigUint64Array)
        data[i] = BigInt(prng.int(0, RANDOM_INT_HIGH));
      else if (s.type === 'float16') data[i] = numberToFloat16Bits(draw());
      else if (s.type === 'float32' || s.type === 'float64') data[i] = draw();
      else if (s.type === 'bool') data[i] = prng.int(0, 2);
      else data[i] = prng.int(0, RANDOM_INT_HIGH);
    }
    out[s.name] = { type: s.type, dims, data };
  }
  return out;
}

/** Largest random input validation makes: 2 GiB (a typed array cannot hold much more, and one batch is all it needs). */
export const MAX_RANDOM_INPUT_BYTES = 2 ** 31;

const BYTES_PER_ELEMENT: Readonly<Record<ElemType, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
};

/**
 * Refuses an input too large to generate (a `--shape` or `--dim` of 100000, or huge static dims) before
 * any allocation, which would fail as an internal "Invalid typed array length" or exhaust the memory.
 */
function checkInputSize(name: string, type: ElemType, dims: readonly number[], count: number): void {
  const bytes = count * (BYTES_PER_ELEMENT[type] ?? 8);
  if (Number.isSafeInteger(count) && bytes <= MAX_RANDOM_INPUT_BYTES) return;
  throw new UsageError(
    `input '${name}' would be ${formatDims(dims)} = ${count.toPrecision(3)} elements (${(bytes / 2 ** 30).toPrecision(3)} GiB), more than validation generates (2 GiB per input)`,
    'give smaller symbolic sizes with --shape/--dim (one small batch is enough to validate)',
  );
}

/**
 * Parses `NAME=1x3x224x224` (a `--shape` value). The name may itself contain `=`: the last `=` splits.
 * @throws UsageError for a malformed value.
 */
export function parseShapeOption(text: string): [string, number[]] {
  const at = text.lastIndexOf('=');
  const name = text.slice(0, at),
    value = text.slice(at + 1);
  const dims = value.split(/[x×,]/).map(Number);
  // A zero-sized input has nothing to validate, and the SGE's reshapes cannot infer a dim next to 0.
  if (at <= 0 || !value || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw new UsageError(`--shape ${text}: expected NAME=DIMxDIMx… with positive integers, e.g. input=1x3x224x224`);
  }
  return [name, dims];
}

/**
 * Parses `NAME=VALUE` (a `--dim` value).
 * @throws UsageError for a malformed value.
 */
export function parseDimOption(text: string): [string, number] {
  const at = text.lastIndexOf('=');
  const name = text.slice(0, at),
    value = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`--dim ${text}: expected NAME=VALUE with a positive integer, e.g. batch=2`);
  }
  return [name, value];
}
