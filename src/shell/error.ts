/**
 * An error as the user reads it: the same lines in the terminal (stderr) and in the page. Which kind
 * it is decides the CLI's exit status; the page shows the lines alike.
 */
import { InputError, ValidationFailure } from '../errors.js';

/** What an error is to the user: their input, a failed validation, or a bug in sge-inject. */
export type ErrorKind = 'input' | 'validation' | 'internal';

/** The kind of an error and its text: `sge-inject: <message>`, then `  → <hint>` when there is one. */
export interface ErrorText {
  readonly kind: ErrorKind;
  /** Lines without trailing newlines; the stack trace is added only when asked for. */
  readonly lines: readonly string[];
}

/** Describes `err` for the user; `debug` adds the stack trace. */
export function describeError(err: unknown, debug = false): ErrorText {
  if (err instanceof InputError) {
    const lines = [`sge-inject: ${err.message}`];
    if (err.hint) lines.push(`  → ${err.hint}`);
    if (debug && err.stack) lines.push(err.stack);
    return { kind: 'input', lines };
  }
  if (err instanceof ValidationFailure) {
    const lines = [`sge-inject: ${err.message}`];
    if (debug && err.stack) lines.push(err.stack);
    return { kind: 'validation', lines };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    kind: 'internal',
    lines: [
      `sge-inject: internal error (a bug in sge-inject, please report it): ${e.message}`,
      debug && e.stack ? e.stack : '  → run again with --debug to see the stack trace',
    ],
  };
}
