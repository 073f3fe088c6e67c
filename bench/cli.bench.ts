// Whole-process costs of the command-line tool (issue 11, targets 1 and 2): every run is a fresh process,
// the contenders of a table run interleaved (round-robin, the start rotating) so that machine noise spreads
// over all of them, and the table quotes medians and each one's ratio to the reference in the same run.
//
//   npm run bench -- cli [--reps N] [--inject-reps N] [--only startup,inject] [--also DIR]
//
// - start-up: `sge-inject --help` and `sge-inject list fixtures/models/mini_resnet_bottleneck_op13.onnx`
//   against `node -e 0` (target: at most 1.5x), with the floor of `list` beside them: one esbuild-bundled
//   CommonJS file that reads the model and decodes it with the codec (protobufjs light and the schema)
//   and does nothing else.
// - inject: `sge-inject resnet50.onnx --groups 64 --after '*/conv3/Conv' -o NEW` (16 sites, function form,
//   102 MB torchvision ResNet-50) against a bare Node process that reads the file and writes it to a new
//   file (target: at most 1.4x its time, 1.2x its peak RSS), and python3-onnx's load + save in a process.
// Time is the wall time of the process; CPU (user + system) and peak RSS come from /usr/bin/time when it
// is there (CPU time is the steadier figure when other processes compete for the two cores).
// --also DIR adds the same commands run from another checkout's bin/ and dist/ (e.g. an earlier commit's)
// to the same tables.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { arg, FIXTURES, median, OUT, PYTHON, python, ROOT } from './common.js';
import { cachedResNet50 } from './models.js';

const REPS = Number(arg('--reps', '21'));
const INJECT_REPS = Number(arg('--inject-reps', '7'));
const ONLY = arg('--only', 'startup,inject').split(',');
const TIME = '/usr/bin/time';
const CLI = join(ROOT, 'bin', 'sge-inject.js');
const ALSO = arg('--also');
const OTHER_CLI = ALSO ? join(ALSO, 'bin', 'sge-inject.js') : undefined;

interface Contender {
  readonly label: string;
  readonly argv: readonly string[];
  readonly after?: () => void;
}
interface Sample {
  readonly ms: number;
  readonly cpuMs: number;
  readonly rssMiB: number;
}

/** One run of `argv` in a fresh process, under /usr/bin/time when present. */
function runOnce(c: Contender, scratch: string): Sample {
  const stats = join(scratch, 'time.txt');
  const withTime = existsSync(TIME);
  const [cmd, ...args] = withTime ? [TIME, '-f', '%U %S %M', '-o', stats, ...c.argv] : c.argv;
  const t0 = performance.now();
  const r = spawnSync(cmd!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  const ms = performance.now() - t0;
  c.after?.();
  if (r.status !== 0) throw new Error(`${c.label} failed (${r.status}): ${r.stderr || r.error}`);
  if (!withTime) return { ms, cpuMs: Number.NaN, rssMiB: Number.NaN };
  const [user, sys, maxKiB] = readFileSync(stats, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { ms, cpuMs: (user! + sys!) * 1000, rssMiB: maxKiB! / 1024 };
}

/** Runs every contender `reps` times, interleaved; prints the table with ratios to the first one. */
function table(title: string, contenders: readonly Contender[], reps: number, scratch: string): Sample[] {
  const samples = contenders.map(() => [] as Sample[]);
  for (let i = 0; i < reps; i++)
    for (let k = 0; k < contenders.length; k++) {
      const j = (i + k) % contenders.length;
      samples[j]!.push(runOnce(contenders[j]!, scratch));
    }
  const med = samples.map((s) => ({
    ms: median(s.map((x) => x.ms)),
    cpuMs: median(s.map((x) => x.cpuMs)),
    rssMiB: median(s.map((x) => x.rssMiB)),
  }));
  const ref = med[0]!;
  const w = Math.max(...contenders.map((c) => c.label.length));
  console.log(`\n${title}: ${reps} runs each, interleaved, medians; load average ${loadText()}`);
  console.log(`${''.padEnd(w)} |   wall ms | x ref |    cpu ms | x ref | peak RSS MiB | x ref`);
  for (const [i, c] of contenders.entries()) {
    const m = med[i]!;
    const cells = [
      m.ms.toFixed(0).padStart(9),
      (m.ms / ref.ms).toFixed(2).padStart(5),
      m.cpuMs.toFixed(0).padStart(9),
      (m.cpuMs / ref.cpuMs).toFixed(2).padStart(5),
      m.rssMiB.toFixed(0).padStart(12),
      (m.rssMiB / ref.rssMiB).toFixed(2).padStart(5),
    ];
    console.log(`${c.label.padEnd(w)} | ${cells.join(' | ')}`);
  }
  return med;
}

function loadText(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function verdict(what: string, value: number, limit: number): void {
  console.log(
    `  ${what.padEnd(58)} ${value.toFixed(2).padStart(6)}  limit ${limit.toFixed(2)}  ${value <= limit ? 'met' : 'MISSED'}`,
  );
}

/** The bound of the start-up table: list's floor, one bundled CommonJS file (as the bin's chunks are) that reads and decodes. */
async function listFloor(): Promise<string> {
  const floor = join(OUT, 'startup-floor.cjs');
  await build({
    absWorkingDir: ROOT,
    stdin: {
      contents:
        "import { readFileSync } from 'node:fs';\n" +
        "import { decodeModel } from './dist/codec/decode.js';\n" +
        'const model = decodeModel(new Uint8Array(readFileSync(process.argv[2])));\n' +
        'if (model.graph.node.length === 0) process.exitCode = 1;\n',
      resolveDir: ROOT,
      sourcefile: 'startup-floor.js',
    },
    outfile: floor,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  return floor;
}

const scratch = mkdtempSync(join(tmpdir(), 'sge-cli-bench-'));
try {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'index.js'))) throw new Error('dist/ is missing: npm run build');
  if (ONLY.includes('startup')) {
    const mini = join(FIXTURES, 'mini_resnet_bottleneck_op13.onnx');
    const node = process.execPath;
    const floor = await listFloor();
    const med = table(
      'start-up (whole process)',
      [
        { label: 'node -e 0', argv: [node, '-e', '0'] },
        { label: 'sge-inject --help', argv: [node, CLI, '--help'] },
        { label: 'sge-inject --version', argv: [node, CLI, '--version'] },
        { label: 'sge-inject list mini_resnet_bottleneck_op13.onnx', argv: [node, CLI, 'list', mini] },
        { label: "bound: list's floor (read + decode, bundled)", argv: [node, floor, mini] },
        ...(OTHER_CLI
          ? [
              { label: `${ALSO}: --help`, argv: [node, OTHER_CLI, '--help'] },
              { label: `${ALSO}: list mini`, argv: [node, OTHER_CLI, 'list', mini] },
            ]
          : []),
      ],
      REPS,
      scratch,
    );
    console.log('targets (wall time, ratio to node -e 0 in the same run; cpu ratio in brackets):');
    verdict(`--help (cpu ${(med[1]!.cpuMs / med[0]!.cpuMs).toFixed(2)})`, med[1]!.ms / med[0]!.ms, 1.5);
    verdict(
      `list of the mini ResNet (cpu ${(med[3]!.cpuMs / med[0]!.cpuMs).toFixed(2)})`,
      med[3]!.ms / med[0]!.ms,
      1.5,
    );
    console.log(
      `bound: list's floor ${(med[4]!.ms / med[0]!.ms).toFixed(2)}x; list is ${(med[3]!.ms - med[4]!.ms).toFixed(0)} ms above it`,
    );
  }
  if (ONLY.includes('inject')) {
    const model = cachedResNet50();
    if (!model) console.log('inject: SKIPPED (no ResNet-50: needs torch and torchvision in /usr/bin/python3)');
    else {
      const out = join(scratch, 'out.onnx');
      const clean = () => rmSync(out, { force: true });
      const contenders: Contender[] = [
        {
          label: 'bare Node readFile + writeFile',
          argv: [
            process.execPath,
            '-e',
            "const fs=require('node:fs');fs.writeFileSync(process.argv[2],fs.readFileSync(process.argv[1]))",
            model,
            out,
          ],
          after: clean,
        },
        {
          label: "sge-inject MODEL --groups 64 --after '*/conv3/Conv' -o NEW",
          argv: [process.execPath, CLI, model, '--groups', '64', '--after', '*/conv3/Conv', '-o', out],
          after: clean,
        },
      ];
      const hasOnnx = python(['-c', 'import onnx']).status === 0;
      if (OTHER_CLI)
        contenders.push({
          label: `${ALSO}: inject`,
          argv: [process.execPath, OTHER_CLI, model, '--groups', '64', '--after', '*/conv3/Conv', '-o', out],
          after: clean,
        });
      if (hasOnnx)
        contenders.push({
          label: 'python3-onnx onnx.load + onnx.save',
          argv: [PYTHON, '-c', 'import sys, onnx; onnx.save(onnx.load(sys.argv[1]), sys.argv[2])', model, out],
          after: clean,
        });
      const med = table(
        'inject 16 sites into ResNet-50 and write a new file (whole process)',
        contenders,
        INJECT_REPS,
        scratch,
      );
      console.log('targets (ratio to the bare Node process in the same run):');
      verdict('inject + write, time', med[1]!.ms / med[0]!.ms, 1.4);
      verdict('inject + write, peak RSS', med[1]!.rssMiB / med[0]!.rssMiB, 1.2);
      const py = med[contenders.length - 1]!;
      if (hasOnnx)
        console.log(
          `  against python3-onnx load + save: time ${(med[1]!.ms / py.ms).toFixed(2)}x, peak RSS ${(med[1]!.rssMiB / py.rssMiB).toFixed(2)}x`,
        );
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
