/**
 * `sge-inject test`: a model against expected outputs it did not compute. The references are PyTorch's
 * outputs (the fixtures' test_data_set_0) and the ONNX backend test corpus's expected outputs (numpy);
 * a mismatch's figures are checked against onnxruntime run directly.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onnxRoot } from '../../src/codec/schema.js';
import { DataType } from '../../src/codec/types.js';
import { encodeModel } from '../../src/codec/encode.js';
import { makeGraph, makeModel, makeNode, makeOpset, makeTensor, makeValueInfo } from '../../src/graph/factory.js';
import { cli, expectRefusal, MODELS, RESNET13, subFolder, tempFolder } from '../cli/helpers.js';
import { runOrt } from '../helpers/ort.js';
import { readTensorPb } from '../helpers/tensors.js';

const root = tempFolder('test-data');
const CORPUS = process.env.SGE_CORPUS_DIR ?? '/usr/share/libonnx-testdata/data';
const corpus = existsSync(CORPUS) && statSync(CORPUS).isDirectory();
const required = process.env.SGE_REQUIRE_CORPUS === '1';
const SGE13 = join(MODELS, 'mini_resnet_bottleneck_sge_g8_op13');
const TensorProtoType = onnxRoot.lookupType('onnx.TensorProto');

function writePb(path: string, tensor: ReturnType<typeof makeTensor>): void {
  writeFileSync(path, TensorProtoType.encode(tensor as never).finish());
}

/** A folder holding a copy of the fixture set's files, to be damaged by a test. */
function setCopy(name: string, files = ['input_0.pb', 'output_0.pb']): string {
  const dir = subFolder(root, name);
  for (const f of files) copyFileSync(join(SGE13, 'test_data_set_0', f), join(dir, f));
  return dir;
}

/** x (int32 [4]) → Identity → y: integer outputs are compared exactly. */
function intModel(dir: string): string {
  const model = makeModel(
    makeGraph({
      node: [makeNode({ op_type: 'Identity', input: ['x'], output: ['y'] })],
      input: [makeValueInfo('x', DataType.INT32, [4])],
      output: [makeValueInfo('y', DataType.INT32, [4])],
    }),
    [makeOpset('', 13)],
  );
  const path = join(dir, 'ident.onnx');
  writeFileSync(path, encodeModel(model));
  return path;
}

describe('sge-inject test: passing models', () => {
  it('every fixture model reproduces the PyTorch outputs beside it (<stem>/test_data_set_N found by default)', async () => {
    for (const stem of [
      'mini_resnet_bottleneck_op13',
      'mini_resnet_bottleneck_op17',
      'mini_resnet_bottleneck_sge_g8_op13',
      'mini_resnet_bottleneck_sge_g8_op17',
      'mini_vgg_caffe_op13',
    ]) {
      const r = await cli(['test', join(MODELS, `${stem}.onnx`)]);
      expect(r.status, `${stem}\n${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(join(MODELS, stem, 'test_data_set_0'));
      expect(r.stdout).toMatch(/1 test data set, 1 output compared: 1 pass, 0 fail\nresult: PASS/);
      expect(r.stderr).toBe('');
    }
  });

  it("--data names the sets: the static SGE export reproduces the dynamic one's data, twice over", async () => {
    const set = join(SGE13, 'test_data_set_0');
    const r = await cli([
      'test',
      join(MODELS, 'mini_resnet_bottleneck_sge_g8_op13_static.onnx'),
      '--data',
      set,
      '--data',
      set,
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.test.passed).toBe(true);
    expect(json.test.sets.map((s: { name: string }) => s.name)).toEqual([set, set]);
    const out = json.test.sets[0].outputs[0];
    expect(out).toMatchObject({ name: 'logits', type: 'float32', shape: [2, 10], elements: 20, failures: 0 });
    expect(out.tolerance).toEqual({ rtol: 1e-4, atol: 1e-5 });
  });

  // The backend corpus's expected outputs were computed by numpy: multi-output, integer, bool,
  // float16, float64, uint8 outputs and control flow, each in the zoo layout (model.onnx beside its sets).
  const CASES = [
    'node/test_split_equal_parts_1d',
    'node/test_argmax_default_axis_example',
    'node/test_equal',
    'node/test_cast_FLOAT_to_FLOAT16',
    'node/test_cast_FLOAT_to_DOUBLE',
    'node/test_quantizelinear',
    'node/test_top_k',
    'node/test_conv_with_strides_padding',
    'node/test_lstm_defaults',
    'node/test_if',
    'node/test_loop11',
    'pytorch-converted/test_Conv2d_groups',
  ];
  it.skipIf(!corpus && !required)("ONNX backend tests pass against numpy's expected outputs (zoo layout)", async () => {
    expect(corpus, `the corpus at ${CORPUS} is required (SGE_REQUIRE_CORPUS=1)`).toBe(true);
    for (const c of CASES) {
      const r = await cli(['test', join(CORPUS, c, 'model.onnx'), '--json']);
      expect(r.status, `${c}: ${r.stderr}`).toBe(0);
      const json = JSON.parse(r.stdout);
      expect(json.test.sets.length, c).toBeGreaterThanOrEqual(1);
      for (const s of json.test.sets) for (const o of s.outputs) expect(o.verdict, `${c} ${o.name}`).toBe('pass');
    }
  });
});

describe('sge-inject test: mismatches (exit 1)', () => {
  it("the plain mini ResNet against the SGE export's outputs: names set and output, figures as onnxruntime gives them", async () => {
    const set = join(SGE13, 'test_data_set_0');
    const r = await cli(['test', RESNET13, '--data', set, '--json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sge-inject: test data mismatch: .*test_data_set_0: output 'logits': 20 of 20 elements/);
    const out = JSON.parse(r.stdout).test.sets[0].outputs[0];
    // Independently: run the model in onnxruntime and compare with the expected tensor here.
    const input = readTensorPb(join(set, 'input_0.pb'));
    const expected = readTensorPb(join(set, 'output_0.pb'));
    const { readFileSync } = await import('node:fs');
    const got = (await runOrt(new Uint8Array(readFileSync(RESNET13)), { input })).logits!;
    let maxAbs = 0;
    for (let i = 0; i < expected.data.length; i++)
      maxAbs = Math.max(maxAbs, Math.abs((got.data as Float32Array)[i]! - expected.data[i]!));
    expect(out.verdict).toBe('fail');
    expect(out.maxAbs).toBeCloseTo(maxAbs, 12);
    expect(out.failures).toBe(20);

    const text = await cli(['test', RESNET13, '--data', set]);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/logits\s+float32\s+2x10\s+\S+\s+\S+\s+20\/20\s+fail/);
    expect(text.stdout).toMatch(/result: FAIL/);
  });

  it('--rtol/--atol widen the float rule (same rule as validate: both must be exceeded)', async () => {
    const set = join(SGE13, 'test_data_set_0');
    // The largest difference is 0.0396 (above): atol 0.05 lets every element through.
    expect((await cli(['test', RESNET13, '--data', set, '--atol', '0.05'])).status).toBe(0);
    expect((await cli(['test', RESNET13, '--data', set, '--atol', '0.01'])).status).toBe(1);
    expectRefusal(await cli(['test', RESNET13, '--rtol', 'x']), { status: 2, says: [/--rtol 'x'/] });
  });

  it('expected outputs saved with numpy.save, named after the output, are read alike', async () => {
    const dir = subFolder(root, 'npy');
    copyFileSync(join(SGE13, 'test_data_set_0', 'input_0.pb'), join(dir, 'input_0.pb'));
    // numpy writes the file (Debian's python3 with onnx), from the PyTorch output.
    execFileSync('/usr/bin/python3', [
      '-c',
      'import sys, numpy, onnx; from onnx import numpy_helper; t = onnx.TensorProto(); t.ParseFromString(open(sys.argv[1], "rb").read()); numpy.save(sys.argv[2], numpy_helper.to_array(t))',
      join(SGE13, 'test_data_set_0', 'output_0.pb'),
      join(dir, 'logits.npy'),
    ]);
    const r = await cli(['test', join(MODELS, 'mini_resnet_bottleneck_sge_g8_op13.onnx'), '--data', dir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).test.sets[0].outputs[0]).toMatchObject({ file: join(dir, 'logits.npy'), failures: 0 });
    expect((await cli(['test', RESNET13, '--data', dir])).status).toBe(1);
  });

  it('integer outputs must be equal whatever the tolerances', async () => {
    const dir = subFolder(root, 'int');
    const model = intModel(dir);
    const set = join(dir, 'ident', 'test_data_set_0');
    mkdirSync(set, { recursive: true });
    writePb(join(set, 'input_0.pb'), makeTensor('x', [4], new Int32Array([1, 2, 3, 1000])));
    writePb(join(set, 'output_0.pb'), makeTensor('y', [4], new Int32Array([1, 2, 3, 1000])));
    expect((await cli(['test', model])).status).toBe(0);
    writePb(join(set, 'output_0.pb'), makeTensor('y', [4], new Int32Array([1, 2, 3, 1001])));
    const r = await cli(['test', model, '--rtol', '0.5', '--atol', '10', '--json']);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout).test.sets[0].outputs[0];
    expect(out).toMatchObject({ type: 'int32', failures: 1, tolerance: { rtol: 0, atol: 0 } });
  });
});

describe('sge-inject test: bad or missing data (exit 2, naming the file and tensor)', () => {
  it('no test data beside the model, or --data not a folder', async () => {
    const dir = subFolder(root, 'none');
    copyFileSync(RESNET13, join(dir, 'm.onnx'));
    expectRefusal(await cli(['test', join(dir, 'm.onnx')]), {
      status: 2,
      says: [/no test data found for .*m\.onnx/, /--data DIR/],
    });
    expectRefusal(await cli(['test', RESNET13, '--data', join(dir, 'missing')]), {
      status: 2,
      says: [/missing: no such test data folder/],
    });
    expectRefusal(await cli(['test', RESNET13, '--data', join(dir, 'm.onnx')]), {
      status: 2,
      says: [/m\.onnx is not a folder/],
    });
  });

  it('a set without the expected output, or without the input', async () => {
    expectRefusal(await cli(['test', RESNET13, '--data', setCopy('no-output', ['input_0.pb'])]), {
      status: 2,
      says: [/no tensor for output 'logits'/, /output_0\.pb/],
    });
    expectRefusal(await cli(['test', RESNET13, '--data', setCopy('no-input', ['output_0.pb'])]), {
      status: 2,
      says: [/no tensor for input 'input'/],
    });
  });

  it('an expected tensor of the wrong shape or type, a file that is no tensor, a tensor claiming 10^18 elements', async () => {
    const shape = setCopy('shape');
    writePb(join(shape, 'output_0.pb'), makeTensor('logits', [2, 11], new Float32Array(22)));
    expectRefusal(await cli(['test', RESNET13, '--data', shape]), {
      status: 2,
      says: [/output_0\.pb: output 'logits' has shape \[batch, 10\], the file holds 2x11/],
    });
    const type = setCopy('type');
    writePb(join(type, 'output_0.pb'), makeTensor('logits', [2, 10], new Float64Array(20)));
    expectRefusal(await cli(['test', RESNET13, '--data', type]), {
      status: 2,
      says: [/output_0\.pb: output 'logits' is float32, the file holds float64/],
    });
    const junk = setCopy('junk');
    writeFileSync(join(junk, 'output_0.pb'), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]));
    expectRefusal(await cli(['test', RESNET13, '--data', junk]), {
      status: 2,
      says: [/output_0\.pb is not a serialized TensorProto/],
    });
    // Both encodings of the values: raw_data, and the repeated float_data field (it once crashed, exit 70).
    const huge = setCopy('huge');
    const claim = makeTensor('logits', [2, 10], new Float32Array(20));
    claim.dims = [1_000_000_000, 1_000_000_000];
    writePb(join(huge, 'output_0.pb'), claim);
    expectRefusal(await cli(['test', RESNET13, '--data', huge]), {
      status: 2,
      says: [/output_0\.pb: 80 bytes of data for 1000000000000000000 float32 elements/],
    });
    delete (claim as { raw_data?: Uint8Array }).raw_data;
    claim.float_data = [1, 2];
    writePb(join(huge, 'output_0.pb'), claim);
    expectRefusal(await cli(['test', RESNET13, '--data', huge]), {
      status: 2,
      says: [/output_0\.pb: holds 2 values for shape \[1000000000, 1000000000\]/],
    });
  });
});
