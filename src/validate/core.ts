/**
 * The runtime-neutral validation core: no Node API and no onnxruntime package is loaded from here
 * (the caller passes the onnxruntime module). The web page and library users running onnxruntime-web
 * import this; Node users get the same plus validateSge from index.ts.
 */
export { validateModels, type ValidateModelsRequest } from './validate-models.js';
export {
  DEFAULT_RUNS,
  LATENCY_THREADS,
  type ValidationSettings,
  type ProgressEvent,
} from './settings.js';
export {
  ModelSessions,
  type ModelUnderTest,
  type ModelFiles,
  type OrtProvider,
  type Blame,
} from './model-sessions.js';
export {
  openSession,
  type OrtModule,
  type ModelRunner,
  type SessionSource,
  type OpenSessionOptions,
  type ExternalDataSessionOptions,
} from './session.js';
export type { InputLoader, LoadedInput } from './feeds.js';
export type { ReplacedBlock } from './model-copy.js';
export { loadInputFiles, loadTensorFiles, type InputFile, type TensorFileRole } from './input-files.js';
export {
  checkTestData,
  testTolerance,
  type TestDataSet,
  type TestDataRequest,
  type TestDataReport,
  type TestSetReport,
  type TestOutputReport,
} from './test-data.js';
export type {
  ValidationReport,
  SiteReport,
  SiteVerdict,
  SiteInputCheck,
  OutputReport,
  InputReport,
  LatencyReport,
} from './report-types.js';
export { formatReport, reportToJson, toJsonValue, type JsonValue } from './report.js';
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
  outputSpecs,
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
export { readNpy } from './npy.js';
export { MAC_FORMULA, PAPER_COMPARISON, siteMacs, parametersAdded } from './cost.js';
export type { HostTensor, ElemType } from './host-tensor.js';
