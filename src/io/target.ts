/**
 * What an output path may be replaced over. Atomic writes end in a rename, and a rename replaces
 * whatever has that name: a character device (`-o /dev/null` as root would destroy the system's
 * /dev/null), a FIFO another program reads, a socket, a symbolic link. Only a regular file (or nothing)
 * is replaced.
 */
import type { Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
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
 * Checks that `path` is free or a regular file. A symbolic link is refused too, whatever it points to:
 * the rename would replace the link itself (as root, `-o /dev/stdout` would replace the system's link to
 * /proc/self/fd/1 by a file). `given` names it in the message.
 * @throws InputError otherwise
 */
export async function checkReplaceable(path: string, given = path): Promise<void> {
  let st: Stats;
  try {
    st = await lstat(path);
  } catch {
    return; // nothing there (or nothing we can see): the write itself reports what goes wrong
  }
  if (st.isSymbolicLink()) {
    const to = await readlink(path).catch(() => '?');
    throw new InputError(
      `the output ${given} exists and is a symbolic link (to ${to}), not a regular file`,
      `writing replaces files atomically, which would replace the link itself: give the path it points to, or another output path (-o)`,
    );
  }
  const kind = nonRegularKind(st);
  if (kind) throw notReplaceable(given, kind);
}
