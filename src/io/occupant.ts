/**
 * What already sits at a path where a data file would be copied: nothing, a regular file (which may
 * be the very source, or an identical copy from an earlier save), or something else. Used so that
 * saving never replaces a user's file that merely shares a name with a data file.
 */
import { open, stat } from 'node:fs/promises';

/** A regular file's identity and size. */
export interface FileId {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
}

/** The regular file at `path`, 'none' when nothing is there, 'other' for a folder, device, etc. */
export async function occupant(path: string): Promise<FileId | 'none' | 'other'> {
  try {
    const st = await stat(path);
    return st.isFile() ? { dev: st.dev, ino: st.ino, size: st.size } : 'other';
  } catch (err) {
    return (err as { code?: string }).code === 'ENOENT' ? 'none' : 'other';
  }
}

/** True when both ids name the same file. */
export function sameFile(a: FileId, b: FileId): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

const PIECE = 4 << 20;

/** Compares two files of equal size byte for byte, a piece at a time (never reading either whole). */
export async function sameContent(a: string, b: string, size: number): Promise<boolean> {
  const [fa, fb] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    const ba = new Uint8Array(Math.min(PIECE, size));
    const bb = new Uint8Array(ba.length);
    for (let pos = 0; pos < size; pos += PIECE) {
      const n = Math.min(PIECE, size - pos);
      const [ra, rb] = await Promise.all([fa.read(ba, 0, n, pos), fb.read(bb, 0, n, pos)]);
      if (ra.bytesRead !== n || rb.bytesRead !== n) return false;
      if (Buffer.compare(ba.subarray(0, n), bb.subarray(0, n)) !== 0) return false;
    }
    return true;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}
