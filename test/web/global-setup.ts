/**
 * Builds the web page (dist-web/) once before the tests when it is missing or older than its sources
 * (web/, src/, the build script): the browser tests serve the built folder, as `sge-inject web` does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const built = join(ROOT, 'dist-web/worker.js');
  const sources = Math.max(
    newest(join(ROOT, 'web')),
    newest(join(ROOT, 'src')),
    statSync(join(ROOT, 'scripts/build-web.mjs')).mtimeMs,
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  console.log('[test/web] building dist-web/ (npm run build:web)');
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], { cwd: ROOT, stdio: 'pipe' });
}
