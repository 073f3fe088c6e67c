// Models the benchmarks make once with Debian's python3 (torch, torchvision) and cache in bench/out/.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as api from 'sge-inject';
import { arg, OUT, python, SCRIPTS } from './common.js';

/** torch's version, when Debian's python3 has torch and torchvision. */
export function torchAvailable(): string | undefined {
  const r = python(['-c', 'import torch, torchvision; print(torch.__version__)']);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The plain ResNet-50 that bench/io.bench.ts caches, when it is torch's (opset 13, dynamic batch). */
export function plainResNet50(): string {
  const cached = join(OUT, 'resnet50.onnx');
  const fits = (path: string) => {
    if (!existsSync(path)) return false;
    const m = api.decodeModel(new Uint8Array(readFileSync(path)), { source: path });
    const opset = m.opset_import.find((o) => !o.domain);
    const batch = m.graph?.input[0]?.type?.tensor_type?.shape?.dim?.[0];
    return m.producer_name === 'pytorch' && !!opset && api.int64ToNumber(opset.version) === 13 && !!batch?.dim_param;
  };
  if (fits(cached)) return cached;
  // Missing (make it, as bench/io.bench.ts would) or not torch's export (then a file of our own).
  const path = existsSync(cached) ? join(OUT, 'resnet50_torch_op13.onnx') : cached;
  if (fits(path)) return path;
  console.log(`exporting torchvision ResNet-50 to ${path} (once) ...`);
  python([join(SCRIPTS, 'make_torchvision.py'), 'resnet50', path], { stdio: 'inherit' });
  if (!fits(path)) throw new Error(`could not export ResNet-50 to ${path}`);
  return path;
}

/** Files made once by scripts/`script` into bench/out/ (remade when the script changes). */
export function madeBy(script: string, files: readonly string[], args: readonly string[]): string[] {
  const paths = files.map((f) => join(OUT, f));
  const stale = paths.some((f) => !existsSync(f) || statSync(f).mtimeMs < statSync(join(SCRIPTS, script)).mtimeMs);
  if (stale) {
    console.log(`making ${files.join(', ')} with scripts/${script} (once; cached in bench/out/) ...`);
    const r = python([join(SCRIPTS, script), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`scripts/${script} failed`);
  }
  return paths;
}

/** bench/out/resnet50.onnx, exported from torchvision once; undefined without torch. */
export function cachedResNet50(): string | undefined {
  const path = join(OUT, 'resnet50.onnx');
  if (existsSync(path)) return path;
  mkdirSync(OUT, { recursive: true });
  console.log('making the ResNet-50 model (once; cached in bench/out/) ...');
  const r = python([join(SCRIPTS, 'make_torchvision.py'), 'resnet50', path], { stdio: 'inherit' });
  return r.status === 0 && existsSync(path) ? path : undefined;
}

/** The ResNet-50 to measure: `--model`, else {@link cachedResNet50}, else one built with the API (random weights). */
export async function ensureResNet50(): Promise<{ path: string; how: string }> {
  const given = arg('--model');
  if (given) return { path: given, how: 'given' };
  const cached = existsSync(join(OUT, 'resnet50.onnx'));
  const made = cachedResNet50();
  if (made) return { path: made, how: cached ? 'cached' : 'torchvision resnet50, torch.onnx opset 13' };
  console.log('torch export unavailable; building ResNet-50 with the API instead');
  const path = join(OUT, 'resnet50.onnx');
  const { buildResNet50 } = await import('./resnet50-api.js');
  await buildResNet50(path);
  return { path, how: 'ResNet-50 built with the API (random weights)' };
}
