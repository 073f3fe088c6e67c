/**
 * The transform end to end: inject into models, run them in onnxruntime-node, compare with PyTorch's
 * outputs (fixtures) or with the float64 reference where the fixtures do not reach.
 */
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../src/codec/index.js';
import { DataType, type ModelProto } from '../../src/codec/types.js';
import { int64ToNumber } from '../../src/codec/int64.js';
import { makeAttribute, makeGraph, makeModel, makeNode, makeOpset, makeValueInfo } from '../../src/graph/factory.js';
import { ModelIndex } from '../../src/graph/model-index.js';
import { topologicalSort } from '../../src/graph/toposort.js';
import { injectSge, planInjection, type InjectOptions } from '../../src/sge/inject.js';
import { parseSgeParams, type SgeParamsFile } from '../../src/sge/params.js';
import { referenceSge } from '../../src/sge/reference.js';
import { stripSge } from '../../src/sge/strip.js';
import { findInjectedSites } from '../../src/sge/detect.js';
import { SGE_DOMAIN, SGE_INLINE_MARKER } from '../../src/sge/conventions.js';
import { makeFloatTensor } from '../../src/tensor/make.js';
import { roundToFloat16, toFloat16Bits, float16BitsToFloat32 } from '../../src/tensor/float16.js';
import { InputError, UsageError } from '../../src/errors.js';
import { runOrt } from '../helpers/ort.js';
import { compareArrays, describeComparison } from '../helpers/compare.js';
import { loadSgeOpCase, readTensorPb, SGE_OP_CASES } from '../helpers/tensors.js';
import { identityConvModel, seededUniform } from '../helpers/conv-models.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const load = (p: string): ModelProto => decodeModel(new Uint8Array(readFileSync(FIXTURES + p)), { source: p });
const F32 = { rtol: 1e-4, atol: 1e-5 };
const MODES = ['function', 'inline'] as const;

function paramsFor(site: string, weight: ArrayLike<number>, bias: ArrayLike<number>): SgeParamsFile {
  return parseSgeParams(
    new TextEncoder().encode(
      JSON.stringify({
        groups: weight.length,
        params: { [site]: { weight: Array.from(weight), bias: Array.from(bias) } },
      }),
    ),
  );
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = F32): void {
  const r = compareArrays(actual, expected, tol);
  expect(r.ok, describeComparison(r, actual, expected)).toBe(true);
}

describe('every sge-op fixture through a one-Conv probe matches PyTorch', () => {
  for (const name of SGE_OP_CASES) {
    for (const mode of MODES) {
      it(`${name} (${mode})`, async () => {
        const c = loadSgeOpCase(name);
        const [, channels, ...spatial] = c.x.dims;
        const model = identityConvModel({ opset: 17, channels: channels!, spatial: spatial.map((_, i) => `S${i}`) });
        const report = injectSge(model, {
          after: ['conv'],
          params: paramsFor('conv', c.weight, c.bias),
          inline: mode === 'inline',
        });
        expect(report.sites).toHaveLength(1);
        expect(report.warnings.join(' ')).toMatch(/dynamic|unknown/);
        const out = await runOrt(encodeModel(model), { X: { data: c.x.data, dims: c.x.dims } });
        const y = out.conv_out!.data as Float32Array;
        if (c.meta.y_has_nan) expect(Array.from(y).every(Number.isNaN)).toBe(true);
        expectClose(y, c.y);
      });
    }
  }
});

describe('torch-exported mini ResNets with SGE are reproduced', () => {
  for (const op of [13, 17]) {
    for (const mode of MODES) {
      it(`opset ${op}, ${mode} form, with the params file`, async () => {
        const model = load(`models/mini_resnet_bottleneck_op${op}.onnx`);
        const params = parseSgeParams(
          new Uint8Array(readFileSync(`${FIXTURES}models/mini_resnet_bottleneck_op${op}.sge-g8-params.json`)),
        );
        const report = injectSge(model, { after: ['*/conv3/Conv'], params, inline: mode === 'inline' });
        expect(report.sites.map((s) => s.name)).toEqual([...params.sites.keys()]);
        const input = readTensorPb(
          `${FIXTURES}models/mini_resnet_bottleneck_sge_g8_op${op}/test_data_set_0/input_0.pb`,
        );
        const expected = readTensorPb(
          `${FIXTURES}models/mini_resnet_bottleneck_sge_g8_op${op}/test_data_set_0/output_0.pb`,
        );
        const out = await runOrt(encodeModel(model), { input });
        expectClose(out.logits!.data as Float32Array, expected.data);
      });
    }
  }

  it("the Caffe-named VGG with --groups 64 --after conv4_* (paper init) gives PyTorch's output", async () => {
    for (const mode of MODES) {
      const model = load('models/mini_vgg_caffe_op13.onnx');
      const report = injectSge(model, { after: ['conv4_*'], groups: 64, inline: mode === 'inline' });
      expect(report.sites.map((s) => s.name)).toEqual(['conv4_1', 'conv4_2', 'conv4_3']);
      const dir = `${FIXTURES}models/mini_vgg_caffe_op13_sge_g64_paper_init/test_data_set_0/`;
      const input = readTensorPb(`${dir}input_0.pb`);
      const expected = readTensorPb(`${dir}output_0.pb`);
      const inputName = model.graph!.input[0]!.name!;
      const out = await runOrt(encodeModel(model), { [inputName]: input });
      expectClose(Object.values(out)[0]!.data as Float32Array, expected.data);
    }
  });
});

/** Injects into an identity-conv model and checks the output against the float64 reference. */
async function checkAgainstReference(
  model: ModelProto,
  options: InjectOptions,
  dims: number[],
  seed: number,
  elemType: number = DataType.FLOAT,
): Promise<void> {
  const count = dims.reduce((a, b) => a * b, 1);
  const x = seededUniform(count, seed, -2, 2);
  const g = options.groups!;
  const weight = seededUniform(g, seed + 1, -1, 1);
  const bias = seededUniform(g, seed + 2, 0, 1);
  injectSge(model, { ...options, params: paramsFor('conv', weight, bias) });
  if (elemType === DataType.FLOAT16) {
    const xh = toFloat16Bits(x);
    const out = await runOrt(encodeModel(model), { X: { data: xh, dims } });
    const y = float16BitsToFloat32(out.conv_out!.data as Uint16Array);
    // The reference sees what the model sees: float16-rounded X, weight and bias.
    const ref = referenceSge(float16BitsToFloat32(xh), dims, roundToFloat16(weight), roundToFloat16(bias));
    // Statistics run in float32 inside; the only float16 rounding is of Y itself (half an ulp,
    // 2^-11 relative) plus the gate's float32 error amplified by nothing: rtol 2^-10 covers it.
    expectClose(y, ref, { rtol: 2 ** -10, atol: 2 ** -14 });
    return;
  }
  const out = await runOrt(encodeModel(model), { X: { data: x, dims } });
  expectClose(out.conv_out!.data as Float32Array, referenceSge(x, dims, weight, bias));
}

describe('opset sweep 11…26 against the float64 reference', () => {
  for (let opset = 11; opset <= 26; opset++) {
    for (const mode of MODES) {
      it(`opset ${opset} ${mode}`, async () => {
        const model = identityConvModel({ opset, channels: 16, spatial: ['H', 'W'], irVersion: opset >= 21 ? 10 : 7 });
        await checkAgainstReference(
          model,
          { after: ['conv'], groups: 4, inline: mode === 'inline' },
          [2, 16, 5, 6],
          opset,
        );
        expect(model.opset_import.find((o) => !o.domain)?.version).toBe(opset);
      });
    }
  }
});

describe('element types and ranks', () => {
  for (const mode of MODES) {
    it(`float16 site (${mode})`, async () => {
      const model = identityConvModel({ opset: 17, channels: 16, spatial: ['H', 'W'], elemType: DataType.FLOAT16 });
      await checkAgainstReference(
        model,
        { after: ['conv'], groups: 4, inline: mode === 'inline' },
        [1, 16, 7, 7],
        7,
        DataType.FLOAT16,
      );
      const w = model.graph!.initializer.find((t) => t.name === 'conv/sge/weight')!;
      expect(w.data_type).toBe(DataType.FLOAT16);
    });

    it(`1-D conv (${mode})`, async () => {
      const model = identityConvModel({ opset: 17, channels: 8, spatial: ['L'] });
      await checkAgainstReference(model, { after: ['conv'], groups: 2, inline: mode === 'inline' }, [2, 8, 11], 11);
    });

    it(`3-D conv (${mode}), static shape`, async () => {
      const model = identityConvModel({ opset: 17, channels: 8, spatial: [3, 4, 5] });
      await checkAgainstReference(
        model,
        { after: ['conv'], groups: 4, inline: mode === 'inline' },
        [1, 8, 3, 4, 5],
        13,
      );
    });
  }

  it('a model with a float32 and a float16 site gets one function per element type', async () => {
    const w32 = makeFloatTensor(
      'w32',
      Array.from({ length: 64 }, (_, i) => (i % 9 === 0 ? 1 : 0)),
      DataType.FLOAT,
    );
    w32.dims = [8, 8, 1, 1];
    const w16 = makeFloatTensor(
      'w16',
      Array.from({ length: 64 }, (_, i) => (i % 9 === 0 ? 1 : 0)),
      DataType.FLOAT16,
    );
    w16.dims = [8, 8, 1, 1];
    const g = makeGraph({
      node: [
        makeNode({ op_type: 'Conv', name: 'c32', input: ['X', 'w32'], output: ['a'] }),
        makeNode({
          op_type: 'Cast',
          name: 'to16',
          input: ['a'],
          output: ['a16'],
          attribute: [makeAttribute('to', { int: DataType.FLOAT16 })],
        }),
        makeNode({ op_type: 'Conv', name: 'c16', input: ['a16', 'w16'], output: ['b16'] }),
        makeNode({
          op_type: 'Cast',
          name: 'to32',
          input: ['b16'],
          output: ['Y'],
          attribute: [makeAttribute('to', { int: DataType.FLOAT })],
        }),
      ],
      initializer: [w32, w16],
      input: [makeValueInfo('X', DataType.FLOAT, ['N', 8, 'H', 'W'])],
      output: [makeValueInfo('Y', DataType.FLOAT, ['N', 8, 'H', 'W'])],
    });
    const model = makeModel(g, [makeOpset('', 17)], 8);
    const report = injectSge(model, { after: ['c*'], groups: 2 });
    expect(report.sites.map((s) => [s.name, s.elemType])).toEqual([
      ['c32', 'float32'],
      ['c16', 'float16'],
    ]);
    expect(model.functions.map((f) => f.name).sort()).toEqual(['SpatialGroupEnhance', 'SpatialGroupEnhance_float16']);
    const dims = [1, 8, 4, 4];
    const x = seededUniform(128, 5, -1, 1);
    const out = await runOrt(encodeModel(model), { X: { data: x, dims } });
    const paper = { w: new Float64Array(2), b: new Float64Array(2).fill(1) };
    const ref = referenceSge(roundToFloat16(referenceSge(x, dims, paper.w, paper.b)), dims, paper.w, paper.b);
    expectClose(out.Y!.data as Float32Array, ref, { rtol: 2 ** -10, atol: 2 ** -14 });
  });
});

describe('graph structure', () => {
  it('a conv inside an If branch is injected there and the branch computes SGE', async () => {
    const w = makeFloatTensor(
      'w',
      Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0)),
      DataType.FLOAT,
    );
    w.dims = [4, 4, 1, 1];
    const thenG = makeGraph({
      name: 'then',
      node: [makeNode({ op_type: 'Conv', name: 'inner_conv', input: ['X', 'w'], output: ['t_out'] })],
      output: [makeValueInfo('t_out', 1, ['N', 4, 'H', 'W'])],
    });
    const elseG = makeGraph({
      name: 'else',
      node: [makeNode({ op_type: 'Identity', name: 'inner_id', input: ['X'], output: ['e_out'] })],
      output: [makeValueInfo('e_out', 1, ['N', 4, 'H', 'W'])],
    });
    const g = makeGraph({
      node: [
        makeNode({
          op_type: 'If',
          name: 'if',
          input: ['cond'],
          output: ['Y'],
          attribute: [makeAttribute('then_branch', { graph: thenG }), makeAttribute('else_branch', { graph: elseG })],
        }),
      ],
      initializer: [w],
      input: [makeValueInfo('X', 1, ['N', 4, 'H', 'W']), makeValueInfo('cond', DataType.BOOL, [])],
      output: [makeValueInfo('Y', 1, ['N', 4, 'H', 'W'])],
    });
    for (const mode of MODES) {
      const model = makeModel(structuredClone(g), [makeOpset('', 17)], 8);
      const report = injectSge(model, { after: ['inner_*'], groups: 2, inline: mode === 'inline' });
      expect(report.sites[0]!.graph).toContain('then_branch');
      const sites = findInjectedSites(model);
      expect(sites).toHaveLength(1);
      expect(sites[0]!.scope.depth).toBe(1);
      const dims = [1, 4, 3, 3];
      const x = seededUniform(36, 3, -1, 1);
      const ort = await import('onnxruntime-node');
      const session = await ort.InferenceSession.create(encodeModel(model));
      const out = await session.run({
        X: new ort.Tensor('float32', x, dims),
        cond: new ort.Tensor('bool', new Uint8Array([1]), []),
      });
      await session.release();
      expectClose(out.Y!.data as Float32Array, referenceSge(x, dims, [0, 0], [1, 1]));
    }
  });

  it('a conv whose output is a graph output and feeds two nodes: every reader gets the SGE output', async () => {
    for (const mode of MODES) {
      const model = identityConvModel({ opset: 17, channels: 8, spatial: [4, 4] });
      const g = model.graph!;
      g.node.push(makeNode({ op_type: 'Relu', name: 'r1', input: ['conv_out'], output: ['r1_out'] }));
      g.node.push(makeNode({ op_type: 'Neg', name: 'r2', input: ['conv_out'], output: ['r2_out'] }));
      g.output.push(makeValueInfo('r1_out', 1, ['N', 8, 4, 4]), makeValueInfo('r2_out', 1, ['N', 8, 4, 4]));
      injectSge(model, { after: ['conv'], groups: 4, inline: mode === 'inline' });
      expect(g.output.map((o) => o.name)).toEqual(['conv_out', 'r1_out', 'r2_out']);
      const index = new ModelIndex(model);
      expect(index.producer('conv_out')!.node.name).toBe('conv/sge');
      expect(index.consumerNodes('conv_out').map((c) => c.node.name)).toEqual(['r1', 'r2']);
      const dims = [1, 8, 4, 4];
      const x = seededUniform(128, 9, -1, 1);
      const out = await runOrt(encodeModel(model), { X: { data: x, dims } });
      const ref = referenceSge(x, dims, new Float64Array(4), new Float64Array(4).fill(1));
      expectClose(out.conv_out!.data as Float32Array, ref);
      expectClose(
        out.r1_out!.data as Float32Array,
        ref.map((v) => Math.max(v, 0)),
      );
      expectClose(
        out.r2_out!.data as Float32Array,
        ref.map((v) => -v),
      );
    }
  });

  it('function mode: one node per site, one function, our opset, IR raised to 8 with a record; sorted; nothing unused', () => {
    const model = load('models/mini_resnet_bottleneck_op13.onnx');
    const nodesBefore = model.graph!.node.length;
    const report = injectSge(model, { after: ['*/conv3/Conv'], groups: 8 });
    expect(model.graph!.node.length).toBe(nodesBefore + report.sites.length);
    expect(model.functions).toHaveLength(1);
    expect(model.functions[0]!.opset_import.map((o) => [o.domain, int64ToNumber(o.version)])).toEqual([['', 13]]);
    expect(model.opset_import.some((o) => o.domain === SGE_DOMAIN)).toBe(true);
    expect(report.irVersion).toEqual({ from: 7, to: 8 });
    expect(model.metadata_props.find((e) => e.key === 'sge-inject.original_ir_version')?.value).toBe('7');
    expect(topologicalSort(model.graph!)).toBe(false);
    const index = new ModelIndex(model);
    for (const t of model.graph!.initializer)
      if (t.name!.includes('/sge/')) expect(index.consumers(t.name!).length).toBeGreaterThan(0);
  });

  it('inline mode: every node named <site>/sge/…, the first marked, the last named <site>/sge; no function', () => {
    const model = load('models/mini_resnet_bottleneck_op17.onnx');
    const report = injectSge(model, { after: ['*/conv3/Conv'], groups: 8, inline: true });
    expect(model.functions).toHaveLength(0);
    expect(report.irVersion).toBeUndefined();
    const sites = findInjectedSites(model);
    expect(sites.map((s) => s.name)).toEqual(report.sites.map((s) => s.name));
    for (const s of sites) {
      expect(s.mode).toBe('inline');
      expect(s.nodes[0]!.doc_string).toBe(SGE_INLINE_MARKER);
      expect(s.nodes.every((n) => n.name === `${s.name}/sge` || n.name!.startsWith(`${s.name}/sge/`))).toBe(true);
    }
    expect(topologicalSort(model.graph!)).toBe(false);
    const index = new ModelIndex(model);
    for (const t of model.graph!.initializer)
      if (t.name!.includes('/sge/')) expect(index.consumers(t.name!).length).toBeGreaterThan(0);
  });

  it('strip undoes a function-mode injection byte for byte, and an inline one too', () => {
    for (const inline of [false, true]) {
      const bytes = new Uint8Array(readFileSync(`${FIXTURES}models/mini_resnet_bottleneck_op13.onnx`));
      const model = decodeModel(bytes);
      injectSge(model, { after: ['*/conv3/Conv'], groups: 8, inline });
      const r = stripSge(model);
      expect(r.sites).toHaveLength(6);
      expect(Buffer.from(encodeModel(model)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('the IR 13 fixture keeps every marker through an injection in both modes', () => {
    const markers = JSON.parse(readFileSync(`${FIXTURES}ir13/markers.json`, 'utf8')) as Record<string, string>;
    for (const mode of MODES) {
      const model = load('ir13/mini_resnet_ir13_future_fields.onnx');
      injectSge(model, { after: ['*/conv3/Conv'], groups: 8, inline: mode === 'inline' });
      expect(int64ToNumber(model.ir_version)).toBe(13);
      const hex = Buffer.from(encodeModel(model)).toString('hex');
      for (const [where, bytes] of Object.entries(markers))
        expect(hex.includes(bytes), `${where} lost in ${mode} mode`).toBe(true);
    }
  });
});

describe('planInjection: every site or every refusal, the model untouched', () => {
  const fixture = () => new Uint8Array(readFileSync(`${FIXTURES}models/mini_resnet_bottleneck_op13.onnx`));

  it('plans every site without editing, and injectSge carries out exactly that plan', () => {
    const bytes = fixture();
    const model = decodeModel(bytes);
    const plan = planInjection(model, { after: ['*/conv3/Conv'], groups: 8 });
    expect(Buffer.from(encodeModel(model)).equals(Buffer.from(bytes))).toBe(true);
    if (!plan.ok) throw new Error('expected a plan');
    const report = injectSge(model, { after: ['*/conv3/Conv'], groups: 8 });
    expect(plan.sites.map((p) => p.site.name)).toEqual(report.sites.map((s) => s.name));
    expect(plan.sites.map((p) => Array.from(p.weight))).toEqual(report.sites.map(() => new Array(8).fill(0)));
  });

  it('returns every refusal at once, each with its way out', () => {
    const bytes = fixture();
    const model = decodeModel(bytes);
    // 12 divides none of the conv3 channel counts (32, 64, 128): one refusal per site.
    const plan = planInjection(model, { after: ['*/conv3/Conv'], groups: 12 });
    expect(Buffer.from(encodeModel(model)).equals(Buffer.from(bytes))).toBe(true);
    if (plan.ok) throw new Error('expected refusals');
    const sites = model.graph!.node.filter((n) => n.name?.endsWith('/conv3/Conv')).length;
    expect(plan.refusals).toHaveLength(sites);
    for (const r of plan.refusals) {
      expect(r.text).toMatch(/groups 12 does not divide/);
      expect(r.hint).toMatch(/choose --groups that divides/);
    }
  });
});

describe('refusals leave the model unchanged', () => {
  const cases: [string, (m: ModelProto) => InjectOptions, RegExp, typeof InputError][] = [
    [
      'groups not dividing',
      () => ({ after: ['*/conv3/Conv'], groups: 12 }),
      /groups 12 does not divide the 32 channels of site '\/layer1\/layer1\.0\/conv3\/Conv' \(valid: 1, 2, 4, 8, 16, 32\)/,
      InputError,
    ],
    [
      'groups above channels',
      () => ({ after: ['/layer1/layer1.0/conv3/Conv'], groups: 64 }),
      /32 channels, fewer than groups 64/,
      InputError,
    ],
    ['no match', () => ({ after: ['*/conv9/Conv'] }), /matches no node.*/, UsageError],
    ['non-Conv only', () => ({ after: ['*/relu*'] }), /matches only Relu nodes/, UsageError],
    [
      'params missing a site',
      () => ({
        after: ['*/conv3/Conv'],
        params: paramsFor('/layer1/layer1.0/conv3/Conv', [0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]),
      }),
      /no entry for site '\/layer2/,
      InputError,
    ],
    [
      'groups contradicting params',
      () => ({
        after: ['*/conv3/Conv'],
        groups: 4,
        params: paramsFor('x', [0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]),
      }),
      /--groups 4 contradicts the params file's groups 8/,
      UsageError,
    ],
  ];
  for (const [what, options, message, type] of cases) {
    it(what, () => {
      const bytes = new Uint8Array(readFileSync(`${FIXTURES}models/mini_resnet_bottleneck_op13.onnx`));
      const model = decodeModel(bytes);
      expect(() => injectSge(model, options(model))).toThrow(type);
      expect(() => injectSge(model, options(model))).toThrow(message);
      expect(Buffer.from(encodeModel(model)).equals(Buffer.from(bytes))).toBe(true);
    });
  }

  it('the nearest names are suggested when nothing matches', () => {
    const model = load('models/mini_vgg_caffe_op13.onnx');
    try {
      injectSge(model, { after: ['conv6_*'] });
      expect.unreachable();
    } catch (err) {
      expect((err as UsageError).hint).toMatch(/conv\d_\d.*sge-inject list/);
    }
  });

  it('a statically 1×1 site, an unsupported element type, an unknown channel count, an old opset', () => {
    expect(() =>
      injectSge(identityConvModel({ opset: 17, channels: 8, spatial: [1, 1] }), { after: ['conv'], groups: 2 }),
    ).toThrow(/1×1 spatial map/);
    const dbl = identityConvModel({ opset: 17, channels: 8, spatial: [4, 4] });
    dbl.graph!.input[0]!.type!.tensor_type!.elem_type = DataType.DOUBLE;
    dbl.graph!.output[0]!.type!.tensor_type!.elem_type = DataType.DOUBLE;
    expect(() => injectSge(dbl, { after: ['conv'], groups: 2 })).toThrow(/element type float64/);
    const unknown = identityConvModel({ opset: 17, channels: 8, spatial: [4, 4] });
    unknown.graph!.input.push(makeValueInfo('conv.weight', 1));
    unknown.graph!.initializer = [];
    unknown.graph!.output[0]!.type = { tensor_type: { elem_type: 1 } };
    expect(() => injectSge(unknown, { after: ['conv'], groups: 2 })).toThrow(/channel count unknown/);
    expect(() =>
      injectSge(identityConvModel({ opset: 10, channels: 8, spatial: [4, 4] }), { after: ['conv'], groups: 2 }),
    ).toThrow(/opset 10.*11/);
  });

  it('an existing site is refused without force and replaced with it', () => {
    const model = load('models/mini_resnet_bottleneck_op13.onnx');
    injectSge(model, { after: ['*/conv3/Conv'], groups: 8 });
    const once = encodeModel(model);
    expect(() => injectSge(model, { after: ['*/conv3/Conv'], groups: 8 })).toThrow(/already has an SGE.*--force/);
    expect(encodeModel(model)).toEqual(once);
    const r = injectSge(model, { after: ['*/conv3/Conv'], groups: 4, force: true, inline: true });
    expect(r.sites.every((s) => s.replaced)).toBe(true);
    const sites = findInjectedSites(model);
    expect(sites).toHaveLength(6);
    expect(sites.every((s) => s.mode === 'inline')).toBe(true);
    expect(model.functions).toHaveLength(0);
  });
});
