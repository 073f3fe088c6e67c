/**
 * Inputs from a set of files, as ONNX test data sets store them: `input_0.pb`, `input_1.pb`, …
 * (serialized TensorProto) and/or NumPy `.npy` files. A tensor is matched to a graph input by its
 * TensorProto name (`.pb`) or file stem (`.npy`) when that names an input; otherwise `input_<i>.*` is
 * the i-th input. Other files (`output_*.pb`, README…) are ignored, and never read. The files come
 * from the shell (Node: a folder, see node/inputs-dir.ts).
 */
import { onnxRoot } from '../codec/schema.js';
import type { TensorProto } from '../codec/types.js';
import { InputError } from '../errors.js';
import type { LoadedInput } from './feeds.js';
import { formatDims, type HostTensor } from './host-tensor.js';
import { formatDeclared, type InputSpec } from './inputs.js';
import { readNpy } from './npy.js';
import { readTensor } from './tensor-data.js';

const TensorProtoType = onnxRoot.lookupType('onnx.TensorProto');

/** A file offered as an input. */
export interface InputFile {
  /** Its name (`input_0.pb`). */
  readonly name: string;
  /** Names it in messages and in the report (Node: its path). */
  readonly path: string;
  /** Its bytes; read only when the name may hold an input. */
  read(): Promise<Uint8Array>;
}

/**
 * One tensor per graph input from `files` (in name order), checked against the input's element type
 * and static dims. `folder` names the set in messages (`--inputs <folder>: …`).
 * @throws InputError for an unreadable or unparsable file, a missing or doubly given input, or a tensor
 * whose type or shape does not fit.
 */
export async function loadInputFiles(
  files: readonly InputFile[],
  specs: readonly InputSpec[],
  folder: string,
): Promise<Record<string, LoadedInput>> {
  const names = new Set(specs.map((s) => s.name));
  const out: Record<string, LoadedInput> = {};
  const assign = (name: string, tensor: HostTensor, file: string) => {
    if (out[name])
      throw new InputError(`--inputs ${folder}: input '${name}' is given twice (${out[name].file} and ${file})`);
    out[name] = { tensor, file };
  };
  for (const entry of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const isPb = entry.name.endsWith('.pb'),
      isNpy = entry.name.endsWith('.npy');
    if (!isPb && !isNpy) continue;
    const stem = entry.name.slice(0, entry.name.lastIndexOf('.'));
    const positional = /^input_(\d+)$/.exec(stem);
    const file = entry.path;
    if (!positional && !names.has(stem) && !isPb) continue;
    let bytes: Uint8Array;
    try {
      bytes = await entry.read();
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
      `--inputs ${folder}: no tensor for input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`,
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
