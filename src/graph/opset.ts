/** Opset imports, model-local functions and the IR version. */
import type { FunctionProto, ModelProto } from '../codec/types.js';
import { int64ToNumber } from '../codec/int64.js';
import { InputError } from '../errors.js';
import { ownArray } from './scopes.js';

/** '' and 'ai.onnx' are one domain; returns the canonical form (''). The one place that says so. */
export function canonicalDomain(domain: string | undefined): string {
  return !domain || domain === 'ai.onnx' ? '' : domain;
}

/** True for the default domain, written '' or 'ai.onnx'. */
export function isDefaultDomain(domain: string | undefined): boolean {
  return canonicalDomain(domain) === '';
}

/** The model's opset version for `domain` ('' or 'ai.onnx' for the default domain), if imported. */
export function opsetVersion(model: ModelProto, domain = ''): number | undefined {
  const want = canonicalDomain(domain);
  for (const o of model.opset_import) if (canonicalDomain(o.domain) === want) return int64ToNumber(o.version);
  return undefined;
}

/**
 * Imports `domain` at `version`. Already imported at that version: nothing changes. At another version:
 * an InputError, since the model's nodes were written against that one.
 * @returns true when an import was added.
 */
export function addOpsetImport(model: ModelProto, domain: string, version: number): boolean {
  const have = opsetVersion(model, domain);
  if (have === version) return false;
  if (have !== undefined) {
    throw new InputError(`the model already imports domain '${domain}' at version ${have}, not ${version}`);
  }
  ownArray(model, 'opset_import').push({ domain, version });
  return true;
}

/** Removes the import of `domain`; true when one was removed. */
export function removeOpsetImport(model: ModelProto, domain: string): boolean {
  const want = canonicalDomain(domain);
  const before = model.opset_import.length;
  model.opset_import = model.opset_import.filter((o) => canonicalDomain(o.domain) !== want);
  return model.opset_import.length !== before;
}

/** The model-local function with this identity, if any. */
export function findFunction(
  model: ModelProto,
  domain: string,
  name: string,
  overload = '',
): FunctionProto | undefined {
  return model.functions.find(
    (f) => (f.domain ?? '') === domain && (f.name ?? '') === name && (f.overload ?? '') === overload,
  );
}

/**
 * Adds a model-local function. If one with the same (domain, name, overload) exists it is kept and
 * nothing changes: functions are looked up by that identity, so two definitions would conflict.
 * @returns true when added.
 */
export function addFunction(model: ModelProto, fn: FunctionProto): boolean {
  if (findFunction(model, fn.domain ?? '', fn.name ?? '', fn.overload ?? '')) return false;
  ownArray(model, 'functions').push(fn);
  return true;
}

/** Metadata key under which the IR version before our edit is kept. */
export const ORIGINAL_IR_KEY = 'sge-inject.original_ir_version';

/** The model's IR version as a number (0 when absent). */
export function irVersion(model: ModelProto): number {
  return int64ToNumber(model.ir_version, 0);
}

/**
 * Raises the IR version to at least `min`, recording the original in metadata_props under
 * {@link ORIGINAL_IR_KEY} (once: a second raise keeps the first original) so it can be restored.
 * @returns the version before, or undefined when nothing changed.
 */
export function raiseIrVersion(model: ModelProto, min: number): number | undefined {
  const before = irVersion(model);
  if (before >= min) return undefined;
  model.ir_version = min;
  if (!model.metadata_props.some((e) => e.key === ORIGINAL_IR_KEY)) {
    ownArray(model, 'metadata_props').push({ key: ORIGINAL_IR_KEY, value: String(before) });
  }
  return before;
}

/**
 * Restores the IR version recorded by {@link raiseIrVersion} and removes the record. Only our own
 * raise is ever undone. @returns the restored version, or undefined when there was no record.
 */
export function restoreIrVersion(model: ModelProto): number | undefined {
  const entry = model.metadata_props.find((e) => e.key === ORIGINAL_IR_KEY);
  if (!entry) return undefined;
  const v = Number(entry.value);
  if (!Number.isInteger(v) || v < 0)
    throw new InputError(`metadata ${ORIGINAL_IR_KEY} holds '${entry.value}', not an IR version`);
  model.ir_version = v;
  model.metadata_props = model.metadata_props.filter((e) => e !== entry);
  return v;
}
