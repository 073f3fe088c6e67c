/**
 * G, the number of groups: its default and its resolution from --groups and a params file. Apart from
 * inject.ts so that `list`, which resolves G too, does not load the transform to do it.
 */
import { UsageError } from '../errors.js';
import type { SgeParamsFile } from './params.js';

/** Default number of groups (the paper's). */
export const DEFAULT_GROUPS = 64;

function checkGroups(groups: number): void {
  if (!Number.isInteger(groups) || groups < 1) {
    throw new UsageError(
      `--groups must be a positive whole number, got ${groups}`,
      "the paper uses 64; it must divide each site's channel count",
    );
  }
}

/** Resolves G from the option and the params file, which must agree. */
export function resolveGroups(groups: number | undefined, params: SgeParamsFile | undefined): number {
  if (groups !== undefined) checkGroups(groups);
  if (groups !== undefined && params?.groups !== undefined && params.groups !== groups) {
    throw new UsageError(
      `--groups ${groups} contradicts the params file's groups ${params.groups}${params.source ? ` (${params.source})` : ''}`,
      'drop --groups, or use a params file made for that G',
    );
  }
  const g = groups ?? params?.groups ?? DEFAULT_GROUPS;
  checkGroups(g);
  return g;
}
