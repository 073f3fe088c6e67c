// planExternalData, case by case: for a set of files on disk and a model's tensors, the plan says which
// data files are copied where, which references are rewritten, how a new data file is laid out, and
// what is refused. Every expectation follows from the rules in src/io/external-plan.ts's header: a
// reference stays valid from the output's folder, nothing is ever replaced, unsafe locations and short
// data files are refused, large tensors are aligned.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataLocation, type TensorProto } from '../../src/codec/index.js';
import { makeGraph, makeModel, makeOpset, makeTensor } from '../../src/graph/factory.js';
import { collectTensors } from '../../src/external/tensors.js';
import { refEntries } from '../../src/external/location.js';
import { planExternalData, type ExternalDataOptions } from '../../src/io/external-plan.js';
import { InputError, UsageError } from '../../src/errors.js';
import { tempFolder } from './tmp.js';

const root = tempFolder('plan');

/**
 * A tensor: `n` bytes inline, or external at `location` (offset 0, `length` if given; UINT8 [0] unless
 * `dims` and `dataType` say its real size).
 */
type TensorCase =
  | { name: string; bytes: number }
  | { name: string; location: string; length?: number; dims?: number[]; dataType?: number };

interface PlanCase {
  readonly name: string;
  /** Files to create, relative to the case folder: path → size in bytes, or text. */
  readonly files?: Readonly<Record<string, number | string>>;
  readonly tensors: readonly TensorCase[];
  /** Folder the model's locations are relative to, and the output path (case-relative). */
  readonly base?: string;
  readonly output?: string;
  readonly external?: ExternalDataOptions;
  /** What the plan must be (paths case-relative), or the error it must raise. */
  readonly expected:
    | {
        readonly written?: Readonly<Record<string, string>>;
        readonly copies?: readonly (readonly [string, string])[];
        readonly dataFile?: { location: string; tensors: number; byteLength: number; pieces: string[] };
        readonly notes?: readonly RegExp[];
      }
    | { readonly error: typeof InputError | typeof UsageError; readonly message: RegExp };
}

function tensor(c: TensorCase): TensorProto {
  if ('bytes' in c) return makeTensor(c.name, [c.bytes], new Uint8Array(c.bytes).fill(7), 2 /* UINT8 */);
  const t = makeTensor(c.name, [0], new Uint8Array(0), 2);
  if (c.dims) t.dims = c.dims;
  if (c.dataType) t.data_type = c.dataType;
  delete t.raw_data;
  t.data_location = DataLocation.EXTERNAL;
  t.external_data = refEntries({ location: c.location, offset: 0, length: c.length });
  return t;
}

const MiB = 1 << 20;

const CASES: PlanCase[] = [
  {
    name: 'inline tensors and no external data: nothing to do',
    tensors: [{ name: 'w', bytes: 4000 }],
    expected: { written: {}, copies: [], notes: [] },
  },
  {
    name: 'externalData: initializers of 1 KiB or more go to <output>.data, in model order',
    tensors: [
      { name: 'a', bytes: 2000 },
      { name: 'small', bytes: 1023 },
      { name: 'b', bytes: 1024 },
    ],
    external: {},
    expected: {
      written: { a: 'out.onnx.data@0+2000', b: 'out.onnx.data@2000+1024' },
      dataFile: { location: 'out.onnx.data', tensors: 2, byteLength: 3024, pieces: ['bytes', 'bytes'] },
      notes: [],
    },
  },
  {
    name: 'tensors of 1 MiB or more start at a multiple of 4096',
    tensors: [
      { name: 'a', bytes: 2000 },
      { name: 'big', bytes: MiB },
    ],
    external: { location: 'w.bin' },
    expected: {
      written: { a: 'w.bin@0+2000', big: `w.bin@4096+${MiB}` },
      dataFile: { location: 'w.bin', tensors: 2, byteLength: 4096 + MiB, pieces: ['bytes', 'zeros', 'bytes'] },
    },
  },
  {
    name: 'align 1 packs large tensors without padding; threshold picks what moves',
    tensors: [
      { name: 'a', bytes: 2000 },
      { name: 'big', bytes: MiB },
    ],
    external: { location: 'w.bin', align: 1, threshold: 4096 },
    expected: {
      written: { big: `w.bin@0+${MiB}` },
      dataFile: { location: 'w.bin', tensors: 1, byteLength: MiB, pieces: ['bytes'] },
    },
  },
  {
    name: 'a reference beside the output stays as it is',
    files: { 'w.bin': 100 },
    tensors: [{ name: 'w', location: 'w.bin' }],
    expected: { written: {}, copies: [], notes: [] },
  },
  {
    name: 'saved into another folder: the data file is copied there under its name',
    files: { 'src/w.bin': 100 },
    base: 'src',
    output: 'dst/out.onnx',
    tensors: [{ name: 'w', location: 'w.bin' }],
    expected: { written: {}, copies: [['src/w.bin', 'dst/w.bin']], notes: [/^copied external data .*src\/w\.bin to/] },
  },
  {
    name: 'a different file of that name in the output folder is left alone: the copy is numbered',
    files: { 'src/w.bin': 100, 'dst/w.bin': 'somebody else' },
    base: 'src',
    output: 'dst/out.onnx',
    tensors: [{ name: 'w', location: 'w.bin' }],
    expected: {
      written: { w: 'w.1.bin' },
      copies: [['src/w.bin', 'dst/w.1.bin']],
      notes: [/'w\.bin' is written as 'w\.1\.bin': .* is a different file/, /^copied external data/],
    },
  },
  {
    name: 'an identical copy from an earlier save is reused, nothing copied',
    files: { 'src/w.bin': 100, 'dst/w.bin': 100 },
    base: 'src',
    output: 'dst/out.onnx',
    tensors: [{ name: 'w', location: 'w.bin' }],
    expected: { written: {}, copies: [], notes: [] },
  },
  {
    // Issue 9: it used to be copied beside the output; onnx and onnxruntime refuse such models, and the
    // copy took any file the process could read.
    name: "a location through '..' is refused, naming the tensor, nothing copied",
    files: { 'shared/w.bin': 100 },
    base: 'models',
    output: 'models/out.onnx',
    tensors: [{ name: 'w', location: '../shared/w.bin' }],
    expected: {
      error: InputError,
      message:
        /initializer 'w' keeps its data at '\.\.\/shared\/w\.bin', which is absolute or outside the model's folder/,
    },
  },
  {
    name: 'an absolute location is refused, naming the tensor',
    files: { 'a/w.bin': 100 },
    base: '.',
    output: 'out/o.onnx',
    tensors: [{ name: 'x', location: 'ABS/a/w.bin' }],
    expected: { error: InputError, message: /initializer 'x' keeps its data at '\/.*\/a\/w\.bin', which is absolute/ },
  },
  {
    name: 'a data file shorter than its tensor (no length given) is refused',
    files: { 'w.bin': 10 },
    tensors: [{ name: 'w', location: 'w.bin', dims: [4], dataType: 1 }],
    expected: {
      error: InputError,
      message: /initializer 'w' needs bytes 0\.\.16 of 'w\.bin', which has only 10 bytes/,
    },
  },
  {
    name: 'a data file named like the output model is copied under another name',
    files: { 'src/out.onnx': 100 },
    base: 'src',
    output: 'dst/out.onnx',
    tensors: [{ name: 'w', location: 'out.onnx' }],
    expected: { written: { w: 'out.1.onnx' }, copies: [['src/out.onnx', 'dst/out.1.onnx']] },
  },
  {
    name: 're-saving with external data over the same data file carries its tensors over',
    files: { 'm.onnx.data': 3000 },
    output: 'm.onnx',
    tensors: [
      { name: 'old', location: 'm.onnx.data', length: 3000 },
      { name: 'new', bytes: 2000 },
    ],
    external: {},
    expected: {
      written: { old: 'm.onnx.data@0+3000', new: 'm.onnx.data@3000+2000' },
      copies: [],
      dataFile: { location: 'm.onnx.data', tensors: 2, byteLength: 5000, pieces: ['range', 'bytes'] },
      notes: [/1 tensor\(s\) already stored in 'm\.onnx\.data' were carried over/],
    },
  },
  {
    name: 'a missing data file is refused, naming the tensor',
    tensors: [{ name: 'w', location: 'gone.bin' }],
    expected: {
      error: InputError,
      message: /initializer 'w' keeps its data in 'gone\.bin': .* no such external data file/,
    },
  },
  {
    name: 'a range past the end of its file is refused',
    files: { 'w.bin': 10 },
    tensors: [{ name: 'w', location: 'w.bin', length: 11 }],
    expected: { error: InputError, message: /w\.bin/ },
  },
  {
    name: 'saving over the model’s own data file is refused',
    files: { 'w.bin': 10 },
    output: 'w.bin',
    tensors: [{ name: 'w', location: 'w.bin' }],
    expected: { error: InputError, message: /the file the model is to be saved as/ },
  },
  {
    name: 'a new data file outside the output folder is a usage error',
    tensors: [{ name: 'w', bytes: 2000 }],
    external: { location: '../w.bin' },
    expected: { error: UsageError, message: /is absolute or leaves the output folder/ },
  },
  {
    name: 'a new data file named like the model is a usage error',
    tensors: [{ name: 'w', bytes: 2000 }],
    external: { location: 'out.onnx' },
    expected: { error: UsageError, message: /is the model file itself/ },
  },
];

describe('planExternalData', () => {
  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const dir = join(root, String(i));
      mkdirSync(dir, { recursive: true });
      for (const [f, content] of Object.entries(c.files ?? {})) {
        mkdirSync(join(dir, f, '..'), { recursive: true });
        writeFileSync(join(dir, f), typeof content === 'number' ? new Uint8Array(content) : content);
      }
      const target = join(dir, c.output ?? 'out.onnx');
      mkdirSync(join(target, '..'), { recursive: true });
      const tensors = c.tensors.map((t) =>
        tensor('location' in t ? { ...t, location: t.location.replace(/^ABS/, dir) } : t),
      );
      const model = makeModel(makeGraph({ initializer: tensors }), [makeOpset('', 13)]);
      const ctx = {
        slots: collectTensors(model),
        baseDir: join(dir, c.base ?? '.'),
        outDir: join(target, '..'),
        target,
        source: 'm.onnx',
        external: c.external,
      };
      const expected = c.expected;
      if ('error' in expected) {
        const err = await planExternalData(ctx).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(expected.error);
        expect((err as Error).message).toMatch(expected.message);
        return;
      }
      const plan = await planExternalData(ctx);
      const rel = (p: string): string => relative(dir, p);
      if (expected.written) {
        const written = Object.fromEntries(
          plan.swaps.map(({ slot, replacement }) => {
            const get = (k: string) => replacement.external_data.find((e) => e.key === k)?.value;
            const range = plan.dataFile && get('location') === plan.dataFile.location;
            return [slot.tensor.name, range ? `${get('location')}@${get('offset')}+${get('length')}` : get('location')];
          }),
        );
        expect(written).toEqual(expected.written);
      }
      if (expected.copies) expect(plan.copies.map((cp) => [rel(cp.from), rel(cp.to)])).toEqual(expected.copies);
      if (expected.dataFile) {
        const d = plan.dataFile!;
        expect({
          location: d.location,
          tensors: d.tensors,
          byteLength: d.byteLength,
          pieces: d.pieces.map((p) => p.kind),
        }).toEqual(expected.dataFile);
        expect(rel(d.path)).toBe(join(rel(ctx.outDir), d.location));
      } else {
        expect(plan.dataFile).toBeUndefined();
      }
      if (expected.notes) {
        expect(plan.notes).toHaveLength(expected.notes.length);
        expected.notes.forEach((re, k) => {
          expect(plan.notes[k]).toMatch(re);
        });
      }
      // The plan only describes: the model's own tensors are untouched.
      expect(model.graph!.initializer).toEqual(tensors);
    });
  });
});
