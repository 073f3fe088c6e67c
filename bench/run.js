// `npm run bench`: builds dist/ if it is missing or older than src/, then runs each benchmark in
// its own process. A benchmark is a file listed in BENCHES or any bench/*.bench.js; arguments
// filter by name (`npm run bench -- io`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const BENCHES = ['io.js'];

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function build() {
  const marker = join(ROOT, 'dist', 'io', 'index.js');
  if (existsSync(marker) && statSync(marker).mtimeMs >= newest(join(ROOT, 'src'))) return;
  console.log('building dist/ (tsc) ...');
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')],
    { stdio: 'inherit' },
  );
  if (!existsSync(marker)) process.exit(r.status || 1);
  if (r.status !== 0) console.warn('tsc reported errors (see above); benchmarking what it emitted');
}

const args = process.argv.slice(2);
const found = readdirSync(HERE).filter((f) => f.endsWith('.bench.js'));
const all = [...new Set([...BENCHES, ...found])];
// Arguments naming a benchmark select it; all arguments are passed on (e.g. --reps 3).
const filters = args.filter((a) => !a.startsWith('-') && all.some((f) => f.includes(a)));
const chosen = filters.length ? all.filter((f) => filters.some((x) => f.includes(x))) : all;
const passThrough = args.filter((a) => !filters.includes(a));

build();
let failed = 0;
for (const file of chosen) {
  console.log(`\n=== bench/${file} ===`);
  const r = spawnSync(process.execPath, [join(HERE, file), ...passThrough], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
