/** Nearest names, for error messages when a pattern matches nothing. */

/** Levenshtein distance (insertions, deletions, substitutions). */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/**
 * The `count` candidates closest to `pattern` (glob characters and a `re:` prefix ignored), by edit
 * distance between the pattern's literal text and each name, ties broken by shorter name.
 */
export function nearestNames(pattern: string, candidates: Iterable<string>, count = 5): string[] {
  const literal = pattern.replace(/^re:/, '').replace(/[*?[\]{}()!+@^$\\|]/g, '');
  const scored = [...new Set(candidates)].map((name) => ({
    name,
    d: distance(literal, name) - (name.includes(literal) && literal ? literal.length : 0),
  }));
  scored.sort((a, b) => a.d - b.d || a.name.length - b.name.length || a.name.localeCompare(b.name));
  return scored.slice(0, count).map((s) => s.name);
}
