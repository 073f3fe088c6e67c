/**
 * Validation: run original and rewritten models and prove every SGE site. The runtime-neutral core
 * (core.ts, validateModels) and the Node layer (node/: validateSge over files, onnxruntime-node).
 */
export * from './core.js';
export { validateSge, type ModelSource, type ValidateOptions } from './node/validate-sge.js';
export { loadInputsFromDir } from './node/inputs-dir.js';
export {
  checkTestDataFiles,
  findTestDataSets,
  testDataSetFromDir,
  type TestDataFilesOptions,
} from './node/test-data-dir.js';
export { loadOrt } from './node/load-ort.js';
export { folderModelFiles } from './node/model-files.js';
