/** What a model is, in a few lines: file, size, IR version, opsets, producer, inputs and outputs with shapes. */
import { int64ToNumber } from '../codec/int64.js';
import type { ModelProto, ValueInfoProto } from '../codec/types.js';
import { declaredDims } from '../graph/dims.js';
import { canonicalDomain } from '../graph/opset.js';
import { dataTypeName } from '../tensor/type-name.js';

/** A graph input or output as the summary shows it. */
export interface SummaryValue {
  readonly name: string;
  /** Element type ('float32', …), or `DataType N` when validation has no name for it. */
  readonly type: string;
  /** `1×3×224×224`, `N×3×?×?`, or `(rank unknown)`. */
  readonly shape: string;
}

/** The facts the page shows above the site table. */
export interface ModelSummary {
  readonly file: string;
  readonly bytes: number;
  readonly irVersion: number;
  /** `ai.onnx 13`, `com.microsoft 1`, … */
  readonly opsets: readonly string[];
  /** `pytorch 2.5.0`, or '' when the model does not say. */
  readonly producer: string;
  readonly inputs: readonly SummaryValue[];
  readonly outputs: readonly SummaryValue[];
}

function describeValue(vi: ValueInfoProto): SummaryValue {
  const dataType = vi.type?.tensor_type?.elem_type ?? 0;
  const dims = declaredDims(vi.type);
  return {
    name: vi.name ?? '',
    type: dataTypeName(dataType),
    shape: dims ? dims.map((d) => (d === undefined ? '?' : String(d))).join('×') || 'scalar' : '(rank unknown)',
  };
}

/** Summarizes a decoded model; `file` and `bytes` are its name and size as the user gave them. */
export function summarizeModel(model: ModelProto, file: string, bytes: number): ModelSummary {
  const graph = model.graph;
  const initialized = new Set(graph?.initializer.map((t) => t.name ?? '') ?? []);
  return {
    file,
    bytes,
    irVersion: int64ToNumber(model.ir_version),
    opsets: model.opset_import.map(
      (o) => `${canonicalDomain(o.domain ?? '') || 'ai.onnx'} ${int64ToNumber(o.version)}`,
    ),
    producer: [model.producer_name, model.producer_version].filter(Boolean).join(' '),
    // Inputs that are initializers are weights with defaults, not what the model is fed.
    inputs: (graph?.input ?? []).filter((vi) => !initialized.has(vi.name ?? '')).map(describeValue),
    outputs: (graph?.output ?? []).map(describeValue),
  };
}

/** `12.3 MiB`, `845 KiB`, `512 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(0)} KiB`;
  return `${n} bytes`;
}
