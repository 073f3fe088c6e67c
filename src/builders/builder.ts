/**
 * Collects the nodes and constants of an expansion in topological order (each op is added after its
 * inputs), names them under one prefix, and shares equal constants.
 */
import type { AttributeProto, NodeProto, TensorProto } from '../codec/types.js';
import { DataType } from '../codec/types.js';
import { makeAttribute, makeInt64Tensor, makeNode, makeTensor } from '../graph/factory.js';
import { checkOpset } from './opsets.js';

/** Options of {@link OpBuilder}. */
export interface OpBuilderOptions {
  /** The ai.onnx opset the ops are written for (11…26). */
  readonly opset: number;
  /** Prefix of every generated node, value and constant name, joined with '/'; '' for none. */
  readonly prefix?: string;
  /**
   * Turns a wanted name into one unique in the target graph (e.g. NameAuthority.fresh). Called once
   * per generated name; default identity. Names given explicitly (`output`, `name`) bypass it.
   */
  readonly freshName?: (base: string) => string;
  /**
   * Where constants go: 'initializer' (default; graph initializers) or 'node' (Constant nodes, the
   * only way inside a FunctionProto, which has no initializers).
   */
  readonly constants?: 'initializer' | 'node';
}

/** Per-op extras of {@link OpBuilder.op}. */
export interface OpExtras {
  readonly attributes?: readonly AttributeProto[];
  /** Output value name, verbatim (default: a fresh `<prefix>/<label>_output`). */
  readonly output?: string;
  /** Node name, verbatim (default: a fresh `<prefix>/<label>`). */
  readonly name?: string;
  readonly docString?: string;
}

/** Accumulates NodeProtos and constant tensors for one ai.onnx opset. */
export class OpBuilder {
  readonly opset: number;
  /** Nodes in the order added (topological, when each op is added after its inputs). */
  readonly nodes: NodeProto[] = [];
  /** Constant initializers (empty when constants are Constant nodes). */
  readonly initializers: TensorProto[] = [];
  private readonly prefix: string;
  private readonly fresh: (base: string) => string;
  private readonly constantsAs: 'initializer' | 'node';
  private readonly used = new Set<string>();
  private readonly constantCache = new Map<string, string>();

  /** @throws InputError when `opset` is outside 11…26. */
  constructor(options: OpBuilderOptions) {
    checkOpset(options.opset);
    this.opset = options.opset;
    this.prefix = options.prefix ?? '';
    this.fresh = options.freshName ?? ((b) => b);
    this.constantsAs = options.constants ?? 'initializer';
  }

  /** A new name for `label` under the prefix, unique among this builder's names and per `freshName`. */
  name(label: string): string {
    const base = this.prefix ? `${this.prefix}/${label}` : label;
    let name = this.fresh(base);
    for (let i = 2; this.used.has(name); i++) name = this.fresh(`${base}_${i}`);
    this.used.add(name);
    return name;
  }

  /** Adds a node `opType(inputs)` with one output; returns the output's name. */
  op(opType: string, inputs: readonly string[], label: string, extras: OpExtras = {}): string {
    const output = extras.output ?? this.name(`${label}_output`);
    const name = extras.name ?? this.name(label);
    this.used.add(output).add(name);
    this.nodes.push(
      makeNode({
        op_type: opType,
        input: [...inputs],
        output: [output],
        name,
        attribute: extras.attributes ? [...extras.attributes] : [],
        ...(extras.docString ? { doc_string: extras.docString } : {}),
      }),
    );
    return output;
  }

  /** An INT64 constant (shapes, axes); equal constants are shared. `dims` default [values.length]. */
  int64(label: string, values: readonly number[], dims: number[] = [values.length]): string {
    return this.constant(label, `i64|${dims.join(',')}|${values.join(',')}`, (name) =>
      makeInt64Tensor(name, dims, [...values]),
    );
  }

  /** A FLOAT constant; equal constants are shared. `dims` default [] (a scalar) for one value. */
  float32(
    label: string,
    values: readonly number[],
    dims: number[] = values.length === 1 ? [] : [values.length],
  ): string {
    const data = Float32Array.from(values);
    return this.constant(label, `f32|${dims.join(',')}|${Array.from(data).join(',')}`, (name) =>
      makeTensor(name, dims, data, DataType.FLOAT),
    );
  }

  private constant(label: string, key: string, make: (name: string) => TensorProto): string {
    const cached = this.constantCache.get(key);
    if (cached !== undefined) return cached;
    let name: string;
    if (this.constantsAs === 'initializer') {
      name = this.name(label);
      this.initializers.push(make(name));
    } else {
      name = this.op('Constant', [], label, { attributes: [makeAttribute('value', { tensor: make('') })] });
    }
    this.constantCache.set(key, name);
    return name;
  }
}
