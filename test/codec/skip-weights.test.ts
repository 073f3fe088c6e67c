// readWithoutWeights: a model's bytes without the raw_data of its large main-graph initializers, read by
// positioned reads. The reference is today's way to leave weights in the file: decode the whole file,
// then leaveWeightsInFile. Models: the project's fixtures and the ONNX backend corpus (subgraphs, fp16,
// Constant nodes, unknown fields of future IR versions), a model saved with external data, and hand-made
// bytes for the cases that must fall back to reading the whole file.
import { fileURLToPath } from 'node:url';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import { onnxRoot } from '../../src/codec/schema.js';
import { type ModelWithoutWeights, readWithoutWeights } from '../../src/codec/skip-weights.js';
import { DataType } from '../../src/codec/types.js';
import {
  makeAttribute,
  makeGraph,
  makeModel,
  makeNode,
  makeOpset,
  makeTensor,
  makeValueInfo,
} from '../../src/graph/factory.js';
import { leaveWeightsInFile, referToFile, WEIGHT_IN_FILE_MIN_BYTES } from '../../src/io/weights-in-file.js';
import { lengthField, varintField } from './wire.js';

const MIN = WEIGHT_IN_FILE_MIN_BYTES;
const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const CORPUS = process.env.SGE_CORPUS_DIR ?? '/usr/share/libonnx-testdata/data';

function onnxFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...onnxFiles(p));
    else if (e.name.endsWith('.onnx')) out.push(p);
  }
  return out.sort();
}

interface Read {
  readonly result: ModelWithoutWeights | null;
  /** Every [offset, length] the reader was asked for. */
  readonly asked: [number, number][];
}

/** readWithoutWeights over `bytes` as the file, each read a copy of its own (as from a file). */
async function readOf(bytes: Uint8Array): Promise<Read> {
  const asked: [number, number][] = [];
  const result = await readWithoutWeights(
    async (offset, length) => {
      asked.push([offset, length]);
      return bytes.slice(offset, offset + length);
    },
    bytes.length,
    MIN,
  );
  return { result, asked };
}

/** Bytes the reader was asked for inside the skipped ranges. */
function readInSkipped({ result, asked }: Read): number {
  let n = 0;
  for (const [o, l] of asked)
    for (const s of result!.skipped) n += Math.max(0, Math.min(o + l, s.offset + s.length) - Math.max(o, s.offset));
  return n;
}

/** Today's result: the whole file decoded, its large weights then left in the file. */
function today(bytes: Uint8Array) {
  const model = decodeModel(bytes);
  leaveWeightsInFile(model, bytes, 'model.onnx');
  return model;
}

/** The same model from the bytes without weights. */
function fromReduced(result: ModelWithoutWeights) {
  const model = decodeModel(result.bytes);
  referToFile(model, result.bytes, 'model.onnx', result.skipped);
  return model;
}

async function expectSameAsToday(bytes: Uint8Array, name: string): Promise<Read> {
  const read = await readOf(bytes);
  expect(read.result, `${name}: fell back`).not.toBeNull();
  const ours = fromReduced(read.result!);
  const theirs = today(bytes);
  expect(ours, name).toEqual(theirs);
  // The encoder re-emits unknown fields, which toEqual does not see.
  expect(Buffer.from(encodeModel(ours)).equals(Buffer.from(encodeModel(theirs))), name).toBe(true);
  return read;
}

/** A model with `sizes` float initializers (bytes each, at least 4) feeding a Sum, and a Constant node. */
function modelWith(sizes: readonly number[]): Uint8Array {
  const inits = sizes.map((n, i) =>
    makeTensor(
      `weight_${i}`,
      [n / 4],
      Float32Array.from({ length: n / 4 }, (_, k) => i + k),
    ),
  );
  const constant = makeNode({
    op_type: 'Constant',
    name: 'c',
    output: ['c'],
    attribute: [makeAttribute('value', { tensor: makeTensor('', [1], Float32Array.of(1)) })],
  });
  const sum = makeNode({ op_type: 'Sum', name: 'sum', input: ['c', ...inits.map((t) => t.name!)], output: ['y'] });
  const graph = makeGraph({
    name: 'g',
    node: [constant, sum],
    initializer: inits,
    output: [makeValueInfo('y', DataType.FLOAT)],
  });
  return encodeModel(makeModel(graph, [makeOpset('', 13)]));
}

describe('readWithoutWeights', () => {
  const fixtures = onnxFiles(FIXTURES);

  it('gives today’s model on every fixture, reading little beyond the bytes it keeps', async () => {
    expect(fixtures.length).toBeGreaterThan(100);
    let skippedModels = 0;
    for (const path of fixtures) {
      const bytes = new Uint8Array(readFileSync(path));
      const read = await expectSameAsToday(bytes, path);
      const { result, asked } = read;
      const skipped = result!.skipped.reduce((a, s) => a + s.length, 0);
      if (skipped > 0) skippedModels++;
      const kept = bytes.length - skipped;
      const total = asked.reduce((a, [, l]) => a + l, 0);
      // At most a read-ahead beyond each kept byte, and one header probe into each skipped range.
      expect(total, path).toBeLessThanOrEqual(2 * kept + 512 * (result!.skipped.length + 1));
    }
    expect(skippedModels).toBeGreaterThan(100);
  });

  it.skipIf(!existsSync(CORPUS) || !statSync(CORPUS).isDirectory())(
    'gives today’s model on every model of the ONNX backend corpus',
    async () => {
      const files = onnxFiles(CORPUS);
      expect(files.length).toBeGreaterThanOrEqual(1072);
      for (const path of files) await expectSameAsToday(new Uint8Array(readFileSync(path)), path);
    },
    300_000,
  );

  it('never reads large weights beyond a header probe, and few times for many fields', async () => {
    const sizes = [256 * 1024, 4096, 1 << 20, 100, 2048, 300 * 1024];
    const bytes = modelWith(sizes);
    const read = await expectSameAsToday(bytes, 'six weights');
    expect(read.result!.skipped.map((s) => s.length)).toEqual([256 * 1024, 4096, 1 << 20, 2048, 300 * 1024]);
    expect(read.result!.skipped.map((s) => s.initializer)).toEqual([0, 1, 2, 4, 5]);
    for (const s of read.result!.skipped) {
      // Where each skipped raw_data is: its bytes, as the whole decode sees them.
      const t = decodeModel(bytes).graph!.initializer[s.initializer]!;
      expect(t.raw_data!.byteOffset).toBe(s.offset);
    }
    expect(readInSkipped(read)).toBeLessThanOrEqual(512 * read.result!.skipped.length);
    expect(read.asked.length).toBeLessThanOrEqual(2 * sizes.length + 2);
  });

  it('falls back (null) when the graph field appears twice', async () => {
    const bytes = modelWith([4096]);
    const graph = onnxRoot.lookupType('onnx.GraphProto').encode(decodeModel(bytes).graph!).finish();
    const twice = Uint8Array.from([...bytes, ...lengthField(7, graph)]);
    expect(decodeModel(twice).graph).toBeDefined(); // a model protobuf accepts
    expect((await readOf(twice)).result).toBeNull();
    expect((await readOf(bytes)).result).not.toBeNull();
  });

  const tensor = (...fields: number[][]) => Uint8Array.from(fields.flat());
  const modelOfTensor = (t: Uint8Array) =>
    Uint8Array.from([...varintField(1, 8), ...lengthField(7, [...lengthField(5, t), ...lengthField(2, [0x67])])]);
  const name = lengthField(8, [0x77]);
  const big = (fill: number) => lengthField(9, new Array(MIN).fill(fill));

  it('falls back when a large initializer has two raw_data fields, external_data or data_location', async () => {
    const plain = modelOfTensor(tensor(varintField(1, MIN / 4), varintField(2, 1), name, big(1)));
    expect((await readOf(plain)).result?.skipped).toHaveLength(1);
    const twoRaw = modelOfTensor(tensor(varintField(2, 1), name, big(1), big(2)));
    const location = modelOfTensor(tensor(varintField(2, 1), name, big(1), varintField(14, 0)));
    const external = modelOfTensor(tensor(varintField(2, 1), name, big(1), lengthField(13, lengthField(1, [0x6b]))));
    for (const bytes of [twoRaw, location, external]) {
      expect(() => decodeModel(bytes)).not.toThrow();
      expect((await readOf(bytes)).result).toBeNull();
    }
    // Small ones are copied: the decoder picks among them as it always does.
    const twoSmall = modelOfTensor(tensor(name, lengthField(9, [1, 2]), lengthField(9, [3])));
    await expectSameAsToday(twoSmall, 'two small raw_data');
  });

  it('falls back on a truncated file and on wire types ONNX never writes', async () => {
    const bytes = modelWith([4096, 8192]);
    for (const cut of [1, 3, 20, bytes.length - 9000, bytes.length - 4100, bytes.length - 30, bytes.length - 1])
      expect((await readOf(bytes.subarray(0, cut))).result, `cut at ${cut}`).toBeNull();
    // A group (wire type 3) at the top level.
    expect((await readOf(Uint8Array.from([...bytes, (30 << 3) | 3, (30 << 3) | 4]))).result).toBeNull();
  });

  it('passes on the reader’s own errors (I/O)', async () => {
    const bytes = modelWith([4096]);
    const failing = async () => {
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    };
    await expect(readWithoutWeights(failing, bytes.length, MIN)).rejects.toThrow('EIO');
  });
});
