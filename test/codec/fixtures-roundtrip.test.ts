// Round trip of the project's fixtures (PyTorch exports, and an IR 13 model carrying fields from
// future IR versions as raw bytes), cross-checked against protobufjs's own encoder.
import { fileURLToPath } from 'node:url';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeModel,
  encodeModel,
  encodeMessageChunks,
  concatChunks,
  ModelProtoType,
  onnxRoot,
  DataType,
  type ModelProto,
  type TensorProto,
} from '../../src/codec/index.js';
import {
  makeAttribute,
  makeGraph,
  makeModel,
  makeNode,
  makeOpset,
  makeTensor,
  makeValueInfo,
  makeInt64Tensor,
} from '../../src/graph/factory.js';

const ROOT = fileURLToPath(new URL('../../fixtures/', import.meta.url));

function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

const MODELS = filesUnder(ROOT, '.onnx');
const TENSORS = filesUnder(ROOT, '.pb');
const IR13 = join(ROOT, 'ir13/mini_resnet_ir13_future_fields.onnx');

function read(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

describe('fixture models', () => {
  it('finds the fixtures (seven reference models, including the IR 13 one, two written by 0.1, and every model of fuse/)', () => {
    const fuse = JSON.parse(readFileSync(join(ROOT, 'fuse/manifest.json'), 'utf8')) as { models: unknown[] };
    expect(MODELS).toContain(IR13);
    expect(MODELS.filter((p) => p.includes('/written-by-0.1.0/')).length).toBe(2);
    expect(MODELS.length).toBe(7 + 2 + fuse.models.length);
  });

  it.each(MODELS.map((p) => [p.slice(ROOT.length), p]))('%s re-encodes byte for byte', (_name, path) => {
    const bytes = read(path);
    const out = encodeModel(decodeModel(bytes, { source: path }));
    expect(out.length).toBe(bytes.length);
    expect(Buffer.compare(Buffer.from(out), Buffer.from(bytes))).toBe(0);
  });

  it.each(MODELS.map((p) => [p.slice(ROOT.length), p]))(
    '%s: our encoder equals protobufjs encode().finish()',
    (_name, path) => {
      const model = decodeModel(read(path), { source: path });
      const ours = encodeModel(model);
      const theirs = ModelProtoType.encode(model as never).finish();
      expect(Buffer.compare(Buffer.from(ours), Buffer.from(theirs))).toBe(0);
    },
  );

  it('keeps every IR 13 marker of markers.json in the re-encoded bytes', () => {
    const markers = JSON.parse(readFileSync(join(ROOT, 'ir13/markers.json'), 'utf8')) as Record<string, string>;
    const bytes = read(IR13);
    const outHex = hex(encodeModel(decodeModel(bytes, { source: IR13 })));
    expect(Object.keys(markers).length).toBeGreaterThanOrEqual(10);
    for (const [place, marker] of Object.entries(markers)) {
      expect(hex(bytes).includes(marker), `${place} in the fixture itself`).toBe(true);
      expect(outHex.includes(marker), `${place} survives the round trip`).toBe(true);
    }
  });

  it('decodes raw_data as views of the input buffer (no copy)', () => {
    const path = join(ROOT, 'models/mini_resnet_bottleneck_op13.onnx');
    const bytes = read(path);
    const model = decodeModel(bytes);
    const inits = model.graph!.initializer;
    expect(inits.length).toBeGreaterThan(10);
    for (const t of inits) {
      expect(t.raw_data!.buffer).toBe(bytes.buffer);
    }
    // A view sees a change of the underlying bytes.
    const t = inits.find((x) => x.raw_data!.length > 0)!;
    const at = t.raw_data!.byteOffset;
    bytes[at] = bytes[at]! ^ 0xff;
    expect(t.raw_data![0]).toBe(bytes[at]);
  });
});

describe('fixture tensors (.pb TensorProto files)', () => {
  const TensorType = onnxRoot.lookupType('onnx.TensorProto');
  it.each(TENSORS.map((p) => [p.slice(ROOT.length), p]))('%s re-encodes byte for byte', (_name, path) => {
    const bytes = read(path);
    const reader = TensorType.decode(bytes) as unknown as TensorProto;
    const out = concatChunks(encodeMessageChunks(TensorType, reader));
    expect(Buffer.compare(Buffer.from(out), Buffer.from(bytes))).toBe(0);
  });
});

describe('models built in memory', () => {
  function built(): ModelProto {
    const w = makeTensor(
      'w',
      [4, 3, 3, 3],
      Float32Array.from({ length: 108 }, (_, i) => Math.sin(i)),
    );
    // Large enough to be emitted as a view chunk (≥ 64 KiB) rather than copied.
    const big = makeTensor('big', [64, 300], new Float32Array(64 * 300).fill(0.25));
    const shape = makeInt64Tensor('shape', [3], [-1, 2 ** 40, -(2 ** 33)]);
    const conv = makeNode({
      op_type: 'Conv',
      name: 'conv/ünïcødé ✓',
      input: ['x', 'w'],
      output: ['y'],
      attribute: [
        makeAttribute('pads', { ints: [1, 1, 1, 1] }),
        makeAttribute('alpha', { float: -0.1 }),
        makeAttribute('mode', { string: 'größe' }),
        makeAttribute('group', { int: -3 }),
      ],
    });
    const graph = makeGraph({
      name: 'g',
      node: [conv],
      initializer: [w, big, shape],
      input: [makeValueInfo('x', DataType.FLOAT, ['N', 3, 8, 8])],
      output: [makeValueInfo('y', DataType.FLOAT, [undefined, 4, 8, 8])],
    });
    return makeModel(graph, [makeOpset('', 13), makeOpset('com.example', 1)]);
  }

  it('encode equals protobufjs encode and decodes back to the same bytes', () => {
    const model = built();
    const ours = encodeModel(model);
    const theirs = ModelProtoType.encode(model as never).finish();
    expect(Buffer.compare(Buffer.from(ours), Buffer.from(theirs))).toBe(0);
    expect(Buffer.compare(Buffer.from(encodeModel(decodeModel(ours))), Buffer.from(ours))).toBe(0);
  });
});
