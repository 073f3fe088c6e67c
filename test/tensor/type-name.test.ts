/** Element type names: one per ONNX DataType, checked against the enum of the codec's ONNX schema. */
import { describe, expect, it } from 'vitest';
import { ONNX_SCHEMA } from '../../src/codec/onnx-schema.js';
import { dataTypeName } from '../../src/tensor/type-name.js';

const onnx = ONNX_SCHEMA.nested!.onnx as { nested: Record<string, { nested?: Record<string, { values?: object }> }> };
const ENUM = onnx.nested.TensorProto.nested!.DataType.values as Record<string, number>;
/** Where onnxruntime's name differs from the lower-cased ONNX enum name. */
const RUNTIME_NAMES: Record<string, string> = { FLOAT: 'float32', DOUBLE: 'float64' };

describe('dataTypeName', () => {
  it('names every DataType of the schema: onnxruntime’s name, else the enum name in lower case', () => {
    expect(Object.keys(ENUM).length).toBeGreaterThan(20);
    for (const [name, value] of Object.entries(ENUM))
      expect(dataTypeName(value), name).toBe(RUNTIME_NAMES[name] ?? name.toLowerCase());
  });

  it('says "DataType N" for a number no ONNX version defines, and treats absent as undefined (0)', () => {
    const unknown = Math.max(...Object.values(ENUM)) + 1;
    expect(dataTypeName(unknown)).toBe(`DataType ${unknown}`);
    expect(dataTypeName(-1)).toBe('DataType -1');
    expect(dataTypeName(undefined)).toBe('undefined');
  });
});
