/**
 * In-memory variants of a model for validation runs: extra graph outputs (to read intermediate
 * tensors) and SGE sites bypassed. Only the messages on the path to what changes are copied (shallow
 * copies by copyMessage: absent fields still read as defaults, unknown fields are kept); the
 * caller's model, its tensors and its files are never touched.
 */
import { copyMessage } from '../codec/copy.js';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, ValueInfoProto } from '../codec/types.js';
import { makeNode, makeValueInfo } from '../graph/factory.js';
import { graphScopes, type GraphStep } from '../graph/scopes.js';
import type { InjectedSite } from '../sge/detect.js';

/** A copy of `model` in which the graph at `steps` is a fresh shallow copy given to `edit`. */
export function editGraphCopy(
  model: ModelProto,
  steps: readonly GraphStep[],
  edit: (graph: GraphProto) => void,
): ModelProto {
  const copy = copyMessage(model);
  copy.graph = copyDown(model.graph!, steps, edit);
  return copy;
}

function copyDown(graph: GraphProto, steps: readonly GraphStep[], edit: (graph: GraphProto) => void): GraphProto {
  const g = copyMessage(graph);
  if (steps.length === 0) {
    edit(g);
    return g;
  }
  const [step, ...rest] = steps as [GraphStep, ...GraphStep[]];
  g.node = [...graph.node];
  const node: NodeProto = copyMessage(graph.node[step.node]!);
  node.attribute = [...node.attribute];
  const attr: AttributeProto = copyMessage(node.attribute[step.attribute]!);
  if (step.index === undefined) attr.g = copyDown(attr.g!, rest, edit);
  else {
    attr.graphs = [...attr.graphs];
    attr.graphs[step.index] = copyDown(attr.graphs[step.index]!, rest, edit);
  }
  node.attribute[step.attribute] = attr;
  g.node[step.node] = node;
  return g;
}

/** A tensor to expose: its name and, when known, its ONNX element type (the shape is left open). */
export interface ExtraOutput {
  readonly name: string;
  readonly dataType?: number;
}

/**
 * A copy of `model` whose main graph also outputs `extra` (names already among the outputs are not
 * repeated). onnxruntime then computes and returns those tensors, and cannot fuse their producer away.
 */
export function withExtraOutputs(model: ModelProto, extra: readonly ExtraOutput[]): ModelProto {
  return editGraphCopy(model, [], (g) => {
    const present = new Set(g.output.map((o) => o.name));
    const added: ValueInfoProto[] = [];
    for (const e of extra) {
      if (present.has(e.name)) continue;
      present.add(e.name);
      added.push(e.dataType ? makeValueInfo(e.name, e.dataType) : { name: e.name, metadata_props: [] });
    }
    g.output = [...g.output, ...added];
  });
}

/**
 * A copy of the rewritten model with every given site replaced by `Identity(X) → Y`: what the model
 * computes if the transform's rewiring is right and the SGE blocks are taken out again. It must
 * reproduce the original model (at every conv output and every graph output). Initializers of the
 * removed blocks stay (unused; onnxruntime ignores them).
 */
export function withSitesBypassed(model: ModelProto, sites: readonly InjectedSite[]): ModelProto {
  const byGraph = new Map<string, InjectedSite[]>();
  for (const s of sites) {
    if (s.problem) continue;
    const key = JSON.stringify(s.scope.steps);
    byGraph.set(key, [...(byGraph.get(key) ?? []), s]);
  }
  let copy = model;
  for (const group of byGraph.values()) {
    copy = editGraphCopy(copy, group[0]!.scope.steps, (g) => {
      // The copy's node list holds the same node objects, so the sites' nodes identify them.
      const drop = new Set<NodeProto>();
      const replace = new Map<NodeProto, NodeProto>();
      for (const s of group) {
        for (const n of s.nodes) drop.add(n);
        replace.set(
          s.outputNode!,
          makeNode({ op_type: 'Identity', input: [s.x], output: [s.y], name: `${s.name}/sge/bypass` }),
        );
      }
      // The Identity takes the place of the node that wrote Y: X exists before it, Y's readers follow it.
      g.node = g.node.flatMap((n) => (replace.has(n) ? [replace.get(n)!] : drop.has(n) ? [] : [n]));
    });
  }
  return copy;
}

/**
 * A copy of the original model with each exported SGE block that `fuse` replaced taken out the way
 * {@link withSitesBypassed} takes our sites out: the node that wrote the block's output becomes
 * `Identity(input) → output`. The block's other nodes stay (their results are read by nothing that
 * matters; onnxruntime still runs them), so the copy computes the network without those blocks.
 */
export function withBlocksBypassed(model: ModelProto, blocks: readonly ReplacedBlock[]): ModelProto {
  let copy = model;
  for (const b of blocks) {
    for (const scope of graphScopes(copy)) {
      const at = scope.graph.node.findIndex((n) => n.output.includes(b.output));
      if (at < 0) continue;
      copy = editGraphCopy(copy, scope.steps, (g) => {
        g.node = [...g.node];
        const name = g.node[at]!.name || b.output;
        g.node[at] = makeNode({ op_type: 'Identity', input: [b.input], output: [b.output], name: `${name}/bypass` });
      });
      break;
    }
  }
  return copy;
}

/**
 * An SGE block the original model computes in another form, which the rewritten model computes as one
 * of our sites: what `fuse` replaced. Both tensors keep their names in the rewritten model.
 */
export interface ReplacedBlock {
  /** The block's input in the original (the site's X). */
  readonly input: string;
  /** The block's output in the original (the site's Y). */
  readonly output: string;
}
