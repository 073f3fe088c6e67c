/**
 * The config format of `sge-inject ci`, field by field: one table from which both the validator
 * (config.ts) and the JSON Schema shipped for editors (schema.ts) are made, so the two cannot drift.
 */

/** What a field holds. Paths are relative to the config file. */
export type FieldType =
  | { readonly kind: 'name' }
  | { readonly kind: 'file' }
  | { readonly kind: 'folder' }
  | { readonly kind: 'folders' }
  | { readonly kind: 'patterns'; readonly minItems: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'integer'; readonly minimum?: number }
  | { readonly kind: 'number'; readonly minimum?: number; readonly exclusiveMinimum?: number }
  | { readonly kind: 'shapes' }
  | { readonly kind: 'dims' };

/** One key of a job. */
export interface JobField {
  readonly key: string;
  readonly type: FieldType;
  /** Every job has it (true), or every job that injects (`"fuse": true` jobs do not). */
  readonly required?: true | 'inject';
  /** Only injecting jobs take it: refused beside `"fuse": true`. */
  readonly injectOnly?: true;
  /** For the schema's `description` (editors show it) and the README. */
  readonly description: string;
}

/**
 * Job names: letters, digits, `.`, `_` and `-`, not starting with `.` or `-`, at most 100 characters.
 * They name the `--out` file (`<name>.onnx`), the JUnit test case and `--only`, so they are safe as a
 * file name on every system.
 */
export const JOB_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$';

/** The keys of a job, in the order the README lists them. */
export const JOB_FIELDS: readonly JobField[] = [
  {
    key: 'name',
    type: { kind: 'name' },
    required: true,
    description:
      'Unique job name (letters, digits, . _ -): the JUnit test case, --only NAME and the --out file NAME.onnx.',
  },
  {
    key: 'model',
    type: { kind: 'file' },
    required: true,
    description: 'The .onnx model to inject into (or to fuse), relative to this file.',
  },
  {
    key: 'fuse',
    type: { kind: 'boolean' },
    description:
      'Fuse the SGE blocks the model already has (as torch.onnx.export writes them) instead of injecting, as `sge-inject fuse`; then validate each site against the block it replaced. "after", "exclude", "opTypes", "groups" and "params" do not apply. Default false.',
  },
  {
    key: 'after',
    type: { kind: 'patterns', minItems: 1 },
    required: 'inject',
    injectOnly: true,
    description: "Sites: globs on node or output names (* crosses /), or re:REGEX, as --after. E.g. ['*/conv3/Conv'].",
  },
  {
    key: 'exclude',
    injectOnly: true,
    type: { kind: 'patterns', minItems: 0 },
    description: 'Patterns removed from the selection, as --exclude.',
  },
  {
    key: 'opTypes',
    injectOnly: true,
    type: { kind: 'patterns', minItems: 1 },
    description: "Node types that may be chosen, as --op-types (default ['Conv']).",
  },
  {
    key: 'groups',
    injectOnly: true,
    type: { kind: 'integer', minimum: 1 },
    description: "SGE groups G (default: the params file's, else 64).",
  },
  {
    key: 'params',
    injectOnly: true,
    type: { kind: 'file' },
    description:
      'Per-site weight and bias: JSON {"groups", "params": {site: {weight, bias}}} or safetensors, as --params.',
  },
  {
    key: 'inline',
    type: { kind: 'boolean' },
    description: 'Write standard ops at each site instead of a model-local function (default false).',
  },
  {
    key: 'testData',
    type: { kind: 'folders' },
    description:
      'Test data set folders (input_0.pb …, output_0.pb …, or .npy) the rewritten model must reproduce, as `sge-inject test`.',
  },
  {
    key: 'rtol',
    type: { kind: 'number', minimum: 0 },
    description: 'Relative tolerance of the site checks and the test data (default 1e-4 for float32).',
  },
  {
    key: 'atol',
    type: { kind: 'number', minimum: 0 },
    description: 'Absolute tolerance of the site checks and the test data (default 1e-5 for float32).',
  },
  {
    key: 'maxLatencyRatio',
    type: { kind: 'number', exclusiveMinimum: 0 },
    description:
      "Fail when the rewritten model's median latency over the original's (1 thread, as validate measures it) exceeds this.",
  },
  {
    key: 'runs',
    type: { kind: 'integer', minimum: 0 },
    description: 'Timed runs of each model for the latency (default 10; 0 skips timing).',
  },
  {
    key: 'inputs',
    type: { kind: 'folder' },
    description: 'Inputs of the validation run (input_0.pb … or .npy), as validate --inputs; default seeded random.',
  },
  {
    key: 'shapes',
    type: { kind: 'shapes' },
    description: 'Shapes of random validation inputs by input name, e.g. {"input": [1, 3, 224, 224]}, as --shape.',
  },
  {
    key: 'dims',
    type: { kind: 'dims' },
    description: 'Values of symbolic input dims, e.g. {"batch": 2}, as --dim.',
  },
  {
    key: 'seed',
    type: { kind: 'integer' },
    description: 'Seed of the random validation inputs (default 0).',
  },
  {
    key: 'timeout',
    type: { kind: 'number', exclusiveMinimum: 0 },
    description:
      'Seconds the job may take in its worker (wall time); past it the worker is stopped and the job is an error (default: --timeout, else none).',
  },
];

/** Keys of the config's top level. */
export const CONFIG_KEYS = ['$schema', 'jobs'] as const;
