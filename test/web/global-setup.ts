/**
 * Builds the web page (dist-web/) once before the tests when it is missing or older than its sources
 * (web/, src/, the build script): the browser tests serve the built folder, as `sge-inject web` does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { newerThan } from '../helpers/stale.js';

const ROOT = resolve(import.meta.dirname, '../..');

export default function setup(): void {
  const built = join(ROOT, 'dist-web/worker.js');
  const sources = { files: [join(ROOT, 'scripts/build-web.mjs')], dirs: [join(ROOT, 'web'), join(ROOT, 'src')] };
  if (existsSync(built) && !newerThan(statSync(built).mtimeMs, sources.files, sources.dirs)) return;
  console.log('[test/web] building dist-web/ (npm run build:web)');
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], { cwd: ROOT, stdio: 'pipe' });
}
