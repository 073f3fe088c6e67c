/**
 * Test data: run one model on each test data set (ONNX zoo layout: `input_N.pb` and the expected
 * `output_N.pb`, or `.npy` files) and compare every output with the expected one, by validation's
 * element rule and default tolerances (compare.ts, settings.ts). Runtime-neutral like the validation
 * core: onnxruntime comes from the caller and the files from the shell (Node: node/test-data-dir.ts).
 */
import { UsageError } from '../errors.js';
import { compareValues, type Tolerance } from './compare.js';
import { elementCount, formatDims, toFloat64, type ElemType, type HostTensor } from './host-tensor.js';
import { loadTensorFiles, type InputFile } from './input-files.js';
import { inputSpecs, outputSpecs } from './inputs.js';
import { ModelSessions, type Blame, type ModelUnderTest, type OrtProvider } from './model-sessions.js';
import type { ModelRunner } from './session.js';
import { fmt, toleranceFor, type ValidationSettings } from './settings.js';

/** One test data set: its files (inputs and expected outputs together, as in a `test_data_set_N` folder). */
export interface TestDataSet {
  /** Names the set in messages and in the report (Node: the folder's path). */
  readonly name: string;
  readonly files: readonly InputFile[];
}

/** A request to {@link checkTestData}. */
export interface TestDataRequest extends Pick<ValidationSettings, 'rtol' | 'atol'> {
  /** onnxruntime, or a function that loads it (see ValidateModelsRequest.ort). */
  readonly ort: OrtProvider;
  /** The model to run. */
  readonly model: ModelUnderTest;
  /** At least one set. */
  readonly sets: readonly TestDataSet[];
  /**
   * Who is to blame when onnxruntime cannot load or run the model: 'input' (default: the user's model,
   * exit 2) or 'validation' (a model sge-inject wrote, exit 1).
   */
  readonly blame?: Blame;
}

/** One output of one set against its expected tensor. */
export interface TestOutputReport {
  readonly name: string;
  /** The file the expected tensor came from. */
  readonly file: string;
  readonly type: ElemType;
  /** The expected tensor's shape. */
  readonly shape: readonly number[];
  readonly elements: number;
  /** Elements out of tolerance (null when the shapes differ and nothing was compared). */
  readonly failures: number | null;
  readonly maxAbs: number | null;
  readonly maxRel: number | null;
  /** Expected elements that are NaN (they pass only where the output is NaN too). */
  readonly expectedNaN: number;
  /** The tolerance the output was judged with ({0, 0} for integer and bool outputs: exact). */
  readonly tolerance: Tolerance;
  readonly verdict: 'pass' | 'fail';
  /** Why it failed (empty on a pass). */
  readonly reason: string;
}

/** One test data set. */
export interface TestSetReport {
  readonly name: string;
  /** Each input and the file it came from. */
  readonly inputs: readonly { readonly name: string; readonly file: string }[];
  readonly outputs: readonly TestOutputReport[];
}

/** What {@link checkTestData} found. */
export interface TestDataReport {
  /** True when every output of every set is within tolerance. */
  readonly passed: boolean;
  /** One sentence per failing output, naming the set and the output. */
  readonly failures: readonly string[];
  readonly sets: readonly TestSetReport[];
}

/** Integers and booleans have no rounding to allow for: they must be equal. */
const EXACT: Tolerance = { rtol: 0, atol: 0 };
const FLOATS: ReadonlySet<ElemType> = new Set(['float16', 'float32', 'float64']);

/** The tolerance an output of `type` is judged with: validation's for floats, exact otherwise. */
export function testTolerance(type: ElemType, settings: Pick<ValidationSettings, 'rtol' | 'atol'>): Tolerance {
  return FLOATS.has(type) ? toleranceFor(type, settings) : EXACT;
}

/**
 * Runs `model` on every set and compares its outputs with the expected ones. One session serves all
 * sets; each set's tensors are read only when its turn comes.
 * @throws UsageError without sets; InputError (exit 2) for missing, unreadable or ill-fitting data
 *   (naming the file and tensor); InputError or ValidationFailure (per `blame`) when onnxruntime cannot
 *   load or run the model.
 */
export async function checkTestData(request: TestDataRequest): Promise<TestDataReport> {
  if (request.sets.length === 0) throw new UsageError('no test data set given');
  const { model } = request;
  const inputs = inputSpecs(model.model);
  const outputs = outputSpecs(model.model);
  const label = model.name ?? 'model';
  const sets: TestSetReport[] = [];
  const failures: string[] = [];
  let runner: ModelRunner | undefined;
  try {
    for (const set of request.sets) {
      const where = `test data ${set.name}`;
      const feeds = await loadTensorFiles(set.files, inputs, { role: 'input', label: where });
      const expected = await loadTensorFiles(set.files, outputs, { role: 'output', label: where });
      runner ??= await new ModelSessions(request.ort).open(model, model.model, label, request.blame ?? 'input');
      const actual = await runner.run(Object.fromEntries(inputs.map((s) => [s.name, feeds[s.name]!.tensor])));
      const reports = outputs.map((s) => compareOutput(s.name, expected[s.name]!, actual[s.name], request));
      for (const r of reports) if (r.verdict === 'fail') failures.push(`${set.name}: output '${r.name}': ${r.reason}`);
      sets.push({
        name: set.name,
        inputs: inputs.map((s) => ({ name: s.name, file: feeds[s.name]!.file })),
        outputs: reports,
      });
    }
  } finally {
    await runner?.release();
  }
  return { passed: failures.length === 0, failures, sets };
}

function compareOutput(
  name: string,
  expected: { readonly tensor: HostTensor; readonly file: string },
  actual: HostTensor | undefined,
  settings: Pick<ValidationSettings, 'rtol' | 'atol'>,
): TestOutputReport {
  const e = expected.tensor;
  const tolerance = testTolerance(e.type, settings);
  const base = {
    name,
    file: expected.file,
    type: e.type,
    shape: [...e.dims],
    elements: elementCount(e.dims),
    tolerance,
  };
  const unlike = !actual
    ? 'onnxruntime returned no value for it'
    : actual.type !== e.type
      ? `the model gives ${actual.type}, ${expected.file} holds ${e.type}`
      : formatDims(actual.dims) !== formatDims(e.dims)
        ? `the model gives shape ${formatDims(actual.dims)}, ${expected.file} holds ${formatDims(e.dims)}`
        : undefined;
  if (unlike) {
    return {
      ...base,
      failures: null,
      maxAbs: null,
      maxRel: null,
      expectedNaN: 0,
      verdict: 'fail',
      reason: unlike,
    };
  }
  const c = compareValues(toFloat64(actual!), toFloat64(e), tolerance);
  let reason = '';
  if (c.failures > 0) {
    const f = c.firstFailure!;
    reason =
      `${c.failures} of ${c.count} elements out of tolerance (rtol ${tolerance.rtol}, atol ${tolerance.atol}); ` +
      `max abs ${fmt(c.maxAbs)}, max rel ${fmt(c.maxRel)}; first at flat index ${f.index}: ${value(f.actual)}, expected ${value(f.expected)}`;
  }
  return {
    ...base,
    failures: c.failures,
    maxAbs: c.maxAbs,
    maxRel: c.maxRel,
    expectedNaN: c.expectedNaN,
    verdict: c.failures > 0 ? 'fail' : 'pass',
    reason,
  };
}

/** An element in a message: enough digits to see a float32 difference. */
function value(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(7))) : String(v);
}
