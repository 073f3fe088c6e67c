/**
 * The per-group weight and bias of every checkable site, read from the rewritten model (external data
 * through the one checked reader) before any site is judged.
 */
import { ExternalDataReader } from '../external/reader.js';
import type { ModelIndex } from '../graph/model-index.js';
import type { InjectedSite } from '../sge/detect.js';
import { toFloat64 } from './host-tensor.js';
import type { ModelUnderTest } from './model-sessions.js';
import { readTensorData } from './tensor-data.js';

/** A site's parameters, as float64. */
export interface SiteParams {
  readonly weight: Float64Array;
  readonly bias: Float64Array;
}

/** Each site's parameters, or why they cannot be read (a reason for its report), by site name. */
export async function readSiteParams(
  rewritten: ModelUnderTest,
  index: ModelIndex,
  sites: readonly InjectedSite[],
): Promise<Map<string, SiteParams | string>> {
  const reader = rewritten.files
    ? new ExternalDataReader(rewritten.files, { source: rewritten.name ?? 'rewritten model' })
    : undefined;
  const out = new Map<string, SiteParams | string>();
  try {
    for (const site of sites) out.set(site.name, await readParams(site, index, reader));
  } finally {
    await reader?.close();
  }
  return out;
}

async function readParams(
  site: InjectedSite,
  index: ModelIndex,
  reader: ExternalDataReader | undefined,
): Promise<SiteParams | string> {
  const w = index.initializer(site.weight),
    b = index.initializer(site.bias);
  if (!w || !b) return `the parameters '${!w ? site.weight : site.bias}' are not an initializer of the main graph`;
  try {
    const weight = toFloat64(await readTensorData(w, `initializer '${site.weight}'`, reader));
    const bias = toFloat64(await readTensorData(b, `initializer '${site.bias}'`, reader));
    if (weight.length !== bias.length) return `weight has ${weight.length} values, bias ${bias.length}`;
    return { weight, bias };
  } catch (err) {
    return `cannot read the parameters: ${(err as Error).message}`;
  }
}
