/**
 * Type checks of the library's option objects. TypeScript callers get these from the types; JavaScript
 * callers (and data from JSON) get a TypeError naming the option and what it must be, instead of a raw
 * "cannot read properties of undefined" from deep inside, or a wrong diagnosis (`opTypes: 'Conv'` is a
 * string, not "every match removed by --exclude").
 */

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string '${value.slice(0, 40)}'`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** Checks that `value` is an object (the options argument itself). */
export function checkOptionsObject(fn: string, value: unknown, example: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${fn}: options must be an object, e.g. ${example}; got ${describe(value)}`);
}

/** Checks an array of strings; `required` also refuses undefined. */
export function checkStringList(
  fn: string,
  name: string,
  value: unknown,
  required = false,
  example = "['Conv']",
): void {
  if (value === undefined && !required) return;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    const hint = typeof value === 'string' ? `: wrap it in an array, [${JSON.stringify(value)}]` : `, e.g. ${example}`;
    throw new TypeError(`${fn}: options.${name} must be an array of strings${hint}; got ${describe(value)}`);
  }
}

/** Checks an optional number (its range is checked where it is used, with a UsageError). */
export function checkNumber(fn: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'number')
    throw new TypeError(`${fn}: options.${name} must be a number; got ${describe(value)}`);
}

/** Checks an optional boolean. */
export function checkBoolean(fn: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean')
    throw new TypeError(`${fn}: options.${name} must be true or false; got ${describe(value)}`);
}

/** Checks an optional parsed parameter file (what parseSgeParams returns). */
export function checkParams(fn: string, value: unknown): void {
  if (value === undefined) return;
  const sites = (value as { sites?: unknown } | null)?.sites;
  if (typeof value !== 'object' || value === null || !(sites instanceof Map))
    throw new TypeError(
      `${fn}: options.params must be a parsed parameter file (the result of parseSgeParams); got ${describe(value)}`,
    );
}
