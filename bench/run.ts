// `npm run bench`: builds dist/ and the bundled CLI when missing or older than src/, compiles bench/ into bench/out/js/
// (type-only syntax stripped; `npm run lint` type-checks it), then runs every bench/*.bench.ts in its own
// process, importing the package as users do. Arguments naming a benchmark select it (`npm run bench -- io`);
// every other argument is passed on (e.g. `--reps 3`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './common.js';

const BENCH = join(ROOT, 'bench');
const COMPILED = join(BENCH, 'out', 'js');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function buildDist(): void {
  const marker = join(ROOT, 'dist', 'index.js');
  if (existsSync(marker) && statSync(marker).mtimeMs >= newest(join(ROOT, 'src'))) return;
  console.log('building dist/ (tsc) ...');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  if (!existsSync(marker)) process.exit(r.status || 1);
  if (r.status !== 0) console.warn('tsc reported errors (see above); benchmarking what it emitted');
}

/** The bin runs dist/cli-bundle/ (scripts/build-cli.mjs): rebuilt when older than src/, as dist/ is. */
function bundleCli(): void {
  const main = join(ROOT, 'dist', 'cli-bundle', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newest(join(ROOT, 'src'))) return;
  console.log('bundling the CLI (scripts/build-cli.mjs) ...');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}

/** Every bench/*.ts as plain JavaScript beside each other, so benchmarks (and their children) run without hooks. */
function compileBench(): void {
  mkdirSync(COMPILED, { recursive: true });
  for (const f of readdirSync(BENCH)) {
    if (!f.endsWith('.ts')) continue;
    const fileName = join(BENCH, f);
    const out = ts.transpileModule(readFileSync(fileName, 'utf8'), {
      fileName,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(COMPILED, f.replace(/\.ts$/, '.js')), out.outputText);
  }
}

const args = process.argv.slice(2);
const all = readdirSync(BENCH).filter((f) => f.endsWith('.bench.ts'));
const filters = args.filter((a) => !a.startsWith('-') && all.some((f) => f.includes(a)));
const chosen = filters.length ? all.filter((f) => filters.some((x) => f.includes(x))) : all;
const passThrough = args.filter((a) => !filters.includes(a));

buildDist();
bundleCli();
compileBench();
let failed = 0;
for (const file of chosen) {
  console.log(`\n=== bench/${file} ===`);
  const script = join(COMPILED, file.replace(/\.ts$/, '.js'));
  const r = spawnSync(process.execPath, [script, ...passThrough], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
