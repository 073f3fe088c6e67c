/**
 * A progress line for the CLI: written to a TTY stream (stderr) only, and only once the work has
 * taken more than a second, then rewritten in place and cleared at the end. The library itself never
 * prints; it calls `onProgress`, and this is what the CLI passes.
 */
import type { ProgressEvent } from './settings.js';

/** The stream the line goes to (process.stderr satisfies it). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** A progress sink: pass `onProgress` to validateSge, call `done()` when it returns or throws. */
export interface ProgressLine {
  readonly onProgress: (event: ProgressEvent) => void;
  done(): void;
}

/** Options of {@link createProgressLine}. */
export interface ProgressLineOptions {
  /** Milliseconds of quiet before the first line (default 1000). */
  readonly delayMs?: number;
  /** Clock, for tests (default performance.now). */
  readonly now?: () => number;
}

/** A progress line on `stream` (nothing at all when it is not a TTY). */
export function createProgressLine(stream: ProgressStream, options: ProgressLineOptions = {}): ProgressLine {
  const now = options.now ?? (() => performance.now());
  const delay = options.delayMs ?? 1000;
  const start = now();
  let shown = false;
  return {
    onProgress(event) {
      if (!stream.isTTY || now() - start < delay) return;
      const counter = event.total ? ` ${event.done ?? 0}/${event.total}` : '';
      stream.write(`\r\x1b[2K${event.message}${counter}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
