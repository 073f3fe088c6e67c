/**
 * Candidate sites: the convolutions of a model with what is known about each (channels, spatial
 * shape, element type, whether an SGE already follows), and the selection by patterns.
 */
import type { Int64, ModelProto, NodeProto } from '../codec/types.js';
import { ModelIndex } from '../graph/model-index.js';
import type { GraphScope } from '../graph/scopes.js';
import { findNodes, matchesNode, nodeSelector, selectableNames } from '../graph/select.js';
import { isDefaultDomain } from '../graph/opset.js';
import { inferModelShapes } from '../graph/shapes.js';
import type { Dim } from '../graph/dims.js';
import { nearestNames } from '../graph/suggest.js';
import { UsageError } from '../errors.js';
import { findInjectedSites, type InjectedSite } from './detect.js';
import './shape-rule.js'; // shape inference learns the SGE operator

/** A node an SGE could follow, and what is known about its output. */
export interface SiteCandidate {
  /** The site name: the node's name, or its first output's name when it has none. */
  readonly name: string;
  readonly node: NodeProto;
  readonly scope: GraphScope;
  /** The node's first output as readers see it (the SGE output when one is already inserted). */
  readonly output: string;
  readonly opType: string;
  /** Output channel count, when known. */
  readonly channels?: number;
  /** Output spatial dims (after N and C), when the rank is known. */
  readonly spatial?: readonly Dim[];
  readonly elemType?: number;
  /** The SGE already inserted after this node, if any. */
  readonly existing?: InjectedSite;
}

/** A count from the model, or undefined unless it is a positive safe integer (a crafted model may say 2^62 or -1). */
function positiveInt(v: Int64 | undefined): number | undefined {
  const n = v === undefined ? Number.NaN : typeof v === 'number' ? v : v.toNumber();
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

/** Site name of a node. */
export function siteName(node: NodeProto): string {
  return node.name || node.output[0] || '';
}

/** Describes every node of the given op types (default domain) as a site candidate. */
export function describeCandidates(
  model: ModelProto,
  opTypes: readonly string[],
  index = new ModelIndex(model),
): SiteCandidate[] {
  const shapes = inferModelShapes(index);
  const injected = new Map(findInjectedSites(model).map((s) => [s.x, s] as const));
  const wanted = new Set(opTypes);
  const out: SiteCandidate[] = [];
  for (const scope of index.scopes) {
    for (const node of scope.graph.node) {
      if (!wanted.has(node.op_type ?? '') || !isDefaultDomain(node.domain)) continue;
      const produced = node.output[0] ?? '';
      const existing = injected.get(produced);
      const output = existing ? existing.y : produced;
      const info = shapes.get(produced) ?? shapes.get(output);
      let channels: number | undefined;
      const w = node.op_type === 'Conv' ? index.initializer(node.input[1] ?? '') : undefined;
      if (w && w.dims.length >= 1) channels = positiveInt(w.dims[0]);
      else if (typeof info?.shape?.[1] === 'number') channels = positiveInt(info.shape[1]);
      const xInfo = shapes.get(node.input[0] ?? '');
      const elemType = info?.elemType ?? xInfo?.elemType;
      out.push({
        name: siteName(node),
        node,
        scope,
        output,
        opType: node.op_type ?? '',
        channels,
        spatial: info?.shape ? info.shape.slice(2) : undefined,
        elemType,
        existing,
      });
    }
  }
  return out;
}

/** How sites are chosen. */
export interface SiteSelection {
  /** Globs or `re:` patterns on node name or any output name; at least one. */
  readonly after: readonly string[];
  readonly exclude?: readonly string[];
  /** Op types that may be chosen; default `['Conv']`. */
  readonly opTypes?: readonly string[];
}

/**
 * The candidates the selection picks. A pattern that matches nothing, or only nodes of other op types,
 * is a UsageError that names the nearest names and the way to see them all.
 */
export function selectSites(
  model: ModelProto,
  selection: SiteSelection,
  candidates: readonly SiteCandidate[],
): SiteCandidate[] {
  const opTypes = selection.opTypes ?? ['Conv'];
  if (selection.after.length === 0) {
    throw new UsageError(
      'no site chosen',
      "give --after PATTERN, e.g. --after '*/conv3/Conv'; `sge-inject list MODEL` shows the convolutions",
    );
  }
  const selector = nodeSelector(selection.after, selection.exclude);
  for (const p of selector.include) {
    const anyNode = findNodes(model, { include: [p.source] });
    if (anyNode.length === 0) {
      const inFunctions = model.functions.filter((f) => f.node.some((n) => matchesNode(p, n)));
      if (inFunctions.length > 0) {
        throw new UsageError(
          `pattern '${p.source}' matches only nodes inside the model-local function ${inFunctions.map((f) => `${f.domain ?? ''}.${f.name ?? ''}`).join(', ')}, where SGE cannot be inserted`,
          'a function body is shared by every call of it: choose a node of the graph (`sge-inject list MODEL` marks the ones inside functions)',
        );
      }
      const names = findNodes(model).flatMap((m) => selectableNames(m.node));
      throw new UsageError(
        `pattern '${p.source}' matches no node name or output name`,
        `nearest names: ${nearestNames(p.source, names).join(', ')}; run \`sge-inject list MODEL\` to see every convolution`,
      );
    }
    const ofType = anyNode.filter((m) => opTypes.includes(m.node.op_type ?? '') && isDefaultDomain(m.node.domain));
    if (ofType.length === 0) {
      // A Conv of another domain (com.microsoft.Conv) is not the Conv SGE goes after: say its domain.
      const types = [
        ...new Set(
          anyNode.map((m) => (isDefaultDomain(m.node.domain) ? m.node.op_type : `${m.node.domain}.${m.node.op_type}`)),
        ),
      ].join(', ');
      throw new UsageError(
        `pattern '${p.source}' matches only ${types} nodes, not ${opTypes.join('/')}`,
        `SGE goes after a convolution: point the pattern at Conv nodes, or widen --op-types`,
      );
    }
  }
  const chosen = candidates.filter((c) => selector.selects(c.node));
  if (chosen.length === 0) {
    throw new UsageError(
      'every node the patterns match is removed by --exclude',
      'loosen --exclude, or check with `sge-inject list MODEL`',
    );
  }
  return chosen;
}
