/**
 * External data references: reading a tensor's `external_data` entries and deciding whether a
 * location is safe. onnx and onnxruntime 1.30 refuse locations that are absolute or climb out of the
 * model's folder with `..`, so those are never written. Runs in Node and browsers alike.
 */
import { InputError } from '../errors.js';
import { copyMessage } from '../codec/copy.js';
import { DataLocation, type StringStringEntryProto, type TensorProto } from '../codec/types.js';

/** A tensor's external data reference (`external_data` keys location/offset/length). */
export interface ExternalRef {
  readonly location: string;
  readonly offset: number;
  /** Absent means "to the end of the file". */
  readonly length?: number;
}

/** True when the tensor's data lives in an external file. */
export function isExternal(t: TensorProto): boolean {
  return t.data_location === DataLocation.EXTERNAL;
}

function entryValue(entries: readonly StringStringEntryProto[], key: string): string | undefined {
  for (const e of entries) if (e.key === key) return e.value ?? '';
  return undefined;
}

function parseCount(value: string | undefined, key: string, where: string, source: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InputError(
      `${source}: ${where} has external data ${key} '${value}', not a byte count`,
      'the model file is damaged; re-export it',
    );
  }
  return Number(value);
}

/** Reads a tensor's external reference; `source` (the model file) and `where` name it in errors. */
export function externalRef(t: TensorProto, where: string, source: string): ExternalRef {
  const entries = t.external_data ?? [];
  const location = entryValue(entries, 'location');
  if (!location) {
    throw new InputError(
      `${source}: ${where} is marked as external data but has no location`,
      'the model file is damaged; re-export it',
    );
  }
  const offset = parseCount(entryValue(entries, 'offset'), 'offset', where, source) ?? 0;
  const length = parseCount(entryValue(entries, 'length'), 'length', where, source);
  return length === undefined ? { location, offset } : { location, offset, length };
}

/**
 * The location in the canonical form it is written in (`./a/b` → `a/b`), or undefined when it
 * cannot be written as is: absolute, a Windows drive or backslash path, or one that leaves the
 * model's folder through `..`.
 */
export function safeLocation(location: string): string | undefined {
  if (location === '' || location.includes('\0') || location.includes('\\')) return undefined;
  if (location.startsWith('/') || /^[A-Za-z]:/.test(location)) return undefined;
  const parts = location.split('/');
  if (parts.includes('..')) return undefined;
  // POSIX normalization of a path without `..`: empty and `.` segments go; a trailing `/` names a folder.
  const kept = parts.filter((p) => p !== '' && p !== '.');
  if (kept.length === 0 || location.endsWith('/')) return undefined;
  return kept.join('/');
}

/** New external_data entries for `ref`, keeping any other keys (e.g. `checksum`) of `previous`. */
export function refEntries(
  ref: ExternalRef,
  previous: readonly StringStringEntryProto[] = [],
): StringStringEntryProto[] {
  const out: StringStringEntryProto[] = [{ key: 'location', value: ref.location }];
  out.push({ key: 'offset', value: String(ref.offset) });
  if (ref.length !== undefined) out.push({ key: 'length', value: String(ref.length) });
  for (const e of previous) {
    if (e.key !== 'location' && e.key !== 'offset' && e.key !== 'length') out.push(e);
  }
  return out;
}

/** The same entries with the location replaced, everything else (order, other keys) unchanged. */
export function replaceLocation(
  entries: readonly StringStringEntryProto[],
  location: string,
): StringStringEntryProto[] {
  return entries.map((e) => (e.key === 'location' ? copyMessage(e, { value: location }) : e));
}
