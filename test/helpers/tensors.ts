/** Reading the fixtures' TensorProto `.pb` files (test-only: uses node:fs). */
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { onnxRoot } from '../../src/codec/schema.js';
import type { TensorProto } from '../../src/codec/types.js';
import { tensorDims, tensorToFloat32 } from '../../src/tensor/read.js';

const TensorProtoType = onnxRoot.lookupType('onnx.TensorProto');

/** The TensorProto message of a `.pb` file. */
export function readTensorProto(path: string): TensorProto {
  return TensorProtoType.decode(readFileSync(path)) as unknown as TensorProto;
}

/** A `.pb` tensor as dims + float32 values. */
export function readTensorPb(path: string): { dims: number[]; data: Float32Array } {
  const t = readTensorProto(path);
  return { dims: tensorDims(t), data: tensorToFloat32(t) };
}

/** One fixtures/sge-op case: inputs, PyTorch's output and meta.json. */
export interface SgeOpCase {
  readonly name: string;
  readonly x: { dims: number[]; data: Float32Array };
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly y: Float32Array;
  readonly meta: { groups: number; shape: number[]; init: string; y_has_nan: boolean };
}

const SGE_OP_DIR = fileURLToPath(new URL('../../fixtures/sge-op/', import.meta.url));

/** Names of the sge-op fixture cases. */
export const SGE_OP_CASES = [
  'basic_2x64x7x7_g8',
  'constant_input_1x16x5x5_g4',
  'paper_init_2x64x8x8_g16',
  'resnet_stage1_1x256x56x56_g64',
  'single_pixel_2x64x1x1_g8',
] as const;

/** Loads one sge-op case. */
export function loadSgeOpCase(name: string): SgeOpCase {
  const dir = `${SGE_OP_DIR}${name}/`;
  return {
    name,
    x: readTensorPb(`${dir}x.pb`),
    weight: readTensorPb(`${dir}weight.pb`).data,
    bias: readTensorPb(`${dir}bias.pb`).data,
    y: readTensorPb(`${dir}y.pb`).data,
    meta: JSON.parse(readFileSync(`${dir}meta.json`, 'utf8')) as SgeOpCase['meta'],
  };
}
