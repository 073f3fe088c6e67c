/**
 * The ONNX wire schema up to IR 13 (the text is onnx.proto beside this file). The codec loads its
 * precompiled form, onnx-schema.ts, with protobufjs's light build: no .proto parser is loaded or run at
 * start-up, and the core stays free of file-system access.
 */
import protobuf from 'protobufjs/light.js';
import { ONNX_SCHEMA } from './onnx-schema.js';

/** The parsed schema root; message types are looked up as `onnx.<Name>`. */
export const onnxRoot: protobuf.Root = protobuf.Root.fromJSON(ONNX_SCHEMA);
onnxRoot.resolveAll();

/**
 * protobufjs sets a type up on its first decode by generating five functions from source text (encode,
 * decode, verify, fromObject, toObject). The codec decodes with them and nothing else (encode.ts walks
 * the reflection), so each type here generates its decoder alone, the same way Type#setup does, when it
 * first decodes: half the cost of a process's first decode (the mini ResNet: ~11 → ~5 ms, bench/NOTES.md).
 * The other methods keep protobufjs's own lazy setup, which also replaces this decoder by an equal one.
 */
function setUpDecodersOnFirstUse(namespace: protobuf.NamespaceBase): void {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Type) {
      const type = nested;
      type.decode = (reader, length) => {
        const types = type.fieldsArray.map((field) => field.resolve().resolvedType);
        const generate = protobuf.decoder(type) as unknown as (scope: object) => protobuf.Type['decode'];
        type.decode = generate({ Reader: protobuf.Reader, types, util: protobuf.util, C: type.ctor });
        return type.decode(reader, length);
      };
      setUpDecodersOnFirstUse(type);
    } else if (nested instanceof protobuf.Namespace) setUpDecodersOnFirstUse(nested);
  }
}
setUpDecodersOnFirstUse(onnxRoot);

/** The protobufjs reflection type of `onnx.ModelProto`. */
export const ModelProtoType: protobuf.Type = onnxRoot.lookupType('onnx.ModelProto');
