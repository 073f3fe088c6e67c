// One measured run of bench/io.bench.ts, in a fresh process: `node io-child.js <kind> <in> <out>`.
// Prints one JSON line: the operation's wall time (ms) and the process's peak RSS (VmHWM, KiB).
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

const [kind = '', input = '', output = ''] = process.argv.slice(2);

function peakRssKiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

// Imports happen before the clock starts (like `import onnx` on the Python side).
const io = kind.startsWith('ours') ? await import('sge-inject') : undefined;

const t0 = performance.now();
if (kind === 'ours') {
  await io!.saveModel(await io!.loadModel(input), output);
} else if (kind === 'ours-durable') {
  await io!.saveModel(await io!.loadModel(input), output, { durable: true });
} else if (kind === 'node-fs') {
  await writeFile(output, await readFile(input));
} else {
  throw new Error(`unknown kind ${kind}`);
}
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, peakRssKiB: peakRssKiB() }));
