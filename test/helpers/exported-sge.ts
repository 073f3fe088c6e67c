/**
 * Torch exports of SGE for the fuse tests: the fixtures, running them in onnxruntime, and edits that
 * turn an exported block into a named near miss or move an export to opset 18 (where ReduceMean's axes
 * become an input). Every edit is written from what the block computes, not from the matcher.
 */
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import { onnxRoot } from '../../src/codec/schema.js';
import { DataType, type ModelProto, type NodeProto } from '../../src/codec/types.js';
import { int64ToNumber } from '../../src/codec/int64.js';
import { makeAttribute, makeInt64Tensor, makeTensor } from '../../src/graph/factory.js';
import { runOrt } from './ort.js';
import { readTensorPb } from './tensors.js';

export const MODELS = fileURLToPath(new URL('../../fixtures/models/', import.meta.url));
export const SGE13 = join(MODELS, 'mini_resnet_bottleneck_sge_g8_op13.onnx');
export const SGE17 = join(MODELS, 'mini_resnet_bottleneck_sge_g8_op17.onnx');
export const SGE13_STATIC = join(MODELS, 'mini_resnet_bottleneck_sge_g8_op13_static.onnx');
export const PLAIN13 = join(MODELS, 'mini_resnet_bottleneck_op13.onnx');
/** Test data of the SGE network (the static export has op13's weights: its README). */
export const SGE13_DATA = join(MODELS, 'mini_resnet_bottleneck_sge_g8_op13/test_data_set_0');
export const SGE17_DATA = join(MODELS, 'mini_resnet_bottleneck_sge_g8_op17/test_data_set_0');
export const PLAIN13_DATA = join(MODELS, 'mini_resnet_bottleneck_op13/test_data_set_0');
/** The plain network's node count (fixtures/README: a 52-node mini ResNet). */
export const PLAIN_NODES = 52;
/** Its six bottleneck conv3 nodes: where the SGE blocks are, and the params file's keys. */
export const CONV3 = [
  '/layer1/layer1.0/conv3/Conv',
  '/layer2/layer2.0/conv3/Conv',
  '/layer2/layer2.1/conv3/Conv',
  '/layer3/layer3.0/conv3/Conv',
  '/layer3/layer3.1/conv3/Conv',
  '/layer4/layer4.0/conv3/Conv',
];

/** A fixture model, decoded. */
export function loadFixture(path: string): ModelProto {
  return decodeModel(new Uint8Array(readFileSync(path)));
}

/** The trained SGE parameters the fixtures were made with, by conv3 name. */
export function fixtureParams(): Record<string, { weight: number[]; bias: number[] }> {
  const json = JSON.parse(readFileSync(join(MODELS, 'mini_resnet_bottleneck_op13.sge-g8-params.json'), 'utf8')) as {
    params: Record<string, { weight: number[]; bias: number[] }>;
  };
  return json.params;
}

/** Runs a model on a test data set's input_0 (its one input) and returns its one output. */
export async function runOnTestData(model: ModelProto | Uint8Array, dataDir: string): Promise<Float32Array> {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  const input = readTensorPb(join(dataDir, 'input_0.pb'));
  const out = await runOrt(bytes, { input: input });
  return Object.values(out)[0]!.data as Float32Array;
}

/** PyTorch's output of a test data set. */
export const expectedOutput = (dataDir: string): Float32Array => readTensorPb(join(dataDir, 'output_0.pb')).data;

/** A node's bytes as protobuf writes them (for byte-for-byte comparisons). */
export function nodeBytes(node: NodeProto): string {
  return Buffer.from(onnxRoot.lookupType('onnx.NodeProto').encode(node).finish()).toString('hex');
}

/** The nodes of the SGE block of bottleneck `layer` ('layer1.0' …): torch scopes them under bn3.1. */
export function blockNodes(model: ModelProto, layer: string): NodeProto[] {
  return model.graph!.node.filter((n) => n.name?.startsWith(`/${layer.split('.')[0]}/${layer}/bn3/bn3.1/`));
}

function one(nodes: NodeProto[], what: string): NodeProto {
  if (nodes.length !== 1) throw new Error(`expected one ${what}, found ${nodes.length}`);
  return nodes[0]!;
}

function producerOf(model: ModelProto, name: string): NodeProto {
  return one(
    model.graph!.node.filter((n) => n.output.includes(name)),
    `producer of ${name}`,
  );
}

/** The Sqrt of the block's std and the Add of eps after it. */
function stdNodes(model: ModelProto, layer: string): { sqrt: NodeProto; add: NodeProto } {
  const nodes = blockNodes(model, layer);
  const sqrt = one(
    nodes.filter((n) => n.op_type === 'Sqrt'),
    'Sqrt',
  );
  const add = one(
    nodes.filter((n) => n.op_type === 'Add' && n.input[0] === sqrt.output[0]),
    'Add after Sqrt',
  );
  return { sqrt, add };
}

/** Edits that make one block of the mini ResNet export a near miss, with the reason each must give. */
export const NEAR_MISS_EDITS = {
  /** Sigmoid → Tanh. */
  tanh: {
    reason: 'gate is Tanh, not Sigmoid',
    edit(model: ModelProto, layer: string): void {
      one(
        blockNodes(model, layer).filter((n) => n.op_type === 'Sigmoid'),
        'Sigmoid',
      ).op_type = 'Tanh';
    },
  },
  /** The eps constant after the square root becomes 1e-3. */
  eps: {
    reason: 'eps is 0.001, not 1e-5',
    edit(model: ModelProto, layer: string): void {
      const { add } = stdNodes(model, layer);
      const c = producerOf(model, add.input[1]!);
      c.attribute = [makeAttribute('value', { tensor: makeTensor('', [], Float32Array.of(1e-3)) })];
    },
  },
  /** std + eps → std. */
  noEps: {
    reason: 'no eps',
    edit(model: ModelProto, layer: string): void {
      const { add } = stdNodes(model, layer);
      add.op_type = 'Identity';
      add.input = [add.input[0]!];
    },
  },
  /** sqrt(var) + eps → sqrt(var + eps). */
  epsInside: {
    reason: 'eps 1e-5 is inside the square root',
    edit(model: ModelProto, layer: string): void {
      const { sqrt, add } = stdNodes(model, layer);
      const variance = sqrt.input[0]!,
        denominator = add.output[0]!;
      add.input = [variance, add.input[1]!];
      add.output = [`${denominator}/variance_eps`];
      sqrt.input = [add.output[0]!];
      sqrt.output = [denominator];
      // Sqrt now reads Add: it moves after it (Add already comes after the eps Constant it reads).
      const nodes = model.graph!.node;
      nodes.splice(nodes.indexOf(sqrt), 1);
      nodes.splice(nodes.indexOf(add) + 1, 0, sqrt);
    },
  },
  /** torch's unbiased variance mean·S/(S−1) → mean·S/S (the divisor S−1 replaced by S). */
  biased: {
    reason: 'std divides by S, not S−1',
    edit(model: ModelProto, layer: string): void {
      const { sqrt } = stdNodes(model, layer);
      const div = producerOf(model, sqrt.input[0]!);
      if (div.op_type !== 'Div') throw new Error('the variance is not a Div');
      const sMinus1 = producerOf(model, div.input[1]!);
      if (sMinus1.op_type !== 'Sub') throw new Error('the divisor is not S − 1');
      div.input = [div.input[0]!, sMinus1.input[0]!];
    },
  },
} as const;

/** The export moved to opset 18: Reduce* axes attributes become int64 inputs. */
export function toOpset18(model: ModelProto): void {
  for (const o of model.opset_import) if (!o.domain) o.version = 18;
  const g = model.graph!;
  let k = 0;
  for (const n of g.node) {
    if (!/^Reduce(Mean|Max|Min|Prod|L1|L2|LogSum|LogSumExp|SumSquare)$/.test(n.op_type ?? '')) continue;
    const axes = n.attribute.find((a) => a.name === 'axes');
    if (!axes) continue;
    const name = `opset18_axes_${k++}`;
    g.initializer.push(
      makeInt64Tensor(
        name,
        [axes.ints.length],
        axes.ints.map((v) => int64ToNumber(v)),
      ),
    );
    n.attribute = n.attribute.filter((a) => a !== axes);
    n.input = [n.input[0]!, name];
  }
}

/** True when a tensor is float32 (for the edits' sanity). */
export const isFloat = (t: { data_type?: number }): boolean => t.data_type === DataType.FLOAT;
