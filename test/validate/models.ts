/**
 * Tiny models for the validation tests, built by hand so the validator is tested independently of the
 * transform: a chain of Convs with seeded random weights, and an SGE written straight from the reference
 * (shared/docs/sge-reference.md) as standard ai.onnx ops at opset 17, inline or as a model-local function,
 * following the project's site conventions. `biasedStd` builds the classic port bug (divide by S).
 */
import {
  DataType,
  type FunctionProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from '../../src/codec/types.js';
import {
  makeAttribute,
  makeFunction,
  makeGraph,
  makeInt64Tensor,
  makeModel,
  makeNode,
  makeOpset,
  makeTensor,
  makeValueInfo,
} from '../../src/graph/factory.js';
import type { Dim } from '../../src/graph/dims.js';
import { toFloat16Bits } from '../../src/tensor/float16.js';
import { seededUniform } from '../helpers/random.js';

/** Seeded uniform float32 values in [lo, hi). */
export const seeded = seededUniform;

function floatTensor(name: string, dims: number[], values: Float32Array, f16: boolean): TensorProto {
  return f16 ? makeTensor(name, dims, toFloat16Bits(values), DataType.FLOAT16) : makeTensor(name, dims, values);
}

/** Options of {@link convChain}. */
export interface ConvChainOptions {
  /** Input dims; a string is a symbolic dim (e.g. 'N'). */
  readonly input: Dim[];
  /** Output channels of each Conv (3×3, pad 1), named conv1, conv2, …; a Relu follows each but the last. */
  readonly channels: number[];
  readonly float16?: boolean;
  readonly seed?: number;
}

/**
 * input → conv1 → relu1 → conv2 → … → convK; the last Conv's output is the graph output `output`.
 * Conv outputs are named `<conv>_out` (the last one `output`).
 */
export function convChain(o: ConvChainOptions): ModelProto {
  const f16 = o.float16 ?? false;
  const type = f16 ? DataType.FLOAT16 : DataType.FLOAT;
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let prev = 'input';
  let cin = o.input[1] as number;
  o.channels.forEach((c, i) => {
    const name = `conv${i + 1}`;
    const last = i === o.channels.length - 1;
    const out = last ? 'output' : `${name}_out`;
    inits.push(floatTensor(`${name}.weight`, [c, cin, 3, 3], seeded(c * cin * 9, (o.seed ?? 7) + i, -0.5, 0.5), f16));
    inits.push(floatTensor(`${name}.bias`, [c], seeded(c, (o.seed ?? 7) + 100 + i, -0.1, 0.1), f16));
    nodes.push(
      makeNode({
        op_type: 'Conv',
        name,
        input: [prev, `${name}.weight`, `${name}.bias`],
        output: [out],
        attribute: [makeAttribute('kernel_shape', { ints: [3, 3] }), makeAttribute('pads', { ints: [1, 1, 1, 1] })],
      }),
    );
    prev = out;
    if (!last) {
      nodes.push(makeNode({ op_type: 'Relu', name: `relu${i + 1}`, input: [out], output: [`relu${i + 1}_out`] }));
      prev = `relu${i + 1}_out`;
    }
    cin = c;
  });
  const outDims: Dim[] = [o.input[0], o.channels[o.channels.length - 1], o.input[2], o.input[3]];
  const graph = makeGraph({
    name: 'conv_chain',
    node: nodes,
    initializer: inits,
    input: [makeValueInfo('input', type, o.input)],
    output: [makeValueInfo('output', type, outDims)],
  });
  return makeModel(graph, [makeOpset('', 17)], 8);
}

/** Options of {@link addSge}. */
export interface AddSgeOptions {
  /** The Conv node (site name = node name). */
  readonly site: string;
  readonly groups: number;
  readonly mode: 'inline' | 'function';
  /** Parameters; default seeded random, weight in [0.5, 1.5) so the normalization matters. */
  readonly weight?: Float32Array;
  readonly bias?: Float32Array;
  /** Sabotage: divide the variance by S instead of S − 1. */
  readonly biasedStd?: boolean;
}

/**
 * The SGE body as standard ops, generic in N, C and the spatial dims (G from weight's length).
 * `name(k)` names the node of step k; X, weight, bias, Y are the tensor names to use.
 */
function sgeBody(
  io: { x: string; weight: string; bias: string; y: string },
  name: (k: string) => string,
  t: (k: string) => string,
  f16: boolean,
  biasedStd: boolean,
): NodeProto[] {
  const n: NodeProto[] = [];
  const add = (
    op: string,
    inputs: string[],
    out: string,
    attrs: ReturnType<typeof makeAttribute>[] = [],
    doc?: string,
  ) => {
    n.push(
      makeNode({
        op_type: op,
        name: name(out),
        input: inputs,
        output: [t(out)],
        attribute: attrs,
        ...(doc ? { doc_string: doc } : {}),
      }),
    );
    return t(out);
  };
  const constant = (k: string, tensor: TensorProto) => add('Constant', [], k, [makeAttribute('value', { tensor })]);
  const marker = 'sge-inject:SpatialGroupEnhance';
  const xf = f16 ? add('Cast', [io.x], 'xf', [makeAttribute('to', { int: DataType.FLOAT })], marker) : io.x;
  const shp = add('Shape', [xf], 'shape', [], f16 ? undefined : marker);
  const c0 = constant('c0', makeInt64Tensor('', [1], [0]));
  const cm1 = constant('cm1', makeInt64Tensor('', [1], [-1]));
  const c2 = constant('c2', makeInt64Tensor('', [1], [2]));
  const cend = constant('cend', makeInt64Tensor('', [1], [1000]));
  const axes = constant('axes023', makeInt64Tensor('', [3], [0, 2, 3]));
  const sp = add('Slice', [shp, c2, cend], 'spatial');
  const s = add('ReduceProd', [sp], 'S', [makeAttribute('keepdims', { int: 1 })]);
  const gsh = add('Shape', [io.weight], 'G');
  const target = add('Concat', [c0, gsh, cm1, s], 'target', [makeAttribute('axis', { int: 0 })]);
  const r = add('Reshape', [xf, target], 'grouped');
  const m = add('ReduceMean', [r], 'mean', [
    makeAttribute('axes', { ints: [3] }),
    makeAttribute('keepdims', { int: 1 }),
  ]);
  const mt = add('Transpose', [m], 'meanT', [makeAttribute('perm', { ints: [0, 1, 3, 2] })]);
  const dot = add('MatMul', [mt, r], 'dot');
  const mu = add('ReduceMean', [dot], 'mu', [
    makeAttribute('axes', { ints: [3] }),
    makeAttribute('keepdims', { int: 1 }),
  ]);
  const d = add('Sub', [dot, mu], 'centered');
  const ss = add('ReduceSumSquare', [d], 'ss', [
    makeAttribute('axes', { ints: [3] }),
    makeAttribute('keepdims', { int: 1 }),
  ]);
  const sf = add('Cast', [s], 'Sf', [makeAttribute('to', { int: DataType.FLOAT })]);
  const one = constant('one', makeTensor('', [1], new Float32Array([1])));
  const dof = biasedStd ? sf : add('Sub', [sf, one], 'dof');
  const variance = add('Div', [ss, dof], 'var');
  const sd = add('Sqrt', [variance], 'std');
  const eps = constant('eps', makeTensor('', [1], new Float32Array([1e-5])));
  const den = add('Add', [sd, eps], 'den');
  const tn = add('Div', [d, den], 'normed');
  const wf = f16 ? add('Cast', [io.weight], 'wf', [makeAttribute('to', { int: DataType.FLOAT })]) : io.weight;
  const bf = f16 ? add('Cast', [io.bias], 'bf', [makeAttribute('to', { int: DataType.FLOAT })]) : io.bias;
  const w4 = add('Unsqueeze', [wf, axes], 'w4');
  const b4 = add('Unsqueeze', [bf, axes], 'b4');
  const a = add('Add', [add('Mul', [tn, w4], 'scaled'), b4], 'affine');
  const gate = add('Sigmoid', [a], 'gate');
  const prod = add('Mul', [r, gate], 'gated');
  if (f16) {
    const yf = add('Reshape', [prod, shp], 'yf');
    n.push(
      makeNode({
        op_type: 'Cast',
        name: name(''),
        input: [yf],
        output: [io.y],
        attribute: [makeAttribute('to', { int: DataType.FLOAT16 })],
      }),
    );
  } else {
    n.push(makeNode({ op_type: 'Reshape', name: name(''), input: [prod, shp], output: [io.y] }));
  }
  return n;
}

/**
 * A copy of `model` (re-decoded: the caller's stays as it was) with an SGE after Conv `site`: the conv
 * writes a fresh name `<out>/sge_in`, the SGE writes the conv's original output name.
 */
export function addSge(model: ModelProto, o: AddSgeOptions): ModelProto {
  const g = model.graph!;
  const at = g.node.findIndex((nd) => nd.name === o.site);
  if (at < 0) throw new Error(`no node ${o.site}`);
  const conv = g.node[at]!;
  const y = conv.output[0]!;
  const x = `${y}/sge_in`;
  const f16 = g.initializer.find((t) => t.name === conv.input[1])!.data_type === DataType.FLOAT16;
  const groups = o.groups;
  const weight = o.weight ?? seeded(groups, 11, 0.5, 1.5);
  const bias = o.bias ?? seeded(groups, 12, -1, 1);
  const wName = `${o.site}/sge/weight`,
    bName = `${o.site}/sge/bias`;
  const newConv = { ...conv, output: [x, ...conv.output.slice(1)] };
  const biased = o.biasedStd ?? false;
  let sge: NodeProto[];
  const functions: FunctionProto[] = [...model.functions];
  const opsets = [...model.opset_import];
  if (o.mode === 'inline') {
    sge = sgeBody(
      { x, weight: wName, bias: bName, y },
      (k) => (k ? `${o.site}/sge/${k}` : `${o.site}/sge`),
      (k) => `${o.site}/sge/${k}`,
      f16,
      biased,
    );
  } else {
    const fname = f16 ? 'SpatialGroupEnhance_float16' : 'SpatialGroupEnhance';
    if (!functions.some((f) => f.name === fname)) {
      functions.push(
        makeFunction({
          name: fname,
          domain: 'com.sge-inject',
          input: ['X', 'weight', 'bias'],
          output: ['Y'],
          node: sgeBody(
            { x: 'X', weight: 'weight', bias: 'bias', y: 'Y' },
            (k) => k || 'gate_mul',
            (k) => k,
            f16,
            biased,
          ),
          opset_import: [makeOpset('', 17)],
        }),
      );
    }
    if (!opsets.some((op) => op.domain === 'com.sge-inject')) opsets.push(makeOpset('com.sge-inject', 1));
    sge = [
      makeNode({
        op_type: fname,
        domain: 'com.sge-inject',
        name: `${o.site}/sge`,
        input: [x, wName, bName],
        output: [y],
      }),
    ];
  }
  const graph = makeGraph({
    name: g.name ?? 'g',
    node: [...g.node.slice(0, at), newConv, ...sge, ...g.node.slice(at + 1)],
    initializer: [...g.initializer, floatTensor(wName, [groups], weight, f16), floatTensor(bName, [groups], bias, f16)],
    input: [...g.input],
    output: [...g.output],
    value_info: [...g.value_info],
  });
  return { ...model, graph, functions, opset_import: opsets };
}

/** Sabotage: every Sigmoid (graph, subgraphs' top level, functions) becomes HardSigmoid. Edits in place. */
export function swapSigmoid(model: ModelProto): ModelProto {
  const swap = (nodes: NodeProto[]) => {
    for (const nd of nodes) if (nd.op_type === 'Sigmoid') nd.op_type = 'HardSigmoid';
  };
  swap(model.graph!.node);
  for (const f of model.functions) swap(f.node);
  return model;
}
