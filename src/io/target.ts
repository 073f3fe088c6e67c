/**
 * What an output path may be replaced over. Atomic writes end in a rename, and a rename replaces
 * whatever has that name: a character device (`-o /dev/null` as root would destroy the system's
 * /dev/null), a FIFO another program reads, a socket. Only a regular file (or nothing) is replaced.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InputError } from '../errors.js';

/** 'a character device', 'a FIFO', … for anything that is not a regular file; undefined for one. */
export function nonRegularKind(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The refusal for an output path occupied by `kind`. */
export function notReplaceable(given: string, kind: string): InputError {
  return new InputError(
    `the output ${given} exists and is ${kind}, not a regular file`,
    'sge-inject only ever replaces regular files: choose another output path (-o)',
  );
}

/**
 * Checks that `path` is free or a regular file (symbolic links followed: a link to /dev/null is
 * /dev/null). `given` names it in the message.
 * @throws InputError otherwise
 */
export async function checkReplaceable(path: string, given = path): Promise<void> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch {
    return; // nothing there (or nothing we can see): the write itself reports what goes wrong
  }
  const kind = nonRegularKind(st);
  if (kind) throw notReplaceable(given, kind);
}
