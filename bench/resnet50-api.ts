// Fallback model for bench/io.bench.ts when torch is unavailable: the ResNet-50 graph (BatchNorm folded
// into the convolutions, as torch.onnx exports it) with seeded random weights, built with this
// project's own factory functions and saved with saveModel. About 102 MB, like the torchvision export.
import {
  createPrng,
  DataType,
  makeAttribute,
  makeGraph,
  makeModel,
  makeNode,
  makeOpset,
  makeTensor,
  makeValueInfo,
  saveModel,
  type NodeProto,
  type TensorProto,
} from 'sge-inject';

function randoms(n: number, seed: number, scale: number): Float32Array {
  const uniform = createPrng(seed).uniform;
  return Float32Array.from({ length: n }, () => (uniform() * 2 - 1) * scale);
}

export async function buildResNet50(path: string): Promise<void> {
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let seed = 1;
  let n = 0;
  const conv = (x: string, cin: number, cout: number, k: number, stride: number, relu: boolean): string => {
    const id = `conv${n++}`;
    inits.push(
      makeTensor(`${id}.weight`, [cout, cin, k, k], randoms(cout * cin * k * k, seed++, Math.sqrt(2 / (cin * k * k)))),
    );
    inits.push(makeTensor(`${id}.bias`, [cout], randoms(cout, seed++, 0.01)));
    const pad = (k - 1) >> 1;
    nodes.push(
      makeNode({
        op_type: 'Conv',
        name: `/${id}/Conv`,
        input: [x, `${id}.weight`, `${id}.bias`],
        output: [`/${id}/Conv_output_0`],
        attribute: [
          makeAttribute('kernel_shape', { ints: [k, k] }),
          makeAttribute('pads', { ints: [pad, pad, pad, pad] }),
          makeAttribute('strides', { ints: [stride, stride] }),
        ],
      }),
    );
    let y = `/${id}/Conv_output_0`;
    if (relu) {
      nodes.push(makeNode({ op_type: 'Relu', name: `/${id}/Relu`, input: [y], output: [`/${id}/Relu_output_0`] }));
      y = `/${id}/Relu_output_0`;
    }
    return y;
  };
  let x = conv('input', 3, 64, 7, 2, true);
  nodes.push(
    makeNode({
      op_type: 'MaxPool',
      name: '/maxpool/MaxPool',
      input: [x],
      output: ['/maxpool/MaxPool_output_0'],
      attribute: [
        makeAttribute('kernel_shape', { ints: [3, 3] }),
        makeAttribute('pads', { ints: [1, 1, 1, 1] }),
        makeAttribute('strides', { ints: [2, 2] }),
      ],
    }),
  );
  x = '/maxpool/MaxPool_output_0';
  let cin = 64;
  const stages: [blocks: number, width: number, stride: number][] = [
    [3, 64, 1],
    [4, 128, 2],
    [6, 256, 2],
    [3, 512, 2],
  ];
  stages.forEach(([blocks, width, stride], stage) => {
    for (let b = 0; b < blocks; b++) {
      const s = b === 0 ? stride : 1;
      const a = conv(x, cin, width, 1, 1, true);
      const m = conv(a, width, width, 3, s, true);
      const c = conv(m, width, width * 4, 1, 1, false);
      const skip = b === 0 ? conv(x, cin, width * 4, 1, s, false) : x;
      const sum = `/layer${stage + 1}.${b}/Add_output_0`;
      nodes.push(makeNode({ op_type: 'Add', name: `/layer${stage + 1}.${b}/Add`, input: [c, skip], output: [sum] }));
      nodes.push(
        makeNode({ op_type: 'Relu', name: `/layer${stage + 1}.${b}/Relu`, input: [sum], output: [`${sum}/relu`] }),
      );
      x = `${sum}/relu`;
      cin = width * 4;
    }
  });
  nodes.push(makeNode({ op_type: 'GlobalAveragePool', name: '/avgpool', input: [x], output: ['/avgpool_output_0'] }));
  nodes.push(
    makeNode({
      op_type: 'Flatten',
      name: '/Flatten',
      input: ['/avgpool_output_0'],
      output: ['/Flatten_output_0'],
      attribute: [makeAttribute('axis', { int: 1 })],
    }),
  );
  inits.push(makeTensor('fc.weight', [1000, 2048], randoms(1000 * 2048, seed++, 0.02)));
  inits.push(makeTensor('fc.bias', [1000], randoms(1000, seed++, 0.01)));
  nodes.push(
    makeNode({
      op_type: 'Gemm',
      name: '/fc/Gemm',
      input: ['/Flatten_output_0', 'fc.weight', 'fc.bias'],
      output: ['logits'],
      attribute: [makeAttribute('transB', { int: 1 })],
    }),
  );
  const graph = makeGraph({
    name: 'resnet50',
    node: nodes,
    initializer: inits,
    input: [makeValueInfo('input', DataType.FLOAT, ['N', 3, 224, 224])],
    output: [makeValueInfo('logits', DataType.FLOAT, ['N', 1000])],
  });
  await saveModel(makeModel(graph, [makeOpset('', 13)]), path);
}
