/** Plain-text tables for terminal output: left-aligned text, right-aligned numbers. */

/** Renders rows under a header; a cell that looks numeric is right-aligned. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.,e+-]+(x|%)?$|^—$/.test(r[i] ?? '')),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `[8, 'H', null]` → `8×H×?`. */
export function formatDims(dims: readonly (number | string | null)[] | null): string {
  if (!dims) return '?';
  if (dims.length === 0) return '—';
  return dims.map((d) => (d === null ? '?' : String(d))).join('×');
}
