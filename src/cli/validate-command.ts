/** `sge-inject validate ORIGINAL REWRITTEN`, and the validation step of `--validate`. */
import type { ModelProto } from '../codec/types.js';
import { InputError, UsageError, ValidationFailure } from '../errors.js';
import type { ValidateCliOptions, ValidationCliOptions } from './program.js';
import { parseInteger, parseNonNegative, parsePositiveInt } from '../shell/parse.js';
import type { CliIo } from './io.js';
import { EXIT_OK, EXIT_VALIDATION } from './exit-codes.js';
import { validationFailedLine } from '../shell/validation.js';
import type { ModelSource, ValidateOptions } from '../validate/node/validate-sge.js';
import type { ValidationReport } from '../validate/report-types.js';

/** How to validate and print. */
export interface ValidateRun {
  readonly json: boolean;
  readonly io: CliIo;
  readonly options?: ValidateOptions;
  /** Extra fields merged into the JSON report (the inject report of `--validate`). */
  readonly extra?: Record<string, unknown>;
  /** Where the rewritten model was written, said again when validation fails (it is kept). */
  readonly outputNote?: string;
}

/**
 * Runs validation (onnxruntime is loaded only now) and prints the report; returns 0 when every check
 * passed and 1 otherwise.
 */
export async function validateAndReport(
  original: ModelSource | ModelProto,
  rewritten: ModelSource | ModelProto,
  run: ValidateRun,
): Promise<number> {
  const { validateSge, formatReport, reportToJson, createProgressLine } = await import('../validate/index.js');
  const progress = createProgressLine({ isTTY: run.io.stderrIsTty, write: (t) => run.io.stderr(t) });
  let report: ValidationReport;
  try {
    report = await validateSge(original, rewritten, { ...run.options, onProgress: progress.onProgress });
  } catch (err) {
    if (err instanceof ValidationFailure && run.outputNote) {
      throw new ValidationFailure(`${err.message}\n  the rewritten model was kept: ${run.outputNote}`, { cause: err });
    }
    // e.g. the --inputs files do not fit the model: bad input (exit 2), but the output already exists.
    if (err instanceof InputError && run.outputNote) {
      const Kind = err instanceof UsageError ? UsageError : InputError;
      throw new Kind(
        `${err.message}\n  validation did not run; the rewritten model was written: ${run.outputNote}`,
        err.hint,
        { cause: err },
      );
    }
    throw err;
  } finally {
    progress.done();
  }
  if (run.json) {
    run.io.stdout(`${JSON.stringify({ ...(run.extra ?? {}), validation: reportToJson(report) }, null, 2)}\n`);
  } else {
    run.io.stdout(formatReport(report));
  }
  if (!report.passed) {
    run.io.stderr(`${validationFailedLine(report.failures)}\n`);
    if (run.outputNote) run.io.stderr(`  the rewritten model was kept: ${run.outputNote}\n`);
    return EXIT_VALIDATION;
  }
  return EXIT_OK;
}

/** The validation options as given on the command line, parsed (absent ones stay undefined). */
export async function parseValidationOptions(options: ValidationCliOptions): Promise<ValidateOptions> {
  const { parseShapeOption, parseDimOption } = await import('../validate/inputs.js');
  // Absent options stay undefined: validateSge treats any shapes/dims object as given (it refuses them beside --inputs).
  const shapes = options.shape?.length ? Object.fromEntries(options.shape.map(parseShapeOption)) : undefined;
  const dims = options.dim?.length ? Object.fromEntries(options.dim.map(parseDimOption)) : undefined;
  const runs =
    options.runs === undefined ? undefined : options.runs === '0' ? 0 : parsePositiveInt('--runs', options.runs);
  return {
    inputsDir: options.inputs,
    shapes,
    dims,
    runs,
    seed: options.seed === undefined ? undefined : parseInteger('--seed', options.seed),
    rtol: options.rtol === undefined ? undefined : parseNonNegative('--rtol', options.rtol),
    atol: options.atol === undefined ? undefined : parseNonNegative('--atol', options.atol),
  };
}

/** The validation options given (by their flags), for commands that take them only with --validate. */
export function givenValidationOptions(options: ValidationCliOptions): string[] {
  const flags: Array<[keyof ValidationCliOptions, string]> = [
    ['inputs', '--inputs'],
    ['shape', '--shape'],
    ['dim', '--dim'],
    ['runs', '--runs'],
    ['seed', '--seed'],
    ['rtol', '--rtol'],
    ['atol', '--atol'],
  ];
  return flags.filter(([key]) => options[key] !== undefined).map(([, flag]) => flag);
}

/**
 * The parsed validation options of a command that writes a model (inject, fuse): undefined without
 * --validate.
 * @throws UsageError when validation options are given without --validate.
 */
export async function validationOptionsFor(
  options: ValidationCliOptions & { readonly validate?: boolean },
): Promise<ValidateOptions | undefined> {
  const loose = givenValidationOptions(options);
  if (loose.length && !options.validate)
    throw new UsageError(
      `${loose.join(', ')} ${loose.length === 1 ? 'applies' : 'apply'} only with --validate`,
      'add --validate, or drop them',
    );
  return options.validate ? parseValidationOptions(options) : undefined;
}

/** Runs `validate`; returns the exit status. */
export async function runValidate(
  originalPath: string,
  rewrittenPath: string,
  options: ValidateCliOptions,
  io: CliIo,
): Promise<number> {
  const validateOptions = await parseValidationOptions(options);
  return validateAndReport(originalPath, rewrittenPath, { json: Boolean(options.json), io, options: validateOptions });
}
