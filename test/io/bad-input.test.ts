// Bad model files through loadModel: each ends in a typed error naming the file, in bounded time.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/io/index.js';
import { ModelDecodeError } from '../../src/codec/index.js';
import { InputError } from '../../src/errors.js';
import { lengthField, nested, varintField, lengthPrefixes } from '../codec/wire.js';
import { tempFolder } from './tmp.js';

const dir = tempFolder('bad');
const MODEL = readFileSync(new URL('../../fixtures/models/mini_resnet_bottleneck_op13.onnx', import.meta.url));
const BOUND_MS = 2000;

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Loads `path` and returns the error, checking its type, that it names the file, and the time taken. */
async function failure<T extends Error>(path: string, type: new (...a: never[]) => T): Promise<T> {
  const t0 = performance.now();
  let error: unknown;
  try {
    await loadModel(path);
  } catch (err) {
    error = err;
  }
  expect(performance.now() - t0).toBeLessThan(BOUND_MS);
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toContain(path);
  return error as T;
}

/** Byte range of the graph field (7) in the model, to cut inside it. */
function graphRange(bytes: Uint8Array): [number, number] {
  const top = lengthPrefixes(bytes).filter((p) => p.pos > 0 && bytes[p.pos - 1] === 0x3a);
  const g = top.reduce((a, b) => (b.value > a.value ? b : a));
  return [g.pos + g.size, g.pos + g.size + g.value];
}

describe('loadModel on bad input', () => {
  it('an empty file', async () => {
    const e = await failure(file('empty.onnx', new Uint8Array()), ModelDecodeError);
    expect(e.message).toMatch(/empty/);
  });

  it('random bytes', async () => {
    let s = 12345;
    const bytes = Uint8Array.from({ length: 4096 }, () => {
      s = (s * 1103515245 + 12345) >>> 0;
      return s >>> 24;
    });
    await failure(file('random.onnx', bytes), ModelDecodeError);
  });

  it.each([1, 2, 7, 20, 0.1, 0.25, 0.5, 0.75, 0.999])('a model truncated at %s', async (cut) => {
    const [start, end] = graphRange(MODEL);
    const at = cut < 1 ? Math.floor(start + (end - start) * cut) : cut;
    const e = await failure(file(`cut-${cut}.onnx`, MODEL.subarray(0, at)), ModelDecodeError);
    if (at > 20) expect(e.message).toMatch(/truncated|length|corrupt|invalid/);
  });

  it('a JSON file named .onnx', async () => {
    const e = await failure(
      file('model.onnx', JSON.stringify({ graph: { node: [] }, ir_version: 8 })),
      ModelDecodeError,
    );
    expect(e.message).toMatch(/JSON/);
  });

  it('a length prefix claiming more bytes than the file has', async () => {
    const bytes = Uint8Array.from([...varintField(1, 8), 0x3a, ...[0xc0, 0x84, 0x3d] /* 1,000,000 */, 1, 2, 3, 4, 5]);
    const e = await failure(file('long-claim.onnx', bytes), ModelDecodeError);
    expect(e.message).toMatch(/claims more bytes|truncated/);
  });

  it('messages nested deeper than any real model (Graph → Node → Attribute → Graph, 200 deep)', async () => {
    const e = await failure(file('deep.onnx', nested([7], [1, 5, 6], 1 + 3 * 200)), ModelDecodeError);
    expect(e.message).toMatch(/nested/);
  });

  it('100,000 levels of nesting: no stack overflow, still a typed error', async () => {
    await failure(file('deeper.onnx', nested([7], [1, 5, 6], 100_000)), ModelDecodeError);
  });

  it('unknown-field groups nested 100,000 deep', async () => {
    // Field 99 as start-group (wire type 3) repeated: the decoder must skip them without recursing forever.
    const start = [0x9b, 0x06];
    const bytes = new Uint8Array(200_000);
    for (let i = 0; i < 100_000; i++) bytes.set(start, i * 2);
    await failure(file('groups.onnx', bytes), ModelDecodeError);
  });

  it('a valid protobuf with no graph', async () => {
    const bytes = Uint8Array.from([...varintField(1, 8), ...lengthField(2, Buffer.from('pytorch'))]);
    const e = await failure(file('nograph.onnx', bytes), ModelDecodeError);
    expect(e.message).toMatch(/no graph/);
  });

  it('a TensorProto file named .onnx', async () => {
    const pb = readFileSync(new URL('../../fixtures/sge-op/basic_2x64x7x7_g8/weight.pb', import.meta.url));
    const e = await failure(file('tensor.onnx', pb), ModelDecodeError);
    expect(e.message).toMatch(/it is a TensorProto \(a tensor file/);
  });

  it('a missing file is an InputError naming it', async () => {
    const e = await failure(join(dir, 'nope.onnx'), InputError);
    expect(e.message).toMatch(/no such model file/);
    expect(e.hint).toBeTruthy();
  });

  it('a folder is an InputError naming it', async () => {
    const p = join(dir, 'folder.onnx');
    mkdirSync(p);
    const e = await failure(p, InputError);
    expect(e.message).toMatch(/is a folder/);
  });

  it('a FIFO is refused instead of blocking', async () => {
    const p = join(dir, 'fifo.onnx');
    execFileSync('mkfifo', [p]);
    const e = await failure(p, InputError);
    expect(e.message).toMatch(/not a regular file/);
  });

  it('a path through a file is an InputError', async () => {
    const p = file('plain.txt', 'x');
    await failure(join(p, 'model.onnx'), InputError);
  });
});
