// Structure-aware fuzz of the transform: fixture models decoded, then damaged by random edits a
// protobuf-level fuzz cannot reach (inputs rewired or renamed, op types swapped, nodes deleted or
// duplicated, dims, attributes, opsets, IR versions, domains, functions changed), then injectSge and
// encode; every injected model is stripped again, and listed. Every outcome must be a result or a typed
// refusal (InputError / UsageError, the model left exactly as it was); anything else is a bug.
// SGE_STRUCT_FUZZ_N sets the number of edited models (npm test: 300; .ci/run: 2,000);
// SGE_STRUCT_FUZZ_SEED replays a run, SGE_STRUCT_FUZZ_ONLY=i one case of it; every SGE_STRUCT_FUZZ_ORT-th
// injected model (default 25th; .ci/run: 10th) and its edited input are loaded in onnxruntime: one that
// loads the input must load the output.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../src/codec/index.js';
import { DataType, type AttributeProto, type ModelProto, type NodeProto } from '../../src/codec/types.js';
import { InputError } from '../../src/errors.js';
import { makeAttribute, makeFunction, makeNode, makeOpset } from '../../src/graph/factory.js';
import { graphScopes } from '../../src/graph/scopes.js';
import { injectSge } from '../../src/sge/inject.js';
import { listSites } from '../../src/sge/list.js';
import { stripSge } from '../../src/sge/strip.js';
import { identityConvModel } from '../helpers/conv-models.js';
import { rng } from '../helpers/random.js';

const N = Number(process.env.SGE_STRUCT_FUZZ_N ?? 300);
const SEED = Number(process.env.SGE_STRUCT_FUZZ_SEED ?? 0x57c7);
const ORT_EVERY = Number(process.env.SGE_STRUCT_FUZZ_ORT ?? 25);
/** Replays one case (its #index in a failure report). */
const ONLY = process.env.SGE_STRUCT_FUZZ_ONLY === undefined ? undefined : Number(process.env.SGE_STRUCT_FUZZ_ONLY);

const fixture = (rel: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../fixtures/${rel}`, import.meta.url)));
const SOURCES: Array<{ name: string; bytes: Uint8Array }> = [
  { name: 'resnet op13', bytes: fixture('models/mini_resnet_bottleneck_op13.onnx') },
  { name: 'resnet op17', bytes: fixture('models/mini_resnet_bottleneck_op17.onnx') },
  { name: 'torch SGE op13', bytes: fixture('models/mini_resnet_bottleneck_sge_g8_op13.onnx') },
  { name: 'vgg caffe', bytes: fixture('models/mini_vgg_caffe_op13.onnx') },
  { name: 'ir13 future fields', bytes: fixture('ir13/mini_resnet_ir13_future_fields.onnx') },
  {
    name: 'fp16 1-d conv',
    bytes: encodeModel(identityConvModel({ opset: 18, channels: 8, spatial: [6], elemType: DataType.FLOAT16 })),
  },
  { name: 'conv 3-d', bytes: encodeModel(identityConvModel({ opset: 21, channels: 4, spatial: [2, 'H', 3] })) },
];

const OP_TYPES = [
  'Conv',
  'Relu',
  'Add',
  'MaxPool',
  'AveragePool',
  'Flatten',
  'Gemm',
  'Concat',
  'Reshape',
  'GlobalAveragePool',
  'Identity',
  'BatchNormalization',
  'ConvTranspose',
  'Sigmoid',
  'Mul',
  'Cast',
  'NoSuchOp',
];
const ATTRS = ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'axis', 'auto_pad', 'ceil_mode', 'to'];
const WEIRD_INTS = [0, 1, -1, 2, 3, 7, 64, -64, 2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER];

interface Picker {
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

function picker(seed: number): Picker {
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  return { int, pick: (xs) => xs[int(xs.length)]!, chance: (p) => r() < p };
}

function allNodes(model: ModelProto): Array<{ node: NodeProto; list: NodeProto[] }> {
  return [...graphScopes(model)].flatMap(({ graph }) => graph.node.map((node) => ({ node, list: graph.node })));
}

function tensorNames(model: ModelProto): string[] {
  const names = new Set<string>();
  for (const { graph } of graphScopes(model)) {
    for (const n of graph.node) for (const s of [...n.input, ...n.output]) if (s) names.add(s);
    for (const t of graph.initializer) if (t.name) names.add(t.name);
  }
  return [...names];
}

function weirdAttribute(p: Picker, name: string): AttributeProto {
  const k = p.int(5);
  if (k === 0) return makeAttribute(name, { int: p.pick(WEIRD_INTS) });
  if (k === 1) return makeAttribute(name, { ints: Array.from({ length: p.int(5) }, () => p.pick(WEIRD_INTS)) });
  if (k === 2) return makeAttribute(name, { string: p.pick(['SAME_UPPER', 'VALID', 'NOTSET', '', 'bogus']) });
  if (k === 3) return makeAttribute(name, { float: p.pick([0, -1, 0.5, Number.NaN]) });
  return makeAttribute(name, { ints: [] });
}

/** One random edit; returns what it did (for the failure report). */
function edit(model: ModelProto, p: Picker): string {
  const nodes = allNodes(model);
  const names = tensorNames(model);
  const graph = model.graph!;
  const some = nodes.length ? p.pick(nodes) : undefined;
  switch (p.int(14)) {
    case 0: {
      if (!some || some.node.input.length === 0) return 'noop';
      const i = p.int(some.node.input.length);
      const to = p.pick([...names, '', 'no_such_tensor']);
      some.node.input[i] = to;
      return `input ${i} of '${some.node.name}' → '${to}'`;
    }
    case 1: {
      if (!some || some.node.output.length === 0) return 'noop';
      const to = p.chance(0.5) ? p.pick(names) : `renamed_${p.int(1000)}`;
      some.node.output[0] = to;
      return `output 0 of '${some.node.name}' → '${to}'`;
    }
    case 2: {
      if (!some) return 'noop';
      const to = p.pick(OP_TYPES);
      some.node.op_type = to;
      return `'${some.node.name}' becomes ${to}`;
    }
    case 3: {
      if (!some) return 'noop';
      some.list.splice(some.list.indexOf(some.node), 1);
      return `deleted '${some.node.name}'`;
    }
    case 4: {
      if (!some) return 'noop';
      const copy = { ...some.node, input: [...some.node.input], output: [...some.node.output] } as NodeProto;
      if (p.chance(0.5)) copy.output = copy.output.map((o) => `${o}_dup`);
      some.list.splice(p.int(some.list.length + 1), 0, copy);
      return `duplicated '${some.node.name}'`;
    }
    case 5: {
      const infos = [...graph.input, ...graph.output, ...graph.value_info].filter((v) => v.type?.tensor_type?.shape);
      if (!infos.length) return 'noop';
      const v = p.pick(infos);
      const dims = v.type!.tensor_type!.shape!.dim;
      if (p.chance(0.2)) {
        dims.splice(0, p.int(dims.length + 1));
        return `dims of '${v.name}' cut to ${dims.length}`;
      }
      if (!dims.length) return 'noop';
      const i = p.int(dims.length);
      dims[i] = p.chance(0.5) ? { dim_value: p.pick(WEIRD_INTS) } : { dim_param: p.pick(['N', 'H', '']) };
      return `dim ${i} of '${v.name}' changed`;
    }
    case 6: {
      const inits = graph.initializer;
      if (!inits.length) return 'noop';
      const t = p.pick(inits);
      if (!t.dims.length) return 'noop';
      const i = p.int(t.dims.length);
      t.dims[i] = p.pick(WEIRD_INTS);
      return `dim ${i} of initializer '${t.name}' → ${t.dims[i]}`;
    }
    case 7: {
      if (!some) return 'noop';
      const name = p.pick(ATTRS);
      some.node.attribute = [...some.node.attribute.filter((a) => a.name !== name), weirdAttribute(p, name)];
      return `attribute ${name} of '${some.node.name}' replaced`;
    }
    case 8: {
      if (!some) return 'noop';
      some.node.attribute = [];
      return `attributes of '${some.node.name}' removed`;
    }
    case 9: {
      const v = p.pick([1, 7, 10, 11, 13, 17, 21, 26, 27, 99]);
      if (p.chance(0.2)) model.opset_import = model.opset_import.filter((o) => o.domain !== '');
      else model.opset_import = [makeOpset('', v), ...model.opset_import.filter((o) => (o.domain ?? '') !== '')];
      return `ai.onnx opset → ${v}`;
    }
    case 10: {
      model.ir_version = p.pick([0, 3, 7, 8, 10, 13, 14, 99, -1]);
      return `IR → ${model.ir_version}`;
    }
    case 11: {
      if (!some) return 'noop';
      some.node.domain = p.pick(['', 'ai.onnx', 'com.microsoft', 'com.sge-inject']);
      if (p.chance(0.3)) some.node.op_type = p.pick(['SpatialGroupEnhance', 'SpatialGroupEnhance_float16']);
      return `'${some.node.name}' → domain ${some.node.domain} op ${some.node.op_type}`;
    }
    case 12: {
      const body =
        p.chance(0.5) && some ? [{ ...some.node }] : [makeNode({ op_type: 'Relu', input: ['X'], output: ['Y'] })];
      model.functions = [
        ...model.functions,
        makeFunction({
          name: p.pick(['SpatialGroupEnhance', 'SpatialGroupEnhance_float16', 'MyBlock']),
          domain: p.pick(['com.sge-inject', 'com.user']),
          input: ['X', 'weight', 'bias'],
          output: ['Y'],
          node: body,
          opset_import: [makeOpset('', p.pick([13, 17]))],
        }),
      ];
      if (p.chance(0.5)) model.opset_import = [...model.opset_import, makeOpset('com.sge-inject', p.pick([1, 2]))];
      return 'function added';
    }
    default: {
      if (!some) return 'noop';
      const other = p.pick(nodes).node;
      some.node.name = p.chance(0.5) ? other.name : '';
      return `'${some.node.output[0]}' renamed to '${some.node.name}'`;
    }
  }
}

type Outcome = 'refused' | 'stripped' | 'strip-refused';

function typed(err: unknown): boolean {
  return (
    err instanceof InputError || (err instanceof TypeError && /^injectSge:|^stripSge:|^listSites:/.test(err.message))
  );
}

describe('structure-aware fuzz: every edited model is injected or refused cleanly', () => {
  // About 25 ms per model on two busy cores: the CI run of 2,000 takes about a minute.
  it(`${N} edited models (seed ${SEED})`, { timeout: Math.max(60_000, N * 200) }, async () => {
    const counts: Record<string, number> = {};
    const reasons: Record<string, number> = {};
    const bugs: string[] = [];
    const ortChecks: Array<{ input: Uint8Array; output: Uint8Array; what: string }> = [];
    for (let i = ONLY ?? 0; i < (ONLY === undefined ? N : ONLY + 1); i++) {
      const p = picker(SEED + i * 7919);
      const source = p.pick(SOURCES);
      const model = decodeModel(source.bytes);
      const edits = Array.from({ length: 1 + p.int(4) }, () => edit(model, p));
      const what = `#${i} ${source.name}: ${edits.join('; ')}`;
      let input: Uint8Array;
      try {
        input = encodeModel(model);
      } catch {
        // Our own edits made a message the encoder cannot write (never from a decoded file): skip it.
        counts.unencodable = (counts.unencodable ?? 0) + 1;
        continue;
      }
      const convs = allNodes(model)
        .filter(({ node }) => node.op_type === 'Conv')
        .map(({ node }) => node.name || node.output[0] || '');
      const options = {
        after: [p.pick(['*', '*/conv3/Conv', 're:.*[Cc]onv.*', ...convs, ...convs])],
        groups: p.pick([1, 2, 4, 8, 64]),
        inline: p.chance(0.5),
        force: p.chance(0.3),
      };
      let outcome: Outcome;
      try {
        listSites(model, { after: options.after, groups: options.groups });
        injectSge(model, options);
        const output = encodeModel(model);
        decodeModel(output);
        counts.injected = (counts.injected ?? 0) + 1;
        if (ORT_EVERY > 0 && counts.injected % ORT_EVERY === 0) ortChecks.push({ input, output, what });
        try {
          stripSge(model);
          encodeModel(model);
          outcome = 'stripped';
        } catch (err) {
          if (!typed(err)) throw err;
          outcome = 'strip-refused';
          reasons[firstWords(err)] = (reasons[firstWords(err)] ?? 0) + 1;
        }
      } catch (err) {
        if (!typed(err)) {
          bugs.push(`${what}\n    ${(err as Error).stack?.split('\n').slice(0, 6).join('\n    ')}`);
          continue;
        }
        outcome = 'refused';
        reasons[firstWords(err)] = (reasons[firstWords(err)] ?? 0) + 1;
        // A refusal leaves the model exactly as it was.
        const after = encodeModel(model);
        if (!sameBytes(after, input))
          bugs.push(`${what}\n    refused (${(err as Error).message}) but the model changed`);
      }
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
    const ortProblems = ORT_EVERY > 0 ? await checkInOrt(ortChecks) : [];
    console.log(
      `structure fuzz: ${N} edited models; outcomes ${JSON.stringify(counts)}; refusals by kind ${JSON.stringify(reasons)}; onnxruntime checks ${ortChecks.length}`,
    );
    expect(bugs.slice(0, 10)).toEqual([]);
    expect(ortProblems).toEqual([]);
    // The fuzz is worth something only if both paths are exercised.
    if (ONLY === undefined) {
      expect(counts.injected ?? 0).toBeGreaterThan(N / 20);
      expect(counts.refused ?? 0).toBeGreaterThan(N / 20);
    }
  });
});

function firstWords(err: unknown): string {
  return (err as Error).message
    .replace(/'[^']*'/g, "'…'")
    .replace(/\d+/g, 'N')
    .split(/[:;(]/)[0]!
    .slice(0, 60);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Every output whose edited input loads in onnxruntime must load too. */
async function checkInOrt(cases: Array<{ input: Uint8Array; output: Uint8Array; what: string }>): Promise<string[]> {
  const ort = await import('onnxruntime-node');
  const loads = async (bytes: Uint8Array): Promise<string | undefined> => {
    try {
      const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
      await s.release();
      return undefined;
    } catch (err) {
      return (err as Error).message.split('\n')[0];
    }
  };
  const problems: string[] = [];
  for (const c of cases) {
    if ((await loads(c.input)) !== undefined) continue;
    const why = await loads(c.output);
    if (why !== undefined) problems.push(`${c.what}: the input loads, the output does not: ${why}`);
  }
  return problems;
}
