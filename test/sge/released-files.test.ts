/**
 * Files written by sge-inject 0.1 (fixtures/models/written-by-0.1.0: the op13 mini ResNet with SGE(8) after
 * every conv3 and the fixture's parameters, both forms, made by the 0.1 CLI) stay readable after the SGE
 * body changed: strip gives the original back, list and validate see every site, fuse leaves them alone,
 * the frozen 0.1 builder still writes the function those files carry, and inject (function form) gives
 * that function today's body.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import { DataType } from '../../src/codec/types.js';
import { buildSgeFunction01 } from '../../src/sge/body-0.1.js';
import { buildSgeFunction } from '../../src/sge/function.js';
import { findInjectedSites } from '../../src/sge/detect.js';
import { injectSge } from '../../src/sge/inject.js';
import { listSites } from '../../src/sge/list.js';
import { stripSge } from '../../src/sge/strip.js';
import { fuseSge } from '../../src/sge/fuse/fuse.js';
import { ourBodyIndex } from '../../src/sge/recognize.js';
import * as ort from 'onnxruntime-node';
import { validateSge } from '../../src/validate/node/validate-sge.js';

const MODELS = join(import.meta.dirname, '..', '..', 'fixtures', 'models');
const ORIGINAL = join(MODELS, 'mini_resnet_bottleneck_op13.onnx');
const written = (mode: string) => join(MODELS, 'written-by-0.1.0', `mini_resnet_bottleneck_op13.sge-g8-${mode}.onnx`);
const SITES = [
  '/layer1/layer1.0/conv3/Conv',
  '/layer2/layer2.0/conv3/Conv',
  '/layer2/layer2.1/conv3/Conv',
  '/layer3/layer3.0/conv3/Conv',
  '/layer3/layer3.1/conv3/Conv',
  '/layer4/layer4.0/conv3/Conv',
];
const read = (path: string) => new Uint8Array(readFileSync(path));

describe('files written by sge-inject 0.1', () => {
  it("carry the function that the frozen 0.1 builder writes, not today's", () => {
    const bytes = read(written('function'));
    const model = decodeModel(bytes);
    expect(model.functions.map((f) => f.name)).toEqual(['SpatialGroupEnhance']);
    // The codec round-trips byte for byte, so equal bytes after swapping in the rebuilt function mean
    // the rebuilt function is exactly the stored one.
    model.functions = [buildSgeFunction01(13, DataType.FLOAT)];
    expect(Buffer.from(encodeModel(model)).equals(Buffer.from(bytes))).toBe(true);
    model.functions = [buildSgeFunction(13, DataType.FLOAT)];
    expect(Buffer.from(encodeModel(model)).equals(Buffer.from(bytes))).toBe(false);
  });

  for (const mode of ['function', 'inline'] as const) {
    it(`${mode} form: found, listed and stripped back to the original bytes`, () => {
      const model = decodeModel(read(written(mode)));
      expect(findInjectedSites(model).map((s) => [s.name, s.mode, s.problem])).toEqual(
        SITES.map((s) => [s, mode, undefined]),
      );
      expect(
        listSites(model, { groups: 8 })
          .rows.filter((r) => r.sge)
          .map((r) => [r.name, r.sge]),
      ).toEqual(SITES.map((s) => [s, mode]));
      const report = stripSge(model);
      expect(report.sites).toEqual(SITES);
      expect(Buffer.from(encodeModel(model)).equals(readFileSync(ORIGINAL))).toBe(true);
    });

    it(`${mode} form: every site validates against the float64 reference`, async () => {
      const report = await validateSge(ORIGINAL, written(mode), { runs: 1 });
      expect(report.sites.map((s) => [s.site, s.verdict])).toEqual(SITES.map((s) => [s, 'pass']));
      expect(report.passed).toBe(true);
    }, 60_000);
  }

  it("take new sites beside the old ones, the function gets today's body; strip still gives the original back", async () => {
    const model = decodeModel(read(written('function')));
    const report = injectSge(model, { after: ['*/conv2/Conv'], groups: 8 });
    expect(report.sites.length).toBeGreaterThan(0);
    // One function per name, now with the current body, which the old sites' calls run too.
    expect(report.functionsUpdated).toEqual(['com.sge-inject.SpatialGroupEnhance']);
    expect(report.functionsAdded).toEqual([]);
    expect(report.warnings.some((w) => w.includes('com.sge-inject.SpatialGroupEnhance'))).toBe(true);
    expect(model.functions.length).toBe(1);
    expect(ourBodyIndex(model.functions[0]!)).toBe(0);
    const fresh = decodeModel(read(written('function')));
    fresh.functions = [buildSgeFunction(13, DataType.FLOAT)];
    expect(encodeModel({ ...fresh, functions: model.functions } as typeof fresh)).toEqual(encodeModel(fresh));
    const check = await validateSge(ORIGINAL, decodeModel(encodeModel(model)), { runs: 1 });
    expect(check.sites.length).toBe(SITES.length + report.sites.length);
    expect(check.passed).toBe(true);
    stripSge(model);
    expect(Buffer.from(encodeModel(model)).equals(readFileSync(ORIGINAL))).toBe(true);
  }, 60_000);

  it('--inline into the 0.1 function file leaves its function as it was', () => {
    const model = decodeModel(read(written('function')));
    const report = injectSge(model, { after: ['*/conv2/Conv'], groups: 8, inline: true });
    expect(report.functionsUpdated).toEqual([]);
    expect(ourBodyIndex(model.functions[0]!)).toBe(1);
  });

  it('a file with the current body reports no update', () => {
    const model = decodeModel(read(ORIGINAL));
    injectSge(model, { after: ['*/conv3/Conv'], groups: 8 });
    const again = injectSge(model, { after: ['*/conv2/Conv'], groups: 8 });
    expect(again.functionsUpdated).toEqual([]);
    expect(ourBodyIndex(model.functions[0]!)).toBe(0);
  });

  for (const mode of ['function', 'inline'] as const) {
    it(`${mode} form: fuse finds nothing to fuse (our sites are not exported blocks) and changes nothing`, async () => {
      const bytes = read(written(mode));
      const model = decodeModel(bytes);
      const report = await fuseSge(model, { ort });
      expect(report.sites).toEqual([]);
      expect(report.nearMisses).toEqual([]);
      expect(Buffer.from(encodeModel(model)).equals(Buffer.from(bytes))).toBe(true);
    }, 60_000);
  }
});
