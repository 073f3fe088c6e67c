/**
 * The onnxruntime proof on its own: a correct exported block passes within float32 tolerance of the
 * float64 reference; each near miss, forced through as if the structural checks had passed, fails,
 * and the one that only a small similarity std shows (eps placement) fails on the low-amplitude run.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ModelIndex } from '../../src/graph/model-index.js';
import { type CandidateBlock, findExportedBlocks } from '../../src/sge/fuse/find.js';
import { proveBlock } from '../../src/sge/fuse/proof.js';
import { loadFixture, NEAR_MISS_EDITS, SGE13, SGE13_STATIC } from '../helpers/exported-sge.js';

/** The block after `site`, its reasons dropped: what the proof would see if the checks had missed. */
function forced(model: ReturnType<typeof loadFixture>, index: ModelIndex, site: string): CandidateBlock {
  const b = findExportedBlocks(model, index).find((x) => x.site === site)!;
  expect(b.weight && b.bias).toBeTruthy();
  return { ...b, reasons: [] } as CandidateBlock;
}

describe('fuse proof', () => {
  for (const path of [SGE13, SGE13_STATIC]) {
    it(`passes every block of ${path.split('/').pop()}`, async () => {
      const model = loadFixture(path);
      const index = new ModelIndex(model);
      for (const b of findExportedBlocks(model, index)) {
        const r = await proveBlock(ort, model, index, b as CandidateBlock, 0);
        expect(r.reason).toBeUndefined();
        expect(r.passed).toBe(true);
        expect(r.elements).toBeGreaterThan(0);
      }
    });
  }
  for (const layer of ['layer1.0', 'layer4.0']) {
    for (const [what, e] of Object.entries(NEAR_MISS_EDITS)) {
      it(`fails ${what} at ${layer}`, async () => {
        const model = loadFixture(SGE13);
        e.edit(model, layer);
        const index = new ModelIndex(model);
        const site = `/${layer.split('.')[0]}/${layer}/conv3/Conv`;
        const r = await proveBlock(ort, model, index, forced(model, index, site), 0);
        expect(r.passed).toBe(false);
        // On a 3×3 map of 256 channels σ of the similarity is ~1: only the low-amplitude run shows eps.
        if (layer === 'layer4.0' && (what === 'noEps' || what === 'epsInside'))
          expect(r.reason).toMatch(/on a low-amplitude input/);
      });
    }
  }
});
