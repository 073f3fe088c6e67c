/**
 * Renaming a tensor everywhere it appears: node inputs and outputs in every scope (nested graphs read
 * outer names), graph inputs, outputs and value_info, initializers, sparse initializers and
 * quantization annotations. Nothing is left pointing at the old name.
 */
import type { ModelProto } from '../codec/types.js';
import { InputError } from '../errors.js';
import { graphScopes } from './scopes.js';

/** Counts of what a rename touched. */
export interface RenameResult {
  readonly references: number;
}

/**
 * Renames tensor `from` to `to` in the whole model. Refuses (before changing anything) when `to` is
 * already used, since that would merge two tensors. O(model).
 */
export function renameTensor(model: ModelProto, from: string, to: string): RenameResult {
  if (from === to) return { references: 0 };
  const scopes = [...graphScopes(model)];
  for (const { graph } of scopes) {
    const clash =
      graph.node.some((n) => n.input.includes(to) || n.output.includes(to)) ||
      graph.initializer.some((t) => t.name === to) ||
      [...graph.input, ...graph.output, ...graph.value_info].some((v) => v.name === to);
    if (clash)
      throw new InputError(
        `cannot rename tensor '${from}' to '${to}': that name is already used`,
        'choose a fresh name',
      );
  }
  let references = 0;
  const swap = (list: string[]): void => {
    for (let i = 0; i < list.length; i++)
      if (list[i] === from) {
        list[i] = to;
        references++;
      }
  };
  for (const { graph } of scopes) {
    for (const n of graph.node) {
      swap(n.input);
      swap(n.output);
    }
    for (const v of [...graph.input, ...graph.output, ...graph.value_info])
      if (v.name === from) {
        v.name = to;
        references++;
      }
    for (const t of graph.initializer)
      if (t.name === from) {
        t.name = to;
        references++;
      }
    for (const s of graph.sparse_initializer)
      if (s.values?.name === from) {
        s.values.name = to;
        references++;
      }
    for (const a of graph.quantization_annotation)
      if (a.tensor_name === from) {
        a.tensor_name = to;
        references++;
      }
  }
  return { references };
}
