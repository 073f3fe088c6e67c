/**
 * fuseSge over every model of fixtures/fuse (its manifest.json, written by
 * scripts/make_fuse_fixtures.py from PyTorch): each block the manifest marks `fuse` becomes a site
 * named after its X's producer with the G and parameters PyTorch used, and the fused model reproduces
 * PyTorch's outputs on every test data set; each block marked `near-miss` is left node for node as it
 * was and reported with the reason for its change; a fully fused model has the node count of the plain
 * network plus one per site; and strip(fuse(m)) computes the plain network's outputs (same weights).
 */
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import type { ModelProto } from '../../src/codec/types.js';
import { fuseSge } from '../../src/sge/fuse/fuse.js';
import { stripSge } from '../../src/sge/strip.js';
import { FLOAT32_TOLERANCE } from '../../src/validate/compare.js';
import { compareArrays } from '../helpers/compare.js';
import { expectedOutput, nodeBytes, runOnTestData } from '../helpers/exported-sge.js';

const DIR = fileURLToPath(new URL('../../fixtures/fuse/', import.meta.url));

interface Block {
  scope: string;
  site: string;
  x: string;
  y: string;
  groups: number;
  weight: number[];
  bias: number[];
  expect: 'fuse' | 'near-miss';
  reason?: string;
}
interface Entry {
  file: string;
  impl: string;
  constants: string;
  plain?: string;
  testData: string[];
  nodes: number;
  nodesOutsideBlocks?: number;
  blocks: Block[];
}

const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { models: Entry[] };
const byFile = new Map(manifest.models.map((m) => [m.file, m]));
const SGE_MODELS = manifest.models.filter((m) => m.impl !== 'plain');

/** What our report must say for each near miss the manifest describes (its `reason`, in our words). */
const REASONS: Record<string, RegExp> = {
  'biased std: divides by S, not S-1 (std unbiased=False)': /std divides by S, not S−1/,
  'eps inside the square root: sqrt(var + 1e-5), not sqrt(var) + 1e-5': /eps 1e-5 is inside the square root/,
  'no eps: t / std': /no eps/,
  'tanh gate instead of sigmoid': /gate is Tanh, not Sigmoid/,
  'eps 1e-3 instead of 1e-5': /eps is 0\.001, not 1e-5/,
};

const load = (file: string): ModelProto => decodeModel(new Uint8Array(readFileSync(join(DIR, file))));

/** Every node whose name is under `scope` (torch scopes a module's nodes by its name). */
const scoped = (model: ModelProto, scope: string): string[] =>
  model.graph!.node.filter((n) => n.name?.startsWith(scope)).map(nodeBytes);

async function expectTestOutputs(model: ModelProto, entry: Entry, what: string): Promise<void> {
  const bytes = encodeModel(model);
  for (const set of entry.testData) {
    const dir = join(DIR, set);
    const cmp = compareArrays(await runOnTestData(bytes, dir), expectedOutput(dir), FLOAT32_TOLERANCE);
    expect(cmp.failures, `${what} on ${set}: max abs ${cmp.maxAbs}`).toBe(0);
  }
}

describe('fuse: every model of fixtures/fuse', () => {
  it('the manifest lists the 86 SGE models and a reason pattern for every near miss', () => {
    expect(SGE_MODELS).toHaveLength(86);
    const reasons = new Set(SGE_MODELS.flatMap((m) => m.blocks.filter((b) => b.reason).map((b) => b.reason!)));
    expect([...reasons].sort()).toEqual(Object.keys(REASONS).sort());
  });

  for (const entry of SGE_MODELS) {
    const fusable = entry.blocks.filter((b) => b.expect === 'fuse');
    const misses = entry.blocks.filter((b) => b.expect === 'near-miss');
    it(`${entry.file}: ${fusable.length} fused, ${misses.length} near misses, PyTorch's outputs`, async () => {
      const model = load(entry.file);
      const original = encodeModel(model);
      const report = await fuseSge(model, { ort });
      expect(report.sites.map((s) => s.name)).toEqual(fusable.map((b) => b.site));
      for (const [i, s] of report.sites.entries()) {
        const b = fusable[i]!;
        expect([s.input, s.output, s.groups]).toEqual([b.x, b.y, b.groups]);
        expect(
          compareArrays(Float32Array.from(s.weight), Float32Array.from(b.weight), FLOAT32_TOLERANCE).failures,
        ).toBe(0);
        expect(compareArrays(Float32Array.from(s.bias), Float32Array.from(b.bias), FLOAT32_TOLERANCE).failures).toBe(0);
      }
      expect(report.nearMisses.map((n) => n.site)).toEqual(misses.map((b) => b.site));
      for (const [i, n] of report.nearMisses.entries())
        expect(n.reasons.join('; ')).toMatch(REASONS[misses[i]!.reason!]!);
      if (fusable.length === 0) {
        // Nothing fusable: the caller's model is exactly as it was.
        expect(Buffer.from(encodeModel(model)).equals(Buffer.from(original))).toBe(true);
        return;
      }
      const before = decodeModel(original);
      for (const b of misses) expect(scoped(model, b.scope)).toEqual(scoped(before, b.scope));
      if (misses.length === 0) {
        const plain = byFile.get(entry.plain!)!;
        expect(report.nodesAfter).toBe(entry.nodesOutsideBlocks! + fusable.length);
        if (entry.constants === 'as exported') expect(report.nodesAfter).toBe(plain.nodes + fusable.length);
      }
      await expectTestOutputs(model, entry, 'the fused model');
    });
  }
});

describe('fuse then strip: the plain network', () => {
  for (const entry of SGE_MODELS.filter((m) => m.blocks.every((b) => b.expect === 'fuse'))) {
    it(`strip(fuse(${entry.file})) computes ${entry.plain}'s outputs`, async () => {
      const model = load(entry.file);
      await fuseSge(model, { ort });
      expect(stripSge(model).sites).toEqual(entry.blocks.map((b) => b.site));
      const plain = byFile.get(entry.plain!)!;
      await expectTestOutputs(model, plain, 'strip(fuse(m))');
    });
  }
});
