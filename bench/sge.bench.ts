// Inference latency of injected networks: what an SGE site costs in onnxruntime-node (CPU, one intra-op
// thread, batch 1), for our function and inline forms beside torch.onnx's export of the reference module.
//
//   npm run bench -- sge [--seconds S] [--mini-seconds S] [--profile] [--opt-level all|extended]
//
// All variants of one network are timed in ONE process, round-robin (one run of each per round, the
// starting variant rotating), so the noise of a shared machine lands on every variant alike; medians.
// ResNet-50: torchvision's, seeded random weights, torch.onnx opset 13, dynamic batch (bench/out/,
// git-ignored, shared with bench/io.bench.ts); the SGE-ResNet-50 and gate-only exports come from
// scripts/make_resnet50_sge.py via Debian's /usr/bin/python3, which also writes the SGE parameters our
// injection gets, so our output must equal torch's. Without torch there, ResNet-50 is skipped.
// --profile: after timing, per-op-type kernel time of every variant (onnxruntime's profiler); SGE nodes
// of our forms are listed apart ('sge Mul', ...).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  createPrng,
  decodeModel,
  encodeModel,
  injectSge,
  int64ToNumber,
  loadModel,
  makeInt64Tensor,
  makeNode,
  parseSgeParams,
  type InjectOptions,
  type ModelProto,
} from 'sge-inject';
import { arg, FIXTURES, median, OUT, PYTHON, python, SCRIPTS } from './common.js';

const R50_SECONDS = Number(arg('--seconds', process.env.BENCH_SGE_SECONDS ?? '80'));
const MINI_SECONDS = Number(arg('--mini-seconds', '20'));
const PROFILE = process.argv.includes('--profile');
// 'all' (default, what users get) includes the blocked NCHWc layout; 'extended' leaves it out, which shows
// what the SGE arithmetic alone costs.
const OPT_LEVEL = arg('--opt-level', 'all') as 'all' | 'extended';

interface Counts {
  readonly graph: number;
  readonly fn: number;
}
interface Variant {
  readonly model: string;
  readonly variant: string;
  readonly bytes: Uint8Array;
  readonly counts: Counts;
}
interface Timed extends Variant {
  readonly ms: number;
  readonly runs: number;
  readonly output: Float32Array;
  readonly paired: number;
}
type Feeds = Record<string, ort.Tensor>;

/** Seeded uniform(-1, 1) input, the same for every variant of a network. */
function input(dims: number[], seed = 7): ort.Tensor {
  const uniform = createPrng(seed).uniform;
  const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => uniform() * 2 - 1);
  return new ort.Tensor('float32', data, dims);
}

async function session(bytes: Uint8Array, extra: ort.InferenceSession.SessionOptions = {}) {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: OPT_LEVEL,
    ...extra,
  });
}

/** Graph nodes, and nodes inside model-local functions. */
function nodeCounts(model: ModelProto): Counts {
  const fn = model.functions.reduce((a, f) => a + f.node.length, 0);
  return { graph: model.graph!.node.length, fn };
}

/** Our injection of `plainBytes`, in the given form; returns bytes and node counts. */
function inject(plainBytes: Uint8Array, source: string, options: Omit<InjectOptions, 'after'>) {
  const model = decodeModel(plainBytes, { source });
  injectSge(model, { after: ['*/conv3/Conv'], ...options });
  return { bytes: encodeModel(model), counts: nodeCounts(model) };
}

/**
 * The plain model with a do-nothing pair of Reshapes after every conv3 (flatten the spatial dims, then
 * back to X's shape). It computes nothing, yet onnxruntime must leave its blocked (NCHWc) layout at the
 * site and can no longer fuse the residual Add and Relu into conv3: the floor of ANY insertion there.
 */
function layoutBreak(plainBytes: Uint8Array, source: string) {
  const model = decodeModel(plainBytes, { source });
  const g = model.graph!;
  const flat = '/bench/flat_shape';
  g.initializer.push(makeInt64Tensor(flat, [3], [0, 0, -1]));
  for (let i = g.node.length - 1; i >= 0; i--) {
    const n = g.node[i]!;
    if (!/\/conv3\/Conv$/.test(n.name ?? '')) continue;
    const y = n.output[0]!;
    const x = `${y}/bench_x`;
    n.output[0] = x;
    g.node.splice(
      i + 1,
      0,
      makeNode({ op_type: 'Reshape', input: [x, flat], output: [`${x}/flat`], name: `${n.name}/bench/flat` }),
      makeNode({ op_type: 'Shape', input: [x], output: [`${x}/shape`], name: `${n.name}/bench/shape` }),
      makeNode({ op_type: 'Reshape', input: [`${x}/flat`, `${x}/shape`], output: [y], name: `${n.name}/bench/back` }),
    );
  }
  return { bytes: encodeModel(model), counts: nodeCounts(model) };
}

function fileVariant(path: string) {
  const bytes = new Uint8Array(readFileSync(path));
  return { bytes, counts: nodeCounts(decodeModel(bytes, { source: path })) };
}

/**
 * Times every variant round-robin for about `seconds` after `warmup` runs each.
 * @returns per variant: median ms, run count, the median per-round ratio to variant 0 (`paired`), and
 *   the output of the last warm-up run (for the correctness checks).
 */
async function timeRoundRobin(
  variants: readonly Variant[],
  feeds: Feeds,
  seconds: number,
  warmup: number,
): Promise<Timed[]> {
  const sessions: ort.InferenceSession[] = [];
  for (const v of variants) sessions.push(await session(v.bytes));
  const outputs: Float32Array[] = [];
  for (const s of sessions) {
    let out: ort.InferenceSession.OnnxValueMapType | undefined;
    for (let i = 0; i < warmup; i++) out = await s.run(feeds);
    outputs.push(out![s.outputNames[0]!]!.data as Float32Array);
  }
  const times: number[][] = variants.map(() => []);
  const deadline = performance.now() + seconds * 1000;
  for (let round = 0; round < 5 || performance.now() < deadline; round++) {
    for (let j = 0; j < sessions.length; j++) {
      const k = (round + j) % sessions.length;
      const t0 = performance.now();
      await sessions[k]!.run(feeds);
      times[k]!.push(performance.now() - t0);
    }
  }
  for (const s of sessions) await s.release();
  // Per-round ratio against variant 0 (plain) of the same round: slow spells of the machine cancel.
  return variants.map((v, k) => ({
    ...v,
    ms: median(times[k]!),
    runs: times[k]!.length,
    output: outputs[k]!,
    paired: median(times[k]!.map((t, r) => t / times[0]![r]!)),
  }));
}

function compare(a: Float32Array, b: Float32Array) {
  let maxAbs = 0;
  let maxRef = 0;
  let bad = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= maxAbs)) maxAbs = d; // NaN propagates
    maxRef = Math.max(maxRef, Math.abs(b[i]!));
    // Polygraphy's rule (fails only when both are exceeded), rtol 1e-4, atol 1e-5, as the tests judge.
    if (!(d <= 1e-5 || d <= 1e-4 * Math.abs(b[i]!))) bad++;
  }
  return { maxAbs, maxRef, bad, n: a.length };
}

function table(title: string, rows: readonly Timed[]): void {
  const plain = rows.find((r) => r.variant === 'plain');
  const cells = rows.map((r) => [
    r.model,
    r.variant,
    r.counts.fn ? `${r.counts.graph} (+${r.counts.fn} in fn)` : String(r.counts.graph),
    r.ms.toFixed(2),
    plain ? `${(r.ms / plain.ms).toFixed(3)}x` : '-',
    `${r.paired.toFixed(3)}x`,
    String(r.runs),
  ]);
  const head = ['model', 'variant', 'nodes', 'median ms', 'vs plain', 'paired', 'runs'];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  console.log(`\n${title}`);
  console.log(head.map((h, i) => h.padEnd(w[i]!)).join(' | '));
  console.log(w.map((n) => '-'.repeat(n)).join('-|-'));
  for (const c of cells) console.log(c.map((x, i) => (i >= 3 ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join(' | '));
}

function reportCheck(label: string, ours: Float32Array, ref: Float32Array): boolean {
  const c = compare(ours, ref);
  const verdict =
    c.bad === 0 ? 'equal within rtol 1e-4 / atol 1e-5' : `${c.bad} of ${c.n} elements beyond rtol 1e-4 / atol 1e-5`;
  console.log(
    `check ${label}: max abs diff ${c.maxAbs.toExponential(2)} (max |ref| ${c.maxRef.toFixed(3)}): ${verdict}`,
  );
  return c.bad === 0;
}

/** Per-op-type time of one run over `runs` runs, from onnxruntime's profiler (JSON trace). */
let profiles = 0;
async function profile(bytes: Uint8Array, feeds: Feeds, runs: number): Promise<[string, number][] | undefined> {
  // onnxruntime appends a timestamp to the prefix and does not tell the file's name: look for it.
  const base = `.sge-profile-${process.pid}-${++profiles}`;
  const s = await session(bytes, { enableProfiling: true, profileFilePrefix: join(OUT, base) });
  for (let i = 0; i < runs; i++) await s.run(feeds);
  s.endProfiling();
  await s.release();
  const name = readdirSync(OUT).find((f) => f.startsWith(`${base}_`) && f.endsWith('.json'));
  if (!name) return undefined;
  const path = join(OUT, name);
  const events = JSON.parse(readFileSync(path, 'utf8')) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }[];
  rmSync(path, { force: true });
  const byOp = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    const sge = /\/sge/.test(e.name) || /SpatialGroupEnhance/.test(e.name);
    const key = `${sge ? 'sge ' : ''}${op}`;
    byOp.set(key, (byOp.get(key) ?? 0) + e.dur / 1000 / runs);
  }
  return [...byOp.entries()].sort((a, b) => b[1] - a[1]);
}

function printProfile(label: string, rows: [string, number][] | undefined): void {
  if (!rows) {
    console.log(`profile ${label}: no trace written`);
    return;
  }
  const total = rows.reduce((a, [, v]) => a + v, 0);
  console.log(`\nprofile ${label} (ms per run, kernel time; ${total.toFixed(2)} ms total)`);
  for (const [k, v] of rows.slice(0, 14))
    console.log(`  ${k.padEnd(28)} ${v.toFixed(3).padStart(8)}  ${((100 * v) / total).toFixed(1).padStart(5)}%`);
}

function torchAvailable(): string | undefined {
  const r = python(['-c', 'import torch, torchvision; print(torch.__version__)']);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The plain ResNet-50 that bench/io.bench.ts caches, when it is torch's (opset 13, dynamic batch). */
function plainResNet50(): string {
  const cached = join(OUT, 'resnet50.onnx');
  const fits = (path: string): boolean => {
    if (!existsSync(path)) return false;
    const m = decodeModel(new Uint8Array(readFileSync(path)), { source: path });
    const opset = m.opset_import.find((o) => !o.domain);
    const batch = m.graph?.input[0]?.type?.tensor_type?.shape?.dim?.[0];
    return m.producer_name === 'pytorch' && !!opset && int64ToNumber(opset.version) === 13 && !!batch?.dim_param;
  };
  if (fits(cached)) return cached;
  // Missing (make it, as bench/io.bench.ts would) or not torch's export (then a file of our own).
  const path = existsSync(cached) ? join(OUT, 'resnet50_torch_op13.onnx') : cached;
  if (fits(path)) return path;
  console.log(`exporting torchvision ResNet-50 to ${path} (once) ...`);
  python([join(SCRIPTS, 'make_resnet50.py'), path], { stdio: 'inherit' });
  if (!fits(path)) throw new Error(`could not export ResNet-50 to ${path}`);
  return path;
}

/** The torch-exported SGE and gate-only ResNet-50s and the params file, made once (remade when the script changes). */
function torchVariants() {
  const script = join(SCRIPTS, 'make_resnet50_sge.py');
  const files = ['resnet50_sge_torch.onnx', 'resnet50_sge_params.json', 'resnet50_gate_only.onnx'].map((f) =>
    join(OUT, f),
  );
  const stale = files.some((f) => !existsSync(f) || statSync(f).mtimeMs < statSync(script).mtimeMs);
  if (stale) {
    console.log('exporting SGE-ResNet-50 and the gate-only ResNet-50 with torch.onnx (once; cached in bench/out/) ...');
    const r = python([script, OUT, '--opset', '13'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error('scripts/make_resnet50_sge.py failed');
  }
  return { sge: files[0]!, params: files[1]!, gate: files[2]! };
}

async function resnet50(): Promise<boolean> {
  const torchVersion = torchAvailable();
  if (!torchVersion) {
    console.log(
      `ResNet-50: SKIPPED: ${PYTHON} has no torch/torchvision (Debian's python3-torch and python3-torchvision make the models)`,
    );
    return true;
  }
  mkdirSync(OUT, { recursive: true });
  const plainPath = plainResNet50();
  const t = torchVariants();
  const plain = await loadModel(plainPath);
  const plainBytes = encodeModel(plain);
  const params = parseSgeParams(new Uint8Array(readFileSync(t.params)), t.params);
  const variants: Variant[] = [
    { model: 'ResNet-50', variant: 'plain', bytes: plainBytes, counts: nodeCounts(plain) },
    { model: 'ResNet-50', variant: 'ours, function', ...inject(plainBytes, plainPath, { groups: 64, params }) },
    {
      model: 'ResNet-50',
      variant: 'ours, inline',
      ...inject(plainBytes, plainPath, { groups: 64, params, inline: true }),
    },
    { model: 'ResNet-50', variant: 'torch export', ...fileVariant(t.sge) },
    { model: 'ResNet-50', variant: 'gate only x*mean(x)', ...fileVariant(t.gate) },
    { model: 'ResNet-50', variant: 'reshape pair (no math)', ...layoutBreak(plainBytes, plainPath) },
  ];
  const feeds = { input: input([1, 3, 224, 224]) };
  console.log(
    `ResNet-50: ${plainPath} (torch ${torchVersion}, opset 13, dynamic batch), SGE(64) after */conv3/Conv (16 sites);` +
      ` ~${R50_SECONDS} s round-robin after 3 warm-up runs each`,
  );
  const rows = await timeRoundRobin(variants, feeds, R50_SECONDS, 3);
  table(`ResNet-50, batch 1, onnxruntime-node CPU, 1 intra-op thread, graph optimization '${OPT_LEVEL}'`, rows);
  const ok1 = reportCheck('ResNet-50 ours function vs torch export', rows[1]!.output, rows[3]!.output);
  const ok2 = reportCheck('ResNet-50 ours inline   vs torch export', rows[2]!.output, rows[3]!.output);
  if (PROFILE) {
    for (const r of rows) printProfile(`ResNet-50 ${r.variant}`, await profile(r.bytes, feeds, 10));
  }
  return ok1 && ok2;
}

async function mini(): Promise<boolean> {
  const plainPath = join(FIXTURES, 'mini_resnet_bottleneck_op13.onnx');
  const paramsPath = join(FIXTURES, 'mini_resnet_bottleneck_op13.sge-g8-params.json');
  const plainBytes = new Uint8Array(readFileSync(plainPath));
  const params = parseSgeParams(new Uint8Array(readFileSync(paramsPath)), paramsPath);
  const variants: Variant[] = [
    { model: 'mini ResNet', variant: 'plain', ...fileVariant(plainPath) },
    { model: 'mini ResNet', variant: 'ours, function', ...inject(plainBytes, plainPath, { groups: 8, params }) },
    {
      model: 'mini ResNet',
      variant: 'ours, inline',
      ...inject(plainBytes, plainPath, { groups: 8, params, inline: true }),
    },
    {
      model: 'mini ResNet',
      variant: 'torch export',
      ...fileVariant(join(FIXTURES, 'mini_resnet_bottleneck_sge_g8_op13.onnx')),
    },
    { model: 'mini ResNet', variant: 'reshape pair (no math)', ...layoutBreak(plainBytes, plainPath) },
  ];
  const feeds = { input: input([1, 3, 96, 96]) };
  console.log(
    `\nmini ResNet: fixtures/models/mini_resnet_bottleneck_op13.onnx, SGE(8) after */conv3/Conv with the fixture's params;` +
      ` ~${MINI_SECONDS} s round-robin after 20 warm-up runs each`,
  );
  const rows = await timeRoundRobin(variants, feeds, MINI_SECONDS, 20);
  table(`mini ResNet [1,3,96,96], onnxruntime-node CPU, 1 intra-op thread, graph optimization '${OPT_LEVEL}'`, rows);
  const ok1 = reportCheck('mini ours function vs torch export', rows[1]!.output, rows[3]!.output);
  const ok2 = reportCheck('mini ours inline   vs torch export', rows[2]!.output, rows[3]!.output);
  if (PROFILE) {
    for (const r of rows) printProfile(`mini ${r.variant}`, await profile(r.bytes, feeds, 200));
  }
  return ok1 && ok2;
}

mkdirSync(OUT, { recursive: true });
const t0 = performance.now();
const okR50 = await resnet50();
const okMini = await mini();
console.log(
  `\nmedian ms: median single-run latency; vs plain: ratio of medians; paired: median over rounds of the run's time` +
    ` / plain's time in the same round. 'reshape pair (no math)' only forces onnxruntime out of its blocked` +
    ` NCHWc layout at each site (and unfuses the residual Add + Relu from conv3): the floor of any insertion.` +
    ` Total ${((performance.now() - t0) / 1000).toFixed(0)} s.`,
);
if (!okR50 || !okMini) {
  console.log("our injection does NOT reproduce torch's export (see the checks above)");
  process.exit(1);
}
