/**
 * The one external-data path: every reference is checked in one place (location, then range against
 * the file's size) before a byte is read, whatever the platform behind the ExternalDataSource.
 */
import { describe, expect, it } from 'vitest';
import { DataLocation, DataType, type TensorProto } from '../../src/codec/types.js';
import { InputError } from '../../src/errors.js';
import { checkLocation, checkRange, ExternalDataReader, type ExternalDataSource } from '../../src/external/reader.js';
import { makeTensorShell } from '../../src/graph/factory.js';

function external(location: string, offset?: number, length?: number): TensorProto {
  const t = makeTensorShell('w', [4], DataType.FLOAT);
  t.data_location = DataLocation.EXTERNAL;
  t.external_data = [{ key: 'location', value: location }];
  if (offset !== undefined) t.external_data.push({ key: 'offset', value: String(offset) });
  if (length !== undefined) t.external_data.push({ key: 'length', value: String(length) });
  return t;
}

/** Files in memory; records every open and close. */
function memory(files: Record<string, Uint8Array>) {
  const log: string[] = [];
  const source: ExternalDataSource = {
    async open(location) {
      log.push(`open ${location}`);
      const data = files[location];
      if (!data) throw new InputError(`${location}: no such external data file`);
      return {
        size: data.length,
        read: async (offset, length) => data.slice(offset, offset + length),
        close: async () => {
          log.push(`close ${location}`);
        },
      };
    },
  };
  return { source, log };
}

const BYTES = Uint8Array.from({ length: 32 }, (_, i) => i);

describe('checkLocation', () => {
  it('gives the canonical form of a relative location', () => {
    expect(checkLocation({ location: './data//w.bin', offset: 0 }, 'w', 'm.onnx')).toBe('data/w.bin');
  });

  it.each(['/etc/passwd', '../w.bin', 'a/../../w.bin', 'C:\\w.bin', 'a\\..\\w.bin', ''])(
    'refuses %j, naming the model and the tensor',
    (location) => {
      const e = (() => {
        try {
          return checkLocation({ location, offset: 0 }, "initializer 'w'", 'm.onnx');
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).toMatch(/^m\.onnx: initializer 'w' keeps its data at .*absolute or outside/);
    },
  );
});

describe('checkRange', () => {
  const ref = { location: 'w.bin', offset: 8 };
  it('is the given length, else the implied one, else the rest of the file', () => {
    expect(checkRange({ ...ref, length: 16 }, 32, 'w', 'm')).toBe(16);
    expect(checkRange(ref, 32, 'w', 'm', 16)).toBe(16);
    expect(checkRange(ref, 32, 'w', 'm')).toBe(24);
    expect(checkRange({ ...ref, length: 24 }, 32, 'w', 'm')).toBe(24);
  });

  it('refuses a range past the end, naming the tensor, the file and both sizes', () => {
    expect(() => checkRange({ ...ref, length: 25 }, 32, "initializer 'w'", 'm.onnx')).toThrow(
      /^m\.onnx: initializer 'w' needs bytes 8\.\.33 of 'w\.bin', which has only 32 bytes$/,
    );
    expect(() => checkRange(ref, 20, 'w', 'm', 16)).toThrow(/needs bytes 8\.\.24 of 'w\.bin', which has only 20/);
    expect(() => checkRange({ location: 'w.bin', offset: 40 }, 32, 'w', 'm')).toThrow(InputError);
  });
});

describe('ExternalDataReader', () => {
  it('reads the ranges, opening each file once, and closes them', async () => {
    const { source, log } = memory({ 'w.bin': BYTES });
    const reader = new ExternalDataReader(source, { source: 'm.onnx' });
    expect([...(await reader.read(external('w.bin', 4, 4), 'a'))]).toEqual([4, 5, 6, 7]);
    expect([...(await reader.read(external('./w.bin', 30), 'b'))]).toEqual([30, 31]);
    expect([...(await reader.read(external('w.bin', 28), 'c', 4))]).toEqual([28, 29, 30, 31]);
    await reader.close();
    expect(log).toEqual(['open w.bin', 'close w.bin']);
  });

  it('refuses before reading: unsafe location, truncated file, missing file (naming the tensor)', async () => {
    const { source, log } = memory({ 'w.bin': BYTES });
    const reader = new ExternalDataReader(source, { source: 'm.onnx' });
    await expect(reader.read(external('../w.bin', 0, 4), "initializer 'a'")).rejects.toThrow(/absolute or outside/);
    await expect(reader.read(external('w.bin', 0), "initializer 'b'", 64)).rejects.toThrow(
      /initializer 'b' needs bytes 0\.\.64 of 'w\.bin', which has only 32 bytes/,
    );
    const missing = await reader.read(external('x.bin', 0, 4), "initializer 'c'").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InputError);
    expect((missing as Error).message).toBe(
      "m.onnx: initializer 'c' keeps its data in 'x.bin': x.bin: no such external data file",
    );
    await reader.close();
    expect(log).toEqual(['open w.bin', 'open x.bin', 'close w.bin']);
  });

  it('a damaged reference is refused before any file is opened', async () => {
    const { source, log } = memory({ 'w.bin': BYTES });
    const t = external('w.bin');
    t.external_data.push({ key: 'offset', value: 'x' });
    const reader = new ExternalDataReader(source, { source: 'm.onnx' });
    await expect(reader.read(t, 'w')).rejects.toThrow(/offset 'x', not a byte count/);
    expect(log).toEqual([]);
  });
});
