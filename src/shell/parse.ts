/** Strict parsers for option values: anything not exactly of the expected form is a UsageError. */
import { UsageError } from '../errors.js';

/** A positive whole number, written in decimal digits only. */
export function parsePositiveInt(option: string, text: string): number {
  const t = text.trim();
  if (!/^[+]?\d+$/.test(t)) {
    const hint = /^-/.test(t)
      ? 'it must be positive'
      : /^[+-]?\d*\.\d+$/.test(t)
        ? 'it must be a whole number'
        : 'it must be a number';
    throw new UsageError(`${option} '${text}' is not valid: ${hint}`, `e.g. ${option} 64`);
  }
  const n = Number(t);
  if (!Number.isSafeInteger(n))
    throw new UsageError(
      `${option} '${text}' is not valid: it is too large (at most ${Number.MAX_SAFE_INTEGER})`,
      `e.g. ${option} 64`,
    );
  if (n < 1) throw new UsageError(`${option} '${text}' is not valid: it must be at least 1`, `e.g. ${option} 64`);
  return n;
}

/** A finite non-negative number (tolerances). */
export function parseNonNegative(option: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${option} '${text}' is not a non-negative number`, `e.g. ${option} 1e-4`);
  return n;
}

/** A finite number of seconds above 0 (timeouts). */
export function parseSeconds(option: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`${option} '${text}' is not a number of seconds above 0`, `e.g. ${option} 600`);
  return n;
}

/** An integer (seeds). */
export function parseInteger(option: string, text: string): number {
  if (!/^[+-]?\d+$/.test(text.trim()))
    throw new UsageError(`${option} '${text}' is not an integer`, `e.g. ${option} 0`);
  const n = Number(text);
  if (!Number.isSafeInteger(n))
    throw new UsageError(
      `${option} '${text}' is too large (at most ${Number.MAX_SAFE_INTEGER} either way)`,
      `e.g. ${option} 0`,
    );
  return n;
}

/** Collector for repeatable options. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `Conv,ConvTranspose` → ['Conv', 'ConvTranspose']. */
export function parseList(value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError(`'${value}' names no op type`, 'e.g. --op-types Conv');
  return items;
}
