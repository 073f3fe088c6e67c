/**
 * validateSge on models made by the real transform (injectSge) from the shipped fixtures: both modes,
 * the fixtures' own inputs, sabotage, external data, the IR 13 fixture and the Caffe-named VGG.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import type { ModelProto } from '../../src/codec/types.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { injectSge } from '../../src/sge/inject.js';
import { parseSgeParams } from '../../src/sge/params.js';
import { validateSge } from '../../src/validate/node/validate-sge.js';
import { formatReport } from '../../src/validate/report.js';
import { convChain, seeded, swapSigmoid } from './models.js';
import { encodeModel } from '../../src/codec/encode.js';
import { toFloat16Bits } from '../../src/tensor/float16.js';

const models = 'fixtures/models';
const quick = { runs: 1 };

function fresh(path: string): ModelProto {
  return decodeModel(new Uint8Array(readFileSync(path)));
}

function injected(base: string, inline: boolean): { original: ModelProto; rewritten: ModelProto } {
  const original = fresh(`${models}/${base}.onnx`);
  const rewritten = fresh(`${models}/${base}.onnx`);
  const params = parseSgeParams(new Uint8Array(readFileSync(`${models}/${base}.sge-g8-params.json`)));
  injectSge(rewritten, { after: ['*/conv3/Conv'], params, inline });
  return { original, rewritten };
}

describe('validateSge on injectSge output', () => {
  for (const [base, inline] of [
    ['mini_resnet_bottleneck_op13', false],
    ['mini_resnet_bottleneck_op17', true],
  ] as const) {
    it(`passes ${base} (${inline ? 'inline' : 'function'}) on the fixture's inputs`, async () => {
      const { original, rewritten } = injected(base, inline);
      const report = await validateSge(original, rewritten, {
        ...quick,
        inputsDir: `${models}/${base}/test_data_set_0`,
      });
      expect(report.failures).toEqual([]);
      expect(report.sites.length).toBeGreaterThan(1);
      for (const s of report.sites) {
        expect(s).toMatchObject({ verdict: 'pass', groups: 8, form: inline ? 'inline' : 'function' });
        expect(s.input!.bitwiseEqual).toBe(true);
        expect(s.shape![0]).toBe(2); // the fixture's batch of 2
      }
      expect(report.inputs[0]!.source).toMatch(/test_data_set_0\/input_0\.pb$/);
      expect(report.outputs.map((o) => [o.name, o.kept, o.bypassMaxAbs])).toEqual([['logits', true, 0]]);
      expect(report.parametersAdded).toBeGreaterThanOrEqual(report.sites.length * 16);
    });

    it(`fails ${base} (${inline ? 'inline' : 'function'}) with HardSigmoid, naming every site`, async () => {
      const { original, rewritten } = injected(base, inline);
      const report = await validateSge(original, swapSigmoid(rewritten), quick);
      expect(report.passed).toBe(false);
      expect(report.sites.every((s) => s.verdict === 'fail')).toBe(true);
      for (const s of report.sites)
        expect(report.failures.join('\n')).toContain(`site ${s.site}: Y differs from the reference SGE`);
    });
  }

  it('passes float16 sites written by injectSge, in both modes', async () => {
    for (const inline of [false, true]) {
      const original = convChain({ input: ['N', 3, 'H', 'W'], channels: [32, 16], float16: true });
      const rewritten = decodeModel(encodeModel(original));
      injectSge(rewritten, { after: ['conv*'], groups: 4, inline, params: undefined });
      // Random parameters so the normalization matters (the paper's init would make it vanish).
      for (const t of rewritten.graph!.initializer) {
        if (t.name?.endsWith('/sge/weight') || t.name?.endsWith('/sge/bias')) {
          t.raw_data = new Uint8Array(toFloat16Bits(seeded(4, t.name.length, -1.5, 1.5)).buffer);
        }
      }
      const report = await validateSge(original, rewritten, { ...quick, dims: { H: 9, W: 11 } });
      expect(report.failures, formatReport(report)).toEqual([]);
      expect(report.sites.map((s) => [s.site, s.elemType, s.verdict])).toEqual([
        ['conv1', 'float16', 'pass'],
        ['conv2', 'float16', 'pass'],
      ]);
      for (const s of report.sites) expect(s.reason).toMatch(/judged on the site run alone/);
      const sabotaged = await validateSge(original, swapSigmoid(rewritten), quick);
      expect(sabotaged.sites.map((s) => s.verdict)).toEqual(['fail', 'fail']);
    }
  });

  it('validates files with external data, from their paths, leaving the files alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sge-validate-ext-'));
    const { original, rewritten } = injected('mini_resnet_bottleneck_op13', false);
    await saveModel(original, join(dir, 'orig.onnx'), { externalData: { threshold: 0 } });
    await saveModel(rewritten, join(dir, 'sge.onnx'), { externalData: { threshold: 0 } });
    const files = readdirSync(dir).sort();
    expect(files.length).toBeGreaterThan(2); // data files beside the models
    const before = files.map((f) => readFileSync(join(dir, f)));
    const report = await validateSge(join(dir, 'orig.onnx'), join(dir, 'sge.onnx'), quick);
    expect(report.failures).toEqual([]);
    expect(report.sites.every((s) => s.verdict === 'pass')).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(files);
    files.forEach((f, i) => {
      expect(readFileSync(join(dir, f))).toEqual(before[i]);
    });
    // A loaded model object knows its folder too.
    const loaded = await loadModel(join(dir, 'sge.onnx'));
    expect((await validateSge(join(dir, 'orig.onnx'), loaded, quick)).passed).toBe(true);
  });

  it('passes the IR 13 fixture in both modes', async () => {
    for (const inline of [false, true]) {
      const path = 'fixtures/ir13/mini_resnet_ir13_future_fields.onnx';
      const rewritten = fresh(path);
      injectSge(rewritten, { after: ['*/conv3/Conv'], groups: 8, inline });
      const report = await validateSge(path, rewritten, quick);
      expect(report.failures, formatReport(report)).toEqual([]);
      expect(report.sites.length).toBeGreaterThan(1);
    }
  });

  it('passes the Caffe-named VGG with 64 groups after conv4_* (paper init)', async () => {
    const path = `${models}/mini_vgg_caffe_op13.onnx`;
    const rewritten = fresh(path);
    injectSge(rewritten, { after: ['conv4_*'], groups: 64 });
    const report = await validateSge(path, rewritten, quick);
    expect(report.failures).toEqual([]);
    expect(report.sites.map((s) => s.site).sort()).toEqual(['conv4_1', 'conv4_2', 'conv4_3']);
    const text = formatReport(report);
    expect(text).toMatch(/^site +shape +groups +max abs err +max rel err +verdict$/m);
    expect(text).toMatch(/result: PASS/);
    expect(report.inputs[0]!.source).toBe('random normal (seed 0), default batch=1');
    expect(report.notes).toContain(
      'symbolic input dims took defaults (1 for a first, batch-like dim, 32 for others): batch=1; set them with --shape or --dim',
    );
  });
});
