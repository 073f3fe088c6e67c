// Small hand-written protobuf wire helpers for tests: building messages byte by byte (to make
// inputs no encoder would produce) and locating length prefixes (to corrupt them).

/** Varint bytes of a non-negative integer below 2^53. */
export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** A length-delimited field: tag (wire type 2), length, content. */
export function lengthField(field: number, content: ArrayLike<number>): number[] {
  return [...varint((field << 3) | 2), ...varint(content.length), ...Array.from(content)];
}

/** A varint field. */
export function varintField(field: number, value: number): number[] {
  return [...varint(field << 3), ...varint(value)];
}

/**
 * Messages nested `levels` deep: the fields of `head` first, then those of `cycle` repeated, built
 * from the inside out without quadratic copying. E.g. head [7] and cycle [1, 5, 6] is
 * ModelProto.graph → GraphProto.node → NodeProto.attribute → AttributeProto.g → GraphProto.node → ...
 */
export function nested(head: number[], cycle: number[], levels: number, innermost: number[] = []): Uint8Array {
  const path = (i: number): number => (i < head.length ? head[i]! : cycle[(i - head.length) % cycle.length]!);
  const lengths: number[] = new Array(levels);
  let len = innermost.length;
  for (let i = levels - 1; i >= 0; i--) {
    lengths[i] = len;
    const tag = varint((path(i) << 3) | 2);
    len += tag.length + varint(len).length;
  }
  const out = new Uint8Array(len);
  let pos = 0;
  for (let i = 0; i < levels; i++) {
    for (const b of varint((path(i) << 3) | 2)) out[pos++] = b;
    for (const b of varint(lengths[i]!)) out[pos++] = b;
  }
  out.set(innermost, pos);
  return out;
}

/** Position and size of a length prefix inside a message. */
export interface LengthPrefix {
  readonly pos: number;
  readonly size: number;
  readonly value: number;
}

function readVarint(b: Uint8Array, pos: number, end: number): [number, number] | undefined {
  let v = 0;
  let mul = 1;
  for (let i = pos; i < end && i < pos + 10; i++) {
    v += (b[i]! & 0x7f) * mul;
    mul *= 128;
    if (b[i]! < 0x80) return [v, i + 1];
  }
  return undefined;
}

/**
 * Every length prefix of a well-formed message, descending into length-delimited fields whose
 * content itself parses as a message (a heuristic: strings and packed arrays are mostly not).
 */
export function lengthPrefixes(
  b: Uint8Array,
  start = 0,
  end = b.length,
  depth = 0,
  out: LengthPrefix[] = [],
): LengthPrefix[] {
  if (depth > 12) return out;
  const found: LengthPrefix[] = [];
  let pos = start;
  while (pos < end) {
    const tag = readVarint(b, pos, end);
    if (!tag || tag[0] >>> 3 === 0) return out;
    pos = tag[1];
    switch (tag[0] & 7) {
      case 0: {
        const v = readVarint(b, pos, end);
        if (!v) return out;
        pos = v[1];
        break;
      }
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const len = readVarint(b, pos, end);
        if (!len || len[1] + len[0] > end) return out;
        found.push({ pos, size: len[1] - pos, value: len[0] });
        pos = len[1] + len[0];
        break;
      }
      default:
        return out;
    }
    if (pos > end) return out;
  }
  for (const f of found) {
    out.push(f);
    const from = f.pos + f.size;
    if (f.value > 1) lengthPrefixes(b, from, from + f.value, depth + 1, out);
  }
  return out;
}
