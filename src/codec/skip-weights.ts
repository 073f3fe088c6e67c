/**
 * A model's bytes without its large weights, read by positioned reads: the `raw_data` of the main graph's
 * big initializers is skipped and the length prefixes around it are re-encoded. Skipped bytes are not read
 * but for what the reads of the headers before them take ahead (ResNet-50: 36 KB of 102 MB). A caller that
 * leaves those weights in the file (validation) then reads and decodes the graph alone. Only the field
 * headers on the way to the weights are parsed; everything else is copied as it is. Anything unusual gives
 * null, and the caller reads the whole file, whose decoding then says what is wrong.
 */
import protobuf from 'protobufjs/light.js';
import { concatChunks } from './encode.js';

/**
 * Reads `length` bytes of the file at `offset`: fewer only where the file ends. The bytes returned must
 * not be reused for later reads (the result keeps views of them until it is assembled).
 */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/** A `raw_data` left out: of the main graph's initializer `initializer`, `length` bytes at `offset` in the file. */
export interface SkippedBytes {
  readonly initializer: number;
  readonly offset: number;
  readonly length: number;
}

/** What {@link readWithoutWeights} gives: the model's bytes without the skipped fields. */
export interface ModelWithoutWeights {
  readonly bytes: Uint8Array;
  readonly skipped: readonly SkippedBytes[];
}

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const LENGTH_DELIMITED = 2;

/** A tag (5 bytes) and a varint (10) at most: a field header is parsed once this much is in the window. */
const HEADER_BYTES = 16;
/** Reads after a skip are this small (the next weights are usually a few header bytes away) ... */
const FIRST_READ = 512;
/** ... and double while none is skipped, up to this, so that many small fields cost few reads. */
const LARGEST_READ = 1 << 20;

/**
 * The model in the file read by `read` (`size` bytes) without the `raw_data` of main-graph initializers
 * that are at least `minBytes` long, and where each of those is in the file.
 * @returns null when the bytes are anything but an ordinary model: not well-formed protobuf as far as
 *   they are parsed, the graph given twice, a large initializer with two `raw_data` fields or with
 *   `external_data` / `data_location` beside it. The whole file is the way to read such a model.
 */
export async function readWithoutWeights(
  read: ReadAt,
  size: number,
  minBytes: number,
): Promise<ModelWithoutWeights | null> {
  const walk = new Walk(read, size, minBytes);
  try {
    await walk.model();
  } catch (err) {
    if (err instanceof Unusual) return null;
    throw err; // the reader's own error (I/O)
  }
  return { bytes: walk.assemble(), skipped: walk.skipped };
}

/** Thrown inside the walk to give up (the caller reads the whole file). */
class Unusual extends Error {}

/** One field: its tag at `start`, its value at [`body`, `end`). */
interface Field {
  readonly number: number;
  readonly wire: number;
  readonly start: number;
  readonly body: number;
  readonly end: number;
}

/** A length prefix to write once the length of what follows it is known. */
interface Mark {
  readonly index: number;
  readonly total: number;
}

const EMPTY: Uint8Array = new Uint8Array(0);

class Walk {
  readonly skipped: SkippedBytes[] = [];
  /** The output: copied ranges of the file (views of the reads) and re-encoded headers. */
  private readonly out: Uint8Array[] = [];
  private total = 0;
  /** The last copied range, still growing while the fields copied next follow it in the same read. */
  private run = { bytes: EMPTY, start: 0, end: 0 };
  private window = EMPTY;
  private windowStart = 0;
  private reader = protobuf.Reader.create(EMPTY);
  private nextRead = FIRST_READ;

  constructor(
    private readonly read: ReadAt,
    private readonly size: number,
    private readonly minBytes: number,
  ) {}

  async model(): Promise<void> {
    let graphs = 0;
    for (let pos = 0; pos < this.size; ) {
      const f = this.field(pos, this.size) ?? (await this.fieldAfterRead(pos, this.size));
      if (f.number === MODEL_GRAPH) {
        if (++graphs > 1 || f.wire !== LENGTH_DELIMITED) throw new Unusual();
        await this.graph(f);
      } else if (!this.copied(f.start, f.end)) await this.copy(f.start, f.end);
      pos = f.end;
    }
  }

  private async graph(g: Field): Promise<void> {
    const mark = this.mark();
    let index = 0;
    for (let pos = g.body; pos < g.end; ) {
      // Most fields of a graph are nodes: parsed and copied without awaiting while they are in the window.
      const f = this.field(pos, g.end) ?? (await this.fieldAfterRead(pos, g.end));
      if (f.number === GRAPH_INITIALIZER) {
        if (f.wire !== LENGTH_DELIMITED) throw new Unusual();
        await this.initializer(f, index++);
      } else if (!this.copied(f.start, f.end)) await this.copy(f.start, f.end);
      pos = f.end;
    }
    this.close(mark, MODEL_GRAPH);
  }

  private async initializer(t: Field, index: number): Promise<void> {
    // Too short to hold a large raw_data: copied whole, its fields unparsed.
    if (t.end - t.body < this.minBytes) {
      if (!this.copied(t.start, t.end)) await this.copy(t.start, t.end);
      return;
    }
    const mark = this.mark();
    let raw: Field | undefined;
    let raws = 0;
    let located = false;
    for (let pos = t.body; pos < t.end; ) {
      const f = this.field(pos, t.end) ?? (await this.fieldAfterRead(pos, t.end));
      pos = f.end;
      if (f.number === TENSOR_RAW_DATA) {
        if (f.wire !== LENGTH_DELIMITED) throw new Unusual();
        raws++;
        if (f.end - f.body >= this.minBytes) {
          raw = f;
          this.nextRead = FIRST_READ;
          continue;
        }
      }
      if (f.number === TENSOR_EXTERNAL_DATA || f.number === TENSOR_DATA_LOCATION) located = true;
      await this.copy(f.start, f.end);
    }
    // Which raw_data counts, or whether the tensor is stored elsewhere, is the decoder's to say.
    if (raw && (raws > 1 || located)) throw new Unusual();
    if (raw) this.skipped.push({ initializer: index, offset: raw.body, length: raw.end - raw.body });
    this.close(mark, GRAPH_INITIALIZER);
  }

  /**
   * The header of the field at `pos`, which must end by `end` (its message's end); undefined when the
   * window does not hold it yet.
   */
  private field(pos: number, end: number): Field | undefined {
    const want = Math.min(HEADER_BYTES, end - pos);
    if (pos < this.windowStart || pos + want > this.windowStart + this.window.length) return undefined;
    const r = this.reader;
    r.pos = pos - this.windowStart;
    r.len = Math.min(this.window.length, end - this.windowStart); // a varint may not run past its message
    let tag: number;
    let body: number;
    try {
      tag = r.tag();
      body = r.pos;
      if (tag >>> 3 === 0) throw new Unusual();
      const wire = tag & 7;
      if (wire === 0) r.skip();
      else if (wire === 1 || wire === 5) r.pos += wire === 1 ? 8 : 4;
      else if (wire === LENGTH_DELIMITED) {
        const length = r.uint32();
        body = r.pos;
        r.pos += length;
      } else throw new Unusual(); // groups (deprecated, unused by ONNX) or no wire type at all
    } catch {
      throw new Unusual();
    }
    const f = {
      number: tag >>> 3,
      wire: tag & 7,
      start: pos,
      body: this.windowStart + body,
      end: this.windowStart + r.pos,
    };
    if (f.end > end) throw new Unusual();
    return f;
  }

  private async fieldAfterRead(pos: number, end: number): Promise<Field> {
    await this.fill(pos, Math.min(HEADER_BYTES, end - pos));
    return this.field(pos, end)!;
  }

  /** Appends the file's bytes [a, b) to the output when the window holds them; false when it does not. */
  private copied(a: number, b: number): boolean {
    if (a < this.windowStart || b > this.windowStart + this.window.length) return false;
    this.push(this.window, a - this.windowStart, b - this.windowStart);
    return true;
  }

  /** Appends the file's bytes [a, b) to the output. */
  private async copy(a: number, b: number): Promise<void> {
    while (a < b) {
      const windowEnd = this.windowStart + this.window.length;
      if (a < this.windowStart || a >= windowEnd) {
        await this.fill(a, b - a);
        continue;
      }
      const n = Math.min(b, windowEnd) - a;
      this.push(this.window, a - this.windowStart, a - this.windowStart + n);
      a += n;
    }
  }

  /** Reads at least `want` bytes at `pos` into a new window (more ahead of them, up to the file's end). */
  private async fill(pos: number, want: number): Promise<void> {
    const length = Math.min(this.size - pos, Math.max(want, this.nextRead));
    this.nextRead = Math.min(this.nextRead * 2, LARGEST_READ);
    const bytes = await this.read(pos, length);
    if (bytes.length < want) throw new Unusual(); // the file is shorter than it was
    this.window = bytes;
    this.windowStart = pos;
    this.reader = protobuf.Reader.create(bytes);
  }

  /** Appends bytes[start, end) to the output: to the last range when they continue it. */
  private push(bytes: Uint8Array, start: number, end: number): void {
    const run = this.run;
    if (bytes === run.bytes && start === run.end) run.end = end;
    else {
      this.flush();
      this.run = { bytes, start, end };
    }
    this.total += end - start;
  }

  private flush(): void {
    const { bytes, start, end } = this.run;
    if (end > start) this.out.push(bytes.subarray(start, end));
    this.run = { bytes: EMPTY, start: 0, end: 0 };
  }

  private mark(): Mark {
    this.flush();
    this.out.push(EMPTY);
    return { index: this.out.length - 1, total: this.total };
  }

  /** Writes the header of field `number` (length-delimited) at `mark`, for what was output since. */
  private close(mark: Mark, number: number): void {
    this.flush();
    const header = protobuf.Writer.create()
      .uint32((number << 3) | LENGTH_DELIMITED)
      .uint32(this.total - mark.total)
      .finish();
    this.out[mark.index] = header;
    this.total += header.byteLength;
  }

  assemble(): Uint8Array {
    this.flush();
    return concatChunks({ chunks: this.out, byteLength: this.total });
  }
}
