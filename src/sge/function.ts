/**
 * The function form: a model-local FunctionProto `com.sge-inject.SpatialGroupEnhance` (float32) or
 * `SpatialGroupEnhance_float16`. A function body cannot see the caller's shapes, so G, S and the
 * reshape targets are read from shapes, through ops that onnxruntime evaluates when it loads the model
 * if the site's spatial dims are static (after it inlines the function, X's shape is known): the model
 * then runs the same nodes as the inline form. Constants are Constant nodes (functions have no
 * initializers). Files written by 0.1 carry an older body (body-0.1.ts), still recognized as ours.
 */
import type { FunctionProto } from '../codec/types.js';
import { makeFunction, makeOpset } from '../graph/factory.js';
import { OpBuilder } from '../builders/builder.js';
import type { FloatElemType } from '../tensor/make.js';
import { SGE_DOMAIN, sgeOpFor } from './conventions.js';
import { emitSgeBody } from './body.js';
import { checkElemType } from './expansion.js';

/**
 * The SGE function for ai.onnx `opset` and element type FLOAT or FLOAT16: inputs X [N, C, ...spatial],
 * weight [G], bias [G]; output Y (X's shape and type). Its opset_import lists ai.onnx at `opset`; the
 * model must import `com.sge-inject` version 1 and have IR ≥ 8.
 * @throws TypeError for another element type; InputError for an opset outside 11…26.
 */
export function buildSgeFunction(opset: number, elemType: FloatElemType): FunctionProto {
  checkElemType(elemType);
  const b = new OpBuilder({ opset, constants: 'node' });
  emitSgeBody(b, { x: 'X', weight: 'weight', bias: 'bias', y: 'Y', elemType }, { foldable: true });
  return makeFunction({
    name: sgeOpFor(elemType),
    domain: SGE_DOMAIN,
    input: ['X', 'weight', 'bias'],
    output: ['Y'],
    node: b.nodes,
    opset_import: [makeOpset('', opset)],
    doc_string:
      'Spatial Group-wise Enhance (arXiv 1905.09646): G = length of weight; unbiased std, eps 1e-5 after the square root.',
  });
}
