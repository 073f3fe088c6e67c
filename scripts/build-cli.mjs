// `npm run build:cli` (part of `npm run build`): bundles the command-line tool with esbuild into
// dist/cli-bundle/, the code bin/sge-inject.js runs. Start-up is the reason (issue 11, bench/NOTES.md):
// loading ~25 chunks instead of ~100 ESM modules and the packages' CommonJS files saves ~30 % of
// `list`. The library and the `sge-inject/cli` export stay the tsc build in dist/.
//
// - ESM with code splitting: each command's module, which runCli imports only when that command runs,
//   stays a chunk of its own, so `--help` loads commander and nothing of protobufjs or the codec.
// - onnxruntime-node (native) and onnxruntime-common stay external: imported from node_modules, lazily,
//   by the commands that run models.
// - Flat entry names, and chunks two folders below the package root like dist/cli/*.js: version.ts
//   (../../package.json) and static-server.ts (../../dist-web) find their files from import.meta.url,
//   and pool.ts forks worker.js beside pool.js.
// - Not minified: no faster here (measured), and each module keeps its `// node_modules/<package>/…`
//   comment, which test/cli/lazy-load.test.ts reads to tell which packages a run loaded.
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'cli-bundle');

rmSync(OUT, { recursive: true, force: true });
await build({
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
  // The bundled CommonJS packages (commander, protobufjs) require() Node's built-in modules.
  banner: {
    js: "import { createRequire as __sgeCreateRequire } from 'node:module'; const require = __sgeCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
console.log(`built ${OUT}`);
