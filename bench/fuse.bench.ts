// fuse (issue 8) on torch's export of SGE-ResNet-50 (SGE(64) after bn3 of all 16 bottlenecks, about
// 100 MB, scripts/make_resnet50_sge.py) against inject on the plain ResNet-50 with the same parameters
// (same build, same process): decode, transform, encode, alternating, `--reps` times each after one
// untimed run of each; the median of fuse / inject is judged against the 1.5×. fuse's time
// includes its 16 proofs in onnxruntime. Then the latency of the fused network beside the exported one,
// inject's output and the plain network (round-robin, one intra-op thread, as bench/sge.bench.ts), and
// whether the fused network computes what inject's output and the export compute.
//
//   npm run bench -- fuse [--reps N] [--seconds S] [--sessions K]
//
// The models are made once with Debian's /usr/bin/python3 (torch, torchvision) into bench/out/.
import { mkdirSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import * as api from 'sge-inject';
import { arg, median, OUT, PYTHON } from './common.js';
import { check, input, timeRoundRobin, type Variant } from './latency.js';
import { madeBy, plainResNet50, torchAvailable } from './models.js';

const REPS = Number(arg('--reps', '5'));
const SECONDS = Number(arg('--seconds', '60'));
const SESSIONS = Number(arg('--sessions', '2'));
const TARGET = 1.5;

mkdirSync(OUT, { recursive: true });
const torch = torchAvailable();
if (!torch) {
  console.log(`fuse: SKIPPED: ${PYTHON} has no torch/torchvision to export SGE-ResNet-50`);
  process.exit(0);
}
const plainPath = plainResNet50();
const [sgePath, paramsPath] = madeBy(
  'make_resnet50_sge.py',
  ['resnet50_sge_torch.onnx', 'resnet50_sge_params.json', 'resnet50_gate_only.onnx'],
  [OUT, '--opset', '13'],
);
const plainBytes = new Uint8Array(readFileSync(plainPath));
const sgeBytes = new Uint8Array(readFileSync(sgePath!));
const params = api.parseSgeParams(new Uint8Array(readFileSync(paramsPath!)), paramsPath);
const injectOptions: api.InjectOptions = { after: ['*/conv3/Conv'], groups: 64, params };

/** Bytes in, bytes out, as a user of the library or the CLI goes through it (less the file system). */
function inject(): { bytes: Uint8Array; sites: number } {
  const model = api.decodeModel(plainBytes);
  const report = api.injectSge(model, injectOptions);
  return { bytes: api.encodeModel(model), sites: report.sites.length };
}
async function fuse(): Promise<{ bytes: Uint8Array; report: api.FuseReport }> {
  const model = api.decodeModel(sgeBytes);
  const report = await api.fuseSge(model, { ort });
  return { bytes: api.encodeModel(model), report };
}

console.log(
  `plain: ${plainPath} (${(plainBytes.length / 1e6).toFixed(1)} MB); export: ${sgePath} (${(sgeBytes.length / 1e6).toFixed(1)} MB, torch ${torch})`,
);
// One untimed run of each: onnxruntime's first session and the JIT warm up.
const injected = inject();
const fused = await fuse();
const r = fused.report;
console.log(
  `fuse: ${r.sites.length} sites, ${r.nearMisses.length} near misses; nodes ${r.nodesBefore} → ${r.nodesAfter}` +
    ` (plain ${api.decodeModel(plainBytes).graph!.node.length} + ${r.sites.length}); inject: ${injected.sites} sites`,
);
const wall = { inject: [] as number[], fuse: [] as number[] };
const cpu = { inject: [] as number[], fuse: [] as number[] };
/** Wall and CPU milliseconds of `f` (CPU: this process, onnxruntime's threads included). */
async function timed(f: () => unknown, into: 'inject' | 'fuse'): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  wall[into].push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu[into].push((c.user + c.system) / 1000);
}
for (let i = 0; i < REPS; i++) {
  await timed(inject, 'inject');
  await timed(fuse, 'fuse');
}
const paired = (t: typeof wall) => median(t.fuse.map((f, i) => f / t.inject[i]!));
const ratio = paired(wall);
console.log(
  `\ntransform time (decode, transform, encode), ${REPS} alternating runs each, median ms: inject ${median(wall.inject).toFixed(0)} (CPU ${median(cpu.inject).toFixed(0)}), fuse ${median(wall.fuse).toFixed(0)} (CPU ${median(cpu.fuse).toFixed(0)})`,
);
console.log(
  `fuse / inject: ${ratio.toFixed(2)}× wall (paired median; runs ${wall.fuse.map((f, i) => (f / wall.inject[i]!).toFixed(2)).join(', ')}), ${paired(cpu).toFixed(2)}× CPU; target ≤ ${TARGET}× (wall): ${ratio <= TARGET ? 'met' : 'MISSED'}`,
);

const variants: Variant[] = [
  { variant: 'plain', bytes: plainBytes },
  { variant: 'torch export (unfused)', bytes: sgeBytes },
  { variant: 'fused', bytes: fused.bytes },
  { variant: 'inject output', bytes: injected.bytes },
];
console.log(`\nlatency: input [1,3,224,224], ~${SECONDS} s round-robin, ${SESSIONS} sessions per variant, 1 thread`);
const rows = await timeRoundRobin(variants, { input: input([1, 3, 224, 224]) }, SECONDS, 3, SESSIONS);
console.log('variant                  median ms   paired (÷ plain)   cpu paired   rounds');
for (const row of rows)
  console.log(
    `${row.variant.padEnd(24)} ${row.ms.toFixed(2).padStart(9)}   ${row.paired.toFixed(3).padStart(16)}   ${row.cpuPaired.toFixed(3).padStart(10)}   ${String(row.runs).padStart(6)}`,
  );
const byName = (v: string) => rows.find((x) => x.variant === v)!;
const fusedRow = byName('fused');
console.log(
  `fused ÷ unfused export: ${(fusedRow.paired / byName('torch export (unfused)').paired).toFixed(3)}; fused ÷ inject output: ${(fusedRow.paired / byName('inject output').paired).toFixed(3)} (should be 1)`,
);

const ok =
  check('fused vs inject output', fusedRow.output, byName('inject output').output) &&
  check('fused vs torch export', fusedRow.output, byName('torch export (unfused)').output);
process.exit(ok && ratio <= TARGET ? 0 : 1);
