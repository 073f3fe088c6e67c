/** A model's external data in Node: the files of its folder, for the reader and for onnxruntime-node. */
import { folderSource } from '../../io/external-files.js';
import type { ModelFiles } from '../model-sessions.js';

/** The external data files of a model whose locations are relative to `dir`. */
export function folderModelFiles(dir: string): ModelFiles {
  return {
    ...folderSource(dir),
    // From bytes onnxruntime resolves external locations against the working directory unless told
    // the model's folder through this session config entry.
    sessionOptions: () => ({ extra: { session: { model_external_initializers_file_folder_path: dir } } }),
  };
}
