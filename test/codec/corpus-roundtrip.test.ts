// Every model of the ONNX backend test corpus (Debian libonnx-testdata) decodes and re-encodes to
// the same bytes. The corpus is an independent reference: files written by onnx's own serializer.
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../src/codec/index.js';

const CORPUS = process.env.SGE_CORPUS_DIR ?? '/usr/share/libonnx-testdata/data';
const required = process.env.SGE_REQUIRE_CORPUS === '1';

function onnxFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...onnxFiles(p));
    else if (entry.name.endsWith('.onnx')) out.push(p);
  }
  return out.sort();
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

const present = existsSync(CORPUS) && statSync(CORPUS).isDirectory();
if (!present) {
  const banner = '!'.repeat(100);
  console.warn(
    `\n${banner}\n!!! ONNX BACKEND CORPUS NOT FOUND at ${CORPUS}: the 1,072-model byte-for-byte round trip is ` +
      `${required ? 'REQUIRED (SGE_REQUIRE_CORPUS=1) and FAILS' : 'SKIPPED'}.\n!!! Install it: apt-get install libonnx-testdata\n${banner}\n`,
  );
}

describe('ONNX backend corpus round trip', () => {
  it.skipIf(!present && !required)(
    're-encodes every corpus model byte for byte',
    () => {
      expect(present, `the corpus at ${CORPUS} is required (SGE_REQUIRE_CORPUS=1) but missing`).toBe(true);
      const files = onnxFiles(CORPUS);
      // libonnx-testdata 1.x ships 1,072 models; fewer means a broken install, not a smaller corpus.
      expect(files.length).toBeGreaterThanOrEqual(1072);
      const failures: string[] = [];
      for (const file of files) {
        const bytes = new Uint8Array(readFileSync(file));
        try {
          const out = encodeModel(decodeModel(bytes, { source: file }));
          if (out.length !== bytes.length || firstDifference(out, bytes) !== bytes.length) {
            failures.push(
              `${file}: ${out.length} vs ${bytes.length} bytes, first difference at ${firstDifference(out, bytes)}`,
            );
          }
        } catch (err) {
          failures.push(`${file}: ${(err as Error).message}`);
        }
      }
      expect(failures, failures.slice(0, 20).join('\n')).toEqual([]);
    },
    300_000,
  );
});
