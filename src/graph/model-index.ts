/**
 * A read-only index of who produces and who reads each tensor, across the main graph and all nested
 * graphs. It is a snapshot: build a new one after editing (building is O(nodes + edges)).
 */
import type { ModelProto, NodeProto, TensorProto, ValueInfoProto } from '../codec/types.js';
import { graphScopes, type GraphScope } from './scopes.js';

/** A node and its place. */
export interface NodeRef {
  readonly node: NodeProto;
  readonly scope: GraphScope;
}

/** One read of a tensor: a node input, or a graph output of some scope. */
export type TensorUse =
  | { readonly kind: 'node'; readonly node: NodeProto; readonly scope: GraphScope; readonly inputIndex: number }
  | { readonly kind: 'graph-output'; readonly scope: GraphScope; readonly outputIndex: number };

/** Where a name is defined when no node produces it. */
export type TensorSource =
  | { readonly kind: 'node'; readonly node: NodeProto; readonly scope: GraphScope; readonly outputIndex: number }
  | { readonly kind: 'initializer'; readonly tensor: TensorProto; readonly scope: GraphScope }
  | { readonly kind: 'graph-input'; readonly value: ValueInfoProto; readonly scope: GraphScope };

/** Producers, uses, value infos and initializers by tensor name, model-wide. */
export class ModelIndex {
  private readonly sources = new Map<string, TensorSource>();
  private readonly uses = new Map<string, TensorUse[]>();
  private readonly infos = new Map<string, ValueInfoProto>();
  /** Every scope, outer before inner. */
  readonly scopes: readonly GraphScope[];

  /** Indexes `model` as it is now. */
  constructor(readonly model: ModelProto) {
    this.scopes = [...graphScopes(model)];
    for (const scope of this.scopes) {
      const g = scope.graph;
      // Later definitions do not replace earlier ones: graph inputs that are also initializers
      // (IR < 4 style) count as initializers, which is what decides whether they are constants.
      for (const t of g.initializer) if (t.name) this.define(t.name, { kind: 'initializer', tensor: t, scope });
      for (const v of g.input) if (v.name) this.define(v.name, { kind: 'graph-input', value: v, scope });
      for (const v of [...g.input, ...g.output, ...g.value_info])
        if (v.name && !this.infos.has(v.name)) this.infos.set(v.name, v);
      for (const node of g.node) {
        node.output.forEach((name, outputIndex) => {
          if (name) this.define(name, { kind: 'node', node, scope, outputIndex });
        });
        node.input.forEach((name, inputIndex) => {
          if (name) this.use(name, { kind: 'node', node, scope, inputIndex });
        });
      }
      g.output.forEach((v, outputIndex) => {
        if (v.name) this.use(v.name, { kind: 'graph-output', scope, outputIndex });
      });
    }
  }

  private define(name: string, source: TensorSource): void {
    if (!this.sources.has(name) || source.kind === 'node') this.sources.set(name, source);
  }

  private use(name: string, use: TensorUse): void {
    const list = this.uses.get(name);
    if (list) list.push(use);
    else this.uses.set(name, [use]);
  }

  /** The node that produces `name`, if any (in any scope). */
  producer(name: string): NodeRef | undefined {
    const s = this.sources.get(name);
    return s?.kind === 'node' ? { node: s.node, scope: s.scope } : undefined;
  }

  /** What defines `name`: a node output, an initializer or a graph input. */
  source(name: string): TensorSource | undefined {
    return this.sources.get(name);
  }

  /** Every read of `name`: node inputs in any scope (outer-scope reads included) and graph outputs. */
  consumers(name: string): readonly TensorUse[] {
    return this.uses.get(name) ?? [];
  }

  /** The node consumers only. */
  consumerNodes(name: string): NodeRef[] {
    return this.consumers(name).flatMap((u) => (u.kind === 'node' ? [{ node: u.node, scope: u.scope }] : []));
  }

  /** True when `name` is an output of the main graph or of any nested graph. */
  isGraphOutput(name: string): boolean {
    return this.consumers(name).some((u) => u.kind === 'graph-output');
  }

  /** The initializer called `name`, if any. */
  initializer(name: string): TensorProto | undefined {
    const s = this.sources.get(name);
    if (s?.kind === 'initializer') return s.tensor;
    // A node may shadow nothing in valid models; keep looking only among initializers.
    for (const scope of this.scopes) for (const t of scope.graph.initializer) if (t.name === name) return t;
    return undefined;
  }

  /** The value info (graph input, output or value_info entry) describing `name`, if any. */
  valueInfo(name: string): ValueInfoProto | undefined {
    return this.infos.get(name);
  }

  /** Every tensor name that is defined or used anywhere. */
  tensorNames(): Set<string> {
    return new Set([...this.sources.keys(), ...this.uses.keys(), ...this.infos.keys()]);
  }
}
