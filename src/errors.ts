/**
 * Error classes shared by every layer. The CLI maps them to exit codes: InputError and UsageError → 2,
 * ValidationFailure → 1, anything else → 70 (an internal error: a bug).
 */

/** Bad input (a file, a value in it, or a request the model cannot satisfy). `hint` says the way out. */
export class InputError extends Error {
  override readonly name: string = 'InputError';
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bad command-line usage or bad options to an API call. */
export class UsageError extends InputError {
  override readonly name: string = 'UsageError';
}

/** Validation ran and found a mismatch (or a model onnxruntime could not run). */
export class ValidationFailure extends Error {
  override readonly name: string = 'ValidationFailure';
}
