import { describe, expect, it } from 'vitest';
import { DataType, type GraphProto, type ModelProto } from '../../src/codec/types.js';
import { encodeModel } from '../../src/codec/encode.js';
import { decodeModel } from '../../src/codec/decode.js';
import {
  makeAttribute,
  makeGraph,
  makeModel,
  makeNode,
  makeOpset,
  makeTensor,
  makeValueInfo,
} from '../../src/graph/factory.js';
import { findInjectedSites as findSgeSites } from '../../src/sge/detect.js';
import { withExtraOutputs, withSitesBypassed } from '../../src/validate/model-copy.js';
import { isolateSite } from '../../src/validate/site-model.js';
import { validateSge } from '../../src/validate/node/validate-sge.js';
import { addSge, convChain, seeded } from './models.js';

/** input → If(cond) { then: conv_t → out_t ; else: conv_e → out_e } → output; `sge` adds a function-mode SGE after conv_t. */
function ifModel(sge: boolean): ModelProto {
  const branch = (tag: string, withSge: boolean): GraphProto => {
    const out = `out_${tag}`;
    const convOut = withSge ? `${out}/sge_in` : out;
    const nodes = [
      makeNode({
        op_type: 'Conv',
        name: `conv_${tag}`,
        input: ['input', `w_${tag}`],
        output: [convOut],
        attribute: [makeAttribute('kernel_shape', { ints: [1, 1] })],
      }),
    ];
    const inits = [makeTensor(`w_${tag}`, [8, 3, 1, 1], seeded(24, tag === 't' ? 1 : 2))];
    if (withSge) {
      nodes.push(
        makeNode({
          op_type: 'SpatialGroupEnhance',
          domain: 'com.sge-inject',
          name: `conv_${tag}/sge`,
          input: [convOut, `conv_${tag}/sge/weight`, `conv_${tag}/sge/bias`],
          output: [out],
        }),
      );
      inits.push(
        makeTensor(`conv_${tag}/sge/weight`, [2], new Float32Array([1, 0.5])),
        makeTensor(`conv_${tag}/sge/bias`, [2], new Float32Array([0, 1])),
      );
    }
    return makeGraph({
      name: tag,
      node: nodes,
      initializer: inits,
      output: [makeValueInfo(out, DataType.FLOAT, [1, 8, 6, 6])],
    });
  };
  const graph = makeGraph({
    name: 'if_model',
    node: [
      makeNode({
        op_type: 'If',
        name: 'branch',
        input: ['cond'],
        output: ['output'],
        attribute: [
          makeAttribute('then_branch', { graph: branch('t', sge) }),
          makeAttribute('else_branch', { graph: branch('e', false) }),
        ],
      }),
    ],
    initializer: [makeTensor('cond', [], new Uint8Array([1]), DataType.BOOL)],
    input: [makeValueInfo('input', DataType.FLOAT, [1, 3, 6, 6])],
    output: [makeValueInfo('output', DataType.FLOAT, [1, 8, 6, 6])],
  });
  const m = makeModel(graph, [makeOpset('', 17), ...(sge ? [makeOpset('com.sge-inject', 1)] : [])]);
  if (sge) {
    // The function body comes from a hand-built function-mode model.
    m.functions = addSge(convChain({ input: [1, 3, 4, 4], channels: [4] }), {
      site: 'conv1',
      groups: 2,
      mode: 'function',
    }).functions;
  }
  return m;
}

describe('findSgeSites', () => {
  it('finds function-mode sites with their tensors and parameters', () => {
    const m = addSge(
      addSge(convChain({ input: [1, 3, 8, 8], channels: [8, 4] }), { site: 'conv1', groups: 2, mode: 'function' }),
      { site: 'conv2', groups: 2, mode: 'function' },
    );
    expect(
      findSgeSites(m).map((s) => [
        s.name,
        s.mode,
        s.x,
        s.y,
        s.weight,
        s.bias,
        s.scope.path,
        s.scope.depth > 0,
        s.problem,
      ]),
    ).toEqual([
      [
        'conv1',
        'function',
        'conv1_out/sge_in',
        'conv1_out',
        'conv1/sge/weight',
        'conv1/sge/bias',
        'main',
        false,
        undefined,
      ],
      ['conv2', 'function', 'output/sge_in', 'output', 'conv2/sge/weight', 'conv2/sge/bias', 'main', false, undefined],
    ]);
  });

  it('finds inline sites by the marker and the final node, with every node of the expansion', () => {
    const m = addSge(convChain({ input: [1, 3, 8, 8], channels: [8] }), { site: 'conv1', groups: 2, mode: 'inline' });
    const [site] = findSgeSites(m);
    expect(site).toMatchObject({
      name: 'conv1',
      mode: 'inline',
      x: 'output/sge_in',
      y: 'output',
      weight: 'conv1/sge/weight',
      bias: 'conv1/sge/bias',
    });
    const names = site!.nodes.map((n) => n.name);
    expect(names.every((n) => n === 'conv1/sge' || n!.startsWith('conv1/sge/'))).toBe(true);
    expect(names).toHaveLength(m.graph!.node.length - 1); // everything but the Conv
    expect(site!.outputNode!.name).toBe('conv1/sge');
  });

  it('splits a site name that itself contains /sge/ where the final node exists', () => {
    const m = convChain({ input: [1, 3, 8, 8], channels: [8] });
    m.graph!.node[0]!.name = 'a/sge/b';
    const [site] = findSgeSites(addSge(m, { site: 'a/sge/b', groups: 2, mode: 'inline' }));
    expect(site!.name).toBe('a/sge/b');
    expect(site!.problem).toBeUndefined();
  });

  it('reports an inline expansion without its final node as a malformed site', () => {
    const m = addSge(convChain({ input: [1, 3, 8, 8], channels: [8] }), { site: 'conv1', groups: 2, mode: 'inline' });
    m.graph!.node.find((n) => n.name === 'conv1/sge')!.name = 'conv1/sge/last';
    expect(findSgeSites(m)[0]!.problem).toMatch(/no final node named 'conv1\/sge'/);
  });

  it('finds sites in If branches and marks them as in a subgraph', () => {
    const [site] = findSgeSites(ifModel(true));
    expect(site).toMatchObject({
      name: 'conv_t',
      scope: { depth: 1, path: 'main > branch.then_branch', steps: [{ node: 0, attribute: 0 }] },
    });
  });

  it('finds sites in decoded models (absent fields on the prototype)', () => {
    const m = decodeModel(
      encodeModel(
        addSge(convChain({ input: [1, 3, 8, 8], channels: [8] }), { site: 'conv1', groups: 2, mode: 'inline' }),
      ),
    );
    expect(findSgeSites(m).map((s) => s.name)).toEqual(['conv1']);
  });
});

describe('model copies for the runs', () => {
  it('add outputs and bypass sites (also in subgraphs) without touching the model', () => {
    const m = decodeModel(encodeModel(ifModel(true)));
    const before = encodeModel(m);
    const exposed = withExtraOutputs(m, [{ name: 'output' }, { name: 'cond', dataType: DataType.BOOL }]);
    expect(exposed.graph!.output.map((o) => o.name)).toEqual(['output', 'cond']);
    const bypassed = withSitesBypassed(m, findSgeSites(m));
    const then = bypassed.graph!.node[0]!.attribute[0]!.g!;
    expect(then.node.map((n) => [n.op_type, n.input[0], n.output[0]])).toEqual([
      ['Conv', 'input', 'out_t/sge_in'],
      ['Identity', 'out_t/sge_in', 'out_t'],
    ]);
    expect(encodeModel(m)).toEqual(before);
    expect(findSgeSites(m)).toHaveLength(1);
  });

  it('cut a site out as a model of its own, or say why not', () => {
    const m = addSge(convChain({ input: [1, 3, 8, 8], channels: [8] }), { site: 'conv1', groups: 2, mode: 'inline' });
    const [site] = findSgeSites(m);
    const alone = isolateSite(m, site!, DataType.FLOAT, [1, 8, 8, 8]);
    expect(typeof alone).toBe('object');
    const g = (alone as ModelProto).graph!;
    expect(g.input.map((i) => i.name)).toEqual(['output/sge_in']);
    expect(g.initializer.map((t) => t.name).sort()).toEqual(['conv1/sge/bias', 'conv1/sge/weight']);
    m.graph!.node.find((n) => n.name === 'conv1/sge/gated')!.input[0] = 'input';
    expect(isolateSite(m, site!, DataType.FLOAT, [1, 8, 8, 8])).toMatch(/reads 'input', which is not an initializer/);
  });
});

describe('validateSge with a site inside an If branch', () => {
  it('reports it as not checked, with the reason, and checks that the model runs', async () => {
    const report = await validateSge(ifModel(false), ifModel(true), { runs: 1 });
    expect(report.sites).toHaveLength(1);
    expect(report.sites[0]).toMatchObject({ site: 'conv_t', verdict: 'not-checked' });
    expect(report.sites[0]!.reason).toMatch(
      /inside a subgraph \(main > branch\.then_branch\): its tensors cannot be exposed/,
    );
    expect(report.notes.join('\n')).toMatch(/1 site\(s\) inside If\/Loop\/Scan bodies were not checked site by site/);
    // Rewired right: with the SGE bypassed, the If's output is the original's.
    expect(report.outputs[0]!.bypassMaxAbs).toBe(0);
    expect(report.outputs[0]!.drift).toBeGreaterThan(0);
    expect(report.passed).toBe(true);
  });
});
