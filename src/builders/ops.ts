/**
 * Ops whose form changed between opsets, written in the form the builder's opset expects. Each takes
 * the builder, adds its node(s) and constants, and returns the output value's name.
 */
import { makeAttribute } from '../graph/factory.js';
import type { OpBuilder, OpExtras } from './builder.js';
import { sinceVersion } from './opsets.js';

/** Reductions whose `axes` moved from an attribute to an input. */
export type ReduceOp = 'ReduceMean' | 'ReduceSum' | 'ReduceSumSquare' | 'ReduceMax' | 'ReduceMin' | 'ReduceProd';

/** Since-version from which each reduction takes `axes` as its second input. */
const AXES_INPUT_SINCE: Readonly<Record<ReduceOp, number>> = {
  ReduceSum: 13,
  ReduceMean: 18,
  ReduceSumSquare: 18,
  ReduceMax: 18,
  ReduceMin: 18,
  ReduceProd: 18,
};

/** `op` of `x` over `axes`: axes as an attribute before the op's axes-input version, as an input after. */
export function reduce(
  b: OpBuilder,
  op: ReduceOp,
  x: string,
  axes: readonly number[],
  label: string,
  keepdims = true,
): string {
  const keep = makeAttribute('keepdims', { int: keepdims ? 1 : 0 });
  if (sinceVersion(op, b.opset) >= AXES_INPUT_SINCE[op]) {
    return b.op(op, [x, b.int64(`${label}_axes`, axes)], label, { attributes: [keep] });
  }
  return b.op(op, [x], label, { attributes: [makeAttribute('axes', { ints: [...axes] }), keep] });
}

/** Unsqueeze / Squeeze: `axes` an attribute before 13, an input from 13. */
function axesOp(b: OpBuilder, op: 'Unsqueeze' | 'Squeeze', x: string, axes: readonly number[], label: string): string {
  if (sinceVersion(op, b.opset) >= 13) return b.op(op, [x, b.int64(`${label}_axes`, axes)], label);
  return b.op(op, [x], label, { attributes: [makeAttribute('axes', { ints: [...axes] })] });
}

/** Inserts size-1 dims at `axes` of the output. */
export function unsqueeze(b: OpBuilder, x: string, axes: readonly number[], label: string): string {
  return axesOp(b, 'Unsqueeze', x, axes, label);
}

/** Removes the size-1 dims at `axes`. */
export function squeeze(b: OpBuilder, x: string, axes: readonly number[], label: string): string {
  return axesOp(b, 'Squeeze', x, axes, label);
}

/**
 * The dims `start` (inclusive) to `end` (exclusive; undefined = to the last) of `x`'s shape, as a 1-D
 * INT64 tensor. Shape takes start/end from 15; before that, Shape then Slice, or only the Slice when
 * the caller already has `x`'s whole shape as `fullShape`.
 */
export function shapeOf(b: OpBuilder, x: string, label: string, start = 0, end?: number, fullShape?: string): string {
  if (start === 0 && end === undefined) return fullShape ?? b.op('Shape', [x], label);
  if (sinceVersion('Shape', b.opset) >= 15) {
    const attributes = [makeAttribute('start', { int: start })];
    if (end !== undefined) attributes.push(makeAttribute('end', { int: end }));
    return b.op('Shape', [x], label, { attributes });
  }
  const full = fullShape ?? b.op('Shape', [x], `${label}_full`);
  // Slice clamps an end beyond the rank, so "to the last" is any large end.
  const ends = b.int64(`${label}_ends`, [end ?? 2 ** 31 - 1]);
  return b.op('Slice', [full, b.int64(`${label}_starts`, [start]), ends, b.int64(`${label}_slice_axes`, [0])], label);
}

/** `x` converted to element type `to` (a TensorProto.DataType). */
export function cast(
  b: OpBuilder,
  x: string,
  to: number,
  label: string,
  extras: Omit<OpExtras, 'attributes'> = {},
): string {
  return b.op('Cast', [x], label, { ...extras, attributes: [makeAttribute('to', { int: to })] });
}

/** `x` reshaped to `shape`: a value name, or constant dims (0 copies the input dim, −1 is inferred). */
export function reshape(
  b: OpBuilder,
  x: string,
  shape: string | readonly number[],
  label: string,
  extras: Omit<OpExtras, 'attributes'> = {},
): string {
  const target = typeof shape === 'string' ? shape : b.int64(`${label}_shape`, shape);
  return b.op('Reshape', [x, target], label, extras);
}
