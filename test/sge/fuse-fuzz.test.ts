// Fuzz of the fuse matcher: one block of a torch export (fixtures/fuse) changed at random (a constant it
// reads changed, an op swapped for one of its kind, an input rewired to another tensor of the block),
// then fuseSge. The block must be fused to a model whose outputs match the edited model's in onnxruntime
// (float32 tolerance, on the fixture's test input, whose second site is of low amplitude), or be left
// as it is: a near miss (with a reason) or not recognized at all, the model unchanged. fuseSge may
// refuse the whole model only with an InputError; anything else is a bug. The export's other blocks
// are fused beforehand, so that the edited block is the only difference fuse can make: an edit that
// makes the network ill-conditioned (x / sigmoid(t), say) would otherwise amplify the float32 rounding
// by which the other blocks' fused form differs from their exported one.
// SGE_FUSE_FUZZ_N sets the number of edited models (npm test: 40; .ci/run: 1,000); SGE_FUSE_FUZZ_SEED
// replays a run, SGE_FUSE_FUZZ_ONLY=i one case of it.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import { DataType, type ModelProto, type NodeProto, type TensorProto } from '../../src/codec/types.js';
import { InputError } from '../../src/errors.js';
import { makeTensor } from '../../src/graph/factory.js';
import { fuseSge } from '../../src/sge/fuse/fuse.js';
import { tensorNumbers } from '../../src/tensor/numbers.js';
import { FLOAT32_TOLERANCE } from '../../src/validate/compare.js';
import { compareArrays } from '../helpers/compare.js';
import { runOrt } from '../helpers/ort.js';
import { rng } from '../helpers/random.js';
import { readTensorPb } from '../helpers/tensors.js';

const N = Number(process.env.SGE_FUSE_FUZZ_N ?? 40);
const SEED = Number(process.env.SGE_FUSE_FUZZ_SEED ?? 0xf05e);
/** Replays one case (its #index in a failure report). */
const ONLY = process.env.SGE_FUSE_FUZZ_ONLY === undefined ? undefined : Number(process.env.SGE_FUSE_FUZZ_ONLY);

const DIR = fileURLToPath(new URL('../../fixtures/fuse/', import.meta.url));
/** One export of each implementation, opsets 11 to 18, dynamic and static, shared constants. */
const BASES = [
  'pytorchinsight_op13_dyn_fold',
  'pytorchinsight_op17_b2_nofold',
  'pytorchinsight_op18_dyn_fold_shared',
  'external_attention_op11_dyn_fold',
  'yolo_fishvit_op17_b2_fold',
  'variant_mean_var_op17_dyn_nofold',
  'variant_bmm_flatten_op13_dyn_fold',
];

interface Block {
  scope: string;
  site: string;
  x: string;
}
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as {
  models: { file: string; testData: string[]; blocks: Block[] }[];
};
const bases = BASES.map((stem) => {
  const entry = manifest.models.find((m) => m.file === `${stem}.onnx`)!;
  const input = readTensorPb(join(DIR, entry.testData[0]!, 'input_0.pb'));
  return { stem, bytes: new Uint8Array(readFileSync(join(DIR, entry.file))), blocks: entry.blocks, input };
});

/** The export with every block but `block` fused (that one made a near miss meanwhile, then restored). */
const withOneBlock = new Map<string, Uint8Array>();
async function oneBlockLeft(base: (typeof bases)[number], block: Block): Promise<Uint8Array> {
  const key = `${base.stem} ${block.site}`;
  const cached = withOneBlock.get(key);
  if (cached) return cached;
  const model = decodeModel(base.bytes);
  const gate = model.graph!.node.find((n) => n.name?.startsWith(block.scope) && n.op_type === 'Sigmoid')!;
  gate.op_type = 'Tanh';
  const report = await fuseSge(model, { ort });
  expect(report.sites.map((s) => s.name)).toEqual(base.blocks.filter((b) => b !== block).map((b) => b.site));
  expect(report.nearMisses.map((n) => n.site)).toEqual([block.site]);
  gate.op_type = 'Sigmoid';
  const bytes = encodeModel(model);
  withOneBlock.set(key, bytes);
  return bytes;
}

/** Ops an op may be swapped for: its own kind, so that the edited block still looks like SGE. */
const KINDS = [
  ['Add', 'Sub', 'Mul', 'Div'],
  ['Sigmoid', 'Tanh', 'Relu', 'Abs', 'Exp', 'Sqrt', 'Neg', 'Reciprocal'],
  ['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceL2', 'ReduceSumSquare'],
];

type Pick = <T>(items: readonly T[]) => T;

/** A tensor with one element changed: scaled a little or a lot, negated, zeroed, or moved by one. */
function changedTensor(t: TensorProto, r: () => number, pick: Pick): TensorProto | undefined {
  const values = tensorNumbers(t, 1 << 16);
  if (values.length === 0) return undefined;
  const i = Math.floor(r() * values.length);
  const v = values[i]!;
  const integer = t.data_type === DataType.INT64 || t.data_type === DataType.INT32;
  values[i] = integer
    ? pick([v + 1, v - 1, -v, 0, -1])
    : pick([v * (1 + 1e-3), v * 1.1, v * 2, -v, 0, v + 1, v * 1e-3]);
  if (values[i] === v) values[i] = v + 1;
  const dims = t.dims.map(Number);
  const name = t.name ?? '';
  switch (t.data_type) {
    case DataType.FLOAT:
      return makeTensor(name, dims, Float32Array.from(values));
    case DataType.DOUBLE:
      return makeTensor(name, dims, Float64Array.from(values));
    case DataType.INT64:
      return makeTensor(
        name,
        dims,
        BigInt64Array.from(values, (x) => BigInt(x)),
      );
    case DataType.INT32:
      return makeTensor(name, dims, Int32Array.from(values));
    default:
      return undefined;
  }
}

/** Applies one random edit to the block after `block.site`; returns what it did, or undefined. */
function editBlock(model: ModelProto, block: Block, r: () => number): string | undefined {
  const pick: Pick = (items) => items[Math.floor(r() * items.length)]!;
  const graph = model.graph!;
  const nodes = graph.node.filter((n) => n.name?.startsWith(block.scope));
  if (nodes.length === 0) return undefined;
  const kind = pick(['constant', 'op', 'edge'] as const);
  if (kind === 'constant') {
    // An initializer or a Constant node the block reads (shared ones included: the property holds).
    const producers = new Map<string, NodeProto>();
    for (const n of graph.node) if (n.op_type === 'Constant') for (const o of n.output) producers.set(o, n);
    const inits = new Map(graph.initializer.map((t, i) => [t.name ?? '', i]));
    const reads = [...new Set(nodes.flatMap((n) => n.input))].filter((i) => inits.has(i) || producers.has(i));
    if (reads.length === 0) return undefined;
    const name = pick(reads);
    if (inits.has(name)) {
      const at = inits.get(name)!;
      const t = changedTensor(graph.initializer[at]!, r, pick);
      if (!t) return undefined;
      graph.initializer[at] = t;
    } else {
      const attr = producers.get(name)!.attribute.find((a) => a.name === 'value' && a.t);
      const t = attr && changedTensor(attr.t!, r, pick);
      if (!t) return undefined;
      attr.t = t;
    }
    return `constant '${name}' changed`;
  }
  if (kind === 'op') {
    const swappable = nodes.filter((n) => KINDS.some((k) => k.includes(n.op_type ?? '')));
    if (swappable.length === 0) return undefined;
    const node = pick(swappable);
    const kindOps = KINDS.find((k) => k.includes(node.op_type ?? ''))!.filter((op) => op !== node.op_type);
    const to = pick(kindOps);
    const from = node.op_type;
    node.op_type = to;
    return `${from} '${node.name}' → ${to}`;
  }
  // An input of a block node rewired to X or to an output of a block node before it.
  const order = new Map(graph.node.map((n, i) => [n, i]));
  const withInputs = nodes.filter((n) => n.input.length > 0 && n.op_type !== 'Shape');
  if (withInputs.length === 0) return undefined;
  const node = pick(withInputs);
  const earlier = nodes.filter((n) => order.get(n)! < order.get(node)!).flatMap((n) => n.output);
  const choices = [block.x, ...earlier].filter((t) => !node.input.includes(t));
  if (choices.length === 0) return undefined;
  const slot = Math.floor(r() * node.input.length);
  const to = pick(choices);
  const from = node.input[slot];
  node.input[slot] = to;
  return `input ${slot} of '${node.name}' '${from}' → '${to}'`;
}

/** The first output of `bytes` on the input, or undefined when onnxruntime cannot run it. */
async function outputOf(bytes: Uint8Array, input: { data: Float32Array; dims: number[] }) {
  try {
    const out = await runOrt(bytes, { input }, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return Object.values(out)[0]!.data as Float32Array;
  } catch {
    return undefined;
  }
}

/** Byte equality without the deep-equality walk over every element (tens of kilobytes per case). */
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

describe('fuse fuzz', () => {
  it(`${N} randomly edited blocks: fused to the same outputs, or left with a reason`, async () => {
    const outcomes: Record<string, number> = {};
    const count = (k: string) => {
      outcomes[k] = (outcomes[k] ?? 0) + 1;
    };
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      if (ONLY !== undefined && i !== ONLY) continue;
      const r = rng(SEED + i * 7919);
      const base = bases[Math.floor(r() * bases.length)]!;
      const block = base.blocks[Math.floor(r() * base.blocks.length)]!;
      const model = decodeModel(await oneBlockLeft(base, block));
      const edit = editBlock(model, block, r);
      if (!edit) {
        count('no edit possible');
        continue;
      }
      const where = `#${i} ${base.stem}, block after ${block.site}: ${edit}`;
      const edited = encodeModel(model);
      let report: Awaited<ReturnType<typeof fuseSge>>;
      try {
        report = await fuseSge(model, { ort });
      } catch (err) {
        if (!(err instanceof InputError)) throw new Error(`${where}: ${String(err)}`, { cause: err });
        expect(sameBytes(encodeModel(model), edited), `${where}: a refusal must leave the model as it was`).toBe(true);
        count('model refused');
        continue;
      }
      expect(
        report.sites.every((s) => s.name === block.site),
        `${where}: fused another site`,
      ).toBe(true);
      const miss = report.nearMisses.find((n) => n.site === block.site);
      if (miss) expect(miss.reasons.length, `${where}: a near miss without a reason`).toBeGreaterThan(0);
      count(report.sites.length ? 'fused' : miss ? 'near miss' : 'not recognized');
      if (report.sites.length === 0) {
        expect(sameBytes(encodeModel(model), edited), `${where}: nothing fused, so nothing may change`).toBe(true);
        continue;
      }
      const before = await outputOf(edited, base.input);
      if (!before) {
        count('(edited model does not run)');
        continue;
      }
      const after = await outputOf(encodeModel(model), base.input);
      expect(after, `${where}: onnxruntime cannot run the fused model`).toBeDefined();
      const cmp = compareArrays(after!, before, FLOAT32_TOLERANCE);
      expect(cmp.failures, `${where}: fused outputs differ (max abs ${cmp.maxAbs})`).toBe(0);
    }
    console.log(
      `fuse fuzz: ${N} edited models in ${((performance.now() - start) / 1000).toFixed(1)} s (${(cpuSeconds(process.cpuUsage(cpu0))).toFixed(1)} s CPU); outcomes ${JSON.stringify(outcomes)}`,
    );
  }, 600_000);
});
