// Load + save benchmark: our loadModel + saveModel against python3-onnx's onnx.load + onnx.save and
// a bare Node.js read + write, on a ~100 MB ResNet-50. Each run is a fresh process; medians of
// several runs are reported (wall time of the operation, and the whole process's peak RSS).
//
//   npm run bench -- io [--reps N] [--model PATH]
//
// The model is made once and cached in bench/out/ (git-ignored): torchvision's resnet50 with seeded
// random weights exported by torch.onnx (opset 13) via /usr/bin/python3 when torch is there,
// otherwise an equivalent ResNet-50 graph built with this project's own API.
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, median, OUT, python } from './common.js';
import { ensureResNet50 } from './models.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPS = Number(arg('--reps', process.env.BENCH_REPS ?? '5'));

type Kind = 'ours' | 'ours-durable' | 'python-onnx' | 'node-fs';
interface Run {
  readonly ms: number;
  readonly peakRssKiB: number;
  readonly processMs: number;
}

function runOnce(kind: Kind, model: string): Run {
  const out = join(OUT, `.bench-${kind}.onnx`);
  const t0 = performance.now();
  const r =
    kind === 'python-onnx'
      ? python(['-c', PY_CHILD, model, out])
      : spawnSync(process.execPath, [join(HERE, 'io-child.js'), kind, model, out], { encoding: 'utf8' });
  const processMs = performance.now() - t0;
  rmSync(out, { force: true });
  if (r.status !== 0) throw new Error(`${kind} failed: ${r.stderr || r.error}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { ...(JSON.parse(last) as { ms: number; peakRssKiB: number }), processMs };
}

const PY_CHILD = `
import json, re, sys, time
import onnx
src, dst = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
onnx.save(onnx.load(src), dst)
ms = (time.perf_counter() - t0) * 1000
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
print(json.dumps({"ms": ms, "peakRssKiB": peak}))
`;

async function main() {
  const model = await ensureResNet50();
  const size = statSync(model.path).size;
  const hasOnnx = python(['-c', 'import onnx; print(onnx.__version__)']);
  const kinds: Kind[] = ['ours', 'ours-durable', 'node-fs'];
  if (hasOnnx.status === 0) kinds.splice(2, 0, 'python-onnx');
  else console.log(`python3-onnx not available (${(hasOnnx.stderr || '').trim().split('\n').pop()}): skipped`);

  console.log(
    `model: ${model.path} (${(size / 1e6).toFixed(1)} MB; ${model.how}); ${REPS} runs each, fresh process per run, medians`,
  );
  const results = Object.fromEntries(kinds.map((k) => [k, [] as Run[]])) as Record<Kind, Run[]>;
  // Interleaved so that machine noise spreads over all contenders.
  for (let i = 0; i < REPS; i++) for (const k of kinds) results[k].push(runOnce(k, model.path));

  const label: Record<Kind, string> = {
    ours: 'sge-inject loadModel + saveModel (new file: no fsync)',
    'ours-durable': 'sge-inject, durable: true (fsync, as when replacing a file)',
    'python-onnx': `python3-onnx ${hasOnnx.stdout?.trim() ?? ''} onnx.load + onnx.save`,
    'node-fs': 'bare Node.js readFile + writeFile',
  };
  const rows = kinds.map((k) => ({
    k,
    ms: median(results[k].map((r) => r.ms)),
    min: Math.min(...results[k].map((r) => r.ms)),
    max: Math.max(...results[k].map((r) => r.ms)),
    rss: median(results[k].map((r) => r.peakRssKiB)) / 1024,
    proc: median(results[k].map((r) => r.processMs)),
  }));
  const w = Math.max(...rows.map((r) => label[r.k].length));
  console.log(`\n${'load + save'.padEnd(w)} | time median (min-max) | peak RSS | whole process (start-up, imports)`);
  console.log(`${'-'.repeat(w)}-|-----------------------|----------|----------------------------------`);
  for (const r of rows) {
    const time = `${(r.ms / 1000).toFixed(3)} s (${(r.min / 1000).toFixed(2)}-${(r.max / 1000).toFixed(2)})`;
    console.log(
      `${label[r.k].padEnd(w)} | ${time.padEnd(21)} | ${`${r.rss.toFixed(0)} MB`.padEnd(8)} | ${(r.proc / 1000).toFixed(3)} s`,
    );
  }
  console.log(
    'time: the load + save itself, measured inside the process; peak RSS: VmHWM of the whole process (MB = MiB)',
  );
  const py = rows.find((r) => r.k === 'python-onnx');
  if (py) {
    for (const k of ['ours', 'ours-durable'] as const) {
      const o = rows.find((r) => r.k === k)!;
      const t = o.ms / py.ms;
      const m = o.rss / py.rss;
      console.log(
        `${label[k]}: ${t.toFixed(2)}x python's time (target <= 0.70: ${t <= 0.7 ? 'met' : 'MISSED'}), ` +
          `${m.toFixed(2)}x its peak memory (target <= 1.00: ${m <= 1 ? 'met' : 'MISSED'})`,
      );
    }
  }
}

await main();
