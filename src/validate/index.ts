/** Validation in onnxruntime-node: run original and rewritten models and prove every SGE site. */
export {
  validateSge,
  DEFAULT_RUNS,
  LATENCY_THREADS,
  type ModelSource,
  type ValidateOptions,
  type ProgressEvent,
} from './validate.js';
export type {
  ValidationReport,
  SiteReport,
  SiteVerdict,
  SiteInputCheck,
  OutputReport,
  InputReport,
  LatencyReport,
} from './report-types.js';
export { formatReport, reportToJson, type JsonValue } from './report.js';
export { createProgressLine, type ProgressLine, type ProgressStream, type ProgressLineOptions } from './progress.js';
export {
  compareValues,
  bitwiseEqual,
  defaultTolerance,
  FLOAT32_TOLERANCE,
  FLOAT16_TOLERANCE,
  type Tolerance,
  type Comparison,
} from './compare.js';
export {
  inputSpecs,
  checkSameInputs,
  chooseShapes,
  randomInputs,
  parseShapeOption,
  parseDimOption,
  DEFAULT_BATCH_DIM,
  DEFAULT_OTHER_DIM,
  RANDOM_INT_HIGH,
  type InputSpec,
  type ShapeOverrides,
  type ChosenShape,
  type Distribution,
  type RandomInputOptions,
} from './inputs.js';
export { loadInputsFromDir, type LoadedInput } from './inputs-dir.js';
export { readNpy } from './npy.js';
export { MAC_FORMULA, PAPER_COMPARISON, siteMacs, parametersAdded } from './cost.js';
export { openSession, loadOrt, type ModelRunner, type SessionSource, type OpenSessionOptions } from './ort.js';
export type { HostTensor, ElemType } from './host-tensor.js';
