/**
 * What the inserted blocks cost: parameters (initializer elements the rewrite added) and
 * multiply-accumulates per site by a stated formula.
 */
import type { ModelProto } from '../codec/types.js';
import { elementCount } from './host-tensor.js';
import { tensorDims } from '../tensor/read.js';
import { graphScopes } from '../graph/scopes.js';

/**
 * The MAC formula, as the report states it. For X of shape [N, C, ...spatial] with S spatial
 * positions, a site costs 2·N·C·S multiply-accumulates: one per element for the group dot product
 * t_p = Σ_c x_{c,p}·m_c, one per element for the gate x_{c,p}·sigmoid(a_p). Left out as
 * lower-order: the channel means (N·C·S additions, no multiplies) and the per-position work on the
 * N·G·S map t (normalization, affine, sigmoid: G ≪ C).
 */
export const MAC_FORMULA =
  'MACs per site = 2·N·C·S (one per element for the group dot product, one for the gate multiply; S = product of the spatial dims)';

/**
 * The paper's figure for comparison: SGE-ResNet-50 adds 0.005 GFLOPs (4.122 → 4.127, 224×224, batch
 * 1) over its 16 sites, whose block outputs hold 5.52 M elements in all (3·256·56² + 4·512·28² +
 * 6·1024·14² + 3·2048·7²): about one operation per block-output element, half of this formula's count.
 */
export const PAPER_COMPARISON =
  'paper: +0.005 G on ResNet-50 (16 sites, 5.52 M block-output elements ≈ 1 op per element); this formula counts 2 per element, so ResNet-50 would show ≈ +0.011 G';

/** MACs of one site by {@link MAC_FORMULA}, for the runtime shape of X. */
export function siteMacs(xDims: readonly number[]): number {
  return 2 * elementCount(xDims);
}

/** Initializer elements of `rewritten` whose names `original` does not have (any graph, any depth). */
export function parametersAdded(original: ModelProto, rewritten: ModelProto): number {
  const before = new Set<string>();
  for (const { graph } of graphScopes(original)) for (const t of graph.initializer) before.add(t.name ?? '');
  let added = 0;
  for (const { graph } of graphScopes(rewritten)) {
    for (const t of graph.initializer) if (!before.has(t.name ?? '')) added += elementCount(tensorDims(t));
  }
  return added;
}
