/**
 * Inputs from a folder, as ONNX test data sets store them: `input_0.pb`, `input_1.pb`, … (serialized
 * TensorProto) and/or NumPy `.npy` files. A tensor is matched to a graph input by its TensorProto name
 * (`.pb`) or file stem (`.npy`) when that names an input; otherwise `input_<i>.*` is the i-th input.
 * Other files (`output_*.pb`, README…) are ignored.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onnxRoot } from '../codec/schema.js';
import type { TensorProto } from '../codec/types.js';
import { InputError } from '../errors.js';
import { formatDims, type HostTensor } from './host-tensor.js';
import { formatDeclared, type InputSpec } from './inputs.js';
import { readNpy } from './npy.js';
import { readTensor } from './tensor-data.js';

const TensorProtoType = onnxRoot.lookupType('onnx.TensorProto');

/** A loaded input and the file it came from. */
export interface LoadedInput {
  readonly tensor: HostTensor;
  readonly file: string;
}

/**
 * Reads one tensor per graph input from `dir` and checks it against the input's element type and
 * static dims.
 * @throws InputError for an unreadable folder or file, a missing or doubly given input, or a tensor
 * whose type or shape does not fit.
 */
export async function loadInputsFromDir(
  dir: string,
  specs: readonly InputSpec[],
): Promise<Record<string, LoadedInput>> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (err) {
    throw new InputError(
      `--inputs ${dir}: cannot read the folder (${(err as Error).message})`,
      'give a folder of input_0.pb … or .npy files',
    );
  }
  const names = new Set(specs.map((s) => s.name));
  const out: Record<string, LoadedInput> = {};
  const assign = (name: string, tensor: HostTensor, file: string) => {
    if (out[name])
      throw new InputError(`--inputs ${dir}: input '${name}' is given twice (${out[name].file} and ${file})`);
    out[name] = { tensor, file };
  };
  for (const entry of entries) {
    const isPb = entry.endsWith('.pb'),
      isNpy = entry.endsWith('.npy');
    if (!isPb && !isNpy) continue;
    const stem = entry.slice(0, entry.lastIndexOf('.'));
    const positional = /^input_(\d+)$/.exec(stem);
    const file = join(dir, entry);
    if (!positional && !names.has(stem) && !isPb) continue;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (err) {
      throw new InputError(`cannot read ${file}: ${(err as Error).message}`);
    }
    let tensor: HostTensor,
      tensorName = '';
    if (isPb) {
      let proto: TensorProto;
      try {
        proto = TensorProtoType.decode(bytes) as unknown as TensorProto;
      } catch (err) {
        throw new InputError(`${file} is not a serialized TensorProto (${(err as Error).message})`);
      }
      tensorName = proto.name ?? '';
      if (!positional && !names.has(tensorName) && !names.has(stem)) continue; // e.g. output_0.pb
      tensor = readTensor(proto, file);
    } else {
      tensor = readNpy(bytes, file);
    }
    const byName = names.has(tensorName) ? tensorName : names.has(stem) ? stem : undefined;
    if (byName) assign(byName, tensor, file);
    else {
      const i = Number(positional![1]);
      if (i >= specs.length) throw new InputError(`${file}: the model has only ${specs.length} inputs`);
      assign(specs[i]!.name, tensor, file);
    }
  }
  const missing = specs.filter((s) => !out[s.name]).map((s) => s.name);
  if (missing.length) {
    throw new InputError(
      `--inputs ${dir}: no tensor for input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`,
      'name the files input_0.pb, input_1.pb … in graph input order, or after the inputs',
    );
  }
  for (const s of specs) {
    const { tensor, file } = out[s.name]!;
    if (tensor.type !== s.type)
      throw new InputError(
        `${file}: input '${s.name}' is ${s.type ?? `DataType ${s.dataType}`}, the file holds ${tensor.type}`,
      );
    const fits =
      !s.dims ||
      (s.dims.length === tensor.dims.length && s.dims.every((d, i) => typeof d !== 'number' || d === tensor.dims[i]));
    if (!fits)
      throw new InputError(
        `${file}: input '${s.name}' has shape ${formatDeclared(s.dims)}, the file holds ${formatDims(tensor.dims)}`,
      );
  }
  return out;
}
