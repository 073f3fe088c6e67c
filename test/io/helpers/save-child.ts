// Child process for test/io: loads a model, optionally enlarges it, saves it, and prints a JSON line
// with the outcome and the process's peak RSS (VmHWM). Arguments: one JSON object (see Args).
import { readFileSync } from 'node:fs';
import { loadModel, saveModel, type SaveOptions } from '../../../src/io/index.js';
import { liveTempFiles } from '../../../src/io/atomic-write.js';
import { makeNode, makeTensor } from '../../../src/graph/factory.js';

interface Args {
  input: string;
  /** Output paths, each optionally with its own save options (else `options`). */
  outputs: Array<string | [string, SaveOptions]>;
  options?: SaveOptions;
  /** Add this many initializers that all view one shared buffer of `viewMiB` MiB (big writes, little memory). */
  views?: number;
  viewMiB?: number;
  /** Append an Identity node after the graph's first output (an edit that touches no weights). */
  edit?: boolean;
  /** Send this signal to ourselves as soon as a temporary file exists. */
  signal?: NodeJS.Signals;
}

function peakRssKiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : -1;
}

const args = JSON.parse(process.argv[2]!) as Args;
try {
  const rssBefore = peakRssKiB();
  const model = await loadModel(args.input);
  if (args.views) {
    const shared = new Float32Array((args.viewMiB ?? 8) * 2 ** 18).fill(0.5);
    for (let i = 0; i < args.views; i++) {
      const t = makeTensor(`extra_${i}`, [shared.length], new Float32Array(1));
      t.raw_data = new Uint8Array(shared.buffer);
      model.graph!.initializer.push(t);
    }
  }
  if (args.edit) {
    const g = model.graph!;
    const y = g.output[0]!.name!;
    g.node.push(makeNode({ op_type: 'Identity', name: 'edit/identity', input: [y], output: [`${y}/edited`] }));
    g.output[0] = { ...g.output[0]!, name: `${y}/edited` };
  }
  if (args.signal) {
    const timer = setInterval(() => {
      if (liveTempFiles().length > 0) {
        clearInterval(timer);
        process.kill(process.pid, args.signal!);
      }
    }, 0);
  }
  const reports = [];
  for (const out of args.outputs) {
    const [path, options] = typeof out === 'string' ? [out, args.options] : out;
    reports.push(await saveModel(model, path, options));
  }
  console.log(JSON.stringify({ ok: true, reports, rssBeforeKiB: rssBefore, peakRssKiB: peakRssKiB() }));
} catch (err) {
  const e = err as Error & { hint?: string };
  console.log(JSON.stringify({ ok: false, name: e.name, message: e.message, hint: e.hint, peakRssKiB: peakRssKiB() }));
  process.exitCode = 3;
}
