/** Checking the original model's outputs in the rewritten one. */
import type { ModelProto, ValueInfoProto } from '../codec/types.js';
import { declaredDims } from '../graph/dims.js';
import { compareValues, maxAbsDiff } from './compare.js';
import { elementCount, formatDims, toFloat64, type HostTensor } from './host-tensor.js';
import type { OutputReport } from './report-types.js';
import { fmt, toleranceFor, type ValidationSettings } from './settings.js';
import { dataTypeName } from '../tensor/type-name.js';

function declared(vi: ValueInfoProto | undefined): string {
  const tt = vi?.type?.tensor_type;
  if (!tt) return vi?.type ? 'non-tensor' : 'untyped';
  const type = dataTypeName(tt.elem_type);
  // As declared: a negative dim_value is shown as written, not taken for unknown.
  const dims = declaredDims(vi?.type);
  return `${type} ${dims ? `[${dims.map((d) => d ?? '?').join(', ')}]` : '(rank unknown)'}`;
}

/**
 * Every original output: still declared alike in the rewritten model, run with the same type and
 * shape, its drift, NaN only where the original has it too (when the inputs are finite), and (bypass
 * run) unchanged by the rewrite outside its sites. With `sameFunction` (the original computes every site
 * too, as the blocks fuse replaced) the final values must also agree within tolerance. Failures are pushed
 * to `failures`.
 */
export function checkOutputs(
  original: ModelProto,
  rewritten: ModelProto,
  origFinal: Record<string, HostTensor>,
  rewrFinal: Record<string, HostTensor>,
  origExposed: Record<string, HostTensor>,
  bypassOut: Record<string, HostTensor> | undefined,
  settings: ValidationSettings,
  failures: string[],
  inputsFinite = true,
  sameFunction = false,
): OutputReport[] {
  const rewrOutputs = new Map(rewritten.graph!.output.map((o) => [o.name ?? '', o]));
  return original.graph!.output.map((o): OutputReport => {
    const name = o.name ?? '';
    const want = declared(o);
    const r = rewrOutputs.get(name);
    let problem: string | undefined;
    if (!r) problem = 'missing from the rewritten model';
    else if (declared(r) !== want) problem = `declared ${declared(r)} in the rewritten model, ${want} in the original`;
    const a = origFinal[name],
      b = rewrFinal[name];
    if (!problem && a && b && (a.type !== b.type || formatDims(a.dims) !== formatDims(b.dims))) {
      problem = `runs as ${b.type} ${formatDims(b.dims)} in the rewritten model, ${a.type} ${formatDims(a.dims)} in the original`;
    }
    if (problem) failures.push(`output '${name}': ${problem}`);
    const comparable = a && b && elementCount(a.dims) === elementCount(b.dims);
    const nan = comparable ? nanCounts(toFloat64(a), toFloat64(b)) : undefined;
    // Drift over elements that are numbers in both; where either is NaN it is not a number either.
    const drift = comparable ? (nan!.either > 0 ? Number.NaN : maxAbsDiff(toFloat64(b), toFloat64(a))) : null;
    // NaN the rewritten model adds on finite inputs (a 1×1 map at run time, say) fails; NaN inputs spread
    // through SGE's group statistics by design, which the report shows as drift NaN and the site notes.
    if (nan && nan.rewrittenOnly > 0 && inputsFinite)
      failures.push(
        `output '${name}': NaN in ${nan.rewrittenOnly} of ${elementCount(b!.dims)} elements of the rewritten model where the original has numbers`,
      );
    let agreement: OutputReport['agreement'];
    if (sameFunction && comparable && !problem) {
      const c = compareValues(toFloat64(b!), toFloat64(a!), toleranceFor(a!.type, settings));
      agreement = { failures: c.failures, elements: c.count };
      if (c.failures > 0)
        failures.push(
          `output '${name}': the rewritten model gives ${c.failures} of ${c.count} elements different from the original (max abs ${fmt(c.maxAbs)}), where both compute the same SGE`,
        );
    }
    let bypassMaxAbs: number | null = null;
    const e = origExposed[name],
      p = bypassOut?.[name];
    if (e && p && e.type === p.type && formatDims(e.dims) === formatDims(p.dims)) {
      const c = compareValues(toFloat64(p), toFloat64(e), toleranceFor(e.type, settings));
      bypassMaxAbs = c.maxAbs;
      if (c.failures > 0) {
        failures.push(
          `output '${name}': with the SGE blocks bypassed the rewritten model gives ${c.failures} elements different from the original (max abs ${fmt(c.maxAbs)}): the rewrite changed more than its sites`,
        );
      }
    }
    return {
      name,
      kept: !problem,
      ...(problem ? { problem } : {}),
      declared: want,
      drift,
      ...(agreement ? { agreement } : {}),
      ...(nan && nan.either > 0 ? { nan: { original: nan.original, rewritten: nan.rewritten } } : {}),
      bypassMaxAbs,
    };
  });
}

/** NaN elements of the original and rewritten values, and where only the rewritten one is NaN. */
function nanCounts(
  original: Float64Array,
  rewritten: Float64Array,
): { original: number; rewritten: number; rewrittenOnly: number; either: number } {
  let o = 0,
    r = 0,
    only = 0,
    either = 0;
  for (let i = 0; i < original.length; i++) {
    const on = Number.isNaN(original[i]!),
      rn = Number.isNaN(rewritten[i]!);
    if (on) o++;
    if (rn) r++;
    if (rn && !on) only++;
    if (on || rn) either++;
  }
  return { original: o, rewritten: r, rewrittenOnly: only, either };
}
