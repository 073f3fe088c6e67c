/**
 * Issue 9 at the library level: recognizing our SGE function by what it is, refusals before any
 * change (a foreign function, a frozen model, wrong-typed options, IR above 13, duplicate site names),
 * strip's bounds, list's judgement, and shape inference on damaged models.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../src/codec/index.js';
import { DataType, type FunctionProto, type ModelProto } from '../../src/codec/types.js';
import { InputError, UsageError } from '../../src/errors.js';
import { makeAttribute, makeFunction, makeNode, makeOpset, makeValueInfo } from '../../src/graph/factory.js';
import { ModelIndex } from '../../src/graph/model-index.js';
import { inferModelShapes } from '../../src/graph/shapes.js';
import { buildSgeFunction } from '../../src/sge/function.js';
import { injectSge } from '../../src/sge/inject.js';
import { checkIrVersion, MAX_IR_VERSION } from '../../src/sge/ir.js';
import { listSites } from '../../src/sge/list.js';
import { foreignSgeFunctions, isOurSgeFunction, KNOWN_SGE_BODIES } from '../../src/sge/recognize.js';
import { divisorsText } from '../../src/sge/site-checks.js';
import { stripSge } from '../../src/sge/strip.js';
import { identityConvModel, withForeignSgeFunction } from '../helpers/conv-models.js';

const RESNET = new Uint8Array(
  readFileSync(new URL('../../fixtures/models/mini_resnet_bottleneck_op13.onnx', import.meta.url)),
);
const conv = (): ModelProto => identityConvModel({ opset: 17, channels: 8, spatial: [4, 4] });
const fresh = (): ModelProto => decodeModel(RESNET);
const AFTER = { after: ['*/conv3/Conv'], groups: 8 };

/** Runs `fn` on `model` and checks that it throws `kind` matching `says` and that the model did not change. */
function refusesUnchanged(model: ModelProto, fn: (m: ModelProto) => unknown, kind: unknown, says: RegExp): void {
  const before = encodeModel(model);
  let thrown: unknown;
  try {
    fn(model);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(kind as typeof Error);
  expect((thrown as Error).message).toMatch(says);
  expect(Buffer.from(encodeModel(model)).equals(Buffer.from(before))).toBe(true);
}

describe('our SGE function is recognized by what it is', () => {
  const roundTrip = (fn: FunctionProto): FunctionProto => {
    const m = conv();
    m.functions = [fn];
    return decodeModel(encodeModel(m)).functions[0]!;
  };

  for (const opset of [11, 13, 17, 18, 21, 26])
    for (const t of [DataType.FLOAT, DataType.FLOAT16] as const)
      it(`opset ${opset}, ${t === DataType.FLOAT ? 'float32' : 'float16'}: as built and after a file round trip`, () => {
        expect(isOurSgeFunction(buildSgeFunction(opset, t))).toBe(true);
        expect(isOurSgeFunction(roundTrip(buildSgeFunction(opset, t)))).toBe(true);
      });

  it('whatever its internal names, node names, doc strings and constant encodings', () => {
    const fn = roundTrip(buildSgeFunction(17, DataType.FLOAT));
    const rename = new Map<string, string>();
    for (const [i, n] of fn.node.entries()) {
      n.name = `renamed_${i}`;
      n.doc_string = 'mine';
      n.output = n.output.map((o) => {
        if (fn.output.includes(o)) return o;
        rename.set(o, `v${rename.size}`);
        return rename.get(o)!;
      });
      n.input = n.input.map((x) => rename.get(x) ?? x);
      for (const a of n.attribute) {
        // raw_data → typed fields: the same values written the other way.
        if (a.t?.raw_data && a.t.data_type === DataType.INT64) {
          const dv = new DataView(a.t.raw_data.buffer, a.t.raw_data.byteOffset, a.t.raw_data.byteLength);
          a.t.int64_data = Array.from({ length: a.t.raw_data.byteLength / 8 }, (_, k) =>
            Number(dv.getBigInt64(k * 8, true)),
          );
          delete a.t.raw_data;
        }
      }
    }
    fn.doc_string = 'a different description';
    expect(isOurSgeFunction(fn)).toBe(true);
  });

  it('not when a constant, an op, the wiring, the name or the opset differ', () => {
    const variants: Array<[string, (f: FunctionProto) => void]> = [
      [
        'eps changed',
        (f) => {
          const eps = f.node.find((n) => n.op_type === 'Constant' && n.attribute[0]?.t?.data_type === DataType.FLOAT)!;
          eps.attribute[0]!.t!.raw_data = new Uint8Array(new Float32Array([1e-3]).buffer);
        },
      ],
      [
        'Sigmoid → HardSigmoid',
        (f) => {
          f.node.find((n) => n.op_type === 'Sigmoid')!.op_type = 'HardSigmoid';
        },
      ],
      [
        'inputs of a node swapped',
        (f) => {
          const n = f.node.find((x) => x.input.length === 2 && x.input[0] !== x.input[1])!;
          n.input = [n.input[1]!, n.input[0]!];
        },
      ],
      [
        'a node removed',
        (f) => {
          f.node.splice(3, 1);
        },
      ],
      [
        'an opset outside 11…26',
        (f) => {
          f.opset_import = [makeOpset('', 7)];
        },
      ],
      [
        'an overload',
        (f) => {
          f.overload = 'x';
        },
      ],
    ];
    for (const [what, edit] of variants) {
      const fn = roundTrip(buildSgeFunction(17, DataType.FLOAT));
      edit(fn);
      expect(isOurSgeFunction(fn), what).toBe(false);
    }
    expect(KNOWN_SGE_BODIES.length).toBeGreaterThanOrEqual(1);
  });
});

describe('refused before any change', () => {
  const foreign = (): ModelProto => withForeignSgeFunction(conv());

  it('a foreign com.sge-inject.SpatialGroupEnhance (function form); --inline is fine', () => {
    expect(foreignSgeFunctions(foreign()).map((f) => f.name)).toEqual(['SpatialGroupEnhance']);
    refusesUnchanged(
      foreign(),
      (m) => injectSge(m, { after: ['conv'], groups: 2 }),
      InputError,
      /already defines the function com\.sge-inject\.SpatialGroupEnhance/,
    );
    const m = foreign();
    expect(injectSge(m, { after: ['conv'], groups: 2, inline: true }).sites).toHaveLength(1);
  });

  it('our domain imported at another version', () => {
    const m = conv();
    m.opset_import.push(makeOpset('com.sge-inject', 2));
    refusesUnchanged(m, (x) => injectSge(x, { after: ['conv'], groups: 2 }), InputError, /at version 2/);
  });

  it('a frozen model, or one frozen node: TypeError naming what is frozen and the way out', () => {
    const m = fresh();
    Object.freeze(m);
    refusesUnchanged(m, (x) => injectSge(x, AFTER), TypeError, /the model is frozen .*decodeModel\(encodeModel/);
    const n = fresh();
    Object.freeze(n.graph!.node[5]!);
    refusesUnchanged(n, (x) => injectSge(x, AFTER), TypeError, /node '.*' of graph 'main' is frozen/);
    refusesUnchanged(n, (x) => stripSge(x), TypeError, /stripSge: node/);
  });

  it('missing or wrong-typed options: TypeError naming the option', () => {
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /injectSge: options must be an object/],
      [{}, /options\.after must be an array of strings/],
      [{ after: '*/conv3/Conv' }, /options\.after must be an array of strings: wrap it in an array/],
      [{ ...AFTER, opTypes: 'Conv' }, /options\.opTypes must be an array of strings: wrap it in an array, \["Conv"\]/],
      [{ ...AFTER, groups: '8' }, /options\.groups must be a number; got the string '8'/],
      [{ ...AFTER, exclude: [1] }, /options\.exclude must be an array of strings/],
      [{ ...AFTER, params: {} }, /options\.params must be a parsed parameter file/],
      [{ ...AFTER, inline: 'yes' }, /options\.inline must be true or false/],
    ];
    for (const [options, says] of cases)
      refusesUnchanged(fresh(), (m) => injectSge(m, options as never), TypeError, says);
    expect(() => injectSge(null as never, AFTER)).toThrow(/injectSge: model must be a ModelProto/);
    expect(() => listSites(fresh(), { opTypes: 'Conv' as never })).toThrow(/listSites: options\.opTypes/);
    expect(() => listSites(fresh(), { groups: 0 })).toThrow(UsageError);
    expect(() => stripSge(fresh(), 'x' as never)).toThrow(/stripSge: filter must be a function/);
  });

  it(`IR above ${MAX_IR_VERSION}`, () => {
    const m = conv();
    m.ir_version = MAX_IR_VERSION;
    expect(() => checkIrVersion(m)).not.toThrow();
    m.ir_version = 14;
    refusesUnchanged(m, (x) => injectSge(x, { after: ['conv'], groups: 2 }), InputError, /IR version 14/);
  });

  it('two selected nodes that share a name', () => {
    const m = conv();
    const g = m.graph!;
    g.node[0]!.output = ['a'];
    g.node.push(makeNode({ ...g.node[0]!, op_type: 'Conv', input: ['a', 'conv.weight'], output: ['conv_out'] }));
    refusesUnchanged(
      m,
      (x) => injectSge(x, { after: ['conv'], groups: 2 }),
      InputError,
      /2 selected Conv nodes share the name 'conv' \(they write 'a', 'conv_out'\)/,
    );
  });

  it('a parameter name the model already uses (the old message named a tensor that did not exist)', () => {
    const m = conv();
    m.graph!.value_info.push(makeValueInfo('conv/sge/weight', DataType.FLOAT));
    refusesUnchanged(
      m,
      (x) => injectSge(x, { after: ['conv'], groups: 2 }),
      InputError,
      /site 'conv' needs the name 'conv\/sge\/weight' for its parameters, but the model already uses it/,
    );
  });
});

describe('strip', () => {
  it('never removes a function or import it did not write, even in our domain', () => {
    const m = conv();
    const mine = makeFunction({
      name: 'Other',
      domain: 'com.sge-inject',
      input: ['x'],
      output: ['y'],
      node: [makeNode({ op_type: 'Relu', input: ['x'], output: ['y'] })],
      opset_import: [makeOpset('', 17)],
    });
    m.functions = [mine];
    m.opset_import.push(makeOpset('com.sge-inject', 1));
    m.ir_version = 8;
    const before = encodeModel(m);
    injectSge(m, { after: ['conv'], groups: 2 });
    expect(m.functions.map((f) => f.name)).toEqual(['Other', 'SpatialGroupEnhance']);
    stripSge(m);
    expect(Buffer.from(encodeModel(m)).equals(Buffer.from(before))).toBe(true);
  });

  it('refuses an inline block whose inner tensor is a graph output, naming it', () => {
    const m = conv();
    injectSge(m, { after: ['conv'], groups: 2, inline: true });
    const inner = m.graph!.node.find((n) => n.name?.startsWith('conv/sge/'))!.output[0]!;
    m.graph!.output.push(makeValueInfo(inner, DataType.FLOAT));
    refusesUnchanged(
      m,
      (x) => stripSge(x),
      InputError,
      new RegExp(`tensor '${inner}', made inside its inline SGE block, is a graph output`),
    );
  });

  it('refuses a recorded original IR version that sge-inject cannot have raised from, unchanged', () => {
    for (const value of ['99', '-1', '8', '7.5', '1e1', '', 'seven']) {
      const m = fresh(); // IR 7
      injectSge(m, AFTER);
      m.metadata_props.find((e) => e.key === 'sge-inject.original_ir_version')!.value = value;
      refusesUnchanged(
        m,
        (x) => stripSge(x),
        InputError,
        /sge-inject\.original_ir_version holds '.*', not an IR version sge-inject raises from \(0 to 7\)/,
      );
    }
  });

  it('keeps the IR version when it was changed after our raise, and says so', () => {
    const m = fresh(); // IR 7
    injectSge(m, AFTER);
    m.ir_version = 10;
    const r = stripSge(m);
    expect(Number(m.ir_version)).toBe(10);
    expect(r.irVersionRestored).toBeUndefined();
    expect(r.notes.join()).toMatch(
      /IR version kept at 10: it was changed after sge-inject raised it to 8 \(recorded original 7\)/,
    );
    expect(m.metadata_props.some((e) => e.key === 'sge-inject.original_ir_version')).toBe(false);
  });
});

describe('list and inject agree', () => {
  it('a 1×1 site: list says not injectable (1×1 map), inject refuses it', () => {
    const m = identityConvModel({ opset: 17, channels: 8, spatial: [1, 1] });
    const row = listSites(m, { groups: 2 }).rows[0]!;
    expect(row).toMatchObject({ divisible: true, injectable: false, blocker: '1×1 map' });
    expect(() => injectSge(m, { after: ['conv'], groups: 2 })).toThrow(/1×1 spatial map/);
  });

  it('a conv whose weight claims 2^40 channels: the message lists divisors quickly', () => {
    const start = performance.now();
    expect(divisorsText(2 ** 40).split(', ')).toHaveLength(41);
    expect(divisorsText(720720)).toMatch(/^1, 2, 3, 4, 5, 6, .*, …, .*, 720720$/); // 240 divisors: the first 24 and their partners
    expect(divisorsText(32)).toBe('1, 2, 4, 8, 16, 32');
    expect(divisorsText(97)).toBe('1, 97');
    expect(performance.now() - start).toBeLessThan(2000);
    const m = conv();
    m.graph!.initializer[0]!.dims = [2 ** 40, 8, 1, 1];
    expect(() => injectSge(m, { after: ['conv'], groups: 3 })).toThrow(/does not divide the 1099511627776 channels/);
  });
});

describe('shape inference on damaged models: a result, never a RangeError', () => {
  it('a Conv whose input has rank 1, a kernel of the wrong length, int64s past 2^53, Concat without inputs', () => {
    const m = conv();
    const g = m.graph!;
    g.input[0] = makeValueInfo('X', DataType.FLOAT, [8]);
    g.node.push(
      makeNode({ op_type: 'Conv', name: 'c0', input: ['X', 'conv.weight'], output: ['q'] }),
      makeNode({
        op_type: 'Conv',
        name: 'c2',
        input: ['conv_out', 'conv.weight'],
        output: ['z'],
        attribute: [makeAttribute('kernel_shape', { ints: [1, 1, 1] }), makeAttribute('strides', { ints: [0, -1] })],
      }),
      makeNode({
        op_type: 'Concat',
        name: 'cat',
        input: [],
        output: ['w'],
        attribute: [makeAttribute('axis', { int: 0 })],
      }),
    );
    g.initializer[0]!.dims = [8, 8, 1, { low: 0, high: 0x40000000, unsigned: false, toNumber: () => 2 ** 62 } as never];
    const shapes = inferModelShapes(new ModelIndex(m));
    expect(shapes.get('q')?.shape).toBeUndefined(); // X has rank 1: no [N, C, ...] to slide over
    // A kernel of the wrong length (and strides 0, -1): the rank is known, the spatial sizes are not.
    expect(shapes.get('z')?.shape).toEqual(['N', 8, undefined, undefined]);
    expect(shapes.get('w')?.shape).toBeUndefined();
    expect(shapes.get('conv.weight')?.shape).toEqual([8, 8, 1, undefined]);
  });
});
