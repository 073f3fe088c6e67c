/**
 * Atomic file replacement: content goes to a temporary file in the target's folder (same file
 * system, so the final rename is atomic), is flushed to disk, then renamed over the target. Until
 * the rename the old target is untouched; on failure, or on SIGINT/SIGTERM/SIGHUP during a write,
 * the temporary file is removed.
 */
import { constants, unlinkSync } from 'node:fs';
import { chmod, copyFile, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { checkReplaceable } from './target.js';

/** Buffers per writev call (Linux IOV_MAX is 1024). */
const MAX_IOV = 1024;
/** Bytes per writev call: Linux writes at most 2 GiB - 4 KiB per call, so stay well below. */
const MAX_WRITE_BYTES = 1 << 30;

// ---- cleanup of temporary files when the process is interrupted ----------------------------

const live = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function removeLiveSync(): void {
  for (const p of live) {
    try {
      unlinkSync(p);
    } catch {
      /* already gone */
    }
  }
  live.clear();
}

/**
 * Temporary files being created right now: the open (or copy) runs on libuv's thread pool, so the file
 * may appear after a signal handler has removed every file it knew of. A signal that arrives then is
 * held until they exist, and removed; only then does the process end (a Ctrl-C at that moment used to
 * leave a temporary file behind).
 */
let creating = 0;
let heldSignal: NodeJS.Signals | undefined;

function onSignal(signal: NodeJS.Signals): void {
  removeLiveSync();
  if (creating > 0) {
    heldSignal = signal;
    return;
  }
  terminate(signal);
}

function terminate(signal: NodeJS.Signals): void {
  uninstall();
  // Without other listeners the signal's default action (terminate) is what the user asked for.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

/** Runs the creation of the temporary file `path` (tracked first) so that a signal meanwhile removes it too. */
async function create<T>(path: string, op: () => Promise<T>): Promise<T> {
  track(path);
  creating++;
  try {
    return await op();
  } finally {
    creating--;
    if (heldSignal) {
      try {
        unlinkSync(path);
      } catch {
        /* never created */
      }
      if (creating === 0) terminate(heldSignal);
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('exit', removeLiveSync);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off('exit', removeLiveSync);
}

function track(path: string): void {
  live.add(path);
  install();
}

function untrack(path: string): void {
  live.delete(path);
  if (live.size === 0) uninstall();
}

/** Paths of temporary files currently being written by this process (for tests and diagnostics). */
export function liveTempFiles(): string[] {
  return [...live];
}

// ---- pending files -------------------------------------------------------------------------

/** The temporary name used for `target`: hidden, in the same folder, unique per process and call. */
export function tempPathFor(target: string): string {
  // The target's name may be close to the file system's limit (255 bytes): the temporary name must not pass it.
  let name = basename(target);
  while (Buffer.byteLength(name) > MAX_TEMP_STEM_BYTES) name = name.slice(0, -1);
  return join(dirname(target), `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Bytes of the target's name kept in a temporary name (NAME_MAX 255 minus the pid, random part and dots). */
const MAX_TEMP_STEM_BYTES = 200;

/** Gives the temporary file the permissions of the file it will replace, if there is one. */
async function keepMode(temp: string, target: string): Promise<void> {
  try {
    const st = await stat(target);
    if (st.isFile()) await chmod(temp, st.mode & 0o7777);
  } catch {
    /* no previous file: the default mode (umask) applies */
  }
}

/** A file written under a temporary name, to be committed (renamed over its target) or discarded. */
export class PendingFile {
  private fh: FileHandle | undefined;
  private pos = 0;
  private done = false;

  private constructor(
    readonly target: string,
    readonly tempPath: string,
  ) {}

  /** Creates the temporary file beside `target` (exclusively: never reuses an existing file). */
  static async create(target: string): Promise<PendingFile> {
    const file = new PendingFile(target, tempPathFor(target));
    try {
      file.fh = await create(file.tempPath, () => open(file.tempPath, 'wx'));
    } catch (err) {
      untrack(file.tempPath);
      throw err;
    }
    await keepMode(file.tempPath, target).catch(() => undefined);
    return file;
  }

  /**
   * Makes the temporary file a copy of `source` (a reflink where the file system can, otherwise a
   * kernel-side copy: the data does not pass through this process's memory).
   */
  static async copyOf(source: string, target: string): Promise<PendingFile> {
    const file = new PendingFile(target, tempPathFor(target));
    try {
      await create(file.tempPath, () =>
        copyFile(source, file.tempPath, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE),
      );
      file.fh = await open(file.tempPath, 'r+');
      const st = await file.fh.stat();
      file.pos = st.size;
    } catch (err) {
      await file.discard();
      throw err;
    }
    return file;
  }

  /** Bytes written so far (the next write's offset). */
  get position(): number {
    return this.pos;
  }

  /** Appends `chunks` with as few writev calls as possible, copying nothing. */
  async write(chunks: Iterable<Uint8Array>): Promise<void> {
    let batch: Uint8Array[] = [];
    let bytes = 0;
    for (const chunk of chunks) {
      for (let off = 0; off < chunk.length; off += MAX_WRITE_BYTES) {
        const piece = off === 0 && chunk.length <= MAX_WRITE_BYTES ? chunk : chunk.subarray(off, off + MAX_WRITE_BYTES);
        if (batch.length === MAX_IOV || bytes + piece.length > MAX_WRITE_BYTES) {
          await this.flush(batch, bytes);
          batch = [];
          bytes = 0;
        }
        batch.push(piece);
        bytes += piece.length;
      }
    }
    if (bytes > 0) await this.flush(batch, bytes);
  }

  private async flush(batch: Uint8Array[], bytes: number): Promise<void> {
    const fh = this.handle();
    while (bytes > 0) {
      const { bytesWritten } = await fh.writev(batch, this.pos);
      if (bytesWritten <= 0) throw new Error(`writing ${this.tempPath} made no progress`);
      this.pos += bytesWritten;
      bytes -= bytesWritten;
      if (bytes === 0) break;
      // A short write: continue after what was written.
      let skip = bytesWritten;
      let i = 0;
      while (skip >= batch[i]!.length) skip -= batch[i++]!.length;
      batch = [batch[i]!.subarray(skip), ...batch.slice(i + 1)];
    }
  }

  private handle(): FileHandle {
    if (!this.fh || this.done) throw new Error(`${this.tempPath} is no longer open`);
    return this.fh;
  }

  /** Flushes the content to disk (unless `durable` is false) and closes the file. */
  async finish(durable = true): Promise<void> {
    const fh = this.handle();
    if (durable) await fh.sync();
    this.fh = undefined;
    await fh.close();
  }

  /**
   * Renames the temporary file over the target (atomic on POSIX file systems). A target that became
   * a device, FIFO or folder since the caller checked is refused here, at the last moment.
   */
  async commit(): Promise<void> {
    if (this.fh) await this.finish();
    await checkReplaceable(this.target);
    await rename(this.tempPath, this.target);
    this.done = true;
    untrack(this.tempPath);
  }

  /** Closes and removes the temporary file; never throws. */
  async discard(): Promise<void> {
    if (this.done) return;
    this.done = true;
    const fh = this.fh;
    this.fh = undefined;
    if (fh) await fh.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
    untrack(this.tempPath);
  }
}

/** Flushes a folder's entry table so completed renames survive a crash (best effort). */
export async function syncFolder(folder: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(folder, 'r');
    await fh.sync();
  } catch {
    /* not supported on every file system */
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Writes `chunks` to `target` atomically: the old file stays complete until the new one is.
 * @param durable flush to disk before the rename (default true)
 */
export async function writeFileAtomic(target: string, chunks: Iterable<Uint8Array>, durable = true): Promise<void> {
  const file = await PendingFile.create(target);
  try {
    await file.write(chunks);
    await file.finish(durable);
    await file.commit();
  } catch (err) {
    await file.discard();
    throw err;
  }
  if (durable) await syncFolder(dirname(target));
}
