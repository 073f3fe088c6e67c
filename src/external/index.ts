/** External tensor data, on any platform: references, location and range checks, the one reader. */
export {
  externalRef,
  isExternal,
  safeLocation,
  refEntries,
  replaceLocation,
  type ExternalRef,
} from './location.js';
export {
  ExternalDataReader,
  checkLocation,
  checkRange,
  type ExternalDataSource,
  type ExternalFile,
  type ExternalDataReaderOptions,
} from './reader.js';
export { collectTensors, withSwappedTensors, type TensorSlot } from './tensors.js';
export { inlineExternalData } from './inline.js';
