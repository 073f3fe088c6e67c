/**
 * One exported block cut out as a model of its own, for the onnxruntime proof: graph inputs X, the
 * weight and the bias (the constants the block applies per group, fed in their place at the node
 * inputs that read them), the block's nodes and the initializers they read, and output Y.
 */
import { copyMessage } from '../../codec/copy.js';
import type { ModelProto, NodeProto, TensorProto } from '../../codec/types.js';
import { makeGraph, makeValueInfo } from '../../graph/factory.js';
import type { ModelIndex } from '../../graph/model-index.js';
import type { CandidateBlock } from './find.js';

/** A block as a model, and the names of its inputs. */
export interface CutBlock {
  readonly model: ModelProto;
  readonly x: string;
  readonly weight: string;
  readonly bias: string;
  readonly y: string;
}

/**
 * Cuts `block` out of `model` (nothing in `model` changes; the copy shares its tensors), X declared
 * with `shape` (default: the block's own).
 */
export function cutBlock(
  model: ModelProto,
  index: ModelIndex,
  block: CandidateBlock,
  shape: CandidateBlock['shape'] = block.shape,
): CutBlock {
  const used = new Set(block.nodes.flatMap((n) => [...n.input, ...n.output]));
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  const weight = fresh('sge-inject.fuse.weight'),
    bias = fresh('sge-inject.fuse.bias');
  const feeds = new Map<NodeProto, Map<number, string>>();
  for (const [p, name] of [
    [block.weight, weight],
    [block.bias, bias],
  ] as const) {
    const at = feeds.get(p.use.node) ?? new Map<number, string>();
    at.set(p.use.inputIndex, name);
    feeds.set(p.use.node, at);
  }
  const nodes = block.nodes.map((n) => {
    const at = feeds.get(n);
    if (!at) return n;
    return copyMessage(n, { input: n.input.map((s, i) => at.get(i) ?? s) });
  });
  // What the block reads and does not make: initializers, once each (after the parameters were swapped
  // for inputs, the parameter constants may be read no more).
  const made = new Set(nodes.flatMap((n) => n.output));
  const initializers = new Map<string, TensorProto>();
  for (const n of nodes) {
    for (const name of n.input) {
      if (!name || made.has(name) || name === block.x || name === weight || name === bias) continue;
      const source = index.source(name);
      if (source?.kind === 'initializer') initializers.set(name, source.tensor);
    }
  }
  const xShape = shape?.map((d) => (typeof d === 'number' ? d : undefined));
  const graph = makeGraph({
    name: `${block.site || block.x} exported SGE (cut out)`,
    node: nodes,
    initializer: [...initializers.values()],
    input: [
      makeValueInfo(block.x, block.elemType, xShape),
      makeValueInfo(weight, block.weight.use.dataType, [...block.weight.use.dims]),
      makeValueInfo(bias, block.bias.use.dataType, [...block.bias.use.dims]),
    ],
    output: [makeValueInfo(block.y, block.elemType)],
  });
  // Same IR and opsets as the model: the block must mean what it means there.
  const copy = copyMessage(model, { graph, training_info: [], functions: [] });
  return { model: copy, x: block.x, weight, bias, y: block.y };
}
