/**
 * Tensors from a set of files, as ONNX test data sets store them: `input_0.pb`, `input_1.pb`, …
 * and `output_0.pb`, … (serialized TensorProto) and/or NumPy `.npy` files. A tensor is matched to a
 * graph input (or, for expected outputs, a graph output) by its TensorProto name (`.pb`) or file stem
 * (`.npy`) when that names one; otherwise `input_<i>.*` (`output_<i>.*`) is the i-th. Other files
 * (the other role's, README…) are ignored, and never read unless a `.pb` must be opened to learn its
 * tensor's name. The files come from the shell (Node: a folder, see node/inputs-dir.ts).
 */
import { onnxRoot } from '../codec/schema.js';
import type { TensorProto } from '../codec/types.js';
import { InputError } from '../errors.js';
import type { LoadedInput } from './feeds.js';
import { formatDims, type HostTensor } from './host-tensor.js';
import { formatDeclared, type InputSpec } from './inputs.js';
import { readNpy } from './npy.js';
import { readTensor } from './tensor-data.js';
import { dataTypeName } from '../tensor/type-name.js';

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

/** Which tensors of a test data set to load. */
export interface TensorFileRole {
  /** `input` or `output`: the positional file prefix (`input_0.pb`) and the word in messages. */
  readonly role: 'input' | 'output';
  /** Names the set in messages: `--inputs DIR`, `test data DIR`. */
  readonly label: string;
}

/**
 * One tensor per graph input from `files` (in name order), checked against the input's element type
 * and static dims. `folder` names the set in messages (`--inputs <folder>: …`).
 * @throws InputError for an unreadable or unparsable file, a missing or doubly given input, or a tensor
 * whose type or shape does not fit.
 */
export function loadInputFiles(
  files: readonly InputFile[],
  specs: readonly InputSpec[],
  folder: string,
): Promise<Record<string, LoadedInput>> {
  return loadTensorFiles(files, specs, { role: 'input', label: `--inputs ${folder}` });
}

/**
 * One tensor per spec (graph inputs, or graph outputs for expected values) from `files`, in name
 * order, checked against the spec's element type and static dims.
 * @throws InputError for an unreadable or unparsable file, a missing or doubly given tensor, or a tensor
 * whose type or shape does not fit.
 */
export async function loadTensorFiles(
  files: readonly InputFile[],
  specs: readonly InputSpec[],
  { role, label }: TensorFileRole,
): Promise<Record<string, LoadedInput>> {
  const names = new Set(specs.map((s) => s.name));
  const prefix = new RegExp(`^${role}_(\\d+)$`);
  const out: Record<string, LoadedInput> = {};
  const assign = (name: string, tensor: HostTensor, file: string) => {
    if (out[name]) throw new InputError(`${label}: ${role} '${name}' is given twice (${out[name].file} and ${file})`);
    out[name] = { tensor, file };
  };
  for (const entry of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const isPb = entry.name.endsWith('.pb'),
      isNpy = entry.name.endsWith('.npy');
    if (!isPb && !isNpy) continue;
    const stem = entry.name.slice(0, entry.name.lastIndexOf('.'));
    const positional = prefix.exec(stem);
    const file = entry.path;
    // The other role's positional files are never ours, whatever tensor name they carry.
    if (!positional && /^(input|output)_\d+$/.test(stem)) continue;
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
      if (!positional && !names.has(tensorName) && !names.has(stem)) continue;
      tensor = readTensor(proto, file);
    } else {
      tensor = readNpy(bytes, file);
    }
    const byName = names.has(tensorName) ? tensorName : names.has(stem) ? stem : undefined;
    if (byName) assign(byName, tensor, file);
    else {
      const i = Number(positional![1]);
      if (i >= specs.length) throw new InputError(`${file}: the model has only ${specs.length} ${role}s`);
      assign(specs[i]!.name, tensor, file);
    }
  }
  const missing = specs.filter((s) => !out[s.name]).map((s) => s.name);
  if (missing.length) {
    throw new InputError(
      `${label}: no tensor for ${role}${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`,
      `name the files ${role}_0.pb, ${role}_1.pb … in graph ${role} order, or after the ${role}s`,
    );
  }
  for (const s of specs) {
    const { tensor, file } = out[s.name]!;
    if (tensor.type !== s.type)
      throw new InputError(
        `${file}: ${role} '${s.name}' is ${s.type ?? dataTypeName(s.dataType)}, the file holds ${tensor.type}`,
      );
    const fits =
      !s.dims ||
      (s.dims.length === tensor.dims.length && s.dims.every((d, i) => typeof d !== 'number' || d === tensor.dims[i]));
    if (!fits)
      throw new InputError(
        `${file}: ${role} '${s.name}' has shape ${formatDeclared(s.dims)}, the file holds ${formatDims(tensor.dims)}`,
      );
  }
  return out;
}
