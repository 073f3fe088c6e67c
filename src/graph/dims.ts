/**
 * Tensor dimensions: the project's one Dim type and the one reader of a shape's dim_value / dim_param
 * (factory.ts writes them). Shape inference, validation's inputs and its output checks all read
 * declared shapes through here, each then deciding which sizes it accepts.
 */
import type { TensorShapeDimension, TypeProto } from '../codec/types.js';

/** A dimension: a number (dim_value), a string (dim_param) or undefined (unknown). */
export type Dim = number | string | undefined;

/**
 * One declared dimension: its dim_value as a number (as written: negative values stay, values past 2^53
 * are approximate, never an error), else its dim_param, else unknown (an empty dim_param is no name).
 */
export function readDim(d: TensorShapeDimension): Dim {
  if (Object.hasOwn(d, 'dim_value')) {
    const v = d.dim_value;
    return v == null ? 0 : typeof v === 'number' ? v : Number(v.toString());
  }
  return d.dim_param ? d.dim_param : undefined;
}

/** The declared dims of a tensor type; undefined when it is not a tensor or has no shape (rank unknown). */
export function declaredDims(type: TypeProto | undefined): Dim[] | undefined {
  const shape = type?.tensor_type?.shape;
  return shape ? shape.dim.map(readDim) : undefined;
}
