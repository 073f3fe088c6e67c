/** What `sge-inject list` shows: every candidate convolution and whether the options would pick it. */
import type { ModelProto } from '../codec/types.js';
import { compilePattern, selectableNames } from '../graph/select.js';
import { describeCandidates } from './sites.js';
import { DEFAULT_GROUPS } from './inject.js';
import { findExportedBlocks } from './fuse/find.js';

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
}

/** The listing: every node of the op types (default Conv), in model order. */
export interface ListReport {
  readonly groups: number;
  readonly rows: ListRow[];
}

/** Lists the candidate sites of `model` (read-only). */
export function listSites(model: ModelProto, options: ListOptions = {}): ListReport {
  const groups = options.groups ?? DEFAULT_GROUPS;
  const include = (options.after ?? []).map(compilePattern);
  const exclude = (options.exclude ?? []).map(compilePattern);
  const exported = new Map(findExportedBlocks(model).map((b) => [b.x, b] as const));
  const rows = describeCandidates(model, options.opTypes ?? ['Conv']).map((c): ListRow => {
    const block = exported.get(c.node.output[0] ?? '');
    const names = selectableNames(c.node);
    const picked =
      (include.length === 0 || include.some((p) => names.some((n) => p.test(n)))) &&
      !exclude.some((p) => names.some((n) => p.test(n)));
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
    };
  });
  return { groups, rows };
}
