/**
 * fuseSge on torch's exports of the mini SGE-ResNet (fixtures/models: opset 13 and 17 with a dynamic
 * batch, the static opset-13 export whose reshapes bake in b·G) and on edits of them (a near miss per
 * block, opset 18). Expected results come from PyTorch (the fixtures' test data, the params file the
 * fixtures were made with, the plain network's own export) and from torch's naming of the exported
 * module (every node of a block is scoped under `…/bn3/bn3.1/`).
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import type { ModelProto } from '../../src/codec/types.js';
import { findInjectedSites } from '../../src/sge/detect.js';
import { fuseSge } from '../../src/sge/fuse/fuse.js';
import { listSites } from '../../src/sge/list.js';
import { stripSge } from '../../src/sge/strip.js';
import { FLOAT32_TOLERANCE } from '../../src/validate/compare.js';
import { compareArrays } from '../helpers/compare.js';
import {
  blockNodes,
  CONV3,
  expectedOutput,
  fixtureParams,
  loadFixture,
  NEAR_MISS_EDITS,
  nodeBytes,
  PLAIN13,
  PLAIN13_DATA,
  PLAIN_NODES,
  runOnTestData,
  SGE13,
  SGE13_DATA,
  SGE13_STATIC,
  SGE17,
  SGE17_DATA,
  toOpset18,
} from '../helpers/exported-sge.js';

const FIXTURES = [
  { name: 'opset 13, dynamic batch', path: SGE13, data: SGE13_DATA },
  { name: 'opset 17, dynamic batch', path: SGE17, data: SGE17_DATA },
  { name: 'opset 13, static (b·G baked in)', path: SGE13_STATIC, data: SGE13_DATA },
];

/** Nodes outside every SGE block by torch's scoping: not under bn3.1 and not its unscoped Constants. */
function outsideNodes(model: ModelProto): string[] {
  const inBlock = new Set(CONV3.flatMap((c) => blockNodes(model, c.split('/')[2]!)));
  const readers = new Map<string, boolean>();
  for (const n of model.graph!.node)
    for (const i of n.input) readers.set(i, (readers.get(i) ?? true) && inBlock.has(n));
  return model
    .graph!.node.filter((n) => !inBlock.has(n) && !(n.op_type === 'Constant' && n.output.every((o) => readers.get(o))))
    .map(nodeBytes);
}

describe('fuse: the fixtures torch exported', () => {
  for (const f of FIXTURES) {
    for (const inline of [false, true]) {
      it(`${f.name}, ${inline ? 'inline' : 'function'} form: 6 sites, plain node count + 1 per site, PyTorch's outputs`, async () => {
        const model = loadFixture(f.path);
        const before = model.graph!.node.length;
        const report = await fuseSge(model, { ort, inline });
        expect(report.sites.map((s) => s.name)).toEqual(CONV3);
        expect(report.nearMisses).toEqual([]);
        expect(report.nodesBefore).toBe(before);
        const fused = decodeModel(encodeModel(model));
        if (!inline) expect(fused.graph!.node.length).toBe(PLAIN_NODES + CONV3.length);
        expect(report.nodesAfter).toBe(fused.graph!.node.length);
        const got = await runOnTestData(fused, f.data);
        const cmp = compareArrays(got, expectedOutput(f.data), FLOAT32_TOLERANCE);
        expect(cmp.failures, `max abs ${cmp.maxAbs}`).toBe(0);
      });
    }
  }

  it('recovers the parameters the fixtures were made with, G = 8, per site', async () => {
    const model = loadFixture(SGE13);
    const report = await fuseSge(model, { ort });
    const params = fixtureParams();
    for (const s of report.sites) {
      expect(s.groups).toBe(8);
      expect(s.weight).toEqual(params[s.name]!.weight.map(Math.fround));
      expect(s.bias).toEqual(params[s.name]!.bias.map(Math.fround));
    }
    expect(report.parametersRecovered).toBe(6 * 16);
  });

  it('names and parameterizes each site as inject does, so detect, list and strip treat it as ours', async () => {
    const model = loadFixture(SGE13);
    await fuseSge(model, { ort });
    const fused = decodeModel(encodeModel(model));
    const sites = findInjectedSites(fused);
    expect(sites.map((s) => [s.name, s.mode, s.weight, s.bias, s.problem])).toEqual(
      CONV3.map((c) => [c, 'function', `${c}/sge/weight`, `${c}/sge/bias`, undefined]),
    );
    const list = listSites(fused);
    expect(list.rows.filter((r) => r.sge === 'function').map((r) => r.name)).toEqual(CONV3);
    expect(list.rows.every((r) => r.exported === null)).toBe(true);
  });

  it('keeps every node outside the blocks byte for byte, in order', async () => {
    for (const path of [SGE13, SGE13_STATIC]) {
      const model = loadFixture(path);
      const expected = outsideNodes(model);
      await fuseSge(model, { ort });
      const fused = decodeModel(encodeModel(model));
      const ours = new Set(findInjectedSites(fused).flatMap((s) => s.nodes));
      expect(fused.graph!.node.filter((n) => !ours.has(n)).map(nodeBytes)).toEqual(expected);
    }
  });

  it('removes the block parameters and keeps every other initializer as it was', async () => {
    const model = loadFixture(SGE13);
    const before = new Map(
      model.graph!.initializer.map((t) => [t.name!, Buffer.from(t.raw_data ?? []).toString('hex')]),
    );
    await fuseSge(model, { ort });
    const after = new Map(
      model.graph!.initializer.map((t) => [t.name!, Buffer.from(t.raw_data ?? []).toString('hex')]),
    );
    const removed = [...before.keys()].filter((n) => !after.has(n));
    expect(removed.sort()).toEqual(
      CONV3.flatMap((c) => [`${c.split('/')[2]}.bn3.1.bias`, `${c.split('/')[2]}.bn3.1.weight`]).sort(),
    );
    for (const [n, hex] of after)
      if (!n.endsWith('/sge/weight') && !n.endsWith('/sge/bias')) expect(hex).toBe(before.get(n));
  });

  it("strip(fuse(m)) computes the plain network's outputs (its own export, same weights)", async () => {
    const model = loadFixture(SGE13);
    await fuseSge(model, { ort });
    const report = stripSge(model);
    expect(report.sites).toEqual(CONV3);
    expect(model.graph!.node.length).toBe(PLAIN_NODES);
    const got = await runOnTestData(decodeModel(encodeModel(model)), PLAIN13_DATA);
    const cmp = compareArrays(got, expectedOutput(PLAIN13_DATA), FLOAT32_TOLERANCE);
    expect(cmp.failures, `max abs ${cmp.maxAbs}`).toBe(0);
    expect(loadFixture(PLAIN13).graph!.node.map((n) => n.op_type)).toEqual(model.graph!.node.map((n) => n.op_type));
  });

  it('fuses the export moved to opset 18 (ReduceMean axes as an input)', async () => {
    const model = loadFixture(SGE17);
    toOpset18(model);
    const edited = encodeModel(model);
    const reference = await runOnTestData(edited, SGE17_DATA);
    expect(compareArrays(reference, expectedOutput(SGE17_DATA), FLOAT32_TOLERANCE).failures).toBe(0);
    const report = await fuseSge(model, { ort });
    expect(report.opset).toBe(18);
    expect(report.sites).toHaveLength(6);
    const got = await runOnTestData(model, SGE17_DATA);
    expect(compareArrays(got, expectedOutput(SGE17_DATA), FLOAT32_TOLERANCE).failures).toBe(0);
  });
});

describe('fuse: near misses', () => {
  for (const [what, e] of Object.entries(NEAR_MISS_EDITS)) {
    it(`${what}: that block is left byte for byte and reported ("${e.reason}"), the other five are fused`, async () => {
      const model = loadFixture(SGE13);
      e.edit(model, 'layer2.1');
      const editedBlock = blockNodes(model, 'layer2.1').map(nodeBytes);
      const original = encodeModel(model);
      const report = await fuseSge(model, { ort });
      expect(report.sites.map((s) => s.name)).toEqual(CONV3.filter((c) => !c.includes('layer2.1')));
      expect(report.nearMisses).toHaveLength(1);
      expect(report.nearMisses[0]!.site).toBe('/layer2/layer2.1/conv3/Conv');
      expect(report.nearMisses[0]!.reasons).toEqual([e.reason]);
      const fused = decodeModel(encodeModel(model));
      expect(blockNodes(fused, 'layer2.1').map(nodeBytes)).toEqual(editedBlock);
      // Both compute the same: the edited block stays, the others are SGE on both sides.
      const a = await runOnTestData(original, SGE13_DATA);
      const b = await runOnTestData(fused, SGE13_DATA);
      expect(compareArrays(b, a, FLOAT32_TOLERANCE).failures).toBe(0);
    });
  }

  it('with no block fusable, the model is unchanged and the report lists every near miss', async () => {
    const model = loadFixture(SGE13_STATIC);
    for (const c of CONV3) NEAR_MISS_EDITS.tanh.edit(model, c.split('/')[2]!);
    const before = encodeModel(model);
    const report = await fuseSge(model, { ort });
    expect(report.sites).toEqual([]);
    expect(report.nearMisses.map((n) => [n.site, n.reasons])).toEqual(
      CONV3.map((c) => [c, ['gate is Tanh, not Sigmoid']]),
    );
    expect(Buffer.from(encodeModel(model)).equals(Buffer.from(before))).toBe(true);
  });

  it('a model without SGE has nothing to fuse and is not touched', async () => {
    const model = loadFixture(PLAIN13);
    const before = encodeModel(model);
    const report = await fuseSge(model, { ort });
    expect(report.sites).toEqual([]);
    expect(report.nearMisses).toEqual([]);
    expect(Buffer.from(encodeModel(model)).equals(Buffer.from(before))).toBe(true);
  });

  it('list marks candidates and near misses from the structural checks alone', () => {
    const model = loadFixture(SGE13);
    NEAR_MISS_EDITS.biased.edit(model, 'layer3.0');
    const rows = listSites(model).rows.filter((r) => r.exported);
    expect(rows.map((r) => [r.name, r.exported!.status, r.exported!.reasons])).toEqual(
      CONV3.map((c) => [
        c,
        c.includes('layer3.0') ? 'near-miss' : 'candidate',
        c.includes('layer3.0') ? ['std divides by S, not S−1'] : [],
      ]),
    );
  });
});
