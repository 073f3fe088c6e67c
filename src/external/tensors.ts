/**
 * Finds every TensorProto of a model together with the slot that holds it, so the file layer can
 * swap a tensor for an edited copy (external data references) and put the original back.
 * Covers graphs at any depth (If/Loop/Scan bodies), attribute tensors, sparse tensors, model-local
 * functions and training graphs: an external reference anywhere must stay valid.
 */
import type {
  AttributeProto,
  GraphProto,
  ModelProto,
  NodeProto,
  SparseTensorProto,
  TensorProto,
} from '../codec/types.js';

/** Where a tensor sits: `holder[key]` is the tensor. */
export interface TensorSlot {
  readonly tensor: TensorProto;
  readonly holder: Record<string | number, unknown>;
  readonly key: string | number;
  /** True for `GraphProto.initializer` entries (the only tensors moved to external data on request). */
  readonly initializer: boolean;
  /** A short description for messages, e.g. `initializer 'conv1.weight'`. */
  readonly where: string;
}

type Holder = Record<string | number, unknown>;

/** Every tensor slot of the model, in a deterministic depth-first order. */
export function collectTensors(model: ModelProto): TensorSlot[] {
  const out: TensorSlot[] = [];
  const push = (holder: Holder, key: string | number, where: string, initializer = false): void => {
    const tensor = holder[key] as TensorProto | null | undefined;
    if (tensor) out.push({ tensor, holder, key, initializer, where });
  };

  const sparse = (s: SparseTensorProto | null | undefined, where: string): void => {
    if (!s) return;
    push(s as unknown as Holder, 'values', `${where} (values)`);
    push(s as unknown as Holder, 'indices', `${where} (indices)`);
  };

  const attribute = (a: AttributeProto, owner: string): void => {
    const where = `attribute '${a.name ?? ''}' of ${owner}`;
    push(a as unknown as Holder, 't', where);
    a.tensors?.forEach((_, i) => {
      push(a.tensors as unknown as Holder, i, where);
    });
    sparse(a.sparse_tensor, where);
    a.sparse_tensors?.forEach((s) => {
      sparse(s, where);
    });
    if (a.g) graph(a.g);
    a.graphs?.forEach(graph);
  };

  const node = (n: NodeProto): void => {
    const owner = `node '${n.name || n.output?.[0] || n.op_type || '?'}'`;
    n.attribute?.forEach((a) => {
      attribute(a, owner);
    });
  };

  function graph(g: GraphProto): void {
    g.initializer?.forEach((t, i) => {
      push(g.initializer as unknown as Holder, i, `initializer '${t.name ?? ''}'`, true);
    });
    g.sparse_initializer?.forEach((s) => {
      sparse(s, `sparse initializer '${s.values?.name ?? ''}'`);
    });
    g.node?.forEach(node);
  }

  if (model.graph) graph(model.graph);
  model.training_info?.forEach((ti) => {
    if (ti.initialization) graph(ti.initialization);
    if (ti.algorithm) graph(ti.algorithm);
  });
  model.functions?.forEach((f) => {
    f.node?.forEach(node);
  });
  return out;
}

/**
 * Puts `replacement` into each slot, runs `fn`, then puts the originals back, even when `fn` throws.
 * `fn` must be synchronous so no other code can observe the swapped model.
 */
export function withSwappedTensors<T>(
  swaps: ReadonlyArray<{ slot: TensorSlot; replacement: TensorProto }>,
  fn: () => T,
): T {
  for (const { slot, replacement } of swaps) slot.holder[slot.key] = replacement;
  try {
    return fn();
  } finally {
    for (let i = swaps.length - 1; i >= 0; i--) {
      const { slot } = swaps[i]!;
      slot.holder[slot.key] = slot.tensor;
    }
  }
}
