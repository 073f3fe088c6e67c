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

/** The protobufjs reflection type of `onnx.ModelProto`. */
export const ModelProtoType: protobuf.Type = onnxRoot.lookupType('onnx.ModelProto');
