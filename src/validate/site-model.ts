/**
 * One site cut out of the rewritten model as a model of its own: graph input X, the site's nodes (the
 * function node with the model's functions, or the inline expansion), the initializers they read, and
 * output Y. Fed the X the full model computed, it shows what the site computes on exactly that float16
 * input: in the full model onnxruntime may skip rounding the conv output before a float16 site (it
 * drops the float32 → float16 → float32 Cast pair), so there the reference computed from the rounded
 * X we can read is off by the input rounding amplified by the normalization.
 */
import { copyMessage } from '../codec/copy.js';
import type { ModelProto, TensorProto } from '../codec/types.js';
import { makeGraph, makeValueInfo } from '../graph/factory.js';
import type { InjectedSite } from '../sge/detect.js';

/**
 * The site alone, or a reason it cannot be cut out (a node reads a tensor that is neither X, nor made
 * by the site, nor a main-graph initializer).
 */
export function isolateSite(
  rewritten: ModelProto,
  site: InjectedSite,
  xDataType: number,
  xDims: readonly number[],
): ModelProto | string {
  const g = rewritten.graph!;
  const nodes = [...site.nodes];
  const made = new Set(nodes.flatMap((n) => n.output));
  const initializers = new Map<string, TensorProto>(g.initializer.map((t) => [t.name ?? '', t]));
  const needed: TensorProto[] = [];
  const seen = new Set<string>();
  for (const n of nodes) {
    if (n.attribute.some((a) => a.g || a.graphs.length)) return `node '${n.name ?? ''}' holds a subgraph`;
    for (const input of n.input) {
      if (input === '' || input === site.x || made.has(input) || seen.has(input)) continue;
      const t = initializers.get(input);
      if (!t) return `node '${n.name ?? ''}' reads '${input}', which is not an initializer`;
      seen.add(input);
      needed.push(t);
    }
  }
  const graph = makeGraph({
    name: `${site.name}/sge (isolated)`,
    node: nodes,
    initializer: needed,
    input: [makeValueInfo(site.x, xDataType, [...xDims])],
    output: [makeValueInfo(site.y, xDataType, [...xDims])],
  });
  // Same IR, opsets and functions as the rewritten model: the site must mean what it means there.
  return copyMessage(rewritten, { graph, training_info: [] });
}
