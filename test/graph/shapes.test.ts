// Shape inference, one operator at a time: each row is one node on its own inputs, and what we infer
// is compared with onnx's own shape inference (Debian's python3-onnx) on the same model. Our inference
// may leave a dimension unknown, never give a different one; `known` lists the rows whose whole output
// shape we must find.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Long from 'long';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataType, encodeModel, type NodeProto, type TensorProto, type ValueInfoProto } from '../../src/codec/index.js';
import {
  inferModelShapes,
  makeAttribute,
  makeGraph,
  makeInt64Tensor,
  makeModel,
  makeNode,
  makeOpset,
  makeTensor,
  makeValueInfo,
  ModelIndex,
  declaredDims,
  readDim,
  registerShapeRule,
  tensorInfoOfType,
  type AttributeValue,
  type Dim,
  type TensorInfo,
} from '../../src/graph/index.js';
import { tempFolder } from '../io/tmp.js';

const F = DataType.FLOAT;

interface Row {
  readonly name: string;
  readonly op: string;
  /** Inputs: a shape (a graph input of that shape, float32), or an initializer. */
  readonly inputs: readonly (readonly Dim[] | TensorProto)[];
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
  readonly domain?: string;
  /** The whole output shape must be inferred (else only: no dimension may contradict onnx). */
  readonly known?: boolean;
}

const weight = (name: string, dims: number[]): TensorProto =>
  makeTensor(name, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)));

const ROWS: Row[] = [
  {
    name: 'conv pads 1',
    op: 'Conv',
    inputs: [[1, 3, 32, 32], weight('w1', [16, 3, 3, 3])],
    attributes: { pads: { ints: [1, 1, 1, 1] } },
    known: true,
  },
  {
    name: 'conv stride 2',
    op: 'Conv',
    inputs: [[1, 3, 32, 32], weight('w2', [16, 3, 3, 3])],
    attributes: { strides: { ints: [2, 2] } },
    known: true,
  },
  {
    name: 'conv dilation 2',
    op: 'Conv',
    inputs: [[1, 3, 32, 32], weight('w3', [8, 3, 3, 3])],
    attributes: { dilations: { ints: [2, 2] } },
    known: true,
  },
  {
    name: 'conv SAME_UPPER',
    op: 'Conv',
    inputs: [[1, 3, 33, 33], weight('w4', [8, 3, 3, 3])],
    attributes: { auto_pad: { string: 'SAME_UPPER' }, strides: { ints: [2, 2] } },
    known: true,
  },
  { name: 'conv 1-D', op: 'Conv', inputs: [[2, 4, 50], weight('w5', [6, 4, 5])], known: true },
  { name: 'conv symbolic batch', op: 'Conv', inputs: [['N', 3, 16, 16], weight('w6', [4, 3, 1, 1])], known: true },
  { name: 'conv symbolic spatial', op: 'Conv', inputs: [['N', 3, 'H', 'W'], weight('w7', [4, 3, 3, 3])] },
  {
    name: 'maxpool',
    op: 'MaxPool',
    inputs: [[1, 3, 32, 32]],
    attributes: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } },
    known: true,
  },
  {
    name: 'maxpool ceil',
    op: 'MaxPool',
    inputs: [[1, 3, 32, 32]],
    attributes: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, ceil_mode: { int: 1 } },
    known: true,
  },
  {
    name: 'averagepool',
    op: 'AveragePool',
    inputs: [[1, 3, 7, 7]],
    attributes: { kernel_shape: { ints: [2, 2] } },
    known: true,
  },
  { name: 'global average pool', op: 'GlobalAveragePool', inputs: [[1, 3, 7, 9]], known: true },
  { name: 'relu', op: 'Relu', inputs: [['N', 3, 7, 9]], known: true },
  {
    name: 'batchnorm',
    op: 'BatchNormalization',
    inputs: [[1, 4, 5, 5], weight('s', [4]), weight('b', [4]), weight('m', [4]), weight('v', [4])],
    known: true,
  },
  {
    name: 'add broadcast',
    op: 'Add',
    inputs: [
      [1, 16, 8, 8],
      [16, 1, 1],
    ],
    known: true,
  },
  {
    name: 'mul broadcast symbolic',
    op: 'Mul',
    inputs: [
      ['N', 16, 8, 8],
      [1, 16, 1, 1],
    ],
    known: true,
  },
  { name: 'flatten', op: 'Flatten', inputs: [[2, 16, 4, 4]], known: true },
  { name: 'flatten axis 2', op: 'Flatten', inputs: [[2, 16, 4, 4]], attributes: { axis: { int: 2 } }, known: true },
  {
    name: 'gemm transB',
    op: 'Gemm',
    inputs: [[1, 256], weight('fc', [10, 256])],
    attributes: { transB: { int: 1 } },
    known: true,
  },
  {
    name: 'concat',
    op: 'Concat',
    inputs: [
      [1, 3, 8, 8],
      [1, 5, 8, 8],
    ],
    attributes: { axis: { int: 1 } },
    known: true,
  },
  { name: 'reshape 0 and -1', op: 'Reshape', inputs: [[2, 3, 4, 5], makeInt64Tensor('target', [2], [0, -1])] },
  {
    name: 'reshape constant',
    op: 'Reshape',
    inputs: [[2, 3, 4, 5], makeInt64Tensor('target2', [3], [2, 12, 5])],
    known: true,
  },
  {
    name: 'cast to float16',
    op: 'Cast',
    inputs: [[1, 3, 4, 4]],
    attributes: { to: { int: DataType.FLOAT16 } },
    known: true,
  },
  { name: 'softmax', op: 'Softmax', inputs: [[1, 10]], known: true },
  {
    name: 'an op we do not model',
    op: 'Transpose',
    inputs: [[1, 3, 4, 5]],
    attributes: { perm: { ints: [0, 2, 3, 1] } },
  },
];

/** One model holding every row: row i's inputs are `r<i>_in<j>` (or its initializer), its output `r<i>_out`. */
function tableModel(): ReturnType<typeof makeModel> {
  const nodes: NodeProto[] = [];
  const inputs: ValueInfoProto[] = [];
  const initializers: TensorProto[] = [];
  const outputs: ValueInfoProto[] = [];
  ROWS.forEach((row, i) => {
    const names = row.inputs.map((input, j) => {
      if (Array.isArray(input)) {
        inputs.push(makeValueInfo(`r${i}_in${j}`, F, [...input]));
        return `r${i}_in${j}`;
      }
      initializers.push(input as TensorProto);
      return (input as TensorProto).name!;
    });
    const attribute = Object.entries(row.attributes ?? {}).map(([k, v]) => makeAttribute(k, v));
    nodes.push(makeNode({ op_type: row.op, name: row.name, input: names, output: [`r${i}_out`], attribute }));
    outputs.push({ name: `r${i}_out`, metadata_props: [] });
  });
  return makeModel(makeGraph({ node: nodes, input: inputs, initializer: initializers, output: outputs }), [
    makeOpset('', 13),
  ]);
}

const PY = `
import json, sys, onnx
from onnx import shape_inference
m = shape_inference.infer_shapes(onnx.load(sys.argv[1]))
out = {}
for v in list(m.graph.value_info) + list(m.graph.output):
    t = v.type.tensor_type
    if not t.HasField('shape'):
        out[v.name] = {'elemType': t.elem_type, 'shape': None}
        continue
    out[v.name] = {'elemType': t.elem_type, 'shape': [d.dim_value if d.HasField('dim_value') else (d.dim_param or None) for d in t.shape.dim]}
print(json.dumps(out))
`;

type Reference = Record<string, { elemType: number; shape: (number | string | null)[] | null }>;
let reference: Reference | undefined;
const dir = tempFolder('shapes');
const model = tableModel();

beforeAll(() => {
  const python = (args: string[]): string =>
    execFileSync('/usr/bin/python3', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    python(['-c', 'import onnx']);
  } catch {
    console.warn('[test/graph] /usr/bin/python3 with onnx is not available: shapes not checked against it');
    return;
  }
  const path = join(dir, 'table.onnx');
  writeFileSync(path, encodeModel(model));
  reference = JSON.parse(python(['-c', PY, path])) as Reference;
});

describe('shape inference against onnx.shape_inference', () => {
  const ours = inferModelShapes(new ModelIndex(model));
  ROWS.forEach((row, i) => {
    it(row.name, (ctx) => {
      if (!reference) ctx.skip();
      const ref = reference![`r${i}_out`];
      const got: TensorInfo | undefined = ours.get(`r${i}_out`);
      if (row.known) {
        expect(ref?.shape, 'onnx infers this row').toBeTruthy();
        expect(got?.shape?.map((d) => d ?? null)).toEqual(ref!.shape);
        expect(got?.elemType).toBe(ref!.elemType);
        return;
      }
      // Unknown is allowed; a known dimension must agree with onnx.
      if (got?.shape && ref?.shape) {
        expect(got.shape.length).toBe(ref.shape.length);
        got.shape.forEach((d, k) => {
          if (d !== undefined && ref.shape![k] !== null) expect(d, `dim ${k}`).toBe(ref.shape![k]);
        });
      }
      if (got?.elemType !== undefined && ref?.elemType) expect(got.elemType).toBe(ref.elemType);
    });
  });
});

describe('declared dims: the one reader of dim_value / dim_param', () => {
  it('reads values as written, names, and unknowns; every consumer then decides what it accepts', () => {
    const big = Long.fromString('9007199254740993'); // 2^53 + 1
    const type = {
      tensor_type: {
        elem_type: F,
        shape: {
          dim: [{ dim_value: 2 }, { dim_param: 'N' }, {}, { dim_param: '' }, { dim_value: -1 }, { dim_value: big }],
        },
      },
    };
    expect(declaredDims(type)).toEqual([2, 'N', undefined, undefined, -1, 2 ** 53]);
    expect(declaredDims({ tensor_type: { elem_type: F } })).toBeUndefined();
    expect(readDim({ dim_value: Long.fromNumber(7) })).toBe(7);
    // Shape inference computes only with non-negative safe sizes.
    expect(tensorInfoOfType(type)?.shape).toEqual([2, 'N', undefined, undefined, undefined, undefined]);
  });
});

describe('shape rules for custom operators', () => {
  const customModel = (domain: string) =>
    makeModel(
      makeGraph({
        node: [
          makeNode({ op_type: 'Twice', domain, name: 'twice', input: ['x'], output: ['y'] }),
          makeNode({ op_type: 'Relu', name: 'relu', input: ['y'], output: ['z'] }),
        ],
        input: [makeValueInfo('x', F, ['N', 8, 5, 5])],
        output: [{ name: 'z', metadata_props: [] }],
      }),
      [makeOpset('', 13), makeOpset(domain, 1)],
    );

  it('an operator of another domain is unknown until a caller registers its rule', () => {
    const before = inferModelShapes(new ModelIndex(customModel('com.example.a')));
    expect(before.get('z')?.shape).toBeUndefined();
    registerShapeRule('com.example.a', 'Twice', (_node, inputs) => [inputs[0]]);
    const after = inferModelShapes(new ModelIndex(customModel('com.example.a')));
    expect(after.get('z')?.shape).toEqual(['N', 8, 5, 5]);
    // Registered for that op of that domain only.
    expect(inferModelShapes(new ModelIndex(customModel('com.example.b'))).get('z')?.shape).toBeUndefined();
    expect(() => registerShapeRule('ai.onnx', 'Relu', () => [])).toThrow(TypeError);
  });

  it('the SGE layer registers its operator: shapes flow through an SGE node', async () => {
    await import('../../src/sge/shape-rule.js');
    const shapes = inferModelShapes(new ModelIndex(customModel('com.sge-inject')));
    expect(shapes.get('z')?.shape).toEqual(['N', 8, 5, 5]);
  });
});
