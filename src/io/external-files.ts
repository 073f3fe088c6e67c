/**
 * External data files in Node: the {@link ExternalDataSource} of a model's folder (read through the
 * checked reader of src/external), and byte ranges of any data file for streaming copies.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ExternalDataSource, ExternalFile } from '../external/reader.js';
import { readError } from './fs-errors.js';

/** Largest single read (Node refuses reads above 2 GiB). */
const READ_PIECE = 1 << 30;

/** Reads `length` bytes at `position` into a new buffer, in pieces, failing on a short file. */
async function readRange(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const want = Math.min(READ_PIECE, length - done);
    const { bytesRead } = await fh.read(out, done, want, position + done);
    if (bytesRead === 0) throw new RangeError(`unexpected end of file after ${position + done} bytes`);
    done += bytesRead;
  }
  return out;
}

/**
 * Opens a data file by path.
 * @throws InputError when it is missing or unreadable (other errors unchanged).
 */
export async function openDataFile(path: string): Promise<ExternalFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw readError(err, path, 'external data file');
  }
  let size: number;
  try {
    size = (await fh.stat()).size;
  } catch (err) {
    await fh.close();
    throw readError(err, path, 'external data file');
  }
  return {
    size,
    read: (offset, length) => readRange(fh, offset, length),
    close: () => fh.close(),
  };
}

/** The external data files of a model whose locations are relative to `baseDir`. */
export function folderSource(baseDir: string): ExternalDataSource {
  return { open: (location) => openDataFile(resolve(baseDir, location)) };
}
