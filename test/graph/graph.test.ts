import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, type ModelProto } from '../../src/codec/index.js';
import {
  addOpsetImport,
  findNodes,
  GraphCycleError,
  makeAttribute,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  ModelIndex,
  NameAuthority,
  opsetVersion,
  raiseIrVersion,
  removeUnusedCreated,
  renameTensor,
  replaceUses,
  restoreIrVersion,
  spliceAfterOutput,
  topologicalSort,
  irVersion,
  ORIGINAL_IR_KEY,
  nearestNames,
} from '../../src/graph/index.js';

const fixture = (p: string): ModelProto =>
  decodeModel(new Uint8Array(readFileSync(new URL(`../../fixtures/${p}`, import.meta.url))));

/** x → Relu → If(cond) { then: Conv(x_relu) ; else: Identity(x_relu) } → out; the branches read an outer name. */
function modelWithIf(): ModelProto {
  const w = makeTensor('w', [4, 4, 1, 1], new Float32Array(16).fill(0.5));
  const thenG = makeGraph({
    name: 'then',
    node: [makeNode({ op_type: 'Conv', name: 'inner_conv', input: ['r', 'w'], output: ['then_out'] })],
    output: [makeValueInfo('then_out', 1, ['N', 4, 3, 3])],
  });
  const elseG = makeGraph({
    name: 'else',
    node: [makeNode({ op_type: 'Identity', name: 'inner_id', input: ['r'], output: ['else_out'] })],
    output: [makeValueInfo('else_out', 1, ['N', 4, 3, 3])],
  });
  const g = makeGraph({
    name: 'g',
    node: [
      makeNode({ op_type: 'Relu', name: 'relu', input: ['x'], output: ['r'] }),
      makeNode({
        op_type: 'If',
        name: 'if',
        input: ['cond'],
        output: ['out'],
        attribute: [makeAttribute('then_branch', { graph: thenG }), makeAttribute('else_branch', { graph: elseG })],
      }),
    ],
    initializer: [w],
    input: [makeValueInfo('x', 1, ['N', 4, 3, 3]), makeValueInfo('cond', 9, [])],
    output: [makeValueInfo('out', 1, ['N', 4, 3, 3])],
  });
  return makeModel(g, [{ domain: '', version: 17 }]);
}

describe('selection', () => {
  it('a glob with * crossing / picks exactly the torch conv3 nodes, the same as an anchored re: pattern', () => {
    const m = fixture('models/mini_resnet_bottleneck_op13.onnx');
    const byGlob = findNodes(m, { include: ['*/conv3/Conv'] }).map((x) => x.node.name);
    const byRe = findNodes(m, { include: ['re:.*/conv3/Conv'] }).map((x) => x.node.name);
    const byHand = m.graph!.node.filter((n) => n.name!.endsWith('/conv3/Conv')).map((n) => n.name);
    expect(byHand.length).toBeGreaterThan(0);
    expect(byGlob).toEqual(byHand);
    expect(byRe).toEqual(byHand);
  });

  it('is anchored: a pattern that matches only part of a name selects nothing', () => {
    const m = fixture('models/mini_resnet_bottleneck_op13.onnx');
    expect(findNodes(m, { include: ['conv3/Conv'] })).toHaveLength(0);
    expect(findNodes(m, { include: ['re:conv3'] })).toHaveLength(0);
  });

  it('matches output names when nodes are unnamed (Caffe-converted models)', () => {
    const m = fixture('models/mini_vgg_caffe_op13.onnx');
    const hits = findNodes(m, { include: ['conv4_*'], opTypes: ['Conv'] });
    expect(hits.map((h) => h.node.output[0])).toEqual(['conv4_1', 'conv4_2', 'conv4_3']);
    expect(hits.every((h) => !h.node.name)).toBe(true);
  });

  it('exclude removes matches and op types restrict them', () => {
    const m = fixture('models/mini_resnet_bottleneck_op13.onnx');
    const all = findNodes(m, { include: ['*/conv3/Conv'] });
    const some = findNodes(m, { include: ['*/conv3/Conv'], exclude: ['/layer1/*'] });
    expect(some.length).toBeLessThan(all.length);
    expect(some.every((s) => !s.node.name!.startsWith('/layer1/'))).toBe(true);
    expect(findNodes(m, { include: ['*/conv3/Conv'], opTypes: ['Relu'] })).toHaveLength(0);
  });

  it('finds nodes inside If branches', () => {
    const hits = findNodes(modelWithIf(), { include: ['inner_*'] });
    expect(hits.map((h) => h.node.name)).toEqual(['inner_conv', 'inner_id']);
    expect(hits[0]!.scope.depth).toBe(1);
    expect(hits[0]!.scope.path).toContain('then_branch');
  });

  it('suggests near names', () => {
    expect(nearestNames('conv4_*', ['conv4_1', 'pool4', 'conv1_1', 'fc6'], 2)).toEqual(['conv4_1', 'conv1_1']);
  });
});

describe('ModelIndex', () => {
  it('sees outer-scope reads from subgraphs as consumers', () => {
    const index = new ModelIndex(modelWithIf());
    const readers = index
      .consumerNodes('r')
      .map((c) => c.node.name)
      .sort();
    expect(readers).toEqual(['inner_conv', 'inner_id']);
    expect(index.producer('r')?.node.name).toBe('relu');
    expect(index.isGraphOutput('out')).toBe(true);
    expect(index.source('w')?.kind).toBe('initializer');
  });
});

describe('spliceAfterOutput', () => {
  it('gives the conv output a fresh name and lets the block produce the original name; readers stay as they were', () => {
    const m = modelWithIf();
    const g = m.graph!;
    const relu = g.node[0]!;
    const names = new NameAuthority(m);
    const { x, y } = spliceAfterOutput({
      graph: g,
      anchor: relu,
      names,
      xBase: 'r/pre',
      build: (x, y) => ({
        nodes: [makeNode({ op_type: 'Sigmoid', name: names.fresh('sig'), input: [x], output: [y] })],
      }),
    });
    expect(y).toBe('r');
    expect(relu.output[0]).toBe(x);
    expect(g.node.map((n) => n.op_type)).toEqual(['Relu', 'Sigmoid', 'If']);
    const index = new ModelIndex(m);
    expect(index.producer('r')?.node.op_type).toBe('Sigmoid');
    expect(
      index
        .consumerNodes('r')
        .map((c) => c.node.name)
        .sort(),
    ).toEqual(['inner_conv', 'inner_id']);
  });

  it('keeps a graph output name and copies its type to the fresh name', () => {
    const m = modelWithIf();
    const g = m.graph!;
    const ifNode = g.node[1]!;
    const names = new NameAuthority(m);
    const { x } = spliceAfterOutput({
      graph: g,
      anchor: ifNode,
      names,
      xBase: 'out/pre',
      build: (x, y) => ({ nodes: [makeNode({ op_type: 'Identity', input: [x], output: [y] })] }),
    });
    expect(g.output[0]!.name).toBe('out');
    expect(g.value_info.find((v) => v.name === x)?.type).toEqual(g.output[0]!.type);
  });

  it('refuses a block that does not produce the original name and leaves the graph unchanged', () => {
    const m = modelWithIf();
    const before = encodeModel(m);
    const names = new NameAuthority(m);
    expect(() =>
      spliceAfterOutput({
        graph: m.graph!,
        anchor: m.graph!.node[0]!,
        names,
        xBase: 'x/pre',
        build: (x) => ({ nodes: [makeNode({ op_type: 'Identity', input: [x], output: ['elsewhere'] })] }),
      }),
    ).toThrow(/exactly once/);
    expect(encodeModel(m)).toEqual(before);
  });
});

describe('replaceUses', () => {
  it('rewires every read, in nested graphs too, and leaves producers and graph outputs alone', () => {
    const m = modelWithIf();
    const g = m.graph!;
    g.node.push(makeNode({ op_type: 'Neg', name: 'neg', input: ['x'], output: ['x2'] }));
    // Reads of 'r': the then branch's conv and the else branch's identity.
    expect(replaceUses(g, 'r', 'x2')).toBe(2);
    const index = new ModelIndex(m);
    expect(index.consumers('r')).toHaveLength(0);
    expect(
      index
        .consumerNodes('x2')
        .map((c) => c.node.name)
        .sort(),
    ).toEqual(['inner_conv', 'inner_id']);
    expect(g.node[0]!.output).toEqual(['r']);
    // A graph output keeps its name unless asked.
    expect(replaceUses(g, 'out', 'r')).toBe(0);
    expect(g.output[0]!.name).toBe('out');
    expect(replaceUses(g, 'out', 'r', { graphOutputs: true })).toBe(1);
    expect(g.output[0]!.name).toBe('r');
  });
});

describe('renameTensor', () => {
  it('renames in every scope, value info and outputs', () => {
    const m = modelWithIf();
    const r = renameTensor(m, 'r', 'relu_out');
    expect(r.references).toBe(3);
    const index = new ModelIndex(m);
    expect(index.consumerNodes('relu_out')).toHaveLength(2);
    expect(index.consumers('r')).toHaveLength(0);
    renameTensor(m, 'out', 'final');
    expect(m.graph!.output[0]!.name).toBe('final');
  });

  it('refuses a name already in use, changing nothing', () => {
    const m = modelWithIf();
    const before = encodeModel(m);
    expect(() => renameTensor(m, 'r', 'w')).toThrow(/already used/);
    expect(encodeModel(m)).toEqual(before);
  });
});

describe('topologicalSort', () => {
  it('leaves a sorted graph untouched and sorts a shuffled one stably', () => {
    const m = fixture('models/mini_resnet_bottleneck_op13.onnx');
    const g = m.graph!;
    const order = g.node.map((n) => n.name);
    expect(topologicalSort(g)).toBe(false);
    g.node.reverse();
    expect(topologicalSort(g)).toBe(true);
    // Any valid order puts each node after its producers.
    const seen = new Set<string>([...g.input.map((v) => v.name!), ...g.initializer.map((t) => t.name!)]);
    for (const n of g.node) {
      for (const i of n.input) if (i) expect(seen.has(i), `${n.name} reads ${i} before it is produced`).toBe(true);
      n.output.forEach((o) => {
        seen.add(o);
      });
    }
    expect(new Set(g.node.map((n) => n.name))).toEqual(new Set(order));
  });

  it('orders a node holding a subgraph after the producers of what the subgraph reads', () => {
    const m = modelWithIf();
    m.graph!.node.reverse();
    topologicalSort(m.graph!);
    expect(m.graph!.node.map((n) => n.name)).toEqual(['relu', 'if']);
  });

  it('reports a cycle with the nodes involved', () => {
    const g = makeGraph({
      node: [
        makeNode({ op_type: 'Relu', name: 'a', input: ['b_out'], output: ['a_out'] }),
        makeNode({ op_type: 'Relu', name: 'b', input: ['a_out'], output: ['b_out'] }),
        makeNode({ op_type: 'Relu', name: 'c', input: ['x'], output: ['c_out'] }),
      ],
    });
    try {
      topologicalSort(g);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GraphCycleError);
      expect((err as GraphCycleError).nodes).toEqual(['a', 'b']);
    }
  });
});

describe('cleanup, names, opsets, IR', () => {
  it('removes only what an edit created and left unused', () => {
    const m = modelWithIf();
    m.graph!.initializer.push(makeTensor('model_own_unused', [1], new Float32Array([1])));
    m.graph!.initializer.push(makeTensor('ours_unused', [1], new Float32Array([1])));
    m.graph!.node.push(makeNode({ op_type: 'Relu', name: 'ours_dead', input: ['ours_unused'], output: ['dead'] }));
    const r = removeUnusedCreated(m, new Set(['ours_unused', 'ours_dead', 'w']));
    expect(r).toEqual({ nodes: 1, initializers: 1 });
    expect(m.graph!.initializer.map((t) => t.name)).toEqual(['w', 'model_own_unused']);
  });

  it('hands out fresh names without touching existing ones', () => {
    const names = new NameAuthority(modelWithIf());
    expect(names.fresh('r')).toBe('r_1');
    expect(names.fresh('r')).toBe('r_2');
    expect(names.fresh('brand_new')).toBe('brand_new');
    expect(names.has('inner_conv')).toBe(true);
  });

  it("treats '' and 'ai.onnx' as one domain and refuses a conflicting import", () => {
    const m = modelWithIf();
    m.opset_import = [{ domain: 'ai.onnx', version: 17 }];
    expect(opsetVersion(m, '')).toBe(17);
    expect(addOpsetImport(m, '', 17)).toBe(false);
    expect(() => addOpsetImport(m, '', 13)).toThrow(/already imports/);
    expect(addOpsetImport(m, 'com.example', 1)).toBe(true);
  });

  it('raises the IR version with a record and restores only our own raise', () => {
    const m = modelWithIf();
    m.ir_version = 6;
    expect(raiseIrVersion(m, 8)).toBe(6);
    expect(m.metadata_props.find((e) => e.key === ORIGINAL_IR_KEY)?.value).toBe('6');
    expect(restoreIrVersion(m)).toBe(6);
    expect(irVersion(m)).toBe(6);
    expect(restoreIrVersion(m)).toBeUndefined();
    expect(raiseIrVersion(m, 6)).toBeUndefined();
  });
});
