/** Small convolutional models built with the factory, for transform tests. */
import { DataType, type ModelProto } from '../../src/codec/types.js';
import {
  makeAttribute,
  makeFunction,
  makeGraph,
  makeModel,
  makeNode,
  makeOpset,
  makeValueInfo,
} from '../../src/graph/factory.js';
import type { Dim } from '../../src/graph/dims.js';
import { makeFloatTensor, type FloatElemType } from '../../src/tensor/make.js';

/** The values of an identity convolution weight [C, C, 1, …] (the conv output equals its input exactly). */
function identityWeight(channels: number): Float32Array {
  const w = new Float32Array(channels * channels);
  for (let c = 0; c < channels; c++) w[c * channels + c] = 1;
  return w;
}

/** Options of {@link identityConvModel}. */
export interface ConvModelOptions {
  readonly opset: number;
  readonly channels: number;
  /** Declared spatial dims of X (numbers static, strings symbolic). */
  readonly spatial: readonly Dim[];
  readonly elemType?: FloatElemType;
  readonly irVersion?: number;
  /** Name of the conv node (default 'conv'); '' leaves it unnamed. */
  readonly convName?: string;
  /** Output name of the conv (default 'conv_out'). */
  readonly convOutput?: string;
}

/**
 * X [N, C, ...spatial] → Conv (1×… identity, no bias) → graph output `conv_out`: after SGE injection the
 * graph output is exactly SGE(X).
 */
export function identityConvModel(o: ConvModelOptions): ModelProto {
  const elemType = o.elemType ?? DataType.FLOAT;
  const rank = o.spatial.length;
  const w = makeFloatTensor('conv.weight', identityWeight(o.channels), elemType);
  w.dims = [o.channels, o.channels, ...new Array<number>(rank).fill(1)];
  const out = o.convOutput ?? 'conv_out';
  const conv = makeNode({
    op_type: 'Conv',
    name: o.convName ?? 'conv',
    input: ['X', 'conv.weight'],
    output: [out],
    attribute: [makeAttribute('kernel_shape', { ints: new Array<number>(rank).fill(1) })],
  });
  const graph = makeGraph({
    name: 'identity_conv',
    node: [conv],
    initializer: [w],
    input: [makeValueInfo('X', elemType, ['N', o.channels, ...o.spatial])],
    output: [makeValueInfo(out, elemType, ['N', o.channels, ...o.spatial])],
  });
  return makeModel(graph, [makeOpset('', o.opset)], o.irVersion ?? 7);
}

export { seededUniform } from './random.js';

/**
 * The model with a function named like ours, `com.sge-inject.SpatialGroupEnhance`, whose body is the
 * user's (Y = X: an Identity), imported at version 1, IR 8.
 */
export function withForeignSgeFunction(m: ModelProto): ModelProto {
  m.functions = [
    ...m.functions,
    makeFunction({
      name: 'SpatialGroupEnhance',
      domain: 'com.sge-inject',
      input: ['X', 'weight', 'bias'],
      output: ['Y'],
      node: [makeNode({ op_type: 'Identity', input: ['X'], output: ['Y'] })],
      opset_import: [makeOpset('', 17)],
    }),
  ];
  m.opset_import = [...m.opset_import, makeOpset('com.sge-inject', 1)];
  m.ir_version = 8;
  return m;
}
