/**
 * onnxruntime-node, imported lazily so that the rest of the library, and CLI commands that never run
 * a model, do not load the native binding.
 */
import { InputError } from '../../errors.js';
import { message, type OrtModule } from '../session.js';

let ortPromise: Promise<OrtModule> | undefined;

/**
 * Loads onnxruntime-node once.
 * @throws InputError when the package or its native binding cannot be loaded (e.g. its install
 * script did not run on this platform).
 */
export function loadOrt(): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-node').then(
    (m) => m,
    (err: unknown) => {
      ortPromise = undefined;
      throw new InputError(
        `onnxruntime-node could not be loaded: ${message(err)}`,
        'validation runs models in onnxruntime-node 1.30; reinstall it (npm ci) on a supported platform',
        { cause: err },
      );
    },
  );
  return ortPromise;
}
