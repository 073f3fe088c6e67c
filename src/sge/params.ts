/**
 * SGE parameter files, from bytes: JSON `{"groups": G, "params": {"<site>": {"weight": [...],
 * "bias": [...]}}}` or safetensors (F32 tensors `<site>.weight` / `<site>.bias` of shape [G] or
 * [1, G, 1, 1]). The format is told by content, not by the file name. Every value must be finite and
 * every weight and bias must have the same length G.
 */
import { InputError } from '../errors.js';

/** One site's parameters, exactly as the file holds them (float64 holds every F32 and JSON number). */
export interface SiteParams {
  readonly weight: Float64Array;
  readonly bias: Float64Array;
}

/** A parsed parameter file. */
export interface SgeParamsFile {
  readonly format: 'json' | 'safetensors';
  /** G: the length of every weight and bias (equal to the file's declared groups when it has one). */
  readonly groups: number;
  /** Whether G was declared (JSON `groups`, safetensors `__metadata__.groups`) or only implied by lengths. */
  readonly groupsDeclared: boolean;
  /** Parameters by site name, in file order. */
  readonly sites: ReadonlyMap<string, SiteParams>;
  /** The file's name as given to {@link parseSgeParams}, for messages. */
  readonly source?: string;
}

const FORMAT_HINT =
  'expected JSON {"groups": G, "params": {"<site>": {"weight": [G numbers], "bias": [G numbers]}}} ' +
  'or safetensors with F32 tensors "<site>.weight" and "<site>.bias" of shape [G] or [1, G, 1, 1]';
/** The safetensors reference implementation refuses headers above 100 MiB; so do we. */
const MAX_HEADER = 100 * 1024 * 1024;

/**
 * Parses an SGE parameter file. `source` names it in messages.
 * @throws InputError (with a hint) for anything malformed: not JSON or safetensors, a bad or
 * truncated header, a dtype other than F32, a wrong shape, a non-finite value, lengths that differ.
 */
export function parseSgeParams(bytes: Uint8Array, source = 'the parameter file'): SgeParamsFile {
  if (looksLikeSafetensors(bytes)) return parseSafetensors(bytes, source);
  // Text has no NUL in its first bytes; binary that is not well-formed safetensors gets told why not.
  if (bytes.subarray(0, 8).includes(0)) return parseSafetensors(bytes, source);
  return parseJson(bytes, source);
}

/** u64 header length, then a JSON object: byte 8 is '{' and the length fits the file. */
function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10 || bytes[8] !== 0x7b) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  // A text file cannot have NUL bytes in 1..7, so a JSON file never passes this.
  return n >= 2n && n <= BigInt(bytes.length - 8);
}

function decodeText(bytes: Uint8Array, source: string, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new InputError(`${source}: ${what} is not valid UTF-8 text`, FORMAT_HINT);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(bytes: Uint8Array, source: string): SgeParamsFile {
  const text = decodeText(bytes, source, 'the file');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const nonFinite = /(^|[^A-Za-z"])-?(NaN|Infinity)\b/.test(text);
    throw new InputError(
      `${source} is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
      nonFinite
        ? "it holds NaN or Infinity, which JSON does not allow (Python's json.dump writes them); every parameter must be finite"
        : FORMAT_HINT,
    );
  }
  if (!isObject(doc) || !isObject(doc.params)) {
    throw new InputError(`${source} has no "params" object`, FORMAT_HINT);
  }
  const declared = doc.groups === undefined ? undefined : checkGroups(doc.groups, source, '"groups"');
  const sites = new Map<string, SiteParams>();
  for (const [site, entry] of Object.entries(doc.params)) {
    if (!isObject(entry))
      throw new InputError(`${source}: params["${site}"] is not an object with "weight" and "bias"`, FORMAT_HINT);
    sites.set(site, {
      weight: jsonNumbers(entry.weight, source, site, 'weight'),
      bias: jsonNumbers(entry.bias, source, site, 'bias'),
    });
  }
  return finish('json', sites, declared, source);
}

/** A positive integer; safetensors metadata values are strings, so `fromString` accepts digits. */
function checkGroups(v: unknown, source: string, what: string, fromString = false): number {
  const n = fromString && typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw new InputError(`${source}: ${what} must be a positive integer, got ${JSON.stringify(v)}`, FORMAT_HINT);
  }
  return n;
}

function jsonNumbers(v: unknown, source: string, site: string, field: 'weight' | 'bias'): Float64Array {
  if (!Array.isArray(v)) {
    throw new InputError(
      `${source}: params["${site}"].${field} is ${v === undefined ? 'missing' : 'not an array'}`,
      FORMAT_HINT,
    );
  }
  const out = new Float64Array(v.length);
  v.forEach((x: unknown, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      // JSON.stringify would print Infinity (from 1e999) and NaN as null: show numbers as they are.
      const shown = typeof x === 'number' ? String(x) : JSON.stringify(x);
      throw new InputError(
        `${source}: params["${site}"].${field}[${i}] is ${shown}, not a finite number`,
        'every SGE parameter must be a finite number',
      );
    }
    out[i] = x;
  });
  checkFiniteInFloat32(out, source, `params["${site}"].${field}`);
  return out;
}

/** Parameters end up as float32 (or float16) initializers; a value that overflows float32 is not finite there. */
function checkFiniteInFloat32(values: Float64Array, source: string, what: string): void {
  const i = values.findIndex((x) => !Number.isFinite(Math.fround(x)));
  if (i >= 0) {
    throw new InputError(
      `${source}: ${what}[${i}] = ${values[i]} overflows float32`,
      'every SGE parameter must be a finite float32 value',
    );
  }
}

interface SafetensorsEntry {
  dtype: unknown;
  shape: unknown;
  data_offsets: unknown;
}

function parseSafetensors(bytes: Uint8Array, source: string): SgeParamsFile {
  const hint = `the safetensors file is damaged or not safetensors; ${FORMAT_HINT}`;
  if (bytes.length < 8) throw new InputError(`${source} is too short to be safetensors (${bytes.length} bytes)`, hint);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new InputError(
      `${source}: the safetensors header length (${headerLength} bytes) runs beyond the file (${bytes.length - 8} bytes after it)`,
      hint,
    );
  }
  if (headerLength > BigInt(MAX_HEADER))
    throw new InputError(`${source}: safetensors header of ${headerLength} bytes is implausibly large`, hint);
  const n = Number(headerLength);
  const data = bytes.subarray(8 + n);
  let header: unknown;
  try {
    header = JSON.parse(decodeText(bytes.subarray(8, 8 + n), source, 'the safetensors header'));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${source}: the safetensors header is not valid JSON`, hint);
  }
  if (!isObject(header)) throw new InputError(`${source}: the safetensors header is not a JSON object`, hint);

  let declared: number | undefined;
  const weights = new Map<string, Float64Array>();
  const biases = new Map<string, Float64Array>();
  const order: string[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (isObject(entry) && entry.groups !== undefined)
        declared = checkGroups(entry.groups, source, '__metadata__.groups', true);
      continue;
    }
    const m = /^(.*)\.(weight|bias)$/s.exec(name);
    if (!m?.[1]) {
      throw new InputError(`${source}: tensor "${name}" is not named <site>.weight or <site>.bias`, FORMAT_HINT);
    }
    const values = safetensorsValues(name, entry, data, source);
    const site = m[1];
    if (!weights.has(site) && !biases.has(site)) order.push(site);
    (m[2] === 'weight' ? weights : biases).set(site, values);
  }
  const sites = new Map<string, SiteParams>();
  for (const site of order) {
    const weight = weights.get(site);
    const bias = biases.get(site);
    if (!weight || !bias) {
      throw new InputError(
        `${source}: site "${site}" has a ${weight ? 'weight' : 'bias'} but no ${weight ? 'bias' : 'weight'}`,
        FORMAT_HINT,
      );
    }
    sites.set(site, { weight, bias });
  }
  return finish('safetensors', sites, declared, source);
}

function safetensorsValues(name: string, entry: unknown, data: Uint8Array, source: string): Float64Array {
  if (!isObject(entry)) throw new InputError(`${source}: header entry "${name}" is not an object`, FORMAT_HINT);
  const { dtype, shape, data_offsets: offsets } = entry as unknown as SafetensorsEntry;
  if (dtype !== 'F32') {
    throw new InputError(
      `${source}: tensor "${name}" has dtype ${JSON.stringify(dtype)}, not F32`,
      'save SGE parameters as float32 (e.g. tensor.float() before safetensors save_file)',
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InputError(`${source}: tensor "${name}" has no valid shape`, FORMAT_HINT);
  }
  const dims = shape as number[];
  const g =
    dims.length === 1 ? dims[0]! : dims.length === 4 && dims[0] === 1 && dims[2] === 1 && dims[3] === 1 ? dims[1]! : -1;
  if (g < 0)
    throw new InputError(
      `${source}: tensor "${name}" has shape [${dims.join(', ')}], not [G] or [1, G, 1, 1]`,
      FORMAT_HINT,
    );
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new InputError(`${source}: tensor "${name}" has no valid data_offsets`, FORMAT_HINT);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin || end > data.length) {
    throw new InputError(
      `${source}: tensor "${name}" data_offsets [${begin}, ${end}] fall outside the ${data.length} data bytes`,
      FORMAT_HINT,
    );
  }
  if (end - begin !== g * 4) {
    throw new InputError(
      `${source}: tensor "${name}" has ${end - begin} data bytes for ${g} F32 values (${g * 4} expected)`,
      FORMAT_HINT,
    );
  }
  const view = new DataView(data.buffer, data.byteOffset + begin, end - begin);
  const out = new Float64Array(g);
  for (let i = 0; i < g; i++) {
    const v = view.getFloat32(i * 4, true);
    if (!Number.isFinite(v)) {
      throw new InputError(`${source}: tensor "${name}"[${i}] is ${v}`, 'every SGE parameter must be a finite number');
    }
    out[i] = v;
  }
  return out;
}

/** Checks that every length agrees (with each other and with the declared groups) and returns the file. */
function finish(
  format: SgeParamsFile['format'],
  sites: Map<string, SiteParams>,
  declared: number | undefined,
  source: string,
): SgeParamsFile {
  if (sites.size === 0) throw new InputError(`${source} holds no site parameters`, FORMAT_HINT);
  let g = declared;
  let from = declared !== undefined ? 'the declared groups' : '';
  for (const [site, p] of sites) {
    for (const [field, values] of [
      ['weight', p.weight],
      ['bias', p.bias],
    ] as const) {
      if (values.length === 0) throw new InputError(`${source}: site "${site}" has an empty ${field}`, FORMAT_HINT);
      if (g === undefined) {
        g = values.length;
        from = `site "${site}" ${field}`;
      } else if (values.length !== g) {
        throw new InputError(
          `${source}: site "${site}" ${field} has ${values.length} values but ${from} says G = ${g}`,
          'every weight and bias must hold exactly G values (one per group)',
        );
      }
    }
  }
  return { format, groups: g!, groupsDeclared: declared !== undefined, sites, source };
}
