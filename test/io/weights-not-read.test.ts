/**
 * loadModel with weightsInFile does not read the weights it leaves in the file: every byte the loader
 * reads from the model file is counted (node:fs/promises wrapped: whole-file reads, and positioned
 * reads through a FileHandle), and what it reads stays well below the file size minus its weights.
 * A plain load of the same file, counted the same way, reads the whole file.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { DataLocation } from '../../src/codec/types.js';
import { loadModel } from '../../src/io/load.js';
import { WEIGHT_IN_FILE_MIN_BYTES } from '../../src/io/weights-in-file.js';

/** Bytes read from each file (resolved path), by whole-file reads and by FileHandle reads. */
const counted = vi.hoisted(() => ({ whole: new Map<string, number>(), positioned: new Map<string, number>() }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const { resolve: resolvePath } = await import('node:path');
  const add = (map: Map<string, number>, path: unknown, n: number) => {
    const key = resolvePath(String(path));
    map.set(key, (map.get(key) ?? 0) + n);
  };
  const readFile = (async (path: Parameters<typeof fs.readFile>[0], ...rest: unknown[]) => {
    const data = await (fs.readFile as (...a: unknown[]) => Promise<Buffer | string>)(path, ...rest);
    add(counted.whole, path, typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
    return data;
  }) as typeof fs.readFile;
  const open = (async (path: Parameters<typeof fs.open>[0], ...rest: unknown[]) => {
    const handle = await (fs.open as (...a: unknown[]) => Promise<import('node:fs/promises').FileHandle>)(
      path,
      ...rest,
    );
    const read = handle.read.bind(handle) as (...a: unknown[]) => Promise<{ bytesRead: number }>;
    handle.read = (async (...args: unknown[]) => {
      const result = await read(...args);
      add(counted.positioned, path, result.bytesRead);
      return result;
    }) as typeof handle.read;
    return handle;
  }) as typeof fs.open;
  return { ...fs, default: { ...fs, readFile, open }, readFile, open };
});

const MINI = resolve(import.meta.dirname, '..', '..', 'fixtures', 'models', 'mini_resnet_bottleneck_op13.onnx');

/** Bytes of the raw_data that weightsInFile leaves in the file: the main graph's of 1 KiB or more. */
function weightBytes(path: string): { bytes: number; count: number } {
  const model = decodeModel(new Uint8Array(readFileSync(path)));
  let bytes = 0;
  let count = 0;
  for (const t of model.graph!.initializer) {
    const n = t.raw_data?.byteLength ?? 0;
    if (n >= WEIGHT_IN_FILE_MIN_BYTES && t.data_location !== DataLocation.EXTERNAL) {
      bytes += n;
      count++;
    }
  }
  return { bytes, count };
}

const readOf = (path: string) => ({
  whole: counted.whole.get(path) ?? 0,
  positioned: counted.positioned.get(path) ?? 0,
});

beforeEach(() => {
  counted.whole.clear();
  counted.positioned.clear();
});

describe('loadModel with weightsInFile reads the file without its weights', () => {
  it('a plain load, counted the same way, reads the whole file', async () => {
    await loadModel(MINI);
    const read = readOf(MINI);
    expect(read.whole + read.positioned).toBe(statSync(MINI).size);
  });

  it('the mini ResNet fixture: the graph and field headers, not the weights', async () => {
    const size = statSync(MINI).size;
    const weights = weightBytes(MINI);
    // The fixture is mostly weights: what is left to read is a small part of the file.
    expect(weights.bytes).toBeGreaterThan(0.9 * size);
    const model = await loadModel(MINI, { weightsInFile: true });
    expect(model.graph!.initializer.filter((t) => t.data_location === DataLocation.EXTERNAL)).toHaveLength(
      weights.count,
    );
    const read = readOf(MINI);
    expect(read.whole).toBe(0);
    // Everything but the weights, plus what the header reads take ahead into the weights after them
    // (a few hundred bytes a skipped weight): under a tenth of the weights' bytes, not all of them.
    expect(read.positioned).toBeGreaterThanOrEqual(size - weights.bytes);
    expect(read.positioned - (size - weights.bytes)).toBeLessThan(weights.bytes / 10);
  });
});
