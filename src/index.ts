/**
 * sge-inject: insert Spatial Group-wise Enhance blocks into ONNX models, losslessly, and prove them
 * in onnxruntime. This barrel only re-exports the public API.
 *
 * ```ts
 * import { loadModel, injectSge, saveModel, validateSge } from 'sge-inject';
 * const model = await loadModel('resnet50.onnx');
 * const report = injectSge(model, { after: ['*\/conv3/Conv'], groups: 64 });
 * await saveModel(model, 'resnet50.sge.onnx');
 * const check = await validateSge('resnet50.onnx', 'resnet50.sge.onnx');
 * // SGE that torch.onnx.export wrote as primitive ops, replaced by proven sites (onnxruntime passed in):
 * const fused = await fuseSge(await loadModel('sge_resnet50.onnx'), { ort: await import('onnxruntime-node') });
 * ```
 */
export {
  decodeModel,
  encodeModel,
  encodeModelChunks,
  concatChunks,
  ModelDecodeError,
  ModelEncodeError,
  type DecodeOptions,
  type EncodedChunks,
} from './codec/index.js';
export type {
  ModelProto,
  GraphProto,
  NodeProto,
  TensorProto,
  ValueInfoProto,
  AttributeProto,
  FunctionProto,
  TypeProto,
  OperatorSetIdProto,
  StringStringEntryProto,
  Int64,
} from './codec/types.js';
export { DataType, AttributeType, DataLocation } from './codec/types.js';
export { int64ToNumber } from './codec/int64.js';
export { graphScopes, subgraphsOf, mainGraph, type GraphScope, type GraphStep } from './graph/scopes.js';
export { ModelIndex, type NodeRef, type TensorUse, type TensorSource } from './graph/model-index.js';
export { NameAuthority } from './graph/names.js';
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
} from './graph/select.js';
export {
  insertAfter,
  spliceAfterOutput,
  type Insertion,
  type SpliceOptions,
  type SpliceResult,
} from './graph/edit.js';
export { renameTensor, type RenameResult } from './graph/rename.js';
export { replaceUses, type ReplaceUsesOptions } from './graph/uses.js';
export { topologicalSort, GraphCycleError } from './graph/toposort.js';
export { removeUnusedCreated, type CleanupResult } from './graph/cleanup.js';
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
} from './graph/opset.js';
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
} from './graph/factory.js';
export { readDim, declaredDims, type Dim } from './graph/dims.js';
export {
  inferShapes,
  inferModelShapes,
  tensorInfoOfType,
  registerShapeRule,
  type ShapeRule,
  type ShapeContext,
  type ShapeDim,
  type TensorInfo,
} from './graph/shapes.js';
export { nearestNames } from './graph/suggest.js';
export { InputError, UsageError, ValidationFailure } from './errors.js';
export {
  loadModel,
  saveModel,
  modelOrigin,
  type LoadOptions,
  type SaveOptions,
  type SaveReport,
  type ExternalDataOptions,
  type ModelOrigin,
} from './io/index.js';
export {
  injectSge,
  resolveGroups,
  DEFAULT_GROUPS,
  type InjectOptions,
  type InjectReport,
  type SiteReport,
} from './sge/inject.js';
export { listSites, type ListOptions, type ListReport, type ListRow } from './sge/list.js';
export { stripSge, type StripReport } from './sge/strip.js';
export { fuseSge, type FuseOptions } from './sge/fuse/fuse.js';
export type { FuseReport, FusedSite, NearMiss } from './sge/fuse/report.js';
export type { FuseRuntime } from './sge/fuse/proof.js';
export { findExportedBlocks, type ExportedBlock } from './sge/fuse/find.js';
export { findInjectedSites, type InjectedSite } from './sge/detect.js';
export { referenceSge, SGE_EPS } from './sge/reference.js';
export { buildSgeNodes, type SgeNodesOptions, type SgeNodes } from './sge/expansion.js';
export { buildSgeFunction } from './sge/function.js';
export {
  SGE_DOMAIN,
  SGE_DOMAIN_VERSION,
  SGE_OP,
  SGE_OP_FLOAT16,
  SGE_INLINE_MARKER,
  SUPPORTED_ELEM_TYPES,
  sgeOpFor,
  isSgeOp,
  sgeNodeName,
  sgePrefix,
  sgeWeightName,
  sgeBiasName,
} from './sge/conventions.js';
export { MIN_OPSET, MAX_OPSET } from './builders/opsets.js';
export {
  validateSge,
  validateModels,
  formatReport,
  reportToJson,
  createProgressLine,
  DEFAULT_RUNS,
  type ModelSource,
  type ValidateOptions,
  type ValidateModelsRequest,
  type ReplacedBlock,
  type ValidationSettings,
  type ModelUnderTest,
  type ModelFiles,
  type OrtModule,
  type OrtProvider,
  type ExternalDataSessionOptions,
  type InputLoader,
  type LoadedInput,
  type ProgressEvent,
  type ValidationReport,
  type SiteReport as ValidationSiteReport,
  type SiteVerdict,
  type OutputReport,
  type InputReport,
  type LatencyReport,
  checkTestData,
  checkTestDataFiles,
  findTestDataSets,
  type TestDataRequest,
  type TestDataFilesOptions,
  type TestDataSet,
  type TestDataReport,
  type TestSetReport,
  type TestOutputReport,
} from './validate/index.js';
export {
  ExternalDataReader,
  type ExternalDataSource,
  type ExternalFile,
  type ExternalDataReaderOptions,
} from './external/reader.js';
export { parseSgeParams, type SgeParamsFile, type SiteParams } from './sge/params.js';
export { createPrng, type Prng } from './validate/prng.js';
