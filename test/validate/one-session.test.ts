/**
 * Validation's memory (issue 11): onnxruntime sessions are opened one at a time: the correctness runs
 * always, the timed runs too when there is at most one timed run each (with more, the two models stay
 * open together so their runs can alternate). Counted through a wrapper of onnxruntime-node
 * (test/helpers/recording-ort.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { injectSge } from '../../src/sge/inject.js';
import { parseSgeParams } from '../../src/sge/params.js';
import { validateModels } from '../../src/validate/validate-models.js';
import { recordingOrt } from '../helpers/recording-ort.js';

const BASE = 'fixtures/models/mini_resnet_bottleneck_op13';

function injected() {
  const bytes = new Uint8Array(readFileSync(`${BASE}.onnx`));
  const original = decodeModel(bytes);
  const rewritten = decodeModel(bytes);
  injectSge(rewritten, {
    after: ['*/conv3/Conv'],
    params: parseSgeParams(new Uint8Array(readFileSync(`${BASE}.sge-g8-params.json`))),
  });
  return { original: { model: original }, rewritten: { model: rewritten } };
}

describe('validation opens onnxruntime sessions', () => {
  it('one at a time with --runs 1 (and 0)', async () => {
    for (const runs of [0, 1]) {
      const c = recordingOrt();
      const report = await validateModels({ ort: c.ort, ...injected(), runs });
      expect(report.passed).toBe(true);
      expect(c.sessions).toHaveLength(5); // three correctness variants, then each model as it is
      expect(c.mostAlive()).toBe(1);
    }
  });

  it('both models together when their timed runs alternate (--runs 2)', async () => {
    const c = recordingOrt();
    const report = await validateModels({ ort: c.ort, ...injected(), runs: 2 });
    expect(report.passed).toBe(true);
    expect(report.latency).toMatchObject({ runs: 2 });
    expect(c.mostAlive()).toBe(2);
  });
});
