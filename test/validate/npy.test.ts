import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../src/validate/npy.js';
import { toFloat64 } from '../../src/validate/host-tensor.js';
import { InputError } from '../../src/errors.js';

const dir = join(import.meta.dirname, 'data');
const expected = JSON.parse(readFileSync(join(dir, 'npy_expected.json'), 'utf8')) as Record<
  string,
  { dtype: string; shape: number[]; values: number[] }
>;
const TYPES: Record<string, string> = {
  float32: 'float32',
  float16: 'float16',
  float64: 'float64',
  int64: 'int64',
  int32: 'int32',
};

describe('readNpy against files NumPy wrote', () => {
  for (const [file, want] of Object.entries(expected)) {
    it(`reads ${file} (${want.dtype}, shape [${want.shape.join(', ')}])`, () => {
      const t = readNpy(new Uint8Array(readFileSync(join(dir, file))), file);
      expect(t.type).toBe(TYPES[want.dtype]);
      expect(t.dims).toEqual(want.shape);
      expect(Array.from(toFloat64(t))).toEqual(want.values);
    });
  }

  it('refuses Fortran order and big-endian data, saying why', () => {
    const read = (f: string) => () => readNpy(new Uint8Array(readFileSync(join(dir, f))), f);
    expect(read('fortran_f4.npy')).toThrow(InputError);
    expect(read('fortran_f4.npy')).toThrow(/Fortran-order/);
    expect(read('bigendian_f4.npy')).toThrow(/dtype '>f4' is not supported/);
  });

  it('refuses a file that is not .npy and a truncated one', () => {
    expect(() => readNpy(new TextEncoder().encode('hello world, not numpy'), 'x.npy')).toThrow(/no \\x93NUMPY magic/);
    const good = new Uint8Array(readFileSync(join(dir, 'f4_v1.npy')));
    expect(() => readNpy(good.subarray(0, good.length - 4), 'cut.npy')).toThrow(/bytes of data for 6 float32 elements/);
  });
});
