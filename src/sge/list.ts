/** What `sge-inject list` shows: every candidate convolution and whether the options would pick it. */
import type { ModelProto } from '../codec/types.js';
import { nodeSelector } from '../graph/select.js';
import { isDefaultDomain } from '../graph/opset.js';
import { describeCandidates, siteName } from './sites.js';
import { DEFAULT_GROUPS, resolveGroups } from './groups.js';
import { findExportedBlocks } from './fuse/find.js';
import { judgeSite } from './site-checks.js';
import { checkNumber, checkOptionsObject, checkStringList } from './options.js';

/** Options of {@link listSites}. */
export interface ListOptions {
  readonly after?: readonly string[];
  readonly exclude?: readonly string[];
  readonly opTypes?: readonly string[];
  readonly groups?: number;
}

/** One row of the listing. */
export interface ListRow {
  readonly name: string;
  readonly opType: string;
  readonly graph: string;
  /** The tensor readers see (the node's output name). */
  readonly output: string;
  readonly channels: number | null;
  readonly spatial: (number | string | null)[] | null;
  /** Whether `groups` divides the channel count (null when channels are unknown). */
  readonly divisible: boolean | null;
  /** Whether the patterns choose it (true for all when no pattern is given). */
  readonly selected: boolean;
  /** 'function' or 'inline' when an SGE already follows it. */
  readonly sge: 'function' | 'inline' | null;
  /**
   * An SGE block exported as primitive ops that follows it (by the structural and constant checks
   * alone, without onnxruntime): a `candidate` that `fuse` would replace after proving it, or a
   * `near-miss` with the reasons it is not SGE.
   */
  readonly exported: { readonly status: 'candidate' | 'near-miss'; readonly reasons: string[] } | null;
  /**
   * Whether inject would accept it with these groups (an SGE already there aside: that is `sge`); when
   * not, `blocker` says why in a few words ('1×1 map', 'G ∤ C', 'inside a function', …).
   */
  readonly injectable: boolean;
  readonly blocker: string | null;
}

/** The listing: every node of the op types (default Conv), in model order. */
export interface ListReport {
  readonly groups: number;
  readonly rows: ListRow[];
}

/** Lists the candidate sites of `model` (read-only). */
export function listSites(model: ModelProto, options: ListOptions = {}): ListReport {
  const fn = 'listSites';
  if (typeof model !== 'object' || model === null || !model.graph)
    throw new TypeError(`${fn}: model must be a ModelProto with a graph (from loadModel or decodeModel)`);
  checkOptionsObject(fn, options, "{ after: ['*/conv3/Conv'], groups: 64 }");
  checkStringList(fn, 'after', options.after);
  checkStringList(fn, 'exclude', options.exclude);
  checkStringList(fn, 'opTypes', options.opTypes);
  checkNumber(fn, 'groups', options.groups);
  const groups = options.groups ?? DEFAULT_GROUPS;
  resolveGroups(groups, undefined);
  const selector = nodeSelector(options.after, options.exclude);
  const exported = new Map(findExportedBlocks(model).map((b) => [b.x, b] as const));
  const opTypes = options.opTypes ?? ['Conv'];
  const rows = describeCandidates(model, opTypes).map((c): ListRow => {
    const block = exported.get(c.node.output[0] ?? '');
    const picked = selector.selects(c.node);
    const blocker = judgeSite(c, groups, true).problems[0]?.short ?? null;
    return {
      name: c.name,
      opType: c.opType,
      graph: c.scope.path,
      output: c.output,
      channels: c.channels ?? null,
      spatial: c.spatial ? c.spatial.map((d) => (d === undefined ? null : d)) : null,
      divisible: c.channels === undefined ? null : c.channels % groups === 0 && groups <= c.channels,
      selected: picked,
      sge: c.existing?.mode ?? null,
      exported: block
        ? { status: block.reasons.length ? 'near-miss' : 'candidate', reasons: [...block.reasons] }
        : null,
      injectable: blocker === null,
      blocker,
    };
  });
  // Convolutions inside model-local functions: shown, but SGE cannot go there (a function body is
  // shared by every call and has no initializers for the parameters).
  for (const f of model.functions) {
    for (const node of f.node) {
      if (!opTypes.includes(node.op_type ?? '') || !isDefaultDomain(node.domain)) continue;
      rows.push({
        name: siteName(node),
        opType: node.op_type ?? '',
        graph: `function ${f.domain ?? ''}.${f.name ?? ''}`,
        output: node.output[0] ?? '',
        channels: null,
        spatial: null,
        divisible: null,
        selected: selector.selects(node),
        sge: null,
        exported: null,
        injectable: false,
        blocker: 'inside a function',
      });
    }
  }
  return { groups, rows };
}
