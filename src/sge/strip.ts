/**
 * Removing inserted SGE blocks: the conv output gets its original name back, the block's nodes and
 * the constants it created go, and so do our function definitions, opset import and IR raise once no
 * site uses them. What the model had before injection is all that remains.
 */
import type { ModelProto } from '../codec/types.js';
import { graphScopes } from '../graph/scopes.js';
import { removeUnusedCreated } from '../graph/cleanup.js';
import { removeOpsetImport, restoreIrVersion } from '../graph/opset.js';
import { SGE_DOMAIN, sgePrefix } from './conventions.js';
import { findInjectedSites, type InjectedSite } from './detect.js';

/** What {@link stripSge} removed. */
export interface StripReport {
  readonly sites: string[];
  readonly nodesRemoved: number;
  readonly initializersRemoved: number;
  readonly irVersionRestored?: number;
}

/**
 * Removes the inserted SGE blocks whose site names pass `filter` (all by default), in place.
 */
export function stripSge(model: ModelProto, filter: (site: InjectedSite) => boolean = () => true): StripReport {
  const sites = findInjectedSites(model).filter((s) => !s.problem && filter(s));
  let nodesRemoved = 0;
  const created = new Set<string>();
  for (const site of sites) {
    const g = site.scope.graph;
    const drop = new Set(site.nodes);
    g.node = g.node.filter((n) => !drop.has(n));
    nodesRemoved += drop.size;
    // x carried the conv output under a fresh name; give it back its original name everywhere.
    for (const { graph } of graphScopes(model)) {
      for (const n of graph.node) {
        n.input.forEach((s, i) => {
          if (s === site.x) n.input[i] = site.y;
        });
        n.output.forEach((s, i) => {
          if (s === site.x) n.output[i] = site.y;
        });
      }
      graph.value_info = graph.value_info.filter((v) => v.name !== site.x);
    }
    const prefix = sgePrefix(site.name);
    for (const t of g.initializer) if (t.name?.startsWith(prefix)) created.add(t.name);
    created.add(site.weight);
    created.add(site.bias);
  }
  const { initializers } = removeUnusedCreated(model, created);
  let irVersionRestored: number | undefined;
  const left = findInjectedSites(model);
  if (!left.some((s) => s.mode === 'function')) {
    model.functions = model.functions.filter((f) => f.domain !== SGE_DOMAIN);
    const stillUsed = [...graphScopes(model)].some(({ graph }) => graph.node.some((n) => n.domain === SGE_DOMAIN));
    if (!stillUsed) removeOpsetImport(model, SGE_DOMAIN);
    if (left.length === 0) irVersionRestored = restoreIrVersion(model);
  }
  return { sites: sites.map((s) => s.name), nodesRemoved, initializersRemoved: initializers, irVersionRestored };
}
