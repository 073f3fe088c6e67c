import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../src/codec/encode.js';
import { InputError, UsageError, ValidationFailure } from '../../src/errors.js';
import { validateSge } from '../../src/validate/node/validate-sge.js';
import { formatReport, reportToJson } from '../../src/validate/report.js';
import { makeValueInfo } from '../../src/graph/factory.js';
import { DataType } from '../../src/codec/types.js';
import { addSge, convChain, swapSigmoid } from './models.js';

const quick = { runs: 1 };

describe('validateSge on hand-built SGE models', () => {
  for (const mode of ['inline', 'function'] as const) {
    it(`passes a correct ${mode} model with two sites, one downstream of the other`, async () => {
      const original = convChain({ input: ['N', 3, 12, 10], channels: [16, 8] });
      const rewritten = addSge(addSge(original, { site: 'conv1', groups: 4, mode }), {
        site: 'conv2',
        groups: 2,
        mode,
      });
      const report = await validateSge(original, rewritten, quick);
      expect(report.failures).toEqual([]);
      expect(report.passed).toBe(true);
      expect(report.sites.map((s) => [s.site, s.form, s.verdict, s.groups])).toEqual([
        ['conv1', mode, 'pass', 4],
        ['conv2', mode, 'pass', 2],
      ]);
      // N defaulted to 1; the sites' shapes are the runtime ones.
      expect(report.sites[0]!.shape).toEqual([1, 16, 12, 10]);
      expect(report.inputs[0]!.shape).toEqual([1, 3, 12, 10]);
      // The conv outputs are reproduced exactly once the SGE blocks are bypassed, even downstream.
      for (const s of report.sites) expect(s.input).toEqual({ maxAbs: 0, failures: 0, bitwiseEqual: true });
      // SGE changes the final output (drift), but not its type or shape.
      expect(report.outputs).toHaveLength(1);
      expect(report.outputs[0]!.kept).toBe(true);
      expect(report.outputs[0]!.drift).toBeGreaterThan(1e-3);
      expect(report.outputs[0]!.bypassMaxAbs).toBe(0);
      expect(report.parametersAdded).toBe(2 * 4 + 2 * 2 + (mode === 'inline' ? 0 : 0));
      expect(report.macs.total).toBe(2 * (16 + 8) * 12 * 10);
      expect(report.latency!.runs).toBe(1);
      expect(report.latency!.ratio).toBeGreaterThan(0);
    });
  }

  it('passes a float16 model with float16 tolerances', async () => {
    const original = convChain({ input: [2, 3, 8, 8], channels: [16], float16: true });
    const rewritten = addSge(original, { site: 'conv1', groups: 4, mode: 'function' });
    const report = await validateSge(original, rewritten, quick);
    expect(report.failures).toEqual([]);
    expect(report.sites[0]).toMatchObject({
      elemType: 'float16',
      verdict: 'pass',
      tolerance: { rtol: 2e-3, atol: 1e-4 },
    });
    // Judged where the site's input is exactly the float16 X: one rounding of Y (≤ 2^-11 ≈ 4.9e-4 relative) plus float32 statistics.
    expect(report.sites[0]!.maxRel).toBeLessThan(5e-4);
    expect(report.sites[0]!.reason).toMatch(/judged on the site run alone/);
  });

  it('still fails float16 sabotage: HardSigmoid, and the biased std on 7×7', async () => {
    const original = convChain({ input: [2, 3, 7, 7], channels: [16], float16: true });
    const hard = swapSigmoid(addSge(original, { site: 'conv1', groups: 4, mode: 'inline' }));
    const biased = addSge(original, { site: 'conv1', groups: 4, mode: 'function', biasedStd: true });
    const right = addSge(original, { site: 'conv1', groups: 4, mode: 'function' });
    expect((await validateSge(original, hard, quick)).failures[0]).toMatch(
      /^site conv1: Y \(site run alone on the model's X\) differs from the reference SGE/,
    );
    expect((await validateSge(original, biased, quick)).failures[0]).toMatch(
      /^site conv1: Y \(site run alone on the model's X\) differs from the reference SGE/,
    );
    expect((await validateSge(original, right, quick)).failures).toEqual([]);
  });

  it("leaves the caller's models untouched", async () => {
    const original = convChain({ input: ['N', 3, 8, 8], channels: [8] });
    const rewritten = addSge(original, { site: 'conv1', groups: 2, mode: 'function' });
    const before = [encodeModel(original), encodeModel(rewritten)];
    await validateSge(original, rewritten, quick);
    expect(encodeModel(original)).toEqual(before[0]);
    expect(encodeModel(rewritten)).toEqual(before[1]);
  });

  for (const mode of ['inline', 'function'] as const) {
    it(`fails when every Sigmoid is a HardSigmoid (${mode}), naming the site`, async () => {
      const original = convChain({ input: [1, 3, 8, 8], channels: [16] });
      const rewritten = swapSigmoid(addSge(original, { site: 'conv1', groups: 4, mode }));
      const report = await validateSge(original, rewritten, quick);
      expect(report.passed).toBe(false);
      expect(report.sites[0]!.verdict).toBe('fail');
      expect(report.failures.join('\n')).toMatch(/^site conv1: Y differs from the reference SGE/);
      expect(formatReport(report)).toMatch(/conv1 +1x16x8x8 +4 .* fail/);
    });
  }

  it('fails the biased std (divide by S) on a 7×7 map', async () => {
    const original = convChain({ input: [1, 3, 7, 7], channels: [16] });
    const rewritten = addSge(original, { site: 'conv1', groups: 4, mode: 'inline', biasedStd: true });
    const report = await validateSge(original, rewritten, quick);
    expect(report.passed).toBe(false);
    expect(report.failures[0]).toMatch(/^site conv1: Y differs/);
    // The same model with the unbiased std passes: the failure is the std, nothing else.
    const fixed = addSge(original, { site: 'conv1', groups: 4, mode: 'inline' });
    expect((await validateSge(original, fixed, quick)).passed).toBe(true);
  });

  it('reports NaN on a 1×1 map, where the reference is NaN too', async () => {
    const original = convChain({ input: [2, 3, 1, 1], channels: [8] });
    const rewritten = addSge(original, { site: 'conv1', groups: 2, mode: 'function' });
    const report = await validateSge(original, rewritten, quick);
    const site = report.sites[0]!;
    expect(site.verdict).toBe('pass');
    expect(site.referenceNaN).toBe(2 * 8);
    expect(site.reason).toMatch(/reference is NaN in 16 of 16 elements .*Y is NaN exactly there/);
    // The JSON form survives a round trip: no NaN/Infinity numbers, no BigInts.
    const json = reportToJson(report);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('fails a rewritten model with no site', async () => {
    const original = convChain({ input: [1, 3, 8, 8], channels: [8] });
    const report = await validateSge(original, convChain({ input: [1, 3, 8, 8], channels: [8] }), quick);
    expect(report.passed).toBe(false);
    expect(report.failures).toEqual([expect.stringMatching(/has no SGE site/)]);
    expect(formatReport(report)).toMatch(/result: FAIL/);
  });

  it('refuses models that take different inputs (InputError saying how)', async () => {
    const original = convChain({ input: [1, 3, 8, 8], channels: [8] });
    const other = addSge(convChain({ input: [1, 3, 8, 6], channels: [8] }), {
      site: 'conv1',
      groups: 2,
      mode: 'function',
    });
    await expect(validateSge(original, other, quick)).rejects.toThrow(InputError);
    await expect(validateSge(original, other, quick)).rejects.toThrow(
      /input 'input' has shape \[1, 3, 8, 8\] in the original, \[1, 3, 8, 6\]/,
    );
    const f16 = addSge(convChain({ input: [1, 3, 8, 8], channels: [8], float16: true }), {
      site: 'conv1',
      groups: 2,
      mode: 'function',
    });
    await expect(validateSge(original, f16, quick)).rejects.toThrow(
      /input 'input' is float32 in the original, float16 in the rewritten/,
    );
  });

  it('fails when an original output is gone or changed its declared shape', async () => {
    const original = convChain({ input: [1, 3, 8, 8], channels: [8] });
    const rewritten = addSge(original, { site: 'conv1', groups: 2, mode: 'function' });
    rewritten.graph!.output = [makeValueInfo('output', DataType.FLOAT, [1, 8, 8, 'W'])];
    const report = await validateSge(original, rewritten, quick);
    expect(report.passed).toBe(false);
    expect(report.failures).toEqual([
      expect.stringMatching(
        /^output 'output': declared float32 \[1, 8, 8, W\] in the rewritten model, float32 \[1, 8, 8, 8\]/,
      ),
    ]);
    expect(report.sites[0]!.verdict).toBe('pass');
  });

  it('fails a site whose output name the original does not have', async () => {
    const original = convChain({ input: [1, 3, 8, 8], channels: [8, 8] });
    const rewritten = addSge(original, { site: 'conv1', groups: 2, mode: 'function' });
    const renamedOriginal = convChain({ input: [1, 3, 8, 8], channels: [8, 8] });
    for (const n of renamedOriginal.graph!.node) {
      n.input = n.input.map((i) => (i === 'conv1_out' ? 'c1' : i));
      n.output = n.output.map((o) => (o === 'conv1_out' ? 'c1' : o));
    }
    const report = await validateSge(renamedOriginal, rewritten, quick);
    expect(report.sites[0]!.verdict).toBe('fail');
    expect(report.sites[0]!.reason).toMatch(/the original model has no tensor 'conv1_out'/);
  });

  it("turns an unloadable rewritten model into a ValidationFailure with onnxruntime's message", async () => {
    const original = convChain({ input: [1, 3, 8, 8], channels: [8] });
    const rewritten = addSge(original, { site: 'conv1', groups: 2, mode: 'function' });
    rewritten.functions = []; // the node now calls an operator nobody defines
    await expect(validateSge(original, rewritten, quick)).rejects.toThrow(ValidationFailure);
    await expect(validateSge(original, rewritten, quick)).rejects.toThrow(
      /onnxruntime could not load the rewritten model .*SpatialGroupEnhance/s,
    );
  });

  it('fails validation (exit 1) when onnxruntime cannot load the original; a missing file is an input error', async () => {
    const original = convChain({ input: [1, 3, 8, 8], channels: [8] });
    const rewritten = addSge(original, { site: 'conv1', groups: 2, mode: 'function' });
    const broken = convChain({ input: [1, 3, 8, 8], channels: [8] });
    broken.graph!.node[0]!.op_type = 'NoSuchOp';
    await expect(validateSge(broken, rewritten, quick)).rejects.toThrow(ValidationFailure);
    await expect(validateSge(broken, rewritten, quick)).rejects.toThrow(
      /onnxruntime could not load the original model/,
    );
    await expect(validateSge('/nonexistent/model.onnx', rewritten, quick)).rejects.toThrow(InputError);
  });

  it('takes given tensors, refuses --inputs with --shape, and skips timing with runs 0', async () => {
    const original = convChain({ input: ['N', 3, 'H', 'W'], channels: [8] });
    const rewritten = addSge(original, { site: 'conv1', groups: 2, mode: 'inline' });
    const x = { type: 'float32' as const, dims: [2, 3, 5, 4], data: new Float32Array(120).map((_, i) => Math.sin(i)) };
    const report = await validateSge(original, rewritten, { runs: 0, inputs: { input: x } });
    expect(report.passed).toBe(true);
    expect(report.latency).toBeNull();
    expect(report.inputs).toEqual([{ name: 'input', type: 'float32', shape: [2, 3, 5, 4], source: 'given' }]);
    expect(report.sites[0]!.shape).toEqual([2, 8, 5, 4]);
    await expect(validateSge(original, rewritten, { inputsDir: '.', shapes: { input: [1, 3, 8, 8] } })).rejects.toThrow(
      UsageError,
    );
    const shaped = await validateSge(original, rewritten, { runs: 0, dims: { N: 3, H: 6, W: 7 } });
    expect(shaped.sites[0]!.shape).toEqual([3, 8, 6, 7]);
  });

  it('reports progress through the callback only', async () => {
    const original = convChain({ input: [1, 3, 8, 8], channels: [8] });
    const rewritten = addSge(original, { site: 'conv1', groups: 2, mode: 'inline' });
    const events: string[] = [];
    await validateSge(original, rewritten, {
      runs: 2,
      onProgress: (e) => events.push(`${e.stage}:${e.done ?? ''}/${e.total ?? ''}`),
    });
    expect(events).toContain('load:/');
    expect(events).toContain('run:0/3');
    expect(events).toContain('latency:4/4');
  });
});
