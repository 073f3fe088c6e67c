/**
 * The graph editing core: finding, inserting, renaming, ordering and cleaning up, across nested graphs.
 * This barrel lists the layer's public surface; helpers such as ownArray stay inside the layer.
 */
export { graphScopes, subgraphsOf, mainGraph, type GraphScope, type GraphStep } from './scopes.js';
export { ModelIndex, type NodeRef, type TensorUse, type TensorSource } from './model-index.js';
export { NameAuthority } from './names.js';
export {
  compilePattern,
  findNodes,
  matchesNode,
  nodeSelector,
  selectableNames,
  type NamePattern,
  type NodeMatch,
  type NodeQuery,
  type NodeSelector,
} from './select.js';
export {
  insertAfter,
  spliceAfterOutput,
  type Insertion,
  type SpliceOptions,
  type SpliceResult,
} from './edit.js';
export { renameTensor, type RenameResult } from './rename.js';
export { replaceUses, type ReplaceUsesOptions } from './uses.js';
export { topologicalSort, GraphCycleError } from './toposort.js';
export { removeUnusedCreated, type CleanupResult } from './cleanup.js';
export {
  canonicalDomain,
  isDefaultDomain,
  opsetVersion,
  addOpsetImport,
  removeOpsetImport,
  findFunction,
  addFunction,
  irVersion,
  raiseIrVersion,
  restoreIrVersion,
  ORIGINAL_IR_KEY,
} from './opset.js';
export {
  makeNode,
  makeAttribute,
  makeTensorShell,
  makeTensor,
  makeInt64Tensor,
  makeTensorType,
  makeValueInfo,
  makeOpset,
  makeGraph,
  makeFunction,
  makeModel,
  type NodeInit,
  type AttributeValue,
} from './factory.js';
export { readDim, declaredDims, type Dim } from './dims.js';
export {
  inferShapes,
  inferModelShapes,
  tensorInfoOfType,
  registerShapeRule,
  type ShapeRule,
  type ShapeContext,
  type ShapeDim,
  type TensorInfo,
} from './shapes.js';
export { nearestNames } from './suggest.js';
