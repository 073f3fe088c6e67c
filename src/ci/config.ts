/**
 * Reading a `sge-inject ci` config: JSON text → jobs, every problem named by job and key. Pure (no
 * file access): paths stay as written, relative to the config file; the Node layer
 * (node/load-config.ts) resolves them and checks that the files exist.
 */
import { InputError } from '../errors.js';
import { nearestNames } from '../graph/suggest.js';
import { CONFIG_KEYS, JOB_FIELDS, JOB_NAME_PATTERN, type FieldType } from './fields.js';

/** One job as the config gives it (paths relative to the config file). */
export interface CiJob {
  readonly name: string;
  readonly model: string;
  /** Fuse the model's exported SGE blocks instead of injecting (then `after` is absent). */
  readonly fuse?: boolean;
  readonly after?: readonly string[];
  readonly exclude?: readonly string[];
  readonly opTypes?: readonly string[];
  readonly groups?: number;
  readonly params?: string;
  readonly inline?: boolean;
  readonly testData?: readonly string[];
  readonly rtol?: number;
  readonly atol?: number;
  readonly maxLatencyRatio?: number;
  readonly runs?: number;
  readonly inputs?: string;
  readonly shapes?: Readonly<Record<string, readonly number[]>>;
  readonly dims?: Readonly<Record<string, number>>;
  readonly seed?: number;
  readonly timeout?: number;
}

/** A parsed config. */
export interface CiConfig {
  readonly jobs: readonly CiJob[];
}

/** Where a problem is: `job "resnet50" (jobs[0])`, and a key. */
export function jobPlace(index: number, name: unknown): string {
  return typeof name === 'string' && name !== '' ? `job "${name}" (jobs[${index}])` : `jobs[${index}]`;
}

/** How the config format is explained in every refusal. */
export const CONFIG_HINT =
  'the README\'s "CI" section shows the format; editors check it with "$schema": "./node_modules/sge-inject/sge-inject.schema.json"';

const NAME_RE = new RegExp(JOB_NAME_PATTERN);
const FIELDS = new Map(JOB_FIELDS.map((f) => [f.key, f]));

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shown(v: unknown): string {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** What is wrong with `value` as a field of `type`, or undefined when it fits. */
function fieldProblem(type: FieldType, value: unknown): string | undefined {
  const got = `got ${shown(value)}`;
  const nonEmptyString = (v: unknown) => typeof v === 'string' && v !== '';
  switch (type.kind) {
    case 'name':
      if (typeof value !== 'string') return `must be a string, ${got}`;
      return NAME_RE.test(value)
        ? undefined
        : `must be 1 to 100 letters, digits, '.', '_' or '-', not starting with '.' or '-' (it names the --out file), ${got}`;
    case 'file':
    case 'folder':
      return nonEmptyString(value) ? undefined : `must be a non-empty path (relative to the config file), ${got}`;
    case 'folders':
      if (!Array.isArray(value) || !value.every(nonEmptyString))
        return `must be a list of folder paths (relative to the config file), ${got}`;
      return undefined;
    case 'patterns':
      if (!Array.isArray(value) || !value.every(nonEmptyString)) return `must be a list of non-empty strings, ${got}`;
      return value.length < type.minItems ? `must name at least ${type.minItems}, ${got}` : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false, ${got}`;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        return `must be a whole number${type.minimum !== undefined ? ` of at least ${type.minimum}` : ''}, ${got}`;
      return type.minimum !== undefined && value < type.minimum
        ? `must be at least ${type.minimum}, ${got}`
        : undefined;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number, ${got}`;
      if (type.minimum !== undefined && value < type.minimum) return `must be at least ${type.minimum}, ${got}`;
      if (type.exclusiveMinimum !== undefined && value <= type.exclusiveMinimum)
        return `must be more than ${type.exclusiveMinimum}, ${got}`;
      return undefined;
    case 'shapes':
      if (
        !isObject(value) ||
        !Object.values(value).every(
          (dims) =>
            Array.isArray(dims) && dims.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 1),
        )
      )
        return `must map input names to lists of positive whole numbers, e.g. {"input": [1, 3, 224, 224]}, ${got}`;
      return undefined;
    case 'dims':
      if (
        !isObject(value) ||
        !Object.values(value).every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 1)
      )
        return `must map dimension names to positive whole numbers, e.g. {"batch": 2}, ${got}`;
      return undefined;
  }
}

/** Problems of one job (each prefixed with its place). */
function jobProblems(job: unknown, index: number): string[] {
  if (!isObject(job)) return [`${jobPlace(index, undefined)}: must be an object with "name", "model" and "after"`];
  const place = jobPlace(index, job.name);
  const problems: string[] = [];
  for (const [key, value] of Object.entries(job)) {
    const field = FIELDS.get(key);
    if (!field) {
      const near = nearestNames(key, FIELDS.keys(), 1)[0];
      problems.push(`${place}: unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}`);
      continue;
    }
    const problem = fieldProblem(field.type, value);
    if (problem) problems.push(`${place}: "${key}" ${problem}`);
  }
  const fusing = job.fuse === true;
  for (const f of JOB_FIELDS) {
    const has = Object.hasOwn(job, f.key);
    if (f.required === true && !has) problems.push(`${place}: "${f.key}" is missing`);
    if (f.required === 'inject' && !fusing && !has)
      problems.push(`${place}: "${f.key}" is missing (or "fuse": true, to fuse the SGE blocks the model has)`);
    if (f.injectOnly && fusing && has)
      problems.push(`${place}: "${f.key}" is for injecting; a "fuse": true job fuses the SGE blocks the model has`);
  }
  if (Object.hasOwn(job, 'inputs') && (Object.hasOwn(job, 'shapes') || Object.hasOwn(job, 'dims')))
    problems.push(`${place}: "inputs" and "shapes"/"dims" exclude each other (the files fix the shapes)`);
  if (Object.hasOwn(job, 'maxLatencyRatio') && job.runs === 0)
    problems.push(`${place}: "maxLatencyRatio" needs timed runs, but "runs" is 0`);
  return problems;
}

/**
 * One InputError for every problem of a config: `<source>: <problem>`, or a count and a line each
 * (eight at most, so the refusal stays a few lines long).
 */
export function problemsError(source: string, problems: readonly string[], hint: string): InputError {
  const listed =
    problems
      .slice(0, 8)
      .map((p) => `\n  - ${p}`)
      .join('') + (problems.length > 8 ? `\n  - … (${problems.length} in all)` : '');
  const text = problems.length === 1 ? ` ${problems[0]}` : ` ${problems.length} problems:${listed}`;
  return new InputError(`${source}:${text}`, hint);
}

/** Line and column of a character offset, for JSON syntax errors. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/**
 * Parses and checks a config's text. `source` names the file in messages.
 * @throws InputError listing every problem found (unknown keys with the nearest known one, wrong types,
 *   missing keys, duplicate names, no jobs), each naming the job and the key.
 */
export function parseCiConfig(text: string, source: string): CiConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /at position (\d+)/.exec(message);
    throw new InputError(
      `${source} is not valid JSON: ${message}${at ? ` (${lineColumn(text, Number(at[1]))})` : ''}`,
      CONFIG_HINT,
    );
  }
  const fail = (problems: readonly string[]): never => {
    throw problemsError(source, problems, CONFIG_HINT);
  };
  if (!isObject(doc)) return fail(['the config must be a JSON object {"jobs": [...]}']);
  const problems: string[] = [];
  for (const key of Object.keys(doc)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      const near = nearestNames(key, CONFIG_KEYS, 1)[0];
      problems.push(`unknown top-level key "${key}"${near ? ` (did you mean "${near}"?)` : ''}`);
    }
  }
  if (Object.hasOwn(doc, '$schema') && typeof doc.$schema !== 'string') problems.push('"$schema" must be a string');
  if (!Object.hasOwn(doc, 'jobs')) problems.push('"jobs" is missing');
  else if (!Array.isArray(doc.jobs)) problems.push(`"jobs" must be a list of jobs, got ${shown(doc.jobs)}`);
  else if (doc.jobs.length === 0) problems.push('"jobs" is empty: give at least one job');
  else {
    doc.jobs.forEach((job, i) => {
      problems.push(...jobProblems(job, i));
    });
    const seen = new Map<string, number>();
    doc.jobs.forEach((job, i) => {
      if (!isObject(job) || typeof job.name !== 'string') return;
      // Case-insensitively: names become file names in --out, and some file systems fold case.
      const key = job.name.toLowerCase();
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else
        problems.push(
          `${jobPlace(i, job.name)}: "name" repeats the name of jobs[${first}]${(doc.jobs as Record<string, unknown>[])[first]!.name === job.name ? '' : ' (names are compared ignoring case)'}`,
        );
    });
  }
  if (problems.length) fail(problems);
  return { jobs: (doc.jobs as CiJob[]).map((j) => ({ ...j })) };
}
