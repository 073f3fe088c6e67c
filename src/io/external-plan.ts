/**
 * Decides, for one save, what happens to external data: which referenced data files must be copied
 * beside the output (so every reference stays valid from the new folder), which locations must be
 * renumbered (a different file already has the name there), and which tensors go into a new data file.
 * A location that is absolute or climbs out with `..` is refused (checkExternalRefs), never followed.
 * The plan is a list of tensor swaps applied only while encoding: the caller's model is not changed.
 */
import { basename, extname, resolve } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { DataLocation, type TensorProto } from '../codec/types.js';
import { copyMessage } from '../codec/copy.js';
import type { TensorSlot } from '../external/tensors.js';
import {
  externalRef,
  isExternal,
  refEntries,
  replaceLocation,
  safeLocation,
  type ExternalRef,
} from '../external/location.js';
import { checkExternalRefs, type CheckedDataFile } from './external-check.js';
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

/** An external reference of the model and where its data file ends up relative to the output. */
interface RefInfo {
  readonly slot: TensorSlot;
  readonly ref: ExternalRef;
  /** Absolute path of the data file it reads now. */
  readonly src: string;
  /** Location written in the output (before settling, see {@link settleCopies}). */
  outLoc: string;
  /** Absolute path that location names from the output folder. */
  dest: string;
}

/** What a path in the output folder is already spoken for by. */
type Claim =
  /** The output model itself: a data file named like it is copied elsewhere. */
  | { readonly kind: 'model' }
  /** The new data file this save writes. */
  | { readonly kind: 'new data file' }
  /** An existing data file (absolute path) whose copy or original lives there. */
  | { readonly kind: 'data'; readonly src: string };

/** Output path → what holds it. */
type Claims = Map<string, Claim>;

const isHeldBy = (claim: Claim | undefined, src: string): boolean => claim?.kind === 'data' && claim.src === src;

/** `name` itself for n = 0, else `stem.N.ext` (`w.bin` → `w.1.bin`, `m.onnx.data` → `m.onnx.1.data`). */
function numbered(name: string, n: number): string {
  if (n === 0) return name;
  const ext = extname(name);
  return `${name.slice(0, name.length - ext.length)}.${n}${ext}`;
}

/**
 * Works out the plan: where each referenced data file goes, that every one exists and holds its
 * tensors' bytes, the new data file's layout, and which files must be copied. Reads file metadata
 * (and compares contents where a copy may already exist); writes nothing.
 */
export async function planExternalData(ctx: PlanContext): Promise<ExternalPlan> {
  const checked = await checkExternalRefs(ctx.slots, ctx.baseDir, ctx.source);
  const claimed: Claims = new Map([[ctx.target, { kind: 'model' }]]);
  const refs = assignLocations(ctx, claimed);
  const files = checkDataFiles(refs, checked, ctx);
  const layout = ctx.external ? layoutDataFile(ctx, ctx.external, refs, files) : undefined;
  if (layout) claimed.set(layout.dataFile.path, { kind: 'new data file' });
  const settled = await settleCopies(ctx, refs, layout?.merged ?? new Set(), files, claimed);
  return {
    swaps: [...(layout?.swaps ?? []), ...settled.swaps],
    copies: settled.copies,
    dataFile: layout?.dataFile,
    notes: [...(layout?.notes ?? []), ...settled.notes],
  };
}

/**
 * Every external reference with the location it gets in the output: the location as written
 * (lossless), which checkExternalRefs has found safe.
 */
function assignLocations(ctx: PlanContext, claimed: Claims): RefInfo[] {
  const refs: RefInfo[] = [];
  for (const slot of ctx.slots) {
    if (!isExternal(slot.tensor)) continue;
    const ref = externalRef(slot.tensor, slot.where, ctx.source);
    const safe = safeLocation(ref.location)!;
    const src = resolve(ctx.baseDir, safe);
    const info: RefInfo = { slot, ref, src, outLoc: ref.location, dest: resolve(ctx.outDir, safe) };
    if (!claimed.has(info.dest)) claimed.set(info.dest, { kind: 'data', src });
    refs.push(info);
  }
  return refs;
}

/**
 * The identity and size of every referenced data file (checkExternalRefs has found each a regular file
 * holding its tensors' bytes), after checking none is the file the model is to be saved as.
 */
function checkDataFiles(
  refs: readonly RefInfo[],
  checked: ReadonlyMap<string, CheckedDataFile>,
  ctx: PlanContext,
): Map<string, FileId> {
  const { source, target } = ctx;
  const ids = new Map<string, FileId>();
  for (const [path, { stats }] of checked) ids.set(path, { dev: stats.dev, ino: stats.ino, size: stats.size });
  for (const info of refs) {
    if (info.src === target) {
      throw new InputError(
        `${source}: ${info.slot.where} keeps its data in ${target}, the file the model is to be saved as`,
        'choose another output file name: saving there would destroy those weights for the model that uses them',
      );
    }
  }
  return ids;
}

/** The new data file and the tensor copies that point into it. */
interface DataFileLayout {
  readonly dataFile: DataFilePlan;
  readonly swaps: ExternalPlan['swaps'];
  /** References to the file being replaced, whose bytes are carried over into the new one. */
  readonly merged: ReadonlySet<RefInfo>;
  readonly notes: string[];
}

/**
 * Lays out the new data file: initializers with at least `threshold` bytes of `raw_data`, and the
 * tensors that already lived in a file of that name (carried over), in model order, large ones
 * aligned.
 */
function layoutDataFile(
  ctx: PlanContext,
  options: ExternalDataOptions,
  refs: readonly RefInfo[],
  files: ReadonlyMap<string, FileId>,
): DataFileLayout {
  const location = options.location ?? `${basename(ctx.target)}.data`;
  const safe = safeLocation(location);
  if (!safe) {
    throw new UsageError(
      `external data location '${location}' is absolute or leaves the output folder`,
      'give a file name (or a path inside the output folder)',
    );
  }
  const path = resolve(ctx.outDir, safe);
  if (path === ctx.target)
    throw new UsageError(`external data location '${location}' is the model file itself`, 'give another name');
  const threshold = options.threshold ?? EXTERNAL_DEFAULTS.threshold;
  const align = Math.max(1, Math.floor(options.align ?? EXTERNAL_DEFAULTS.align));
  const pieces: DataPiece[] = [];
  const swaps: ExternalPlan['swaps'] = [];
  const merged = new Set<RefInfo>();
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
  for (const slot of ctx.slots) {
    const info = byRef.get(slot);
    if (info) {
      // A reference to the file being replaced: its bytes are carried over into the new file.
      if (info.dest !== path) continue;
      const length = info.ref.length ?? files.get(info.src)!.size - info.ref.offset;
      const offset = place(length);
      pieces.push({ kind: 'range', file: info.src, offset: info.ref.offset, length });
      const t = copyMessage(slot.tensor);
      t.external_data = refEntries({ location, offset, length }, slot.tensor.external_data);
      swaps.push({ slot, replacement: t });
      merged.add(info);
      continue;
    }
    const raw = slot.tensor.raw_data;
    if (!slot.initializer || isExternal(slot.tensor) || !raw || !Object.hasOwn(slot.tensor, 'raw_data')) continue;
    if (raw.length < threshold) continue;
    const offset = place(raw.length);
    pieces.push({ kind: 'bytes', data: raw });
    const t = copyMessage(slot.tensor);
    delete t.raw_data;
    t.data_location = DataLocation.EXTERNAL;
    t.external_data = refEntries({ location, offset, length: raw.length }, slot.tensor.external_data);
    swaps.push({ slot, replacement: t });
  }
  const notes: string[] = [];
  if (merged.size > 0) {
    notes.push(
      `${merged.size} tensor(s) already stored in '${location}' were carried over into the rewritten '${location}'`,
    );
  }
  return { dataFile: { path, location, pieces, byteLength: pos, tensors }, swaps, merged, notes };
}

/** The copies to make and the references to rewrite so every data file is found from the output. */
interface SettledCopies {
  readonly swaps: ExternalPlan['swaps'];
  readonly copies: CopyPlan[];
  readonly notes: string[];
}

/**
 * References that stay references: each data file must be found from the output's folder at the
 * location written. It is copied there when needed, but never over a different file of that name
 * (the copy then takes a numbered name); the file itself, or an identical copy from an earlier save,
 * is reused.
 */
async function settleCopies(
  ctx: PlanContext,
  refs: readonly RefInfo[],
  merged: ReadonlySet<RefInfo>,
  files: ReadonlyMap<string, FileId>,
  claimed: Claims,
): Promise<SettledCopies> {
  const { outDir, target } = ctx;
  const copies = new Map<string, CopyPlan>();
  const settle = async (info: RefInfo): Promise<string> => {
    const srcId = files.get(info.src)!;
    for (let n = 0; ; n++) {
      const loc = numbered(info.outLoc, n);
      const dest = n === 0 ? info.dest : resolve(outDir, loc);
      const claim = claimed.get(dest);
      if (n > 0 && claim !== undefined && !isHeldBy(claim, info.src)) continue;
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
        claimed.set(dest, { kind: 'data', src: info.src });
        return loc;
      }
      if (
        here !== 'other' &&
        (sameFile(here, srcId) || (here.size === srcId.size && (await sameContent(info.src, dest, here.size))))
      ) {
        claimed.set(dest, { kind: 'data', src: info.src });
        return loc; // the same file, or an identical copy from an earlier save: reuse it
      }
    }
  };
  const swaps: ExternalPlan['swaps'] = [];
  const notes: string[] = [];
  const settled = new Map<string, string>(); // src + dest → location written
  for (const info of refs) {
    if (merged.has(info)) continue;
    const key = `${info.src}\0${info.dest}`;
    let loc = settled.get(key);
    if (loc === undefined) {
      loc = await settle(info);
      settled.set(key, loc);
    }
    if (loc === info.ref.location) continue;
    const t = copyMessage(info.slot.tensor);
    t.external_data = replaceLocation(info.slot.tensor.external_data ?? [], loc);
    swaps.push({ slot: info.slot, replacement: t });
    const note = `external data '${info.ref.location}' is written as '${loc}': ${info.dest} is a different file, left as it is`;
    if (!notes.includes(note)) notes.push(note);
  }
  for (const c of copies.values()) notes.push(`copied external data ${c.from} to ${c.to}`);
  return { swaps, copies: [...copies.values()], notes };
}
