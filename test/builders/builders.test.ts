import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/codec/types.js';
import { encodeModel } from '../../src/codec/encode.js';
import { int64ToNumber } from '../../src/codec/int64.js';
import { makeGraph, makeModel, makeOpset, makeValueInfo } from '../../src/graph/factory.js';
import {
  cast,
  checkOpset,
  MAX_OPSET,
  MIN_OPSET,
  OpBuilder,
  reduce,
  reshape,
  shapeOf,
  sinceVersion,
  squeeze,
  unsqueeze,
  type ReduceOp,
} from '../../src/builders/index.js';
import { InputError } from '../../src/errors.js';
import { runOrt } from '../helpers/ort.js';

const OPSETS = Array.from({ length: MAX_OPSET - MIN_OPSET + 1 }, (_, i) => MIN_OPSET + i);

describe('since-version lookup', () => {
  it('finds the newest definition not above the opset', () => {
    expect(sinceVersion('ReduceMean', 11)).toBe(11);
    expect(sinceVersion('ReduceMean', 17)).toBe(13);
    expect(sinceVersion('ReduceMean', 18)).toBe(18);
    expect(sinceVersion('ReduceMean', 26)).toBe(18);
    expect(sinceVersion('ReduceSum', 12)).toBe(11);
    expect(sinceVersion('ReduceSum', 13)).toBe(13);
    expect(sinceVersion('Shape', 14)).toBe(13);
    expect(sinceVersion('Shape', 15)).toBe(15);
    expect(sinceVersion('Reshape', 26)).toBe(25);
    expect(sinceVersion('Unsqueeze', 12)).toBe(11);
    expect(() => sinceVersion('NoSuchOp', 13)).toThrow(TypeError);
  });

  it('supports opsets 11 to 26 and says the minimum below', () => {
    expect(() => checkOpset(11)).not.toThrow();
    expect(() => checkOpset(26)).not.toThrow();
    expect(() => checkOpset(10)).toThrow(InputError);
    expect(() => checkOpset(10)).toThrow(/opset 11 or newer/);
    expect(() => checkOpset(27)).toThrow(/newest supported is 26/);
    expect(() => new OpBuilder({ opset: 9 })).toThrow(InputError);
  });
});

describe('op forms by opset', () => {
  const inputsAndAttrs = (opset: number, build: (b: OpBuilder) => void) => {
    const b = new OpBuilder({ opset });
    build(b);
    return b.nodes.map((n) => ({ op: n.op_type, inputs: n.input.length, attrs: n.attribute.map((a) => a.name) }));
  };

  it('ReduceMean/ReduceSumSquare take axes as an attribute below 18, an input from 18', () => {
    for (const op of ['ReduceMean', 'ReduceSumSquare', 'ReduceMax'] as const) {
      expect(inputsAndAttrs(17, (b) => reduce(b, op, 'x', [1], 'r'))).toEqual([
        { op, inputs: 1, attrs: ['axes', 'keepdims'] },
      ]);
      expect(inputsAndAttrs(18, (b) => reduce(b, op, 'x', [1], 'r'))).toEqual([{ op, inputs: 2, attrs: ['keepdims'] }]);
    }
  });

  it('ReduceSum takes axes as an input from 13; Unsqueeze/Squeeze too', () => {
    expect(inputsAndAttrs(12, (b) => reduce(b, 'ReduceSum', 'x', [1], 'r'))[0]).toMatchObject({
      inputs: 1,
      attrs: ['axes', 'keepdims'],
    });
    expect(inputsAndAttrs(13, (b) => reduce(b, 'ReduceSum', 'x', [1], 'r'))[0]).toMatchObject({
      inputs: 2,
      attrs: ['keepdims'],
    });
    expect(inputsAndAttrs(12, (b) => unsqueeze(b, 'x', [0], 'u'))[0]).toMatchObject({ inputs: 1, attrs: ['axes'] });
    expect(inputsAndAttrs(13, (b) => squeeze(b, 'x', [0], 'u'))[0]).toMatchObject({ inputs: 2, attrs: [] });
  });

  it('Shape takes start/end from 15; before, Shape then Slice (or only Slice of a given shape)', () => {
    expect(inputsAndAttrs(15, (b) => shapeOf(b, 'x', 's', 1, 2))).toEqual([
      { op: 'Shape', inputs: 1, attrs: ['start', 'end'] },
    ]);
    expect(inputsAndAttrs(14, (b) => shapeOf(b, 'x', 's', 1, 2)).map((n) => n.op)).toEqual(['Shape', 'Slice']);
    expect(inputsAndAttrs(14, (b) => shapeOf(b, 'x', 's', 1, 2, 'full')).map((n) => n.op)).toEqual(['Slice']);
    expect(inputsAndAttrs(14, (b) => shapeOf(b, 'x', 's'))).toEqual([{ op: 'Shape', inputs: 1, attrs: [] }]);
  });
});

describe('OpBuilder', () => {
  it('names under the prefix through freshName, shares equal constants, keeps explicit names verbatim', () => {
    const taken = new Set(['site/sge/a_output']);
    const fresh = (base: string) => {
      let n = base;
      for (let i = 1; taken.has(n); i++) n = `${base}_${i}`;
      taken.add(n);
      return n;
    };
    const b = new OpBuilder({ opset: 17, prefix: 'site/sge', freshName: fresh });
    const a = b.op('Relu', ['x'], 'a');
    const r1 = reshape(b, a, [0, -1], 'r1');
    reshape(b, r1, [0, -1], 'r2', { output: 'Y', name: 'site/sge' });
    expect(a).toBe('site/sge/a_output_1');
    expect(b.nodes.map((n) => n.name)).toEqual(['site/sge/a', 'site/sge/r1', 'site/sge']);
    expect(b.nodes[2]!.output).toEqual(['Y']);
    expect(b.initializers.map((t) => t.name)).toEqual(['site/sge/r1_shape']);
    expect(b.nodes[1]!.input[1]).toBe(b.nodes[2]!.input[1]);
  });

  it('makes Constant nodes instead of initializers when asked (function bodies)', () => {
    const b = new OpBuilder({ opset: 13, constants: 'node' });
    reshape(b, 'x', [2, 3], 'r');
    expect(b.initializers).toEqual([]);
    expect(b.nodes.map((n) => n.op_type)).toEqual(['Constant', 'Reshape']);
    const t = b.nodes[0]!.attribute[0]!.t!;
    expect(t.dims.map((d) => int64ToNumber(d))).toEqual([2]);
    expect(t.data_type).toBe(DataType.INT64);
  });
});

/** x [2, 3, 4] with values i − 7 (some negative, no zero product issues for ReduceProd kept small). */
const X = Float32Array.from({ length: 24 }, (_, i) => (i - 7) / 4);

function reduceExpected(op: ReduceOp): number[] {
  const out: number[] = [];
  for (let n = 0; n < 2; n++) {
    for (let w = 0; w < 4; w++) {
      const col = [0, 1, 2].map((c) => X[n * 12 + c * 4 + w]!);
      const f = {
        ReduceMean: (v: number[]) => v.reduce((a, b) => a + b) / v.length,
        ReduceSum: (v: number[]) => v.reduce((a, b) => a + b),
        ReduceSumSquare: (v: number[]) => v.reduce((a, b) => a + b * b, 0),
        ReduceMax: (v: number[]) => Math.max(...v),
        ReduceMin: (v: number[]) => Math.min(...v),
        ReduceProd: (v: number[]) => v.reduce((a, b) => a * b),
      }[op];
      out.push(Math.fround(f(col)));
    }
  }
  return out;
}

describe('every builder runs in onnxruntime at every opset 11…26', () => {
  const ops: ReduceOp[] = ['ReduceMean', 'ReduceSum', 'ReduceSumSquare', 'ReduceMax', 'ReduceMin', 'ReduceProd'];
  for (const opset of OPSETS) {
    it(`opset ${opset}`, async () => {
      const b = new OpBuilder({ opset, constants: opset % 2 ? 'node' : 'initializer' });
      const outputs: string[] = [];
      for (const op of ops) outputs.push(reduce(b, op, 'x', [1], op, true));
      outputs.push(squeeze(b, unsqueeze(b, 'x', [0, 2], 'u'), [0, 2], 's'));
      outputs.push(shapeOf(b, 'x', 'mid', 1, 2));
      outputs.push(shapeOf(b, 'x', 'tail', 1));
      outputs.push(cast(b, shapeOf(b, 'x', 'all'), DataType.FLOAT, 'shape_float'));
      outputs.push(reshape(b, 'x', [0, -1], 'flat'));
      const graph = makeGraph({
        node: b.nodes,
        initializer: b.initializers,
        input: [makeValueInfo('x', DataType.FLOAT, ['N', 3, 'W'])],
        output: outputs.map((o) => ({ name: o, metadata_props: [] })),
      });
      const out = await runOrt(encodeModel(makeModel(graph, [makeOpset('', opset)])), {
        x: { data: X, dims: [2, 3, 4] },
      });
      const get = (i: number) => out[outputs[i]!]!;
      ops.forEach((op, i) => {
        expect(get(i).dims, op).toEqual([2, 1, 4]);
        expect(Array.from(get(i).data), op).toEqual(reduceExpected(op));
      });
      expect(get(6).dims).toEqual([2, 3, 4]);
      expect(Array.from(get(6).data)).toEqual(Array.from(X));
      expect(Array.from(get(7).data as unknown as BigInt64Array, Number)).toEqual([3]);
      expect(Array.from(get(8).data as unknown as BigInt64Array, Number)).toEqual([3, 4]);
      expect(Array.from(get(9).data)).toEqual([2, 3, 4]);
      expect(get(10).dims).toEqual([2, 12]);
    });
  }
});
