/** Reading a small input file whole (a params file, an input tensor), refusing what is not a regular file. */
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { readError } from './fs-errors.js';
import { nonRegularKind } from './target.js';

/**
 * The bytes of the regular file at `path`. A FIFO would block until some writer comes, a device such as
 * /dev/zero never ends: both are refused before reading. `what` names the file in messages.
 * @throws InputError for a missing, unreadable or non-regular file
 */
export async function readInputFile(path: string, what: string): Promise<Uint8Array> {
  try {
    const kind = nonRegularKind(await stat(path));
    if (kind && kind !== 'a folder')
      throw new InputError(`${path}: the ${what} is ${kind}, not a regular file`, `give the path of a regular ${what}`);
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw err instanceof InputError ? err : readError(err, path, what);
  }
}
