/**
 * A model validated from its file keeps its weights there (loadModel's weightsInFile), and its
 * sessions are made from the encoded graph with onnxruntime told the folder, not by onnxruntime
 * parsing the whole file again; a file whose weights had to be read into memory opens as a file.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../src/codec/encode.js';
import { loadModelUnderTest } from '../../src/validate/node/validate-sge.js';
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
});
