// `npm run build:web`: bundles web/ (page script and worker, TypeScript and the library they import)
// with esbuild into dist-web/, a self-contained static folder, and copies onnxruntime-web's wasm
// runtime beside it so the page loads nothing from another host.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist-web');
const ORT = join(ROOT, 'node_modules/onnxruntime-web/dist');

rmSync(OUT, { recursive: true, force: true });
mkdirSync(join(OUT, 'ort'), { recursive: true });

await build({
  absWorkingDir: ROOT,
  entryPoints: { main: 'web/main.ts', worker: 'web/worker.ts' },
  outdir: OUT,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  // onnxruntime-web's build that loads its wasm runtime from wasmPaths (ort/ here) instead of embedding it.
  conditions: ['onnxruntime-web-use-extern-wasm'],
  // The library's lazy Node-only imports (onnxruntime-node, node:*) are never reached in the page.
  external: ['onnxruntime-node', 'node:*'],
  logLevel: 'warning',
  legalComments: 'linked',
});

for (const f of ['index.html', 'style.css', 'file-check.js']) copyFileSync(join(ROOT, 'web', f), join(OUT, f));
for (const f of ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'])
  copyFileSync(join(ORT, f), join(OUT, 'ort', f));
console.log(`built ${OUT}`);
