/**
 * A reader for NumPy `.npy` files (format versions 1, 2 and 3): little-endian float32/float16/float64/
 * int64/int32 (and the one-byte int8/uint8/bool) arrays in C order — what `numpy.save` writes for the
 * tensors a model takes.
 */
import { InputError } from '../errors.js';
import { elemSize, elementCount, type ElemType, type HostTensor } from './host-tensor.js';
import { fromBytes } from './tensor-data.js';

const DESCR: Record<string, ElemType> = {
  '<f4': 'float32',
  '<f2': 'float16',
  '<f8': 'float64',
  '<i8': 'int64',
  '<i4': 'int32',
  '|i1': 'int8',
  '|u1': 'uint8',
  '|b1': 'bool',
};

/**
 * Parses a `.npy` file. `what` names it in errors.
 * @throws InputError for a file that is not `.npy`, a Fortran-order array, or an unsupported dtype.
 */
export function readNpy(bytes: Uint8Array, what: string): HostTensor {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b))
    throw new InputError(`${what}: not a .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number, start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new InputError(`${what}: truncated .npy header`);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else throw new InputError(`${what}: .npy format version ${major} is not supported (1, 2 and 3 are)`);
  if (start + headerLen > bytes.length) throw new InputError(`${what}: truncated .npy header`);
  // Version 3 only allows UTF-8 in the header; 1 and 2 are latin-1, a subset for what we read.
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new InputError(`${what}: unreadable .npy header ${JSON.stringify(header.trim())}`);
  }
  if (fortran === 'True')
    throw new InputError(`${what}: Fortran-order array`, 'save it in C order (numpy.ascontiguousarray) and try again');
  const type = DESCR[descr];
  if (!type) {
    throw new InputError(
      `${what}: dtype '${descr}' is not supported`,
      `use one of ${Object.keys(DESCR).join(', ')} (little-endian)`,
    );
  }
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw new InputError(`${what}: bad dimension '${s}' in .npy shape`);
      return n;
    });
  const count = elementCount(dims);
  const dataStart = start + headerLen;
  return {
    type,
    dims,
    data: fromBytes(bytes.subarray(dataStart, dataStart + count * elemSize(type)), type, count, what),
  };
}
