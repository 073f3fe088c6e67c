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
});
