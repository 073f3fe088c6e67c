// SGE latency: what the inserted blocks cost in onnxruntime-node (CPU, one intra-op thread), for our
// function (default) and inline forms, against the floor at the same sites, on three networks. Prints
// one table of ratios and the latency targets of issue 11 (performance) with a verdict each.
//
//   npm run bench -- sge [--only r50,mini,mnv3] [--seconds S] [--sessions K] [--profile] [--compare-dist DIR]
//
// - ResNet-50 (torchvision, seeded weights, torch.onnx opset 13, dynamic batch), batch 1, SGE(64) after
//   */conv3/Conv (16 sites) with the parameters scripts/make_resnet50_sge.py also gives torch's export of
//   the reference module, so our output is checked against torch's.
// - The mini ResNet fixture, batch 2, SGE(8) after */conv3/Conv with the fixture's parameters, checked
//   against the fixture's torch export.
// - torchvision MobileNetV3-small (scripts/make_torchvision.py), batch 1, SGE(8) after every Conv except
//   the squeeze-excitation fc convs (34 sites, maps 112x112 down to 7x7), seeded parameters.
// The floor is x * mean(x) over space at the same sites (a ReduceMean and a Mul): the cheapest
// data-dependent gate; like any gate there it takes onnxruntime out of its blocked NCHWc layout.
//
// Machines here are shared and noisy: all variants of a network run in ONE process, round-robin (each
// round runs every session once, the start rotating), with K sessions per variant (a session's memory
// placement alone moves its latency by a few per cent). Per round a variant's time is the mean of its
// sessions; "paired" is the median over rounds of that time / plain's in the same round; "cpu" is the same
// with the process's CPU time, steadier when other processes compete for the cores.
// --compare-dist DIR adds our forms as built by another dist/ (e.g. an older release's) to the same run.
// --profile: per-op-type kernel time of every variant (onnxruntime's profiler), site nodes apart.
// The models are made once with Debian's /usr/bin/python3 (torch, torchvision) into bench/out/.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import * as api from 'sge-inject';
import type { InjectOptions, SgeParamsFile } from 'sge-inject';
import { arg, FIXTURES, median, OUT, PYTHON } from './common.js';
import { check, type Feeds, input, sessionOptions, type Timed, timeRoundRobin, type Variant } from './latency.js';
import { madeBy, plainResNet50, torchAvailable } from './models.js';

const ONLY = arg('--only', 'r50,mini,mnv3').split(',');
const SECONDS = arg('--seconds');
const SESSIONS = Number(arg('--sessions', '2'));
const PROFILE = process.argv.includes('--profile');
const COMPARE = arg('--compare-dist');

type Api = Pick<typeof api, 'decodeModel' | 'encodeModel' | 'injectSge'>;
interface Network {
  readonly name: string;
  readonly description: string;
  readonly plain: string;
  readonly selection: Pick<InjectOptions, 'after' | 'exclude'>;
  readonly groups: number;
  readonly params?: SgeParamsFile;
  readonly dims: number[];
  readonly seconds: number;
  readonly warmup: number;
  readonly profileRuns: number;
  /** Further variants read from files: [label, path]. */
  readonly references?: readonly (readonly [string, string])[];
  /** Labels of references our function form must reproduce. */
  readonly checkAgainst?: readonly string[];
}
interface Result extends Network {
  readonly sites: number;
  readonly rows: Timed[];
  readonly ok: boolean;
}

const before: Api | undefined = COMPARE
  ? ((await import(pathToFileURL(join(resolve(COMPARE), 'index.js')).href)) as Api)
  : undefined;

/** How many nodes onnxruntime runs for `bytes` (from its optimized model). */
async function runtimeNodes(bytes: Uint8Array): Promise<number> {
  const path = join(OUT, `.sge-bench-${process.pid}.onnx`);
  const s = await ort.InferenceSession.create(bytes, { ...sessionOptions, optimizedModelFilePath: path });
  await s.release();
  const n = api.decodeModel(new Uint8Array(readFileSync(path))).graph!.node.length;
  rmSync(path, { force: true });
  return n;
}

/** x * mean(x) after each of `siteNames` (Conv nodes of the main graph): the floor. */
function floorModel(bytes: Uint8Array, siteNames: readonly string[]): Uint8Array {
  const model = api.decodeModel(bytes);
  const g = model.graph!;
  const opset = api.int64ToNumber(model.opset_import.find((o) => !o.domain)!.version);
  const axesAsInput = opset >= 18;
  if (axesAsInput) g.initializer.push(api.makeInt64Tensor('/bench/spatial_axes', [2], [2, 3]));
  const sites = new Set(siteNames);
  for (let i = g.node.length - 1; i >= 0; i--) {
    const n = g.node[i]!;
    if (!sites.has(n.name ?? '')) continue;
    const y = n.output[0]!;
    const x = `${y}/bench_x`;
    n.output[0] = x;
    const mean = api.makeNode({
      op_type: 'ReduceMean',
      name: `${n.name}/bench/mean`,
      input: axesAsInput ? [x, '/bench/spatial_axes'] : [x],
      output: [`${x}/mean`],
      attribute: axesAsInput ? [] : [api.makeAttribute('axes', { ints: [2, 3] })],
    });
    const gate = api.makeNode({ op_type: 'Mul', name: `${n.name}/bench/gate`, input: [x, `${x}/mean`], output: [y] });
    g.node.splice(i + 1, 0, mean, gate);
  }
  return api.encodeModel(model);
}

/** Our injection, by this package or the compared build. */
function ours(lib: Api, bytes: Uint8Array, options: InjectOptions): { bytes: Uint8Array; sites: string[] } {
  const model = lib.decodeModel(bytes);
  const report = lib.injectSge(model, options);
  return { bytes: lib.encodeModel(model), sites: report.sites.map((s) => s.name) };
}

/** Seeded parameters for every site (weight around 0, bias around 1), so the gate varies. */
function seededParams(bytes: Uint8Array, n: Network): SgeParamsFile {
  const sites = ours(api, bytes, { ...n.selection, groups: n.groups }).sites;
  const u = api.createPrng(11).uniform;
  const draw = (center: number) => Array.from({ length: n.groups }, () => center + (u() + u() + u() - 1.5) * 1.4);
  const params = Object.fromEntries(sites.map((s) => [s, { weight: draw(0), bias: draw(1) }]));
  return api.parseSgeParams(new TextEncoder().encode(JSON.stringify({ groups: n.groups, params })), 'seeded');
}

/** Per-op-type kernel time of one run (onnxruntime's profiler; median per node, summed), ms. */
let profiles = 0;
async function profile(bytes: Uint8Array, feeds: Feeds, runs: number): Promise<[string, number][] | undefined> {
  // onnxruntime appends a timestamp to the prefix and does not tell the file's name: look for it.
  const base = `.sge-profile-${process.pid}-${++profiles}`;
  const s = await ort.InferenceSession.create(bytes, {
    ...sessionOptions,
    enableProfiling: true,
    profileFilePrefix: join(OUT, base),
  });
  for (let i = 0; i < runs; i++) await s.run(feeds);
  s.endProfiling();
  await s.release();
  const name = readdirSync(OUT).find((f) => f.startsWith(`${base}_`) && f.endsWith('.json'));
  if (!name) return undefined;
  const events = JSON.parse(readFileSync(join(OUT, name), 'utf8')) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }[];
  rmSync(join(OUT, name), { force: true });
  const perNode = new Map<string, { op: string; d: number[] }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const entry = perNode.get(e.name) ?? { op: e.args?.op_name ?? '?', d: [] };
    entry.d.push(e.dur);
    perNode.set(e.name, entry);
  }
  const byOp = new Map<string, number>();
  for (const [nodeName, { op, d }] of perNode) {
    const key = `${/\/sge|_inlfunc_|\/bench\//.test(nodeName) ? 'site ' : ''}${op}`;
    byOp.set(key, (byOp.get(key) ?? 0) + median(d) / 1000);
  }
  return [...byOp.entries()].sort((a, b) => b[1] - a[1]);
}

function printProfile(label: string, rows: [string, number][] | undefined): void {
  if (!rows) return void console.log(`profile ${label}: no trace written`);
  const total = rows.reduce((a, [, v]) => a + v, 0);
  console.log(`\nprofile ${label} (ms per run, median kernel time per node, summed; ${total.toFixed(2)} ms)`);
  for (const [k, v] of rows.slice(0, 16)) console.log(`  ${k.padEnd(24)} ${v.toFixed(3).padStart(8)}`);
}

async function network(n: Network): Promise<Result> {
  const plainBytes = new Uint8Array(readFileSync(n.plain));
  const options: InjectOptions = { ...n.selection, groups: n.groups, params: n.params ?? seededParams(plainBytes, n) };
  const fn = ours(api, plainBytes, options);
  const variants: Variant[] = [
    { variant: 'plain', bytes: plainBytes },
    { variant: 'floor x*mean(x)', bytes: floorModel(plainBytes, fn.sites) },
    { variant: 'ours, function', bytes: fn.bytes },
    { variant: 'ours, inline', bytes: ours(api, plainBytes, { ...options, inline: true }).bytes },
  ];
  if (before) {
    variants.push({ variant: 'before, function', bytes: ours(before, plainBytes, options).bytes });
    variants.push({ variant: 'before, inline', bytes: ours(before, plainBytes, { ...options, inline: true }).bytes });
  }
  for (const [variant, path] of n.references ?? [])
    variants.push({ variant, bytes: new Uint8Array(readFileSync(path)) });
  const base = await runtimeNodes(plainBytes);
  for (const v of variants) v.perSite = ((await runtimeNodes(v.bytes)) - base) / fn.sites.length;
  const feeds = { input: input(n.dims) };
  console.log(
    `\n${n.name}: ${n.description}; ${fn.sites.length} sites; input [${n.dims.join(',')}];` +
      ` ~${n.seconds} s round-robin, ${SESSIONS} sessions per variant`,
  );
  const rows = await timeRoundRobin(variants, feeds, n.seconds, n.warmup, SESSIONS);
  let ok = check(`${n.name} function = inline`, rows[2]!.output, rows[3]!.output);
  for (const r of rows.slice(4))
    if (n.checkAgainst?.includes(r.variant))
      ok = check(`${n.name} function vs ${r.variant}`, rows[2]!.output, r.output) && ok;
  if (PROFILE)
    for (const r of rows) printProfile(`${n.name} ${r.variant}`, await profile(r.bytes, feeds, n.profileRuns));
  return { ...n, sites: fn.sites.length, rows, ok };
}

function printTable(results: readonly Result[]): void {
  const head = [
    'network',
    'variant',
    'nodes/site',
    'median ms',
    'paired',
    '- floor',
    'cpu paired',
    'cpu - floor',
    'rounds',
  ];
  const cells: string[][] = [];
  for (const r of results) {
    const floor = r.rows[1]!;
    for (const row of r.rows)
      cells.push([
        r.name,
        row.variant,
        (row.perSite ?? 0).toFixed(1),
        row.ms.toFixed(3),
        row.paired.toFixed(3),
        (row.paired - floor.paired).toFixed(3),
        row.cpuPaired.toFixed(3),
        (row.cpuPaired - floor.cpuPaired).toFixed(3),
        String(row.runs),
      ]);
  }
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  console.log(
    `\nSGE latency, onnxruntime-node CPU, 1 intra-op thread (paired: median per-round ratio to plain;` +
      ' nodes/site: nodes onnxruntime runs beyond plain, per site)',
  );
  console.log(head.map((h, i) => h.padEnd(w[i]!)).join(' | '));
  console.log(w.map((x) => '-'.repeat(x)).join('-|-'));
  for (const c of cells) console.log(c.map((x, i) => (i >= 2 ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join(' | '));
}

/** The targets of issue 11, judged on this run's wall-time paired ratios. */
function printTargets(results: readonly Result[]): void {
  const paired = (name: string, variant: string) =>
    results.find((r) => r.name === name)?.rows.find((x) => x.variant === variant)?.paired;
  const targets: [string, number, number][] = [];
  const aboveFloor = (name: string) => {
    const f = paired(name, 'ours, function');
    const floor = paired(name, 'floor x*mean(x)');
    return f === undefined || floor === undefined ? undefined : f - floor;
  };
  const r50 = aboveFloor('ResNet-50');
  if (r50 !== undefined) targets.push(['ResNet-50 function - floor', r50, 0.02]);
  const mini = aboveFloor('mini ResNet');
  if (mini !== undefined) {
    const gap = Math.abs(paired('mini ResNet', 'ours, function')! - paired('mini ResNet', 'ours, inline')!);
    targets.push(['mini ResNet |function - inline|', gap, 0.02], ['mini ResNet function - floor', mini, 0.22]);
  }
  const mnv3 = aboveFloor('MobileNetV3-small');
  if (mnv3 !== undefined) targets.push(['MobileNetV3-small function - floor', mnv3, 0.4]);
  console.log('\ntargets (issue 11), wall-time paired ratios of this run:');
  for (const [what, value, limit] of targets)
    console.log(
      `  ${what.padEnd(36)} ${value.toFixed(3).padStart(7)}  limit ${limit.toFixed(2)}  ${value <= limit ? 'met' : 'MISSED'}`,
    );
}

mkdirSync(OUT, { recursive: true });
const torchVersion = torchAvailable();
const networks: Network[] = [];
const noTorch = (what: string) => console.log(`${what}: SKIPPED: ${PYTHON} has no torch/torchvision`);
if (ONLY.includes('r50')) {
  if (!torchVersion) noTorch('ResNet-50');
  else {
    const plain = plainResNet50();
    const [sge, params, gate] = madeBy(
      'make_resnet50_sge.py',
      ['resnet50_sge_torch.onnx', 'resnet50_sge_params.json', 'resnet50_gate_only.onnx'],
      [OUT, '--opset', '13'],
    );
    networks.push({
      name: 'ResNet-50',
      description: `torchvision, torch ${torchVersion} opset 13, SGE(64) after */conv3/Conv`,
      plain,
      selection: { after: ['*/conv3/Conv'] },
      groups: 64,
      params: api.parseSgeParams(new Uint8Array(readFileSync(params!)), params),
      dims: [1, 3, 224, 224],
      seconds: Number(SECONDS ?? 80),
      warmup: 3,
      profileRuns: 10,
      references: [
        ['torch export', sge!],
        ['torch gate-only x*mean(x)', gate!],
      ],
      checkAgainst: ['torch export'],
    });
  }
}
if (ONLY.includes('mini')) {
  const params = join(FIXTURES, 'mini_resnet_bottleneck_op13.sge-g8-params.json');
  networks.push({
    name: 'mini ResNet',
    description: 'fixtures/models/mini_resnet_bottleneck_op13.onnx, SGE(8) after */conv3/Conv, fixture params',
    plain: join(FIXTURES, 'mini_resnet_bottleneck_op13.onnx'),
    selection: { after: ['*/conv3/Conv'] },
    groups: 8,
    params: api.parseSgeParams(new Uint8Array(readFileSync(params)), params),
    dims: [2, 3, 96, 96],
    seconds: Number(SECONDS ?? 30),
    warmup: 20,
    profileRuns: 200,
    references: [['torch export', join(FIXTURES, 'mini_resnet_bottleneck_sge_g8_op13.onnx')]],
    checkAgainst: ['torch export'],
  });
}
if (ONLY.includes('mnv3')) {
  if (!torchVersion) noTorch('MobileNetV3-small');
  else {
    const [plain] = madeBy(
      'make_torchvision.py',
      ['mobilenetv3_small.onnx'],
      ['mobilenet_v3_small', join(OUT, 'mobilenetv3_small.onnx')],
    );
    networks.push({
      name: 'MobileNetV3-small',
      description: `torchvision, torch ${torchVersion} opset 13, SGE(8) after every Conv but the SE fc convs`,
      plain: plain!,
      selection: { after: ['*/Conv'], exclude: ['*/fc1/Conv', '*/fc2/Conv'] },
      groups: 8,
      dims: [1, 3, 224, 224],
      seconds: Number(SECONDS ?? 40),
      warmup: 10,
      profileRuns: 50,
    });
  }
}
const t0 = performance.now();
const results: Result[] = [];
for (const n of networks) results.push(await network(n));
printTable(results);
printTargets(results);
console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s`);
if (results.some((r) => !r.ok)) {
  console.log('our injection does NOT compute what it should (see the checks above)');
  process.exit(1);
}
