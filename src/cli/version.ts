/** The package version, for `--version`: read from package.json so it cannot drift from the release. */
import { readFileSync } from 'node:fs';

/**
 * The `version` of the package.json two folders up (from dist/cli or src/cli, the package root). One
 * read of a small file when the CLI starts (about 0.1 ms), instead of a copy kept in sync by hand.
 */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}
