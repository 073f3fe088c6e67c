/**
 * `sge-inject fuse --validate`: the exported model (original) and the fused one run side by side on the
 * same inputs. Every site is judged against the float64 reference and against the block it replaced (X
 * is the block's input in both models), the final outputs must agree within float32 tolerance (both
 * compute SGE), and latency is reported before and after. A fused model that computes something else
 * (a weight changed after the fuse, a sabotaged function body; faults switched on through vi.mock of
 * the real modules) exits 1 and keeps the written model.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sgeWeightName } from '../../src/sge/conventions.js';
import { makeFloatTensor } from '../../src/tensor/make.js';
import { tensorToFloat64 } from '../../src/tensor/read.js';
import { CONV3, SGE13, SGE13_DATA } from '../helpers/exported-sge.js';
import { cli, ROOT, snapshot, STACK_LINE, subFolder, tempFiles, tempFolder } from './helpers.js';

const fault = vi.hoisted(() => ({ weight: false, body: false }));

vi.mock('../../src/sge/fuse/fuse.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/sge/fuse/fuse.js')>();
  return {
    ...real,
    fuseSge: async (...args: Parameters<typeof real.fuseSge>) => {
      const report = await real.fuseSge(...args);
      if (fault.weight) {
        // The last site's first weight moved by 0.5: the site still computes SGE with its own
        // parameters, but no longer what the exported block computed.
        const name = sgeWeightName(report.sites.at(-1)!.name);
        const graph = args[0].graph!;
        const i = graph.initializer.findIndex((t) => t.name === name);
        const values = tensorToFloat64(graph.initializer[i]!);
        values[0]! += 0.5;
        graph.initializer[i] = makeFloatTensor(name, values, graph.initializer[i]!.data_type as 1, [
          ...graph.initializer[i]!.dims.map(Number),
        ]);
      }
      return report;
    },
  };
});

vi.mock('../../src/sge/function.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/sge/function.js')>();
  return {
    ...real,
    buildSgeFunction: (...args: Parameters<typeof real.buildSgeFunction>) => {
      const f = real.buildSgeFunction(...args);
      if (fault.body) for (const n of f.node) if (n.op_type === 'Sigmoid') n.op_type = 'HardSigmoid';
      return f;
    },
  };
});

afterEach(() => {
  fault.weight = false;
  fault.body = false;
});

const root = tempFolder('fuse-validate');
const FUSE = join(ROOT, 'fixtures/fuse');

/** One model of each implementation and of each kind of edit in fixtures/fuse (its README). */
const MODELS = [
  'pytorchinsight_op11_b1_nofold',
  'pytorchinsight_op17_b2_fold',
  'pytorchinsight_op11_dyn_fold_unnamed',
  'pytorchinsight_op18_dyn_fold_shared',
  'pytorchinsight_op13_dyn_nofold_sharednodes',
  'external_attention_op18_dyn_nofold',
  'yolo_fishvit_op13_dyn_fold_shared',
  'variant_mean_var_op18_dyn_nofold',
  'pytorchinsight_op13_dyn_fold_initializers',
  'mixed_tanh_op17_dyn_fold',
];

describe('sge-inject fuse --validate', () => {
  for (const stem of MODELS) {
    it(`${stem}: fuses, every site passes, the outputs agree, exit 0`, async () => {
      const out = join(subFolder(root, stem), 'fused.onnx');
      const r = await cli(['fuse', join(FUSE, `${stem}.onnx`), '-o', out, '--validate', '--runs', '2', '--json']);
      expect(r.status, r.stderr + r.stdout).toBe(0);
      const j = JSON.parse(r.stdout);
      const v = j.validation;
      expect(v.passed, v.failures.join('\n')).toBe(true);
      expect(v.sites.map((s: { site: string }) => s.site)).toEqual(j.fuse.sites.map((s: { name: string }) => s.name));
      for (const s of v.sites) {
        expect(s.verdict).toBe('pass');
        // X with the sites bypassed is the exported block's input, computed by the same nodes.
        expect(s.input.bitwiseEqual).toBe(true);
      }
      expect(v.outputs.map((o: { agreement?: unknown }) => o.agreement)).toEqual([
        { failures: 0, elements: expect.any(Number) },
      ]);
      expect(v.latency.originalMs).toBeGreaterThan(0);
      expect(v.latency.rewrittenMs).toBeGreaterThan(0);
      expect(j.output).toBe(out);
    });
  }

  it("takes validate's options: --inputs runs both models on the test data; the table says PASS and the latency", async () => {
    const dir = subFolder(root, 'inputs');
    const out = join(dir, 'fused.onnx');
    const r = await cli([
      'fuse',
      SGE13,
      '-o',
      out,
      '--validate',
      '--inputs',
      SGE13_DATA,
      '--runs',
      '3',
      '--rtol',
      '1e-4',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/6 exported SGE blocks fused/);
    expect(r.stdout).toMatch(/validation: the exported model \(original\) against the fused one \(rewritten\)/);
    for (const c of CONV3)
      expect(r.stdout).toMatch(new RegExp(`${c.replaceAll('.', '\\.')}\\s+2x\\d+x\\d+x\\d+\\s+8\\s.*pass`));
    expect(r.stdout).toMatch(/input input: float32 2x3x\d+x\d+, .*input_0\.pb/);
    expect(r.stdout).toMatch(/must agree \(both compute SGE\): they do/);
    expect(r.stdout).toMatch(/latency \(1 thread, median of 3\): original [\d.]+ ms, rewritten [\d.]+ ms/);
    expect(r.stdout).toMatch(/note: every site replaced an SGE block the original computes in another form/);
    expect(r.stdout).toMatch(/result: PASS/);
  });

  it('validation options without --validate: exit 2, nothing written', async () => {
    const dir = subFolder(root, 'loose');
    const before = snapshot(dir);
    const r = await cli(['fuse', SGE13, '-o', join(dir, 'fused.onnx'), '--shape', 'input=1x3x32x32', '--runs', '1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--shape, --runs apply only with --validate/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a fused weight changed after the fuse: the outputs disagree, exit 1, the model is kept', async () => {
    fault.weight = true;
    const dir = subFolder(root, 'weight');
    const out = join(dir, 'fused.onnx');
    const r = await cli(['fuse', SGE13, '-o', out, '--validate', '--runs', '0']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/validation failed: .*output 'logits'.*where both compute the same SGE/s);
    expect(r.stderr).toContain(`the rewritten model was kept: ${out}`);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stdout).toMatch(/result: FAIL/);
    expect(existsSync(out)).toBe(true);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('a sabotaged function body (HardSigmoid gate): every site fails against the reference, exit 1', async () => {
    fault.body = true;
    const dir = subFolder(root, 'body');
    const out = join(dir, 'fused.onnx');
    const r = await cli(['fuse', SGE13, '-o', out, '--validate', '--runs', '0', '--json']);
    expect(r.status, r.stderr).toBe(1);
    const v = JSON.parse(r.stdout).validation;
    expect(v.passed).toBe(false);
    expect(v.sites.map((s: { verdict: string }) => s.verdict)).toEqual(CONV3.map(() => 'fail'));
    expect(v.outputs[0].agreement.failures).toBeGreaterThan(0);
  });
});
