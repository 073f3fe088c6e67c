/**
 * Where each axis of a tensor inside an exported block sits in the block input X's index space.
 *
 * X [N, C, ...spatial] is stored row-major, so a flat position is ((n·C + c)·S + s) with S the product
 * of the spatial dims. An SGE block only reshapes (never transposes) and reduces, so every axis of
 * every tensor it makes runs over one or more *spans* of that flat index: a span [lo, hi) is the
 * stride range from lo to hi (hi/lo positions, lo divides hi). X [N, C, H, W] is
 * [[C·S, N·C·S)], [[S, C·S)], [[W, S)], [[1, W)]; viewed as [N·G, K, H·W] it is [[K·S, N·C·S)],
 * [[S, K·S)], [[1, S)]. A reduction removes spans, a reshape regroups them, and whether a reduction
 * runs "over the spatial positions" or "over the channels of a group" becomes a comparison of spans,
 * whatever the exporter's chain of views looked like.
 */

/** A contiguous stride range of X's flat index: positions lo, 2·lo, … up to hi (exclusive). */
export interface Span {
  readonly lo: number;
  readonly hi: number;
}

/** An axis: the spans it runs over, outer first; a size-1 axis runs over none. */
export type Axis = readonly Span[];

/** A tensor's axes. */
export type Layout = readonly Axis[];

/** Number of positions in a span. */
export const spanSize = (s: Span): number => s.hi / s.lo;

/** Size of an axis (1 for an axis over no span). */
export function axisSize(axis: Axis): number {
  let n = 1;
  for (const s of axis) n *= spanSize(s);
  return n;
}

/** The dims a layout describes. */
export function layoutDims(layout: Layout): number[] {
  return layout.map(axisSize);
}

/** Spans merged where one ends where the next (inner) begins, size-1 spans dropped, outer first. */
export function normalizeSpans(spans: readonly Span[]): Span[] {
  const sorted = spans.filter((s) => s.hi > s.lo).sort((a, b) => b.lo - a.lo);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && last.lo === s.hi) out[out.length - 1] = { lo: s.lo, hi: last.hi };
    else out.push({ ...s });
  }
  return out;
}

/** True when two span sets cover the same positions. */
export function sameSpans(a: readonly Span[], b: readonly Span[]): boolean {
  const x = normalizeSpans(a),
    y = normalizeSpans(b);
  return x.length === y.length && x.every((s, i) => s.lo === y[i]!.lo && s.hi === y[i]!.hi);
}

/** Readable spans for messages, in X's terms when they are whole blocks of it. */
export function describeSpans(spans: readonly Span[]): string {
  const n = normalizeSpans(spans);
  return n.length ? n.map((s) => `[${s.lo}, ${s.hi})`).join(' ∪ ') : 'nothing';
}

/** X's own layout for its dims. */
export function inputLayout(dims: readonly number[]): Layout {
  const out: Axis[] = [];
  let stride = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    const d = dims[i]!;
    out.unshift(d > 1 ? [{ lo: stride, hi: stride * d }] : []);
    stride *= d;
  }
  return out;
}

/** True when two layouts are the same axes over the same spans. */
export function sameLayout(a: Layout, b: Layout): boolean {
  return a.length === b.length && a.every((axis, i) => sameSpans(axis, b[i]!));
}

/**
 * The layout after a reshape to `dims` (already resolved: no 0 or −1), or why the new dims do not
 * regroup the spans (an element count that differs, or an axis that would cut a span unevenly).
 */
export function reshapeLayout(layout: Layout, dims: readonly number[]): Layout | string {
  const queue = normalizeSpans(layout.flat());
  const out: Axis[] = [];
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 1) return `a reshape to dim ${d}`;
    const axis: Span[] = [];
    let need = d;
    while (need > 1) {
      const head = queue[0];
      if (!head) return `a reshape to [${dims.join(', ')}] needs more elements than the tensor has`;
      const size = spanSize(head);
      if (size <= need) {
        if (need % size !== 0) return `a reshape to [${dims.join(', ')}] does not regroup the block's axes evenly`;
        axis.push(head);
        queue.shift();
        need /= size;
      } else {
        if (size % need !== 0) return `a reshape to [${dims.join(', ')}] does not regroup the block's axes evenly`;
        const cut = head.hi / need;
        axis.push({ lo: cut, hi: head.hi });
        queue[0] = { lo: head.lo, hi: cut };
        need = 1;
      }
    }
    out.push(axis);
  }
  if (queue.length) return `a reshape to [${dims.join(', ')}] leaves elements over`;
  return out;
}

/**
 * Resolves an ONNX Reshape target against the input dims (0 copies the input dim unless `allowZero`,
 * −1 is inferred). Returns the dims or why they are invalid.
 */
export function resolveReshape(
  input: readonly number[],
  target: readonly number[],
  allowZero: boolean,
): number[] | string {
  const total = input.reduce((a, b) => a * b, 1);
  let inferAt = -1;
  let known = 1;
  const out: number[] = [];
  for (let i = 0; i < target.length; i++) {
    let d = target[i]!;
    if (d === 0 && !allowZero) {
      if (i >= input.length) return `reshape target [${target.join(', ')}] copies dim ${i} the input does not have`;
      d = input[i]!;
    }
    if (d === -1) {
      if (inferAt >= 0) return `reshape target [${target.join(', ')}] has two −1`;
      inferAt = i;
      out.push(-1);
      continue;
    }
    if (!Number.isSafeInteger(d) || d < 0) return `reshape target [${target.join(', ')}] has dim ${d}`;
    known *= d;
    out.push(d);
  }
  if (inferAt >= 0) {
    if (known === 0 || total % known !== 0)
      return `reshape target [${target.join(', ')}] does not fit ${total} elements`;
    out[inferAt] = total / known;
  } else if (known !== total) {
    return `reshape target [${target.join(', ')}] does not fit input [${input.join(', ')}]`;
  }
  return out;
}

/** What a reduction over some axes leaves and removes. */
export interface Reduction {
  readonly layout: Layout;
  /** The spans reduced over. */
  readonly over: Span[];
  /** How many elements each output element reduces. */
  readonly count: number;
}

/** Reduces `axes` (normalized, non-negative) of a layout. */
export function reduceLayout(layout: Layout, axes: readonly number[], keepDims: boolean): Reduction {
  const over: Span[] = [];
  let count = 1;
  const out: Axis[] = [];
  layout.forEach((axis, i) => {
    if (axes.includes(i)) {
      over.push(...axis);
      count *= axisSize(axis);
      if (keepDims) out.push([]);
    } else {
      out.push(axis);
    }
  });
  return { layout: out, over: normalizeSpans(over), count };
}

/**
 * Elementwise broadcast of two block tensors: aligned from the right, an axis of size 1 takes the
 * other's; axes of equal size must run over the same spans. Returns the result's layout or why not.
 */
export function broadcastLayouts(a: Layout, b: Layout): Layout | string {
  const rank = Math.max(a.length, b.length);
  const out: Axis[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? [],
      y = b[b.length - rank + i] ?? [];
    const sx = axisSize(x),
      sy = axisSize(y);
    if (sx === 1) out.push(y);
    else if (sy === 1) out.push(x);
    else if (sameSpans(x, y)) out.push(x);
    else return `two operands of size ${sx} on axis ${i} run over different positions of X`;
  }
  return out;
}

/** A constant aligned with a block tensor by broadcasting. */
export interface ConstAlignment {
  readonly layout: Layout;
  /** Per axis of the constant (its own numbering): the spans it varies over, or null where its dim is 1. */
  readonly spans: (Span[] | null)[];
}

/**
 * Broadcast of a block tensor with a constant of `dims`: the constant may not widen the tensor (a dim
 * > 1 where the tensor has 1), since a block that copies its data along a new axis is not SGE.
 */
export function alignConstant(layout: Layout, dims: readonly number[]): ConstAlignment | string {
  const rank = Math.max(layout.length, dims.length);
  const out: Axis[] = [];
  const spans: (Span[] | null)[] = dims.map(() => null);
  for (let i = 0; i < rank; i++) {
    const li = layout.length - rank + i,
      ci = dims.length - rank + i;
    const axis = li >= 0 ? layout[li]! : [];
    const d = ci >= 0 ? dims[ci]! : 1;
    const size = axisSize(axis);
    if (d !== 1 && d !== size) {
      return size === 1
        ? `a constant of dims [${dims.join(', ')}] spreads the block's tensor along a new axis`
        : `a constant of dims [${dims.join(', ')}] does not broadcast against [${layoutDims(layout).join(', ')}]`;
    }
    if (d !== 1) spans[ci] = [...axis];
    out.push(axis);
  }
  return { layout: out, spans };
}
