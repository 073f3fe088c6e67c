/** The validation report as text (a table of sites, then summary lines) and as plain JSON. */
import { formatDims } from './host-tensor.js';
import type { SiteReport, ValidationReport } from './report-types.js';

/** A figure in a table: '-' for none, 3 significant digits, exponent form when very small or large. */
export function figure(v: number | null): string {
  if (v === null) return '-';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(3) : v.toExponential(2);
}

function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(3)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(3)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function siteRow(s: SiteReport): string[] {
  return [
    s.site,
    s.shape ? formatDims(s.shape) : '-',
    s.groups === null ? '-' : String(s.groups),
    figure(s.maxAbs),
    figure(s.maxRel),
    s.verdict,
  ];
}

/**
 * The report as text for stdout: the site table (site, shape, groups, max abs error, max rel error,
 * verdict) with reasons under it, then inputs, outputs, drift, latency, parameters and MACs, and the
 * result.
 */
export function formatReport(report: ValidationReport): string {
  const out: string[] = [];
  if (report.sites.length) {
    out.push(...table(['site', 'shape', 'groups', 'max abs err', 'max rel err', 'verdict'], report.sites.map(siteRow)));
    const withReason = report.sites.filter((s) => s.reason);
    if (withReason.length) {
      out.push('');
      for (const s of withReason) out.push(`${s.site} (${s.verdict}): ${s.reason}`);
    }
    out.push('');
  }
  const pass = report.sites.filter((s) => s.verdict === 'pass').length;
  const fail = report.sites.filter((s) => s.verdict === 'fail').length;
  const skipped = report.sites.filter((s) => s.verdict === 'not-checked').length;
  out.push(
    `sites: ${report.sites.length} (${pass} pass, ${fail} fail, ${skipped} not checked); Y compared with the float64 reference SGE of X`,
  );
  const inputs = report.sites.filter((s) => s.input);
  if (inputs.length) {
    const bitwise = inputs.filter((s) => s.input!.bitwiseEqual).length;
    const worst = Math.max(...inputs.map((s) => s.input!.maxAbs));
    out.push(
      `site inputs: ${bitwise} of ${inputs.length} equal the original's conv output bit for bit${bitwise < inputs.length ? ` (max abs ${figure(worst)})` : ''} (SGE blocks bypassed)`,
    );
  }
  for (const i of report.inputs) out.push(`input ${i.name}: ${i.type} ${formatDims(i.shape)}, ${i.source}`);
  const kept = report.outputs.filter((o) => o.kept).length;
  out.push(
    `outputs kept: ${kept} of ${report.outputs.length}${report.outputs.length ? ` (${report.outputs.map((o) => `${o.name} ${o.declared}`).join(', ')})` : ''}`,
  );
  for (const o of report.outputs) {
    if (o.problem) out.push(`  ${o.name}: ${o.problem}`);
    const nan = o.nan
      ? ` (NaN in ${o.nan.original} elements of the original, ${o.nan.rewritten} of the rewritten model)`
      : '';
    const agree = o.agreement
      ? `, must agree (both compute SGE): ${o.agreement.failures ? `${o.agreement.failures} of ${o.agreement.elements} elements differ` : 'they do'}`
      : '';
    out.push(
      `drift of ${o.name}: max abs ${figure(o.drift)}${nan} (rewritten vs original${agree})${o.bypassMaxAbs !== null ? `; with SGE bypassed: ${figure(o.bypassMaxAbs)}` : ''}`,
    );
  }
  if (report.latency) {
    const l = report.latency;
    out.push(
      `latency (${l.threads} thread, median of ${l.runs}): original ${l.originalMs.toFixed(3)} ms, rewritten ${l.rewrittenMs.toFixed(3)} ms, ratio ${l.ratio.toFixed(3)}×`,
    );
  }
  out.push(`parameters added: ${report.parametersAdded}`);
  out.push(`MACs added: ${count(report.macs.total)} (${report.macs.formula})`);
  out.push(`  ${report.macs.paper}`);
  for (const n of report.notes) out.push(`note: ${n}`);
  out.push(report.passed ? 'result: PASS' : `result: FAIL\n${report.failures.map((f) => `  - ${f}`).join('\n')}`);
  return `${out.join('\n')}\n`;
}

/** A JSON-safe value: NaN and ±Infinity (which JSON cannot hold) become the strings "NaN", "Infinity", "-Infinity". */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The report as a plain object for `--json` (JSON.stringify-able without loss: no Longs, no BigInts,
 * non-finite numbers as strings).
 */
export function reportToJson(report: ValidationReport): JsonValue {
  return plain(report);
}

/** Any report as a plain JSON-safe value, by the rules of {@link reportToJson}. */
export function toJsonValue(v: unknown): JsonValue {
  return plain(v);
}

function plain(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    const o: { [key: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = plain(x);
    return o;
  }
  return String(v);
}
