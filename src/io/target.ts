/**
 * Output paths: the one place that decides whether a file may be written at a path (the CLI checks
 * before any work starts, saveModel again when it writes). Its folder must exist; the path itself must
 * be free or a regular file. What an output path may be replaced over: Atomic writes end in a rename, and a rename replaces
 * whatever has that name: a character device (`-o /dev/null` as root would destroy the system's
 * /dev/null), a FIFO another program reads, a socket, a symbolic link. Only a regular file (or nothing)
 * is replaced.
 */
import type { Stats } from 'node:fs';
import { lstat, readlink, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
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
 * Checks that a model can be written at `path` (`given` names it in messages, as the user wrote it): its
 * folder exists and is a folder, and the path is free or a regular file ({@link checkReplaceable}).
 * @throws InputError naming the problem and the way out
 */
export async function checkOutputTarget(path: string, given = path): Promise<void> {
  const folder = dirname(given);
  let st: Stats;
  try {
    st = await stat(dirname(resolve(path)));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new InputError(
        `cannot write ${given}: permission denied for the folder ${folder}`,
        'choose an output folder you can write to',
        { cause: err },
      );
    }
    if (code === 'ENOTDIR') throw new InputError(`${folder} is not a folder`, 'choose another -o path', { cause: err });
    throw new InputError(`the output folder ${folder} does not exist`, 'create it first, or choose another -o path', {
      cause: err,
    });
  }
  if (!st.isDirectory()) throw new InputError(`${folder} is not a folder`, 'choose another -o path');
  const out = await stat(path).catch(() => undefined);
  if (out?.isDirectory())
    throw new InputError(`the output ${given} is a folder`, 'give a file name, e.g. -o model.sge.onnx');
  await checkReplaceable(path, given);
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
