/** Staleness of built output for the test setups: which source file is newer than what was built from it. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The first file below `dir` (depth first) for which `stale` holds. */
export function firstStale(dir: string, stale: (path: string) => boolean): string | undefined {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const found = e.isDirectory() ? firstStale(p, stale) : stale(p) ? p : undefined;
    if (found) return found;
  }
  return undefined;
}

/** The first of `files`, or of the files below `dirs`, modified after `builtMs`. */
export function newerThan(builtMs: number, files: readonly string[], dirs: readonly string[]): string | undefined {
  const newer = (p: string): boolean => statSync(p).mtimeMs > builtMs;
  return files.find(newer) ?? dirs.reduce<string | undefined>((found, d) => found ?? firstStale(d, newer), undefined);
}
