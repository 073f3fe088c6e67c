// An independent decoder (the npm package onnx-proto: onnx 1.10's generated protobufjs 6 code, IR 8)
// must read the same graph from the fixtures as our IR 13 codec does: node names, op types,
// attributes, initializer names, dims and bytes.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel, type Int64 } from '../../src/codec/index.js';
import { int64ToNumber } from '../../src/codec/int64.js';

interface LongLike {
  toNumber(): number;
}
const require = createRequire(import.meta.url);
// onnx-proto ships no types of its own.
// (biome.json allows `any` in this file only.)
const { onnx } = require('onnx-proto') as { onnx: any };

const num = (v: number | LongLike): number => (typeof v === 'number' ? v : v.toNumber());
const FIXTURES = [
  'models/mini_resnet_bottleneck_op13.onnx',
  'models/mini_resnet_bottleneck_op17.onnx',
  'models/mini_resnet_bottleneck_sge_g8_op13.onnx',
  'models/mini_vgg_caffe_op13.onnx',
  'ir13/mini_resnet_ir13_future_fields.onnx',
];

describe('cross-check with onnx-proto', () => {
  it.each(FIXTURES)('%s: same nodes, attributes and initializers', (rel) => {
    const bytes = new Uint8Array(readFileSync(new URL(`../../fixtures/${rel}`, import.meta.url)));
    const ours = decodeModel(bytes);
    const theirs = onnx.ModelProto.decode(bytes);

    expect(int64ToNumber(ours.ir_version)).toBe(num(theirs.irVersion));
    expect(ours.opset_import.map((o) => [o.domain, int64ToNumber(o.version)])).toEqual(
      theirs.opsetImport.map((o: any) => [o.domain, num(o.version)]),
    );

    const g = ours.graph!;
    const tg = theirs.graph;
    expect(g.node.length).toBeGreaterThan(10);
    expect(g.node.map((n) => [n.name, n.op_type, n.input, n.output])).toEqual(
      tg.node.map((n: any) => [n.name, n.opType, n.input, n.output]),
    );
    expect(
      g.node.map((n) => n.attribute.map((a) => [a.name, a.type, a.ints.map((v: Int64) => int64ToNumber(v)), a.f])),
    ).toEqual(tg.node.map((n: any) => n.attribute.map((a: any) => [a.name, a.type, a.ints.map(num), a.f])));

    expect(g.initializer.map((t) => [t.name, t.data_type, t.dims.map((d) => int64ToNumber(d))])).toEqual(
      tg.initializer.map((t: any) => [t.name, t.dataType, t.dims.map(num)]),
    );
    g.initializer.forEach((t, i) => {
      expect(Buffer.compare(Buffer.from(t.raw_data!), Buffer.from(tg.initializer[i].rawData))).toBe(0);
    });
    expect(g.input.map((v) => v.name)).toEqual(tg.input.map((v: any) => v.name));
    expect(g.output.map((v) => v.name)).toEqual(tg.output.map((v: any) => v.name));
  });
});
