/** The file layer (Node only): loading and saving models, external data, atomic writes. */
export { loadModel, MAX_MODEL_FILE_BYTES, type LoadOptions } from './load.js';
export { saveModel, type SaveOptions, type SaveReport } from './save.js';
export type { ExternalDataOptions } from './external-plan.js';
export { modelOrigin, type ModelOrigin } from './provenance.js';
export { writeFileAtomic } from './atomic-write.js';
export { safeLocation } from '../external/location.js';
