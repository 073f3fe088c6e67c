import { describe, expect, it } from 'vitest';
import { DataType, type NodeProto } from '../../src/codec/types.js';
import type { Dim } from '../../src/graph/dims.js';
import { buildSgeNodes } from '../../src/sge/expansion.js';
import { buildSgeFunction } from '../../src/sge/function.js';
import { referenceSge } from '../../src/sge/reference.js';
import { SGE_DOMAIN, SGE_INLINE_MARKER, SGE_OP, SGE_OP_FLOAT16 } from '../../src/sge/conventions.js';
import { MAX_OPSET, MIN_OPSET } from '../../src/builders/opsets.js';
import { InputError } from '../../src/errors.js';
import { float16BitsToFloat32, roundToFloat16, toFloat16Bits } from '../../src/tensor/float16.js';
import { compareArrays, describeComparison } from '../helpers/compare.js';
import { loadSgeOpCase, SGE_OP_CASES } from '../helpers/tensors.js';
import { sgeProbe, type ProbeOptions } from '../helpers/sge-probe.js';
import { optimizedByOrt, runOrt } from '../helpers/ort.js';
import { randomFloats } from '../helpers/random.js';
import { tempFolder } from '../io/tmp.js';
import { decodeModel } from '../../src/codec/decode.js';
import { join } from 'node:path';

/** The bar for onnxruntime (float32) against PyTorch and the float64 reference. */
const TOL32 = { rtol: 1e-4, atol: 1e-5 };
/*
 * Float16 output: the float32 result (within ~3e-6 relative of float64, as the float32 runs show) is
 * rounded once to float16, at most half a float16 ulp: 2^-11 relative for normal numbers, 2^-25
 * absolute among subnormals (|y| < 2^-14). So rtol 2^-11 + 1e-5 and atol 2^-24; a one-ulp error
 * (2^-10 relative) fails.
 */
const TOL16 = { rtol: 2 ** -11 + 1e-5, atol: 2 ** -24 };
const OPSETS = Array.from({ length: MAX_OPSET - MIN_OPSET + 1 }, (_, i) => MIN_OPSET + i);
const MODES = ['inline', 'function'] as const;

/** IR version of the ONNX release that introduced each opset (onnx.helper VERSION_TABLE). */
const RELEASE_IR: Record<number, number> = {
  11: 6,
  12: 7,
  13: 7,
  14: 7,
  15: 8,
  16: 8,
  17: 8,
  18: 8,
  19: 9,
  20: 9,
  21: 10,
  22: 10,
  23: 11,
  24: 12,
  25: 13,
  26: 13,
};

const io = { x: 'X', weight: 'p/sge/weight', bias: 'p/sge/bias', y: 'Y', prefix: 'p/sge' };

/** Inputs of every node are graph inputs, initializers or outputs of earlier nodes. */
function expectClosedAndSorted(nodes: readonly NodeProto[], available: Iterable<string>): void {
  const known = new Set(available);
  for (const n of nodes) {
    for (const i of n.input) expect(known.has(i), `${n.name} reads ${i} before it exists`).toBe(true);
    for (const o of n.output) known.add(o);
  }
}

async function runProbe(o: ProbeOptions, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const half = o.elemType === DataType.FLOAT16;
  const out = await runOrt(sgeProbe(o), { X: { data: half ? toFloat16Bits(x) : x, dims } });
  const y = out.Y!;
  expect(y.dims).toEqual(dims);
  return half ? float16BitsToFloat32(y.data) : (y.data as Float32Array);
}

function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { rtol: number; atol: number },
  what: string,
) {
  const r = compareArrays(actual, expected, tol);
  expect(r.ok, `${what}: ${describeComparison(r, actual, expected)}`).toBe(true);
}

describe('the inline form', () => {
  it('is 14 nodes with static shapes: three full-tensor passes (ReduceMean, MatMul, Mul) and the rest small', () => {
    const { nodes, initializers } = buildSgeNodes({
      ...io,
      opset: 17,
      elemType: DataType.FLOAT,
      channels: 256,
      groups: 64,
      shape: [1, 256, 56, 56],
    });
    // Mul(weight, √(S−1)) and BatchNormalization's zeros and ones read only initializers: onnxruntime
    // folds them when it loads the model.
    const foldable = nodes.filter((n) =>
      n.input.every((i) => i === io.weight || initializers.some((t) => t.name === i)),
    );
    expect(foldable.map((n) => n.op_type)).toEqual(['Mul', 'ConstantOfShape', 'ConstantOfShape']);
    // The constants besides the parameters stay a few elements (reports count initializer elements).
    expect(initializers.reduce((a, t) => a + t.dims.reduce<number>((p, d) => p * Number(d), 1), 0)).toBeLessThan(16);
    expect(nodes.filter((n) => !foldable.includes(n)).map((n) => n.op_type)).toEqual([
      'Reshape',
      'ReduceMean',
      'Reshape',
      'MatMul',
      'ReduceMean',
      'Sub',
      'Transpose', // fused into the MatMul below by onnxruntime
      'MatMul',
      'Sqrt',
      'Add',
      'Div',
      'BatchNormalization',
      'Sigmoid',
      'Mul',
      'Reshape',
    ]);
    const grouped = nodes[0]!.output[0]!;
    expect(nodes.filter((n) => n.input.includes(grouped)).map((n) => n.op_type)).toEqual([
      'ReduceMean',
      'MatMul',
      'Mul',
    ]);
    expectClosedAndSorted(nodes, ['X', io.weight, io.bias, ...initializers.map((t) => t.name!)]);
  });

  it('follows the naming conventions: marker on the first node (reading X), last node named <prefix> making Y', () => {
    for (const elemType of [DataType.FLOAT, DataType.FLOAT16] as const) {
      for (const shape of [[1, 64, 7, 7], ['N', 64, 'H', 'W'], undefined] as (Dim[] | undefined)[]) {
        const { nodes, initializers } = buildSgeNodes({
          ...io,
          opset: 13,
          elemType,
          channels: 64,
          groups: 8,
          ...(shape ? { shape } : {}),
        });
        const first = nodes[0]!;
        const last = nodes[nodes.length - 1]!;
        expect(first.doc_string).toBe(SGE_INLINE_MARKER);
        expect(first.input[0]).toBe('X');
        expect(first.op_type).toBe(elemType === DataType.FLOAT16 ? 'Cast' : 'Reshape');
        expect(nodes.filter((n) => n.doc_string).length).toBe(1);
        expect(last.name).toBe('p/sge');
        expect(last.output).toEqual(['Y']);
        for (const n of nodes.slice(0, -1)) expect(n.name!.startsWith('p/sge/')).toBe(true);
        for (const t of initializers) expect(t.name!.startsWith('p/sge/')).toBe(true);
        expect(new Set(nodes.map((n) => n.name)).size).toBe(nodes.length);
        expect(nodes.some((n) => n.op_type === 'Constant')).toBe(false);
        expectClosedAndSorted(nodes, ['X', io.weight, io.bias, ...initializers.map((t) => t.name!)]);
      }
    }
  });

  it('reads shapes at run time only where they are symbolic', () => {
    const count = (shape: Dim[], opset = 17) =>
      buildSgeNodes({ ...io, opset, elemType: DataType.FLOAT, channels: 32, groups: 4, shape }).nodes.filter(
        (n) => n.op_type === 'Shape' || n.op_type === 'Slice',
      ).length;
    expect(count([1, 32, 7, 7])).toBe(0);
    expect(count(['N', 32, 7, 7])).toBe(0); // Reshape's 0 keeps N
    expect(count(['N', 32, 'L'])).toBe(1); // S for √(S − 1); the output shape is [0, 32, −1]
    expect(count(['N', 32, 'H', 'W'])).toBe(1); // the spatial dims, for S and for the output shape
    expect(count(['N', 32, 'H', 'W'], 14)).toBe(2); // Shape(start) becomes Shape + Slice below 15
  });

  it('passes every name through freshName', () => {
    const seen: string[] = [];
    const { nodes } = buildSgeNodes({
      ...io,
      opset: 18,
      elemType: DataType.FLOAT,
      channels: 8,
      groups: 2,
      shape: [1, 8, 4, 4],
      freshName: (b) => {
        seen.push(b);
        return `${b}#`;
      },
    });
    expect(nodes[1]!.name).toBe('p/sge/channel_mean#');
    expect(seen.every((b) => b.startsWith('p/sge/'))).toBe(true);
  });

  it('refuses what it cannot build', () => {
    expect(() =>
      buildSgeNodes({ ...io, opset: 17, elemType: DataType.DOUBLE as never, channels: 8, groups: 2 }),
    ).toThrow(TypeError);
    expect(() => buildSgeNodes({ ...io, opset: 17, elemType: DataType.FLOAT, channels: 10, groups: 4 })).toThrow(
      /do not divide/,
    );
    expect(() =>
      buildSgeNodes({ ...io, opset: 17, elemType: DataType.FLOAT, channels: 8, groups: 2, shape: [1, 16, 3, 3] }),
    ).toThrow(/16 channels/);
    expect(() => buildSgeNodes({ ...io, opset: 10, elemType: DataType.FLOAT, channels: 8, groups: 2 })).toThrow(
      InputError,
    );
  });
});

describe('the function form', () => {
  it('is a closed FunctionProto per element type with Constant nodes for constants', () => {
    for (const [elemType, name] of [
      [DataType.FLOAT, SGE_OP],
      [DataType.FLOAT16, SGE_OP_FLOAT16],
    ] as const) {
      for (const opset of [11, 14, 15, 17, 18, 26]) {
        const f = buildSgeFunction(opset, elemType);
        expect(f.name).toBe(name);
        expect(f.domain).toBe(SGE_DOMAIN);
        expect(f.input).toEqual(['X', 'weight', 'bias']);
        expect(f.output).toEqual(['Y']);
        expect(f.opset_import).toEqual([{ domain: '', version: opset }]);
        expect(f.node[f.node.length - 1]!.output).toEqual(['Y']);
        expect(f.node.every((n) => !n.domain)).toBe(true);
        expectClosedAndSorted(f.node, f.input);
      }
    }
    expect(() => buildSgeFunction(10, DataType.FLOAT)).toThrow(InputError);
  });
});

describe('the function form in onnxruntime, static spatial dims', () => {
  const dir = tempFolder('sge-fold');
  /** The node op types onnxruntime runs, from its optimized model. */
  async function optimizedOps(o: ProbeOptions, tag: string): Promise<string[]> {
    const optimized = await optimizedByOrt(sgeProbe(o), join(dir, `${tag}.onnx`));
    return decodeModel(optimized).graph!.node.map((n) => n.op_type ?? '');
  }
  for (const opset of [13, 17]) {
    for (const elemType of [DataType.FLOAT, DataType.FLOAT16] as const) {
      it(`runs the inline form's nodes (opset ${opset}, ${elemType === DataType.FLOAT ? 'float32' : 'float16'}): every shape fact folded away`, async () => {
        const base = { opset, elemType, channels: 16, weight: [0.5, -1, 2, 0.25], bias: [1, 0, -1, 0.5] };
        const declared: Dim[] = ['N', 16, 5, 7];
        const fn = await optimizedOps({ ...base, mode: 'function', declared }, `fn-${opset}-${elemType}`);
        const inline = await optimizedOps({ ...base, mode: 'inline', declared }, `in-${opset}-${elemType}`);
        expect(fn.sort()).toEqual(inline.sort());
        expect(fn.filter((t) => ['Shape', 'Gather', 'Slice', 'Concat', 'ReduceProd', 'Cast'].includes(t)).length).toBe(
          elemType === DataType.FLOAT16 ? 2 : 0, // the two Casts of X and Y
        );
        // With symbolic spatial dims the shape facts stay as ops that run.
        const dynamic = await optimizedOps(
          { ...base, mode: 'function', declared: ['N', 16, 'H', 'W'] },
          `fd-${opset}-${elemType}`,
        );
        expect(dynamic.length).toBeGreaterThan(fn.length);
      });
    }
  }
});

describe('in onnxruntime, against PyTorch (fixtures/sge-op), symbolic batch and spatial dims', () => {
  for (const name of SGE_OP_CASES) {
    it(name, async () => {
      const c = loadSgeOpCase(name);
      const channels = c.x.dims[1]!;
      const ref = referenceSge(c.x.data, c.x.dims, c.weight, c.bias);
      const base = {
        opset: 17,
        channels,
        weight: c.weight,
        bias: c.bias,
        declared: ['N', channels, 'H', 'W'] as Dim[],
      };
      const variants: [string, ProbeOptions][] = [
        ['function', { ...base, mode: 'function' }],
        ['function, static shape', { ...base, mode: 'function', declared: ['N', ...c.x.dims.slice(1)] }],
        ['inline', { ...base, mode: 'inline' }],
        ['inline, static shape', { ...base, mode: 'inline', known: c.x.dims }],
      ];
      for (const [label, o] of variants) {
        const y = await runProbe(o, c.x.data, c.x.dims);
        expectClose(y, c.y, TOL32, `${label} vs PyTorch`);
        expectClose(y, ref, TOL32, `${label} vs reference`);
        if (c.meta.y_has_nan) expect(Array.from(y).every(Number.isNaN), label).toBe(true);
      }
    });
  }
});

describe("opset sweep 11…26 against the reference (IR 8, and the IR of the opset's ONNX release)", () => {
  const dims = [2, 12, 5, 7];
  const x = randomFloats(2 * 12 * 35, 7, 1.5, 0.2);
  const weight = [0.8, -1.3, 2.1];
  const bias = [0.4, 1.0, -0.6];
  const ref32 = referenceSge(x, dims, weight, bias);
  const x16 = roundToFloat16(x);
  const ref16 = referenceSge(x16, dims, roundToFloat16(weight), roundToFloat16(bias));
  for (const opset of OPSETS) {
    it(`opset ${opset}`, async () => {
      const base = { opset, channels: 12, weight, bias, declared: ['N', 12, 'H', 'W'] as Dim[] };
      const release = RELEASE_IR[opset]!;
      for (const ir of new Set([8, release])) {
        expectClose(
          await runProbe({ ...base, mode: 'inline', irVersion: ir }, x, dims),
          ref32,
          TOL32,
          `inline IR ${ir}`,
        );
      }
      for (const ir of new Set([8, Math.max(8, release)])) {
        expectClose(
          await runProbe({ ...base, mode: 'function', irVersion: ir }, x, dims),
          ref32,
          TOL32,
          `function IR ${ir}`,
        );
      }
      for (const mode of MODES) {
        const y = await runProbe({ ...base, mode, elemType: DataType.FLOAT16 }, x16, dims);
        expectClose(y, ref16, TOL16, `${mode} float16`);
      }
    });
  }
});

describe('float16 X', () => {
  it('matches the reference on the float16-rounded inputs within half a float16 ulp (both forms)', async () => {
    const c = loadSgeOpCase('basic_2x64x7x7_g8');
    const x16 = roundToFloat16(c.x.data);
    const ref = referenceSge(x16, c.x.dims, roundToFloat16(c.weight), roundToFloat16(c.bias));
    for (const mode of MODES) {
      for (const known of [undefined, c.x.dims]) {
        const y = await runProbe(
          {
            mode,
            opset: 18,
            elemType: DataType.FLOAT16,
            channels: 64,
            weight: c.weight,
            bias: c.bias,
            declared: ['N', 64, 'H', 'W'],
            ...(known ? { known } : {}),
          },
          x16,
          c.x.dims,
        );
        expectClose(y, ref, TOL16, `${mode}${known ? ' static' : ''}`);
        // The errors do reach float16 rounding size: half the tolerance fails, so the bar is not loose.
        expect(compareArrays(y, ref, { rtol: 2 ** -12, atol: 2 ** -24 }).failures).toBeGreaterThan(0);
      }
    }
  });
});

describe('1-D and 3-D maps', () => {
  const cases: { name: string; dims: number[]; declared: Dim[]; groups: number }[] = [
    { name: '1-D [N, C, L]', dims: [3, 16, 45], declared: ['N', 16, 'L'], groups: 4 },
    { name: '3-D [N, C, D, H, W]', dims: [2, 32, 3, 5, 4], declared: ['N', 32, 'D', 'H', 'W'], groups: 8 },
    { name: '3-D, partly static', dims: [1, 24, 4, 6, 5], declared: [1, 24, 4, 'H', 5], groups: 6 },
  ];
  for (const { name, dims, declared, groups } of cases) {
    it(name, async () => {
      const x = randomFloats(
        dims.reduce((a, b) => a * b),
        dims.length * 31,
        2,
        -0.1,
      );
      const weight = Array.from({ length: groups }, (_, i) => (i % 3) - 1 + 0.25 * i);
      const bias = Array.from({ length: groups }, (_, i) => 1 - 0.3 * i);
      const ref = referenceSge(x, dims, weight, bias);
      const base = { opset: 17, channels: dims[1]!, weight, bias, declared };
      for (const o of [
        { ...base, mode: 'function' },
        { ...base, mode: 'inline' },
        { ...base, mode: 'inline', known: dims },
      ] as ProbeOptions[]) {
        expectClose(await runProbe(o, x, dims), ref, TOL32, `${o.mode}${o.known ? ' static' : ''}`);
      }
      const x16 = roundToFloat16(x);
      const ref16 = referenceSge(x16, dims, roundToFloat16(weight), roundToFloat16(bias));
      for (const mode of MODES) {
        expectClose(
          await runProbe({ ...base, mode, elemType: DataType.FLOAT16 }, x16, dims),
          ref16,
          TOL16,
          `${mode} float16`,
        );
      }
    });
  }
});
