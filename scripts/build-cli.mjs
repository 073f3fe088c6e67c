// `npm run build:cli` (part of `npm run build`): bundles the command-line tool with esbuild into
// dist/cli-bundle/, the code bin/sge-inject.js runs. Start-up is the reason (issue 11, bench/NOTES.md):
// loading ~25 chunks instead of ~100 ESM modules and the packages' CommonJS files. The library and the
// `sge-inject/cli` export stay the tsc build in dist/.
//
// - Code splitting: each command's module, which runCli imports only when that command runs, stays a
//   chunk of its own, so `--help` loads commander and nothing of protobufjs or the codec.
// - Then each chunk is turned into CommonJS (dist/cli-bundle/package.json says so), loaded by require():
//   Node 20's ESM loader costs more per module than the CommonJS one (`list` 1.94x against 2.28x `node
//   -e 0`, `--help` 1.21x against 1.41x; bench/NOTES.md). esbuild splits only ESM, hence two steps.
// - onnxruntime-node (native) and onnxruntime-common stay external: required from node_modules, lazily,
//   by the commands that run models.
// - Flat entry names, and chunks two folders below the package root like dist/cli/*.js: version.ts
//   (../../package.json) and static-server.ts (../../dist-web) find their files from import.meta.url
//   (here the chunk's own file URL), and pool.ts forks worker.js beside pool.js.
// - Each chunk ends with one `// <input>` line per module it holds (from esbuild's metafile), which
//   test/cli/lazy-load.test.ts reads to tell which packages a run loaded.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'cli-bundle');

rmSync(OUT, { recursive: true, force: true });
const { metafile } = await build({
  absWorkingDir: ROOT,
  entryPoints: { main: 'src/cli/main.ts', pool: 'src/ci/node/pool.ts', worker: 'src/ci/node/worker.ts' },
  outdir: OUT,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['onnxruntime-node', 'onnxruntime-common'],
  metafile: true,
  logLevel: 'warning',
});

for (const [output, { inputs }] of Object.entries(metafile.outputs)) {
  const file = join(ROOT, output);
  const esm = readFileSync(file, 'utf8');
  const { code } = await transform(esm, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcefile: relative(OUT, file),
    define: { 'import.meta.url': '__sgeModuleUrl' },
    banner: esm.includes('import.meta.url')
      ? "var __sgeModuleUrl = require('node:url').pathToFileURL(__filename).href;"
      : '',
    logLevel: 'warning',
  });
  const modules = Object.keys(inputs).map((input) => `// ${input}`);
  writeFileSync(file, `${code}\n// modules in this chunk:\n${modules.join('\n')}\n`);
}
writeFileSync(join(OUT, 'package.json'), '{ "type": "commonjs" }\n');
console.log(`built ${OUT}`);
