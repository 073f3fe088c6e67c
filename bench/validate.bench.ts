// `sge-inject validate --runs 1` against the least any validation must do (issue 11, target 3): create
// and run the original and the rewritten model once each in onnxruntime-node, one session after the
// other, each released. Whole processes, fresh per run, interleaved; medians of wall time and of peak
// RSS (/usr/bin/time), with ratios to the reference in the same run.
//
//   npm run bench -- validate [--reps N] [--only mini,r50,1g] [--compare-cli OTHER/bin/sge-inject.js]
//
// --compare-cli: another build's CLI (e.g. a copy of main's bin/ and dist/) validated in the same rounds,
// reported as a "before" row with its ratios to the same reference.
//
// - mini: the mini ResNet fixture (0.6 MB) and its SGE(8) version, to show the fixed part of the peak.
// - r50: torchvision ResNet-50 (102 MB) and its SGE(64) version (16 sites): the target (at most 2x the
//   time, 1.5x the peak memory).
// - 1g: the mini ResNet with 1 GiB of external data (a sparse file of zeros read through a Gather that
//   feeds the output), and its SGE version beside it sharing that file: how the peak grows with data
//   that onnxruntime holds and we never read.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, ftruncateSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import * as api from 'sge-inject';
import { arg, FIXTURES, median, OUT, ROOT } from './common.js';
import { cachedResNet50 } from './models.js';

const REPS = Number(arg('--reps', '5'));
const ONLY = arg('--only', 'mini,r50,1g').split(',');
const BEFORE = arg('--compare-cli', '');
const TIME = '/usr/bin/time';
const CLI = join(ROOT, 'bin', 'sge-inject.js');
const WORK = join(OUT, 'validate');

interface Sample {
  readonly ms: number;
  readonly cpuMs: number;
  readonly rssMiB: number;
}

/** Creates a session of each model in turn (file path), runs it once on seeded inputs, releases it. */
const REFERENCE = `
const ort = require('onnxruntime-node');
const dims = JSON.parse(process.argv[2]);
(async () => {
  for (const path of process.argv[1].split('\\n')) {
    const s = await ort.InferenceSession.create(path);
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
    await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', data, dims) });
    await s.release();
  }
})();
`;

function run(argv: readonly string[]): Sample {
  const stats = join(WORK, '.time.txt');
  const t0 = performance.now();
  const r = spawnSync(TIME, ['-f', '%M %U %S', '-o', stats, ...argv], { encoding: 'utf8', cwd: ROOT });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.slice(0, 3).join(' ')} failed (${r.status}): ${r.stderr}`);
  const [kib, user, sys] = readFileSync(stats, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { ms, cpuMs: (user! + sys!) * 1000, rssMiB: kib! / 1024 };
}

interface Case {
  readonly name: string;
  readonly original: string;
  readonly rewritten: string;
  readonly dims: readonly number[];
  readonly bytes: number;
}

interface Medians {
  readonly ms: number;
  readonly cpu: number;
  readonly rss: number;
}

/** Medians of the reference, of ours and (with --compare-cli) of the other CLI, run interleaved. */
function compare(c: Case): { ref: Medians; ours: Medians; before?: Medians } {
  const validate = (cli: string) => [process.execPath, cli, 'validate', c.original, c.rewritten, '--runs', '1'];
  const contenders: (readonly string[])[] = [
    [process.execPath, '-e', REFERENCE, `${c.original}\n${c.rewritten}`, JSON.stringify(c.dims)],
    validate(CLI),
    ...(BEFORE ? [validate(BEFORE)] : []),
  ];
  const samples: Sample[][] = contenders.map(() => []);
  for (let i = 0; i < REPS; i++)
    for (let k = 0; k < contenders.length; k++) {
      const j = (i + k) % contenders.length;
      samples[j]!.push(run(contenders[j]!));
    }
  const m = samples.map((s) => ({
    ms: median(s.map((x) => x.ms)),
    cpu: median(s.map((x) => x.cpuMs)),
    rss: median(s.map((x) => x.rssMiB)),
  }));
  return { ref: m[0]!, ours: m[1]!, ...(m[2] ? { before: m[2] } : {}) };
}

/** The rewritten model beside `original`, made once with the CLI. */
function injected(original: string, out: string, groups: number): string {
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(original).mtimeMs) return out;
  const r = spawnSync(
    process.execPath,
    [CLI, original, '--groups', String(groups), '--after', '*/conv3/Conv', '-o', out, '--overwrite'],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`inject failed: ${r.stderr}`);
  return out;
}

/** The mini ResNet whose output also adds big[0] of a 1 GiB external float32 tensor (a sparse file). */
async function withGigabyte(): Promise<string> {
  const dir = join(WORK, '1g');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'mini_1g.onnx');
  const data = join(dir, 'mini_1g.data');
  const elements = 2 ** 28; // 1 GiB of float32
  if (existsSync(path) && existsSync(data) && statSync(data).size === elements * 4) return path;
  const model = api.decodeModel(new Uint8Array(readFileSync(join(FIXTURES, 'mini_resnet_bottleneck_op13.onnx'))));
  const g = model.graph!;
  const big = api.makeTensorShell('bench/big', [elements], api.DataType.FLOAT);
  big.data_location = 1; // EXTERNAL
  big.external_data = [
    { key: 'location', value: 'mini_1g.data' },
    { key: 'offset', value: '0' },
    { key: 'length', value: String(elements * 4) },
  ];
  g.initializer.push(big, api.makeInt64Tensor('bench/index', [1], [0]));
  const out = g.output[0]!.name!;
  const inner = `${out}/before_big`;
  for (const n of g.node) n.output = n.output.map((o) => (o === out ? inner : o));
  g.node.push(
    api.makeNode({
      op_type: 'Gather',
      name: 'bench/gather',
      input: ['bench/big', 'bench/index'],
      output: ['bench/b0'],
    }),
    api.makeNode({ op_type: 'Add', name: 'bench/add', input: [inner, 'bench/b0'], output: [out] }),
  );
  const fd = openSync(data, 'w');
  ftruncateSync(fd, elements * 4);
  closeSync(fd);
  await api.saveModel(model, path, { baseDir: dir });
  return path;
}

mkdirSync(WORK, { recursive: true });
if (!existsSync(TIME)) {
  console.log(`validate: SKIPPED (${TIME} is needed for the peak RSS)`);
  process.exit(0);
}
const cases: Case[] = [];
if (ONLY.includes('mini')) {
  const original = join(FIXTURES, 'mini_resnet_bottleneck_op13.onnx');
  cases.push({
    name: 'mini ResNet (0.6 MB)',
    original,
    rewritten: injected(original, join(WORK, 'mini.sge.onnx'), 8),
    dims: [1, 3, 96, 96],
    bytes: statSync(original).size,
  });
}
if (ONLY.includes('r50')) {
  const original = cachedResNet50();
  if (!original) console.log('ResNet-50: SKIPPED (needs torch and torchvision in /usr/bin/python3)');
  else
    cases.push({
      name: 'ResNet-50 (102 MB), 16 sites',
      original,
      rewritten: injected(original, join(WORK, 'resnet50.sge.onnx'), 64),
      dims: [1, 3, 224, 224],
      bytes: statSync(original).size,
    });
}
if (ONLY.includes('1g')) {
  const original = await withGigabyte();
  cases.push({
    name: 'mini ResNet + 1 GiB external data',
    original,
    rewritten: injected(original, join(WORK, '1g', 'mini_1g.sge.onnx'), 8),
    dims: [1, 3, 96, 96],
    bytes: statSync(original).size + 2 ** 30,
  });
}
console.log(
  `${REPS} runs each, fresh processes, interleaved, medians; load average at start ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  'model                              |  ours s | ref s | x ref | ours cpu s | ref cpu s | x ref | ours MiB | ref MiB | x ref',
);
const rows: [Case, ReturnType<typeof compare>][] = [];
const line = (name: string, r: Medians, ref: Medians) =>
  console.log(
    `${name.padEnd(34)} | ${(r.ms / 1000).toFixed(2).padStart(7)} | ${(ref.ms / 1000).toFixed(2).padStart(5)} | ${(r.ms / ref.ms).toFixed(2).padStart(5)} | ${(r.cpu / 1000).toFixed(2).padStart(10)} | ${(ref.cpu / 1000).toFixed(2).padStart(9)} | ${(r.cpu / ref.cpu).toFixed(2).padStart(5)} | ${r.rss.toFixed(0).padStart(8)} | ${ref.rss.toFixed(0).padStart(7)} | ${(r.rss / ref.rss).toFixed(2).padStart(5)}`,
  );
for (const c of cases) {
  const r = compare(c);
  rows.push([c, r]);
  line(c.name, r.ours, r.ref);
  if (r.before) line('  before (--compare-cli)', r.before, r.ref);
}
console.log('ref: create + run the original and the rewritten model once each in onnxruntime-node, releasing each');
const r50 = rows.find(([c]) => c.name.startsWith('ResNet-50'));
if (r50) {
  const [, { ours: r, ref }] = r50;
  const verdict = (what: string, v: number, limit: number) =>
    console.log(
      `  ${what.padEnd(40)} ${v.toFixed(2).padStart(6)}  limit ${limit.toFixed(2)}  ${v <= limit ? 'met' : 'MISSED'}`,
    );
  console.log('targets (ResNet-50, ratio to ref in the same run):');
  verdict('validate --runs 1, time', r.ms / ref.ms, 2);
  verdict('validate --runs 1, CPU time (steadier on a busy machine)', r.cpu / ref.cpu, 2);
  verdict('validate --runs 1, peak RSS', r.rss / ref.rss, 1.5);
}
const mini = rows.find(([c]) => c.name.startsWith('mini ResNet ('));
if (mini && rows.length > 1) {
  console.log('peak growth over the mini ResNet, per MB of model (weights in the file or in external data):');
  const [, base] = mini;
  for (const [c, r] of rows) {
    if (c === mini[0]) continue;
    const mb = (c.bytes - mini[0].bytes) / 1e6;
    const ours = r.ours.rss - base.ours.rss;
    const ref = r.ref.rss - base.ref.rss;
    console.log(
      `  ${c.name.padEnd(34)} ours +${ours.toFixed(0)} MiB (${(ours / mb).toFixed(2)} MiB/MB), ref +${ref.toFixed(0)} MiB (${(ref / mb).toFixed(2)} MiB/MB)`,
    );
  }
}
rmSync(join(WORK, '.time.txt'), { force: true });
