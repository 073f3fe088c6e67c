/**
 * Whether a candidate site can take SGE with G groups: one judgement, used by inject (which refuses)
 * and by list (which shows it), so the two never disagree.
 */
import { SUPPORTED_ELEM_TYPES } from './conventions.js';
import type { SiteCandidate } from './sites.js';
import { dataTypeName } from '../tensor/type-name.js';

/** The kinds of refusal (each has one way out, said once however many sites have it). */
export type SiteProblemKind = 'existing' | 'channels' | 'groups' | 'elemType' | 'spatial';

/** Why a site cannot take SGE. */
export interface SiteProblem {
  readonly kind: SiteProblemKind;
  /** The full sentence, naming the site. */
  readonly text: string;
  /** A few words for a table cell ('1×1 map', 'float64', …). */
  readonly short: string;
}

/** The judgement of one site. */
export interface SiteJudgement {
  readonly problems: SiteProblem[];
  readonly warnings: string[];
}

/**
 * The divisors of n as text, ascending. A crafted model may claim 2^50 channels: the search stops after
 * `max` small divisors (their partners, the large ones, are shown after an ellipsis) and costs O(√n) at most.
 */
export function divisorsText(n: number, max = 24): string {
  const low: number[] = [];
  const high: number[] = [];
  let d = 1;
  for (; d * d <= n && low.length < max; d++) {
    if (n % d !== 0) continue;
    low.push(d);
    if (d * d !== n) high.unshift(n / d);
  }
  const complete = d * d > n;
  return [...low, ...(complete ? [] : ['…']), ...high].join(', ');
}

/**
 * Judges `s` for `groups`. `force` accepts a site that already has an SGE (it will be replaced).
 */
export function judgeSite(s: SiteCandidate, groups: number, force: boolean): SiteJudgement {
  const problems: SiteProblem[] = [];
  const warnings: string[] = [];
  if (s.existing && !force) {
    problems.push({
      kind: 'existing',
      short: `has SGE`,
      text: `site '${s.name}' already has an SGE (${s.existing.mode} form); pass --force to replace it`,
    });
    return { problems, warnings };
  }
  if (s.channels === undefined) {
    problems.push({
      kind: 'channels',
      short: 'channels unknown',
      text: `site '${s.name}': channel count unknown (weight is not an initializer and no shape says it); add value_info or run shape inference on the model`,
    });
    return { problems, warnings };
  }
  if (groups > s.channels)
    problems.push({
      kind: 'groups',
      short: `G > C`,
      text: `site '${s.name}' has ${s.channels} channels, fewer than groups ${groups} (valid: ${divisorsText(s.channels)})`,
    });
  else if (s.channels % groups !== 0)
    problems.push({
      kind: 'groups',
      short: `G ∤ C`,
      text: `groups ${groups} does not divide the ${s.channels} channels of site '${s.name}' (valid: ${divisorsText(s.channels)})`,
    });
  if (s.elemType !== undefined && !SUPPORTED_ELEM_TYPES.has(s.elemType)) {
    problems.push({
      kind: 'elemType',
      short: dataTypeName(s.elemType),
      text: `site '${s.name}' has element type ${dataTypeName(s.elemType)}; SGE supports float32 and float16`,
    });
  }
  if (s.spatial && s.spatial.length === 0)
    problems.push({ kind: 'spatial', short: 'no spatial dims', text: `site '${s.name}' has no spatial dims` });
  if (s.spatial && s.spatial.length > 0 && s.spatial.every((d) => d === 1)) {
    problems.push({
      kind: 'spatial',
      short: '1×1 map',
      text: `site '${s.name}' has a 1×1 spatial map: SGE's std over one position is undefined (NaN); choose an earlier layer`,
    });
  } else if (s.spatial?.some((d) => typeof d !== 'number')) {
    if (s.spatial.every((d) => typeof d !== 'number' || d === 1))
      warnings.push(`site '${s.name}': spatial size is dynamic; a 1×1 map at run time gives NaN`);
  } else if (!s.spatial) {
    warnings.push(`site '${s.name}': spatial shape unknown; a 1×1 map at run time gives NaN`);
  }
  return { problems, warnings };
}
