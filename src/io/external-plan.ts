/**
 * Decides, for one save, what happens to external data: which referenced data files must be copied
 * beside the output (so every reference stays valid from the new folder), which locations must be
 * rewritten (never absolute, never through `..`), and which tensors go into a new data file.
 * The plan is a list of tensor swaps applied only while encoding: the caller's model is not changed.
 */
import { basename, extname, resolve } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { DataLocation, type TensorProto } from '../codec/types.js';
import { shallowCopyTensor, type TensorSlot } from '../external/tensors.js';
import {
  externalRef,
  isExternal,
  refEntries,
  replaceLocation,
  safeLocation,
  type ExternalRef,
} from '../external/location.js';
import { checkRange } from '../external/reader.js';
import { occupant, sameContent, sameFile, type FileId } from './occupant.js';

/** How tensors are written to a new external data file. */
export interface ExternalDataOptions {
  /** The data file, relative to the output folder. Default: the output file name plus `.data`. */
  readonly location?: string;
  /** Initializers whose `raw_data` has at least this many bytes move to the data file. Default 1024. */
  readonly threshold?: number;
  /**
   * Tensors of 1 MiB or more start at a multiple of this many bytes, so readers can map them from
   * the file. Default 4096; 0 or 1 packs them without padding.
   */
  readonly align?: number;
}

/** Defaults of {@link ExternalDataOptions}. */
export const EXTERNAL_DEFAULTS = { threshold: 1024, align: 4096, alignFrom: 1 << 20 } as const;

/** A piece of a new data file: bytes in memory, a range of an existing file, or padding. */
export type DataPiece =
  | { readonly kind: 'bytes'; readonly data: Uint8Array }
  | { readonly kind: 'range'; readonly file: string; readonly offset: number; readonly length: number }
  | { readonly kind: 'zeros'; readonly length: number };

/** A new external data file to write. */
export interface DataFilePlan {
  readonly path: string;
  readonly location: string;
  readonly pieces: DataPiece[];
  readonly byteLength: number;
  readonly tensors: number;
}

/** An existing data file to copy beside the output (`to` is free: nothing is ever replaced). */
export interface CopyPlan {
  readonly from: string;
  readonly to: string;
}

/** Everything saveModel does about external data. */
export interface ExternalPlan {
  readonly swaps: Array<{ slot: TensorSlot; replacement: TensorProto }>;
  readonly copies: CopyPlan[];
  readonly dataFile?: DataFilePlan;
  readonly notes: string[];
}

/** Inputs of {@link planExternalData}. */
export interface PlanContext {
  readonly slots: readonly TensorSlot[];
  /** Folder the model's current locations are relative to. */
  readonly baseDir: string;
  /** Folder of the output model. */
  readonly outDir: string;
  /** Absolute path of the output model. */
  readonly target: string;
  /** Describes the model in messages (its file, or "the model"). */
  readonly source: string;
  /** Set to write a new data file. */
  readonly external?: ExternalDataOptions;
}

interface RefInfo {
  readonly slot: TensorSlot;
  readonly ref: ExternalRef;
  readonly src: string;
  /** Location written in the output. */
  outLoc: string;
  dest: string;
}

/** `name` itself for n = 0, else `stem.N.ext` (`w.bin` → `w.1.bin`, `m.onnx.data` → `m.onnx.1.data`). */
function numbered(name: string, n: number): string {
  if (n === 0) return name;
  const ext = extname(name);
  return `${name.slice(0, name.length - ext.length)}.${n}${ext}`;
}

/** Picks `name`, or `stem.N.ext`, whichever is not yet claimed in the output folder by another file. */
function freeName(name: string, outDir: string, claimed: Map<string, string>, src: string): string {
  for (let n = 0; ; n++) {
    const candidate = numbered(name, n);
    const owner = claimed.get(resolve(outDir, candidate));
    if (owner === undefined || owner === src) return candidate;
  }
}

/** Works out the plan; checks every referenced data file exists. */
export async function planExternalData(ctx: PlanContext): Promise<ExternalPlan> {
  const { slots, baseDir, outDir, target, source } = ctx;
  const notes: string[] = [];
  const refs: RefInfo[] = [];
  const claimed = new Map<string, string>(); // output path → source file it holds
  claimed.set(target, '\0the model'); // a data file named like the output model is copied elsewhere

  for (const slot of slots) {
    if (!isExternal(slot.tensor)) continue;
    const ref = externalRef(slot.tensor, slot.where, source);
    const src = resolve(baseDir, ref.location);
    const safe = safeLocation(ref.location);
    // A writable location is kept exactly as written (lossless); only unsafe ones are rewritten.
    const info: RefInfo = { slot, ref, src, outLoc: safe ? ref.location : '', dest: safe ? resolve(outDir, safe) : '' };
    if (safe && !claimed.has(info.dest)) claimed.set(info.dest, src);
    refs.push(info);
  }
  // Unsafe locations (absolute, `..`) become a file name beside the output, away from the others.
  for (const info of refs) {
    if (info.outLoc) continue;
    info.outLoc = freeName(basename(info.src), outDir, claimed, info.src);
    info.dest = resolve(outDir, info.outLoc);
    claimed.set(info.dest, info.src);
  }

  const sizes = new Map<string, number>();
  const ids = new Map<string, FileId>();
  for (const info of refs) {
    if (sizes.has(info.src)) continue;
    const id = await occupant(info.src);
    if (typeof id !== 'object') {
      throw new InputError(
        `${source}: ${info.slot.where} keeps its data in '${info.ref.location}', but ${info.src} is missing`,
        'keep external data files beside the model at the locations it names (or pass baseDir: the folder they are relative to)',
      );
    }
    sizes.set(info.src, id.size);
    ids.set(info.src, id);
  }
  for (const info of refs) checkRange(info.ref, sizes.get(info.src)!, info.slot.where, source);

  for (const info of refs) {
    if (info.src === target) {
      throw new InputError(
        `${source}: ${info.slot.where} keeps its data in ${target}, the file the model is to be saved as`,
        'choose another output file name: saving there would destroy those weights for the model that uses them',
      );
    }
  }

  // A new data file, if asked for.
  let dataFile: DataFilePlan | undefined;
  const swaps: ExternalPlan['swaps'] = [];
  const merged = new Set<RefInfo>();
  if (ctx.external) {
    const opts = ctx.external;
    const location = opts.location ?? `${basename(target)}.data`;
    const normal = safeLocation(location);
    if (!normal) {
      throw new UsageError(
        `external data location '${location}' is absolute or leaves the output folder`,
        'give a file name (or a path inside the output folder)',
      );
    }
    const safe = location;
    const path = resolve(outDir, normal);
    if (path === target)
      throw new UsageError(`external data location '${location}' is the model file itself`, 'give another name');
    const threshold = opts.threshold ?? EXTERNAL_DEFAULTS.threshold;
    const align = Math.max(1, Math.floor(opts.align ?? EXTERNAL_DEFAULTS.align));
    const pieces: DataPiece[] = [];
    let pos = 0;
    let tensors = 0;
    const place = (length: number): number => {
      if (align > 1 && length >= EXTERNAL_DEFAULTS.alignFrom && pos % align !== 0) {
        const pad = align - (pos % align);
        pieces.push({ kind: 'zeros', length: pad });
        pos += pad;
      }
      const offset = pos;
      pos += length;
      tensors++;
      return offset;
    };
    const byRef = new Map(refs.map((r) => [r.slot, r]));
    for (const slot of slots) {
      const info = byRef.get(slot);
      if (info) {
        // A reference to the file being replaced: its bytes are carried over into the new file.
        if (info.dest !== path) continue;
        const length = info.ref.length ?? sizes.get(info.src)! - info.ref.offset;
        const offset = place(length);
        pieces.push({ kind: 'range', file: info.src, offset: info.ref.offset, length });
        const t = shallowCopyTensor(slot.tensor);
        t.external_data = refEntries({ location: safe, offset, length }, slot.tensor.external_data);
        swaps.push({ slot, replacement: t });
        merged.add(info);
        continue;
      }
      const raw = slot.tensor.raw_data;
      if (!slot.initializer || isExternal(slot.tensor) || !raw || !Object.hasOwn(slot.tensor, 'raw_data')) continue;
      if (raw.length < threshold) continue;
      const offset = place(raw.length);
      pieces.push({ kind: 'bytes', data: raw });
      const t = shallowCopyTensor(slot.tensor);
      delete t.raw_data;
      t.data_location = DataLocation.EXTERNAL;
      t.external_data = refEntries({ location: safe, offset, length: raw.length }, slot.tensor.external_data);
      swaps.push({ slot, replacement: t });
    }
    dataFile = { path, location: safe, pieces, byteLength: pos, tensors };
    if (merged.size > 0) {
      notes.push(`${merged.size} tensor(s) already stored in '${safe}' were carried over into the rewritten '${safe}'`);
    }
  }

  // References that stay references: each data file must be found from the output's folder at the
  // location written. Copy it there when needed, but never over a different file of that name.
  const copies = new Map<string, CopyPlan>();
  const settled = new Map<string, string>(); // src + dest → location written
  if (dataFile) claimed.set(dataFile.path, '\0new data file');
  const settle = async (info: RefInfo): Promise<string> => {
    const srcId = ids.get(info.src)!;
    for (let n = 0; ; n++) {
      const loc = numbered(info.outLoc, n);
      const dest = n === 0 ? info.dest : resolve(outDir, loc);
      const owner = claimed.get(dest);
      if (n > 0 && owner !== undefined && owner !== info.src) continue;
      if (dest === target) continue;
      if (dest === info.src) return loc;
      const planned = copies.get(dest);
      if (planned) {
        if (planned.from === info.src) return loc;
        continue;
      }
      const here = await occupant(dest);
      if (here === 'none') {
        copies.set(dest, { from: info.src, to: dest });
        claimed.set(dest, info.src);
        return loc;
      }
      if (
        here !== 'other' &&
        (sameFile(here, srcId) || (here.size === srcId.size && (await sameContent(info.src, dest, here.size))))
      ) {
        claimed.set(dest, info.src);
        return loc; // the same file, or an identical copy from an earlier save: reuse it
      }
    }
  };
  for (const info of refs) {
    if (merged.has(info)) continue;
    const key = `${info.src}\0${info.dest}`;
    let loc = settled.get(key);
    if (loc === undefined) {
      loc = await settle(info);
      settled.set(key, loc);
    }
    if (loc === info.ref.location) continue;
    const t = shallowCopyTensor(info.slot.tensor);
    t.external_data = replaceLocation(info.slot.tensor.external_data ?? [], loc);
    swaps.push({ slot: info.slot, replacement: t });
    const note =
      loc === info.outLoc
        ? `external data location '${info.ref.location}' (absolute or outside the model's folder) is written as '${loc}', beside the output`
        : `external data '${info.ref.location}' is written as '${loc}': ${info.dest} is a different file, left as it is`;
    if (!notes.includes(note)) notes.push(note);
  }
  for (const c of copies.values()) notes.push(`copied external data ${c.from} to ${c.to}`);
  return { swaps, copies: [...copies.values()], dataFile, notes };
}
