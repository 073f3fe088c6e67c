/**
 * Where a loaded model came from. External data locations are relative to the model file's folder,
 * so saving needs that folder; it is remembered per model object instead of being stored in the
 * protobuf tree (which must encode to exactly what was read).
 */

/** The file a model was loaded from. */
export interface ModelOrigin {
  /** Absolute path of the .onnx file. */
  readonly path: string;
  /** Absolute folder that external data locations are relative to. */
  readonly baseDir: string;
  /** Size of the .onnx file in bytes. */
  readonly byteLength: number;
}

const origins = new WeakMap<object, ModelOrigin>();

/** Records the origin of a model object (done by loadModel). */
export function rememberOrigin(model: object, origin: ModelOrigin): void {
  origins.set(model, origin);
}

/**
 * The file `model` was loaded from by {@link loadModel}, or undefined for a model built in memory
 * (or a copy of a loaded one: the origin follows the object, not its contents).
 */
export function modelOrigin(model: object): ModelOrigin | undefined {
  return origins.get(model);
}
