/**
 * A model validated from its file keeps its weights there (loadModel's weightsInFile), and its
 * sessions are made from the encoded graph with onnxruntime told the folder, not by onnxruntime
 * parsing the whole file again; a file whose weights had to be read into memory opens as a file.
 */
import { copyFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../src/codec/encode.js';
import { injectSge } from '../../src/sge/inject.js';
import { loadModel, saveModel } from '../../src/io/index.js';
import { loadModelUnderTest, validateSge } from '../../src/validate/node/validate-sge.js';
import { tempFolder } from '../io/tmp.js';

const MINI = join(import.meta.dirname, '..', '..', 'fixtures', 'models', 'mini_resnet_bottleneck_op13.onnx');
const dir = tempFolder('weights-session');

describe('a model validated from its file', () => {
  it('has its weights in the file and no path to open whole: sessions come from the small encoding', async () => {
    const subject = await loadModelUnderTest(MINI);
    expect(subject.name).toBe(MINI);
    expect(subject.path).toBeUndefined();
    expect(subject.files).toBeDefined();
    expect(encodeModel(subject.model).byteLength).toBeLessThan(60_000);
  });

  it('opens as a file when its name cannot be a location (the weights were read into memory)', async () => {
    const odd = join(dir, 'back\\slash.onnx');
    copyFileSync(MINI, odd);
    const subject = await loadModelUnderTest(odd);
    expect(subject.path).toBe(odd);
  });

  // onnxruntime resolves links in external data paths and refuses one that leaves the folder it was told:
  // a self-reference through a link (bench/out/resnet50.onnx linked to another checkout's) failed to load.
  it('validates when the model is a link to a file in another folder, or sits in a linked folder', async () => {
    const elsewhere = tempFolder('weights-elsewhere');
    const real = join(elsewhere, 'mini.onnx');
    copyFileSync(MINI, real);
    const sge = await loadModel(real);
    injectSge(sge, { after: ['*/conv3/Conv'], groups: 8 });
    const rewritten = join(dir, 'mini.sge.onnx');
    await saveModel(sge, rewritten);
    const fileLink = join(dir, 'linked.onnx');
    symlinkSync(real, fileLink);
    const folderLink = join(dir, 'linked-folder');
    symlinkSync(elsewhere, folderLink);
    for (const original of [fileLink, join(folderLink, 'mini.onnx')]) {
      const report = await validateSge(original, rewritten, { runs: 0 });
      expect(report.passed, original).toBe(true);
      expect(report.sites).toHaveLength(6);
    }
  });
});
