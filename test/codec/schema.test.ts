/**
 * The codec loads onnx-schema.ts, generated from onnx.proto by scripts/make-codec-schema.mjs: it must
 * be exactly what parsing the text gives, so an edit of one without regenerating fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ONNX_SCHEMA } from '../../src/codec/onnx-schema.js';
import { onnxRoot } from '../../src/codec/schema.js';
import { decodeModel } from '../../src/codec/decode.js';

const CODEC = join(import.meta.dirname, '..', '..', 'src', 'codec');
const parsed = protobuf.parse(readFileSync(join(CODEC, 'onnx.proto'), 'utf8'), { keepCase: true }).root;

describe('the precompiled codec schema', () => {
  it('equals what parsing onnx.proto gives (npm run codec-schema regenerates it)', () => {
    expect(ONNX_SCHEMA).toEqual(parsed.toJSON());
  });

  it('loads into the same types: every message, field (name, id, type, rule) and enum value', () => {
    const describe = (root: protobuf.Root) => {
      root.resolveAll();
      const out: Record<string, unknown> = {};
      const walk = (ns: protobuf.NamespaceBase) => {
        for (const o of ns.nestedArray) {
          if (o instanceof protobuf.Type)
            out[o.fullName] = o.fieldsArray.map((f) => [f.name, f.id, f.type, f.rule ?? '', f.repeated, f.packed]);
          else if (o instanceof protobuf.Enum) out[o.fullName] = o.values;
          if (o instanceof protobuf.Namespace) walk(o);
        }
      };
      walk(root);
      return out;
    };
    const loaded = describe(onnxRoot);
    expect(Object.keys(loaded).length).toBeGreaterThan(20);
    expect(loaded).toEqual(describe(parsed));
  });

  it('the shipped codec does not load the .proto parser', async () => {
    const schema = readFileSync(join(CODEC, 'schema.ts'), 'utf8');
    for (const f of ['schema.ts', 'decode.ts', 'encode.ts'])
      expect(readFileSync(join(CODEC, f), 'utf8')).not.toMatch(/from 'protobufjs'/);
    expect(schema).toContain('Root.fromJSON');
  });

  it("decodes as protobufjs's own type setup does (schema.ts generates decoders alone), unknown fields kept", () => {
    // The reference: the text-parsed root, whose types set themselves up in full on first decode.
    const reference = (bytes: Uint8Array) => {
      const reader = protobuf.Reader.create(bytes);
      reader.discardUnknown = false;
      return parsed.lookupType('onnx.ModelProto').decode(reader) as unknown as Record<string, unknown>;
    };
    const models = join(CODEC, '..', '..', 'fixtures', 'models');
    for (const name of ['mini_resnet_bottleneck_op13.onnx', 'mini_resnet_bottleneck_sge_g8_op17.onnx']) {
      const file = new Uint8Array(readFileSync(join(models, name)));
      // Field 1000 (varint 7) and field 1001 (bytes 'ab') are unknown to ModelProto.
      const bytes = new Uint8Array([...file, 0xc0, 0x3e, 7, 0xca, 0x3e, 2, 0x61, 0x62]);
      const ours = decodeModel(bytes) as unknown as Record<string, unknown>;
      const theirs = reference(bytes);
      expect(ours).toEqual(theirs);
      const unknowns = (m: Record<string, unknown>) =>
        (m as { $unknowns?: Uint8Array[] }).$unknowns?.map((u) => [...u]);
      expect(unknowns(ours)).toEqual([
        [0xc0, 0x3e, 7],
        [0xca, 0x3e, 2, 0x61, 0x62],
      ]);
      expect(unknowns(ours)).toEqual(unknowns(theirs));
    }
  });
});
