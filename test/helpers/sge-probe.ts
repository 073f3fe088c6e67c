/**
 * A probe model around one SGE site: graph input X (declared with the given, possibly symbolic, shape)
 * → SGE (function node or inline nodes) → graph output Y, with weight/bias initializers.
 */
import { DataType } from '../../src/codec/types.js';
import { encodeModel } from '../../src/codec/encode.js';
import { makeGraph, makeModel, makeNode, makeOpset, makeValueInfo } from '../../src/graph/factory.js';
import type { Dim } from '../../src/graph/dims.js';
import { buildSgeNodes } from '../../src/sge/expansion.js';
import { buildSgeFunction } from '../../src/sge/function.js';
import { makeFloatTensor, type FloatElemType } from '../../src/tensor/make.js';
import { SGE_DOMAIN, SGE_DOMAIN_VERSION, sgeOpFor } from '../../src/sge/conventions.js';
import type { ModelProto, NodeProto } from '../../src/codec/types.js';

/** Options of {@link sgeProbe}. */
export interface ProbeOptions {
  readonly mode: 'function' | 'inline';
  readonly opset: number;
  readonly elemType?: FloatElemType;
  /** X's declared shape (numbers static, strings symbolic). */
  readonly declared: readonly Dim[];
  /** C (must be known, as for a real site). */
  readonly channels: number;
  readonly weight: ArrayLike<number>;
  readonly bias: ArrayLike<number>;
  readonly irVersion?: number;
  /** What the inline expansion is told about X's shape (default `declared`). */
  readonly known?: readonly Dim[];
}

/** The probe as a ModelProto. */
export function sgeProbeModel(o: ProbeOptions): ModelProto {
  const elemType = o.elemType ?? DataType.FLOAT;
  const site = 'probe';
  const weight = makeFloatTensor(`${site}/sge/weight`, o.weight, elemType);
  const bias = makeFloatTensor(`${site}/sge/bias`, o.bias, elemType);
  const io = { x: 'X', weight: weight.name!, bias: bias.name!, y: 'Y' };
  const opsets = [makeOpset('', o.opset)];
  let nodes: NodeProto[];
  const initializers = [weight, bias];
  if (o.mode === 'inline') {
    const built = buildSgeNodes({
      opset: o.opset,
      elemType,
      ...io,
      prefix: `${site}/sge`,
      channels: o.channels,
      groups: o.weight.length,
      shape: o.known ?? o.declared,
    });
    nodes = built.nodes;
    initializers.push(...built.initializers);
  } else {
    nodes = [
      makeNode({
        op_type: sgeOpFor(elemType),
        domain: SGE_DOMAIN,
        name: `${site}/sge`,
        input: [io.x, io.weight, io.bias],
        output: [io.y],
      }),
    ];
    opsets.push(makeOpset(SGE_DOMAIN, SGE_DOMAIN_VERSION));
  }
  const graph = makeGraph({
    name: 'sge_probe',
    node: nodes,
    initializer: initializers,
    input: [makeValueInfo('X', elemType, [...o.declared])],
    output: [makeValueInfo('Y', elemType, [...o.declared])],
  });
  const model = makeModel(graph, opsets, o.irVersion ?? 8);
  if (o.mode === 'function') model.functions = [buildSgeFunction(o.opset, elemType)];
  return model;
}

/** The probe, serialized. */
export function sgeProbe(o: ProbeOptions): Uint8Array {
  return encodeModel(sgeProbeModel(o));
}
