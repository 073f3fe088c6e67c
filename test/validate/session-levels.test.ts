/**
 * The graph optimization level of each kind of session validation opens: the correctness runs (the
 * variants with exposed tensors, float16 sites run alone) at 'extended', cheaper to set up for one run
 * than onnxruntime's default; the timed runs at the default ('all', what a deployment gets) on 1
 * thread. And the checks still catch a broken model at that level: a wrong SGE (its Y against the
 * float64 reference) and a change outside the sites (the bypass run against the original's), and tell
 * a change within tolerance from none.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import type { ModelProto } from '../../src/codec/types.js';
import { injectSge } from '../../src/sge/inject.js';
import { parseSgeParams } from '../../src/sge/params.js';
import { validateModels } from '../../src/validate/validate-models.js';
import { recordingOrt, type SessionRecord } from '../helpers/recording-ort.js';
import { addSge, convChain, swapSigmoid } from './models.js';

const BASE = 'fixtures/models/mini_resnet_bottleneck_op13';
const CORRECTNESS: Omit<SessionRecord, 'outputs'> = { level: 'extended', threads: undefined };
const TIMED: Omit<SessionRecord, 'outputs'> = { level: undefined, threads: 1 };
const kinds = (sessions: readonly SessionRecord[]) => sessions.map(({ level, threads }) => ({ level, threads }));

/** The mini ResNet fixture and its SGE(8) version (6 sites, one after each conv3). */
function injected(): { original: ModelProto; rewritten: ModelProto } {
  const bytes = new Uint8Array(readFileSync(`${BASE}.onnx`));
  const original = decodeModel(bytes);
  const rewritten = decodeModel(bytes);
  injectSge(rewritten, {
    after: ['*/conv3/Conv'],
    params: parseSgeParams(new Uint8Array(readFileSync(`${BASE}.sge-g8-params.json`))),
  });
  return { original, rewritten };
}

/** Changes the first weight of the first Conv (the rewritten model's own decoded copy). */
function changeFirstWeight(model: ModelProto, change: (w: number) => number): void {
  const conv1 = model.graph!.node[0]!;
  expect(conv1.op_type).toBe('Conv');
  const weight = model.graph!.initializer.find((t) => t.name === conv1.input[1])!;
  const raw = weight.raw_data!.slice();
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  view.setFloat32(0, change(view.getFloat32(0, true)), true);
  weight.raw_data = raw;
}

describe('the optimization level of each session validation opens', () => {
  it("correctness runs at 'extended', timed runs at the default on 1 thread", async () => {
    const { original, rewritten } = injected();
    const c = recordingOrt();
    const report = await validateModels({
      ort: c.ort,
      original: { model: original },
      rewritten: { model: rewritten },
      runs: 1,
    });
    expect(report.failures).toEqual([]);
    // original with its 6 conv outputs exposed, rewritten with 6 X and 6 Y, bypassed with 6 X; each
    // model as it is (1 output).
    expect(c.sessions.map((s) => s.outputs)).toEqual([7, 13, 7, 1, 1]);
    expect(kinds(c.sessions)).toEqual([CORRECTNESS, CORRECTNESS, CORRECTNESS, TIMED, TIMED]);
  });

  it("a float16 site run alone at 'extended' too", async () => {
    const original = convChain({ input: [2, 3, 7, 7], channels: [16], float16: true });
    const rewritten = addSge(original, { site: 'conv1', groups: 4, mode: 'function' });
    const c = recordingOrt();
    const report = await validateModels({
      ort: c.ort,
      original: { model: original },
      rewritten: { model: rewritten },
      runs: 1,
    });
    expect(report.failures).toEqual([]);
    expect(report.sites[0]!.reason).toMatch(/judged on the site run alone/);
    expect(kinds(c.sessions)).toEqual([CORRECTNESS, CORRECTNESS, CORRECTNESS, CORRECTNESS, TIMED, TIMED]);
  });
});

describe("the checks with the correctness runs at 'extended'", () => {
  it('fail a wrong SGE (Sigmoid → HardSigmoid): every site, against the float64 reference', async () => {
    const { original, rewritten } = injected();
    const c = recordingOrt();
    const report = await validateModels({
      ort: c.ort,
      original: { model: original },
      rewritten: { model: swapSigmoid(rewritten) },
      runs: 0,
    });
    expect(kinds(c.sessions).slice(0, 3)).toEqual([CORRECTNESS, CORRECTNESS, CORRECTNESS]);
    expect(report.passed).toBe(false);
    expect(report.sites.map((s) => s.verdict)).toEqual(new Array(6).fill('fail'));
    for (const s of report.sites)
      expect(report.failures).toContainEqual(
        expect.stringMatching(`^site ${s.site}: Y differs from the reference SGE`),
      );
  });

  it("fail a weight changed outside the sites: every site's X and the output, with the blocks bypassed", async () => {
    const { original, rewritten } = injected();
    changeFirstWeight(rewritten, (w) => w + 0.5);
    const c = recordingOrt();
    const report = await validateModels({
      ort: c.ort,
      original: { model: original },
      rewritten: { model: rewritten },
      runs: 0,
    });
    expect(kinds(c.sessions).slice(0, 3)).toEqual([CORRECTNESS, CORRECTNESS, CORRECTNESS]);
    expect(report.passed).toBe(false);
    // Each site still computes SGE of its own X; what fails is X against the original's conv output.
    for (const s of report.sites) {
      expect(s.verdict).toBe('fail');
      expect(s.reason).toMatch(/^X differs from the original model's conv output/);
    }
    expect(report.failures).toContainEqual(
      expect.stringMatching(
        /^output '.*': with the SGE blocks bypassed the rewritten model gives \d+ elements different from the original .*the rewrite changed more than its sites$/,
      ),
    );
  });

  it('pass a weight moved by one float32 step, saying X is within tolerance but not bit for bit', async () => {
    const { original, rewritten } = injected();
    changeFirstWeight(rewritten, (w) => {
      const next = new Float32Array([w * (1 + 2 ** -23)]);
      expect(next[0]).not.toBe(w);
      return next[0]!;
    });
    const report = await validateModels({
      ort: recordingOrt().ort,
      original: { model: original },
      rewritten: { model: rewritten },
      runs: 0,
    });
    expect(report.failures).toEqual([]);
    const first = report.sites[0]!;
    expect(first.input).toMatchObject({ failures: 0, bitwiseEqual: false });
    expect(first.input!.maxAbs).toBeGreaterThan(0);
    expect(first.reason).toMatch(/X matches the original's conv output within tolerance but not bit for bit/);
  });
});
