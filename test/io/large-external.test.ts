// A model whose external weights add up to more than 2 GiB, in a sparse data file (nothing written,
// so the test is fast): loading and saving it must not read the weights. Checked in a child
// process by its peak resident memory, which must stay far below the weights' size.
import { closeSync, ftruncateSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, DataType, DataLocation } from '../../src/codec/index.js';
import { makeGraph, makeModel, makeNode, makeOpset, makeTensorShell, makeValueInfo } from '../../src/graph/factory.js';
import { runChild } from './helpers/child.js';
import { tempFolder } from './tmp.js';

const dir = tempFolder('large');
const TENSORS = 3;
const ROWS = 196_608; // 196,608 x 1,024 float32 = 768 MiB per tensor, 2.25 GiB in all
const COLS = 1024;
const BYTES = ROWS * COLS * 4;

describe('external data larger than 2 GiB', () => {
  it('is loaded and saved without reading the weights', async () => {
    const dataPath = join(dir, 'big.onnx.data');
    const fd = openSync(dataPath, 'w');
    ftruncateSync(fd, TENSORS * BYTES); // sparse: no block is written
    closeSync(fd);

    const inits = [];
    const nodes = [];
    let prev = 'x';
    for (let i = 0; i < TENSORS; i++) {
      const t = makeTensorShell(`w${i}`, [COLS, ROWS], DataType.FLOAT);
      t.data_location = DataLocation.EXTERNAL;
      t.external_data = [
        { key: 'location', value: 'big.onnx.data' },
        { key: 'offset', value: String(i * BYTES) },
        { key: 'length', value: String(BYTES) },
      ];
      inits.push(t);
      nodes.push(makeNode({ op_type: 'MatMul', name: `mm${i}`, input: [prev, `w${i}`], output: [`h${i}`] }));
      prev = `h${i}`;
    }
    const graph = makeGraph({
      name: 'big',
      node: nodes,
      initializer: inits,
      input: [makeValueInfo('x', DataType.FLOAT, [1, COLS])],
      output: [makeValueInfo(prev, DataType.FLOAT, [1, ROWS])],
    });
    const input = join(dir, 'big.onnx');
    writeFileSync(input, encodeModel(makeModel(graph, [makeOpset('', 13)])));

    const same = join(dir, 'edited.onnx');
    const withOption = join(dir, 'edited-ext.onnx');
    const r = await runChild(
      'save-child.ts',
      { input, edit: true, outputs: [same, [withOption, { externalData: true }]] },
      { timeoutMs: 120_000 },
    );
    expect(r.json, r.stderr).toMatchObject({ ok: true });
    const peakMiB = Number(r.json!.peakRssKiB) / 1024;
    console.log(
      `large external data: weights ${((TENSORS * BYTES) / 2 ** 30).toFixed(2)} GiB, child peak RSS ${peakMiB.toFixed(0)} MiB`,
    );
    // Far below the weights: a fifth of one tensor would already be 150 MiB above a Node baseline.
    expect(peakMiB).toBeLessThan(400);

    // References unchanged (same folder: nothing copied), data file still sparse.
    for (const out of [same, withOption]) {
      const saved = decodeModel(new Uint8Array(readFileSync(out)));
      expect(saved.graph!.node.at(-1)!.name).toBe('edit/identity');
      expect(saved.graph!.initializer.map((t) => t.external_data.map((e) => e.value))).toEqual(
        inits.map((t) => t.external_data.map((e) => e.value)),
      );
    }
    const reports = r.json!.reports as Array<{ copied: unknown[]; externalData?: unknown }>;
    expect(reports.map((x) => x.copied)).toEqual([[], []]);
    // Nothing inline reached the threshold: the existing references stay, no new data file.
    expect(reports.map((x) => x.externalData)).toEqual([undefined, undefined]);
    expect(statSync(dataPath).blocks).toBe(0);
  }, 180_000);
});
