// copyMessage, the one shallow copy of a message: the copy encodes as the original does, unknown
// fields included, and absent fields stay absent.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { copyMessage, decodeModel, encodeModel } from '../../src/codec/index.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/models/mini_resnet_bottleneck_op13.onnx', import.meta.url));

/** The fixture with an unknown field appended to the ModelProto: field 1000, varint 1 (tag 8000 = c0 3e). */
function withUnknownField(): Uint8Array {
  const bytes = new Uint8Array(readFileSync(FIXTURE));
  const out = new Uint8Array(bytes.length + 3);
  out.set(bytes);
  out.set([0xc0, 0x3e, 0x01], bytes.length);
  return out;
}

describe('copyMessage', () => {
  it('keeps unknown fields and absent fields: the copy encodes to the same bytes', () => {
    const bytes = withUnknownField();
    const model = decodeModel(bytes);
    const copy = copyMessage(model, { graph: copyMessage(model.graph!) });
    expect(copy).not.toBe(model);
    expect(Buffer.from(encodeModel(copy)).equals(Buffer.from(bytes))).toBe(true);
    // Object.assign onto the prototype, as two copies did before, drops them.
    const assigned = Object.assign(Object.create(Object.getPrototypeOf(model) as object) as typeof model, model);
    expect(encodeModel(assigned).length).toBe(bytes.length - 3);
  });

  it('sets the given fields on the copy only', () => {
    const model = decodeModel(withUnknownField());
    const copy = copyMessage(model, { producer_name: 'someone else', training_info: [] });
    expect(copy.producer_name).toBe('someone else');
    expect(model.producer_name).toBe('pytorch');
    expect(copy.graph).toBe(model.graph);
  });
});
