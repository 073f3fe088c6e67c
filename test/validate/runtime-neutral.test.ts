/**
 * The validation core is runtime-neutral: nothing it imports at run time is a Node module or an
 * onnxruntime package.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Every module `entry` imports at run time, transitively: relative ones resolved, others by specifier. */
function runtimeImports(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    // Comments go first: they quote imports (`await import('onnxruntime-node')`) that are not code.
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    // Static imports and re-exports that are not type-only, bare imports and dynamic import().
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gms),
      ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
      ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
    ].map((m) => m[1]!);
    for (const s of specifiers) {
      if (s.startsWith('.')) visit(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
      else external.add(s);
    }
  };
  visit(join(SRC, entry));
  return { files, external };
}

describe('the validation core', () => {
  for (const entry of ['validate/core.ts', 'external/index.ts']) {
    it(`${entry} loads no Node module and no onnxruntime package`, () => {
      const { files, external } = runtimeImports(entry);
      expect(files.size).toBeGreaterThan(entry.startsWith('validate') ? 20 : 2);
      expect([...external].filter((s) => s.startsWith('node:') || s.startsWith('onnxruntime'))).toEqual([]);
      expect([...files].filter((f) => /\/src\/(io|cli)\/|\/node\//.test(f))).toEqual([]);
      // The walk sees what it must: the Node layer does import Node modules and onnxruntime-node.
      expect([...runtimeImports('validate/index.ts').external]).toEqual(
        expect.arrayContaining(['node:fs/promises', 'onnxruntime-node']),
      );
    });
  }
});
