/**
 * Fresh names. The authority knows every node, tensor, initializer and value-info name of the model
 * (all scopes) and hands out names that collide with none of them; it never renames anything.
 */
import type { ModelProto } from '../codec/types.js';
import { graphScopes } from './scopes.js';

/** Hands out names unused anywhere in the model; O(1) per name after an O(model) start. */
export class NameAuthority {
  private readonly taken = new Set<string>();

  /** Collects every name used in `model`. */
  constructor(model?: ModelProto) {
    if (!model) return;
    for (const { graph } of graphScopes(model)) {
      if (graph.name) this.taken.add(graph.name);
      for (const n of graph.node) {
        if (n.name) this.taken.add(n.name);
        for (const s of n.input) if (s) this.taken.add(s);
        for (const s of n.output) if (s) this.taken.add(s);
      }
      for (const t of graph.initializer) if (t.name) this.taken.add(t.name);
      for (const t of graph.sparse_initializer) if (t.values?.name) this.taken.add(t.values.name);
      for (const v of [...graph.input, ...graph.output, ...graph.value_info]) if (v.name) this.taken.add(v.name);
    }
  }

  /** True when `name` is already in use. */
  has(name: string): boolean {
    return this.taken.has(name);
  }

  /** Marks `name` as used (for names chosen elsewhere). */
  reserve(name: string): void {
    this.taken.add(name);
  }

  /** `base` if free, else `base_1`, `base_2`, …; the name returned is reserved. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }
}
