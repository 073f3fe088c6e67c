/** Opset-aware op builders: one builder per expansion, op forms chosen by since-version. */
export { MIN_OPSET, MAX_OPSET, SINCE_VERSIONS, sinceVersion, checkOpset } from './opsets.js';
export { OpBuilder, type OpBuilderOptions, type OpExtras } from './builder.js';
export { reduce, unsqueeze, squeeze, shapeOf, cast, reshape, type ReduceOp } from './ops.js';
