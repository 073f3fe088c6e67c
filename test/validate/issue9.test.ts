/**
 * Issue 9's validation cases: like with like for a model that already had SGE blocks, NaN outputs not
 * reported as drift 0 and NaN explained by its real cause, a 1×1 map at run time failing, onnxruntime's
 * raw text cleaned, huge shapes refused as input.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../src/codec/index.js';
import { UsageError } from '../../src/errors.js';
import { injectSge } from '../../src/sge/inject.js';
import { validateSge } from '../../src/validate/node/validate-sge.js';
import { cleanOrtText } from '../../src/validate/session.js';
import { identityConvModel } from '../helpers/conv-models.js';

const RESNET = new Uint8Array(
  readFileSync(new URL('../../fixtures/models/mini_resnet_bottleneck_op13.onnx', import.meta.url)),
);

describe('validation of a model that already had SGE blocks compares like with like', () => {
  it('adding a site to an injected model passes, every site input equal to its conv output', async () => {
    const before = decodeModel(RESNET);
    injectSge(before, { after: ['/layer1/*/conv3/Conv'], groups: 8 });
    const after = decodeModel(encodeModel(before));
    injectSge(after, { after: ['/layer3/*/conv3/Conv'], groups: 8 });
    const report = await validateSge(before, after, { runs: 0 });
    expect(report.failures).toEqual([]);
    expect(report.sites).toHaveLength(3);
    for (const s of report.sites) expect(s.input?.failures, s.site).toBe(0);
    expect(report.outputs[0]!.bypassMaxAbs).toBeLessThan(1e-5);
  });
});

describe('NaN', () => {
  const pair = (spatial: Array<number | string>) => {
    const original = identityConvModel({ opset: 17, channels: 8, spatial });
    const rewritten = decodeModel(encodeModel(original));
    injectSge(rewritten, { after: ['conv'], groups: 2 });
    return { original, rewritten };
  };

  it('NaN inputs: drift is NaN (not 0), with counts; the site says X holds NaN, not "a 1×1 map"', async () => {
    const { original, rewritten } = pair([4, 4]);
    const x = new Float32Array(8 * 16).map((_, i) => Math.sin(i));
    x[5] = Number.NaN;
    const report = await validateSge(original, rewritten, {
      runs: 0,
      inputs: { X: { type: 'float32', dims: [1, 8, 4, 4], data: x } },
    });
    const out = report.outputs[0]!;
    expect(out.drift).toBeNaN();
    // The 1×1 identity conv sums over all 8 channels, and 0·NaN is NaN: position 5 is NaN in every channel
    // of the original's output; SGE spreads that over both groups' whole maps (their means are NaN).
    expect(out.nan).toEqual({ original: 8, rewritten: 8 * 16 });
    expect(report.sites[0]!.reason).toMatch(/X holds 8 NaN or infinite values/);
    expect(report.sites[0]!.reason).not.toMatch(/1×1/);
    // NaN inputs spread through the group statistics by design: not a failure of the rewrite.
    expect(report.failures).toEqual([]);
  });

  it('a map that is 1×1 at run time: NaN the original does not have fails, and the site says why', async () => {
    const { original, rewritten } = pair(['H', 'W']);
    const report = await validateSge(original, rewritten, { runs: 0, dims: { H: 1, W: 1 } });
    expect(report.passed).toBe(false);
    expect(report.failures.join('\n')).toMatch(
      /output 'conv_out': NaN in 8 of 8 elements of the rewritten model where the original has numbers/,
    );
    expect(report.sites[0]!.reason).toMatch(/a 1×1 map: std over one position is 0\/0/);
    expect(report.outputs[0]!.drift).toBeNaN();
  });
});

describe("onnxruntime's text", () => {
  it('loses colour codes, log prefixes, C++ source paths and signatures; keeps what the check says', () => {
    // As onnxruntime-node 1.30 printed and threw it for a rewritten model whose weight has 3 values.
    const raw =
      "\u001b[1;31m2026-12-02 06:43:59.320044046 [E:onnxruntime:, sequential_executor.cc:671 ExecuteKernel] Non-zero status code returned while running Reshape node. Name:'_inlfunc_SpatialGroupEnhance_grouped' Status Message: /onnxruntime_src/onnxruntime/core/providers/cpu/tensor/reshape_helper.h:84 onnxruntime::ReshapeHelper::ReshapeHelper(const onnxruntime::TensorShape&, onnxruntime::TensorShapeVector&, bool) size != 0 && (input_shape_size % size) == 0 was false. The input tensor cannot be reshaped to the requested shape. Input shape:{1,32,24,24}, requested shape:{1,3,10,-1}\n\u001b[m";
    expect(cleanOrtText(raw)).toBe(
      "Non-zero status code returned while running Reshape node. Name:'_inlfunc_SpatialGroupEnhance_grouped' Status Message: size != 0 && (input_shape_size % size) == 0 was false. The input tensor cannot be reshaped to the requested shape. Input shape:{1,32,24,24}, requested shape:{1,3,10,-1}",
    );
  });
});

describe('inputs too large to generate', () => {
  it('a --dim or --shape that would need more than 2 GiB: UsageError naming the input and its size', async () => {
    const original = identityConvModel({ opset: 17, channels: 8, spatial: ['H', 'W'] });
    const rewritten = decodeModel(encodeModel(original));
    injectSge(rewritten, { after: ['conv'], groups: 2 });
    const err = await validateSge(original, rewritten, { runs: 0, dims: { H: 100000, W: 100000 } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/input 'X' would be 1x8x100000x100000 = 8\.00e\+10 elements \(298 GiB\)/);
  });
});
