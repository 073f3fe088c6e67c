/** Small models and parameter files the CLI tests write to disk. */
import { writeFileSync } from 'node:fs';
import { DataType, type ModelProto } from '../../src/codec/types.js';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import {
  makeAttribute,
  makeFunction,
  makeGraph,
  makeModel,
  makeNode,
  makeOpset,
  makeTensor,
  makeValueInfo,
} from '../../src/graph/factory.js';
import type { Dim } from '../../src/graph/dims.js';
import { identityConvModel } from '../helpers/conv-models.js';

/** Writes a model built in memory. */
export function writeModel(path: string, model: ModelProto): string {
  writeFileSync(path, encodeModel(model));
  return path;
}

/** X [N, 8, 4, 4] → Conv 'conv' (1×1) → Y, float32, opset 17: a model every check accepts with --groups 2. */
export function okConvModel(spatial: Dim[] = [4, 4]): ModelProto {
  return identityConvModel({ opset: 17, channels: 8, spatial, convOutput: 'Y' });
}

/** A conv in double precision (an element type SGE does not support). */
export function doubleConvModel(): ModelProto {
  const w = makeTensor('w', [8, 8, 1, 1], new Float64Array(64).fill(0.125));
  const conv = makeNode({
    op_type: 'Conv',
    name: 'conv',
    input: ['X', 'w'],
    output: ['Y'],
    attribute: [makeAttribute('kernel_shape', { ints: [1, 1] })],
  });
  const graph = makeGraph({
    name: 'double_conv',
    node: [conv],
    initializer: [w],
    input: [makeValueInfo('X', DataType.DOUBLE, ['N', 8, 4, 4])],
    output: [makeValueInfo('Y', DataType.DOUBLE, ['N', 8, 4, 4])],
  });
  return makeModel(graph, [makeOpset('', 17)], 8);
}

/** A conv whose weight is a graph input with symbolic dims: nothing says its channel count. */
export function unknownChannelsModel(): ModelProto {
  const conv = makeNode({
    op_type: 'Conv',
    name: 'conv',
    input: ['X', 'W'],
    output: ['Y'],
    attribute: [makeAttribute('kernel_shape', { ints: [1, 1] })],
  });
  const graph = makeGraph({
    name: 'weight_as_input',
    node: [conv],
    input: [makeValueInfo('X', DataType.FLOAT, ['N', 'C', 4, 4]), makeValueInfo('W', DataType.FLOAT, ['K', 'C', 1, 1])],
    output: [makeValueInfo('Y', DataType.FLOAT)],
  });
  return makeModel(graph, [makeOpset('', 17)], 8);
}

/** Every Sigmoid (graph and model-local functions) becomes HardSigmoid: a subtly wrong SGE gate. */
export function sabotageSigmoid(bytes: Uint8Array): { bytes: Uint8Array; swapped: number } {
  const model = decodeModel(bytes);
  let swapped = 0;
  const nodes = [...model.graph!.node, ...model.functions.flatMap((f) => f.node)];
  for (const n of nodes) {
    if (n.op_type === 'Sigmoid') {
      n.op_type = 'HardSigmoid';
      swapped++;
    }
  }
  return { bytes: encodeModel(model), swapped };
}

/** A safetensors file: u64 header length, JSON header, data. */
export function safetensors(
  header: Record<string, unknown>,
  data: Uint8Array = new Uint8Array(0),
  headerLength?: bigint,
): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** X [N, 8, 4, 4] → Conv → a → Conv → Y: two 1×1 identity convs, both named `name` (duplicates by default). */
export function twoConvModel(first = 'conv', second = 'conv'): ModelProto {
  const m = okConvModel();
  const g = m.graph!;
  const conv = g.node[0]!;
  conv.name = first;
  conv.output = ['a'];
  g.node.push(makeNode({ ...conv, op_type: 'Conv', name: second, input: ['a', conv.input[1]!], output: ['Y'] }));
  return m;
}

/** okConvModel whose Relu after the conv is a call of the model-local function `com.user.Block`, holding a Conv. */
export function convInFunctionModel(): ModelProto {
  const m = okConvModel();
  const g = m.graph!;
  g.node[0]!.output = ['a'];
  g.node.push(
    makeNode({ op_type: 'Block', domain: 'com.user', name: 'block', input: ['a', 'conv.weight'], output: ['Y'] }),
  );
  m.functions = [
    makeFunction({
      name: 'Block',
      domain: 'com.user',
      input: ['x', 'w'],
      output: ['y'],
      node: [
        makeNode({
          op_type: 'Conv',
          name: 'inner_conv',
          input: ['x', 'w'],
          output: ['y'],
          attribute: [makeAttribute('kernel_shape', { ints: [1, 1] })],
        }),
      ],
      opset_import: [makeOpset('', 17)],
    }),
  ];
  m.opset_import = [...m.opset_import, makeOpset('com.user', 1)];
  m.ir_version = 8;
  return m;
}
