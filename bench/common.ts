// What every benchmark shares: where things are, argument reading, medians, and Debian's python3.
// Benchmarks run compiled into bench/out/js/ (see run.ts), so paths are found from the package root.
import { type SpawnSyncOptions, type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package root above ${from}`);
  }
}

/** The package root. */
export const ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));
/** Models made once and cached (git-ignored). */
export const OUT = join(ROOT, 'bench', 'out');
/** The Python generators (scripts/make_*.py). */
export const SCRIPTS = join(ROOT, 'scripts');
export const FIXTURES = join(ROOT, 'fixtures', 'models');
/** Debian's python3 has torch, torchvision and onnx; BENCH_PYTHON lets the skip path be tried. */
export const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';

/** The value after `name` on the command line, or `fallback`. */
export function arg(name: string, fallback: string): string;
export function arg(name: string): string | undefined;
export function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs {@link PYTHON}; a missing interpreter reads as a failed run. */
export function python(args: readonly string[], options: SpawnSyncOptions = {}): SpawnSyncReturns<string> {
  if (!existsSync(PYTHON)) {
    return { status: -1, stderr: `${PYTHON} not found`, stdout: '', pid: 0, output: [], signal: null };
  }
  return spawnSync(PYTHON, args, { ...options, encoding: 'utf8' });
}
