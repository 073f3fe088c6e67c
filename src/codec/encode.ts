/**
 * A size-first protobuf encoder driven by protobufjs reflection.
 *
 * protobufjs's own Writer copies every byte into one growing buffer and shifts nested content when
 * it back-fills length prefixes, so a 100 MB model costs several 100 MB copies. Here sizes are
 * computed first, then small fields are written once into compact buffers while large `bytes`
 * fields (tensor data) are emitted as the caller's own views: the result is a list of chunks that
 * can be written out with `writev` without copying weights. Field order, presence rules, packing
 * and re-emission of unknown fields follow protobufjs's encoder exactly (tests compare the two).
 */
import protobuf from 'protobufjs/light.js';
import { ModelProtoType } from './schema.js';
import { ModelEncodeError } from './errors.js';
import type { ModelProto } from './types.js';

/** The largest message protobuf readers accept (2 GiB - 1 bytes): a longer encoding cannot be read back. */
export const MAX_MESSAGE_BYTES = 2 ** 31 - 1;

/** `bytes` values at least this long are passed through as views instead of being copied. */
export const LARGE_BYTES = 64 * 1024;

type ScalarKind =
  | 'int32'
  | 'uint32'
  | 'sint32'
  | 'int64'
  | 'uint64'
  | 'sint64'
  | 'bool'
  | 'enum'
  | 'float'
  | 'double'
  | 'fixed32'
  | 'sfixed32'
  | 'fixed64'
  | 'sfixed64'
  | 'string'
  | 'bytes';

interface FieldPlan {
  readonly name: string;
  readonly key: number; // tag: id << 3 | wire type
  readonly keySize: number;
  readonly repeated: boolean;
  readonly packed: boolean;
  readonly scalar?: ScalarKind;
  readonly message?: MessagePlan;
}

interface MessagePlan {
  fields: FieldPlan[];
}

const WIRE: Record<ScalarKind, number> = {
  int32: 0,
  uint32: 0,
  sint32: 0,
  int64: 0,
  uint64: 0,
  sint64: 0,
  bool: 0,
  enum: 0,
  float: 5,
  fixed32: 5,
  sfixed32: 5,
  double: 1,
  fixed64: 1,
  sfixed64: 1,
  string: 2,
  bytes: 2,
};

const plans = new Map<protobuf.Type, MessagePlan>();

function planFor(type: protobuf.Type): MessagePlan {
  let plan = plans.get(type);
  if (plan) return plan;
  plan = { fields: [] };
  plans.set(type, plan); // before recursing: the schema is recursive (Graph → Node → Attribute → Graph)
  const fields = type.fieldsArray.slice().sort((a, b) => a.id - b.id);
  for (const f of fields) {
    f.resolve();
    if (f.resolvedType instanceof protobuf.Type) {
      const key = (f.id << 3) | 2;
      plan.fields.push({
        name: f.name,
        key,
        keySize: varint32Size(key),
        repeated: f.repeated,
        packed: false,
        message: planFor(f.resolvedType),
      });
    } else {
      const scalar = (f.resolvedType instanceof protobuf.Enum ? 'enum' : f.type) as ScalarKind;
      const packed = f.repeated && f.packed && WIRE[scalar] !== 2;
      const key = (f.id << 3) | (packed ? 2 : WIRE[scalar]);
      plan.fields.push({ name: f.name, key, keySize: varint32Size(key), repeated: f.repeated, packed, scalar });
    }
  }
  return plan;
}

function varint32Size(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

interface LongLike {
  low: number;
  high: number;
}

/** Splits an int64 value into unsigned 32-bit halves (two's complement for negatives). */
function split64(v: number | LongLike, field: string): [number, number] {
  if (typeof v === 'object' && v !== null) return [v.low >>> 0, v.high >>> 0];
  if (typeof v === 'bigint') {
    const u = BigInt.asUintN(64, v);
    return [Number(u & 0xffffffffn), Number(u >> 32n)];
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ModelEncodeError(`field ${field}: expected an integer, got ${String(v)}`);
  }
  const hi = Math.floor(v / 4294967296);
  return [(v - hi * 4294967296) >>> 0, hi >>> 0];
}

function varint64Size(lo: number, hi: number): number {
  if (hi === 0) return varint32Size(lo);
  return Math.ceil((64 - Math.clz32(hi)) / 7);
}

const utf8 = new TextEncoder();

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function scalarSize(kind: ScalarKind, v: unknown, field: string): number {
  switch (kind) {
    case 'bool':
      return 1;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return 4;
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return 8;
    case 'uint32':
      return varint32Size((v as number) >>> 0);
    case 'int32':
    case 'enum':
      return (v as number) < 0 ? 10 : varint32Size(v as number);
    case 'sint32': {
      const z = (((v as number) << 1) ^ ((v as number) >> 31)) >>> 0;
      return varint32Size(z);
    }
    case 'int64':
    case 'uint64': {
      const [lo, hi] = split64(v as number, field);
      return varint64Size(lo, hi);
    }
    case 'sint64': {
      const [lo, hi] = split64(v as number, field);
      const mask = hi >> 31;
      const zhi = ((hi << 1) | (lo >>> 31)) ^ mask;
      const zlo = (lo << 1) ^ mask;
      return varint64Size(zlo >>> 0, zhi >>> 0);
    }
    case 'string': {
      const n = utf8Length(v as string);
      return varint32Size(n) + n;
    }
    case 'bytes': {
      const n = (v as Uint8Array).length;
      return varint32Size(n) + n;
    }
  }
}

type Message = Record<string, unknown> & { $unknowns?: Uint8Array[] };

/** What one pass does with each present field; each call returns the bytes the field takes. */
interface FieldVisitor {
  /** One embedded message (an item of a repeated field, or a singular field). */
  message(f: FieldPlan, m: Message, depth: number): number;
  /** A packed repeated scalar field (never empty). */
  packed(f: FieldPlan, items: readonly unknown[]): number;
  /** One scalar value (an item of an unpacked repeated field, or a singular field). */
  scalar(f: FieldPlan, v: unknown): number;
  /** The unknown fields protobufjs kept, re-emitted as they were read. */
  unknowns(list: readonly Uint8Array[]): number;
}

/**
 * The one walk over a message's fields, shared by the size pass and the write pass so both see the
 * same fields in the same order: schema order by field number, empty repeated fields and absent
 * singular ones skipped, unknown fields last.
 */
function walkFields(m: Message, plan: MessagePlan, visitor: FieldVisitor, depth: number): number {
  if (depth > 100) throw new ModelEncodeError('message nesting deeper than 100 levels');
  let total = 0;
  for (const f of plan.fields) {
    const v = m[f.name];
    if (f.repeated) {
      const arr = v as unknown[] | undefined;
      if (arr == null || arr.length === 0) continue;
      if (f.message) {
        for (const item of arr) total += visitor.message(f, item as Message, depth + 1);
      } else if (f.packed) {
        total += visitor.packed(f, arr);
      } else {
        for (const item of arr) total += visitor.scalar(f, item);
      }
    } else if (v != null && Object.hasOwn(m, f.name)) {
      total += f.message ? visitor.message(f, v as Message, depth + 1) : visitor.scalar(f, v);
    }
  }
  const unknowns = m.$unknowns;
  if (unknowns && Object.hasOwn(m, '$unknowns')) total += visitor.unknowns(unknowns);
  return total;
}

/**
 * Computes message sizes bottom-up. Sizes of nested messages and packed fields are recorded in
 * visiting order (a slot is reserved before descending), which is the order the write pass needs
 * them in: a plain array indexed by a counter instead of a map keyed by object identity.
 * Also sums the large `bytes` values that the writer will pass through as views.
 */
class Sizer implements FieldVisitor {
  readonly sizes: number[] = [];
  large = 0;

  size(m: Message, plan: MessagePlan): number {
    return walkFields(m, plan, this, 0);
  }

  message(f: FieldPlan, m: Message, depth: number): number {
    const slot = this.sizes.push(0) - 1;
    const s = walkFields(m, f.message!, this, depth);
    this.sizes[slot] = s;
    return f.keySize + varint32Size(s) + s;
  }

  packed(f: FieldPlan, items: readonly unknown[]): number {
    let body = 0;
    for (const item of items) body += scalarSize(f.scalar!, item, f.name);
    this.sizes.push(body);
    return f.keySize + varint32Size(body) + body;
  }

  scalar(f: FieldPlan, v: unknown): number {
    if (f.scalar === 'bytes' && (v as Uint8Array).length >= LARGE_BYTES) this.large += (v as Uint8Array).length;
    return f.keySize + scalarSize(f.scalar!, v, f.name);
  }

  unknowns(list: readonly Uint8Array[]): number {
    let n = 0;
    for (const u of list) n += u.length;
    return n;
  }
}

/** Writes into compact buffers, cutting a chunk around every large bytes value. */
class ChunkWriter implements FieldVisitor {
  readonly chunks: Uint8Array[] = [];
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  private start = 0;
  /** Index of the next recorded size (see Sizer). */
  private next = 0;
  /** Bytes of large values passed through as views. */
  private passed = 0;

  constructor(
    private readonly sizes: readonly number[],
    smallBytes: number,
  ) {
    this.buf = new Uint8Array(smallBytes);
    this.view = new DataView(this.buf.buffer);
  }

  write(m: Message, plan: MessagePlan): void {
    walkFields(m, plan, this, 0);
  }

  /**
   * The chunks, after checking that the write pass used every size the size pass recorded and wrote
   * exactly the bytes it counted: a mismatch means the two passes saw different fields (a bug here, or
   * a message changed while it was being encoded), and the output would be corrupt.
   */
  finish(byteLength: number): Uint8Array[] {
    if (this.pos > this.start) this.chunks.push(this.buf.subarray(this.start, this.pos));
    if (this.next !== this.sizes.length || this.pos !== this.buf.length || this.pos + this.passed !== byteLength) {
      throw new Error(
        `encoder passes disagree: ${this.next} of ${this.sizes.length} sizes used, ` +
          `${this.pos + this.passed} of ${byteLength} bytes written`,
      );
    }
    return this.chunks;
  }

  message(f: FieldPlan, m: Message, depth: number): number {
    this.v32(f.key);
    this.v32(this.sizes[this.next++]!);
    walkFields(m, f.message!, this, depth);
    return 0;
  }

  packed(f: FieldPlan, items: readonly unknown[]): number {
    this.v32(f.key);
    this.v32(this.sizes[this.next++]!);
    for (const item of items) this.value(f.scalar!, item, f.name);
    return 0;
  }

  scalar(f: FieldPlan, v: unknown): number {
    this.v32(f.key);
    this.value(f.scalar!, v, f.name);
    return 0;
  }

  unknowns(list: readonly Uint8Array[]): number {
    for (const u of list) {
      this.buf.set(u, this.pos);
      this.pos += u.length;
    }
    return 0;
  }

  private v32(v: number): void {
    const b = this.buf;
    while (v > 0x7f) {
      b[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[this.pos++] = v;
  }

  private v64(lo: number, hi: number): void {
    const b = this.buf;
    while (hi !== 0 || lo > 0x7f) {
      b[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[this.pos++] = lo;
  }

  private bytes(v: Uint8Array): void {
    this.v32(v.length);
    if (v.length >= LARGE_BYTES) {
      if (this.pos > this.start) this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.chunks.push(v);
      this.passed += v.length;
      this.start = this.pos;
    } else {
      this.buf.set(v, this.pos);
      this.pos += v.length;
    }
  }

  private value(kind: ScalarKind, v: unknown, field: string): void {
    switch (kind) {
      case 'bool':
        this.buf[this.pos++] = v ? 1 : 0;
        return;
      case 'float':
        this.view.setFloat32(this.pos, v as number, true);
        this.pos += 4;
        return;
      case 'double':
        this.view.setFloat64(this.pos, v as number, true);
        this.pos += 8;
        return;
      case 'fixed32':
        this.view.setUint32(this.pos, (v as number) >>> 0, true);
        this.pos += 4;
        return;
      case 'sfixed32':
        this.view.setInt32(this.pos, v as number, true);
        this.pos += 4;
        return;
      case 'fixed64':
      case 'sfixed64': {
        const [lo, hi] = split64(v as number, field);
        this.view.setUint32(this.pos, lo, true);
        this.view.setUint32(this.pos + 4, hi, true);
        this.pos += 8;
        return;
      }
      case 'uint32':
        this.v32((v as number) >>> 0);
        return;
      case 'int32':
      case 'enum': {
        const n = v as number;
        if (n < 0) this.v64(n >>> 0, 0xffffffff);
        else this.v32(n);
        return;
      }
      case 'sint32':
        this.v32((((v as number) << 1) ^ ((v as number) >> 31)) >>> 0);
        return;
      case 'int64':
      case 'uint64': {
        const [lo, hi] = split64(v as number, field);
        this.v64(lo, hi);
        return;
      }
      case 'sint64': {
        const [lo, hi] = split64(v as number, field);
        const mask = hi >> 31;
        this.v64(((lo << 1) ^ mask) >>> 0, (((hi << 1) | (lo >>> 31)) ^ mask) >>> 0);
        return;
      }
      case 'string': {
        const s = v as string;
        const n = utf8Length(s);
        this.v32(n);
        if (n === s.length) {
          for (let i = 0; i < n; i++) this.buf[this.pos++] = s.charCodeAt(i);
        } else {
          utf8.encodeInto(s, this.buf.subarray(this.pos, this.pos + n));
          this.pos += n;
        }
        return;
      }
      case 'bytes':
        this.bytes(v as Uint8Array);
        return;
    }
  }
}

/** The encoded form of a message as an ordered list of pieces. */
export interface EncodedChunks {
  /** Pieces in file order: compact buffers of small fields, and views of large `bytes` values. */
  readonly chunks: Uint8Array[];
  /** Total length in bytes (may exceed 2 GiB, which protobuf readers refuse). */
  readonly byteLength: number;
}

/**
 * Encodes any message of the ONNX schema into chunks. Large `bytes` values are not copied.
 * @param type the protobufjs reflection type of `message`
 */
export function encodeMessageChunks(type: protobuf.Type, message: object): EncodedChunks {
  const plan = planFor(type);
  const sizer = new Sizer();
  const byteLength = sizer.size(message as Message, plan);
  const writer = new ChunkWriter(sizer.sizes, byteLength - sizer.large);
  writer.write(message as Message, plan);
  return { chunks: writer.finish(byteLength), byteLength };
}

/**
 * Encodes a model as a list of chunks whose concatenation is the `.onnx` file. Untouched tensor data
 * stays a view of the buffer it was decoded from, so streaming the chunks to disk copies no weights.
 */
export function encodeModelChunks(model: ModelProto): EncodedChunks {
  return encodeMessageChunks(ModelProtoType, model);
}

/** Concatenates chunks into one buffer. */
export function concatChunks(encoded: EncodedChunks): Uint8Array {
  if (encoded.chunks.length === 1) return encoded.chunks[0]!;
  const out = new Uint8Array(encoded.byteLength);
  let pos = 0;
  for (const c of encoded.chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/**
 * Encodes a model into one buffer (the convenience form: copies tensor data once).
 * Unknown fields are written back last in their message, as protobuf runtimes do.
 */
export function encodeModel(model: ModelProto): Uint8Array {
  return concatChunks(encodeModelChunks(model));
}
