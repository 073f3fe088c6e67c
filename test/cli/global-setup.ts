/**
 * Builds dist/ once before the tests when it is missing or older than src/: the process-level CLI
 * tests run bin/sge-inject.js, which runs the bundled CLI (dist/cli-bundle/, scripts/build-cli.mjs),
 * and the in-process tests import the tsc build. `npm ci` builds both already (prepare); this catches a
 * stale build during development.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { firstStale, newerThan } from '../helpers/stale.js';

const ROOT = resolve(import.meta.dirname, '../..');

const BUNDLE = join(ROOT, 'dist', 'cli-bundle', 'main.js');
const BUNDLER = join(ROOT, 'scripts', 'build-cli.mjs');

/** A source file newer than its tsc output, or whose output is missing. */
function staleOrMissing(): string | undefined {
  const src = join(ROOT, 'src');
  return firstStale(src, (p) => {
    if (!p.endsWith('.ts') || p.endsWith('.d.ts')) return false;
    const out = join(ROOT, 'dist', p.slice(src.length).replace(/\.ts$/, '.js'));
    return !existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs;
  });
}

/** A source file (or the bundler script, or package.json) newer than the bundle, or the bundle missing. */
function bundleStale(): string | undefined {
  if (!existsSync(BUNDLE)) return BUNDLE;
  return newerThan(statSync(BUNDLE).mtimeMs, [BUNDLER, join(ROOT, 'package.json')], [join(ROOT, 'src')]);
}

export default function setup(): void {
  buildDist();
  const staleBundle = bundleStale();
  if (staleBundle) {
    console.log(`[test/cli] bundling the CLI (${staleBundle} is newer than dist/cli-bundle/)`);
    execFileSync(process.execPath, [BUNDLER], { cwd: ROOT, stdio: 'pipe' });
  }
}

function buildDist(): void {
  const stale = staleOrMissing();
  if (!stale) return;
  console.log(`[test/cli] building dist/ (${stale} is newer than its build)`);
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], {
      cwd: ROOT,
      stdio: 'pipe',
    });
  } catch (err) {
    // tsc still emits JavaScript when there are type errors; say so loudly, the type check is not ours to fail.
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? String(err);
    console.warn(`[test/cli] tsc reported errors (dist/ was still emitted):\n${out.slice(0, 4000)}`);
  }
  if (!existsSync(join(ROOT, 'dist/cli/main.js')))
    throw new Error('dist/cli/main.js is missing after the build: the CLI process tests cannot run');
}
