/** The line that says validation failed, printed (to stderr) under the report by the CLI and shown by the page. */

/** `sge-inject: validation failed: <the first five failures>`. */
export function validationFailedLine(failures: readonly string[]): string {
  return `sge-inject: validation failed: ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? '; …' : ''}`;
}
