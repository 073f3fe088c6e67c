/**
 * `sge-inject fuse`: the report (table and --json), the default output name, --dry-run, --inline,
 * --overwrite, and refusals (no block at all, only near misses, output = input, a missing model)
 * with exit 2, nothing written and the input untouched; `list` marking exported blocks.
 */
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import { findInjectedSites } from '../../src/sge/detect.js';
import { CONV3, loadFixture, NEAR_MISS_EDITS, PLAIN13, SGE13 } from '../helpers/exported-sge.js';
import { bytesOf, cli, expectRefusal, snapshot, subFolder, tempFiles, tempFolder } from './helpers.js';

const root = tempFolder('fuse');

/** A folder holding a copy of `model` as `name`. */
function folderWith(model: string | Uint8Array, name = 'sge.onnx'): { dir: string; path: string } {
  const dir = subFolder(root, name);
  const path = join(dir, name);
  if (typeof model === 'string') copyFileSync(model, path);
  else writeFileSync(path, model);
  return { dir, path };
}

describe('sge-inject fuse', () => {
  it('writes <stem>.fused.onnx beside the model, prints the sites, leaves the input as it was', async () => {
    const { dir, path } = folderWith(SGE13);
    const before = snapshot(dir);
    const r = await cli(['fuse', path]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = join(dir, 'sge.fused.onnx');
    expect(r.stdout).toContain(`wrote ${out}`);
    for (const c of CONV3) expect(r.stdout).toContain(c);
    expect(r.stdout).toMatch(/6 exported SGE blocks fused \(function form, ai\.onnx opset 13\): nodes 545 → 58/);
    expect(r.stdout).toMatch(/96 parameters recovered/);
    expect(snapshot(dir)).toEqual({ ...before, 'sge.fused.onnx': expect.any(String) });
    expect(findInjectedSites(decodeModel(bytesOf(out))).map((s) => s.name)).toEqual(CONV3);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('--json reports sites, parameters, near misses and node counts', async () => {
    const { dir, path } = folderWith(SGE13);
    const r = await cli(['fuse', path, '--json', '--inline', '-o', join(dir, 'out.onnx')]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.mode).toBe('inline');
    expect(j.sites.map((s: { name: string }) => s.name)).toEqual(CONV3);
    expect(j.sites[0].weight).toHaveLength(8);
    expect(j.sites[0].weightFrom).toBe('layer1.0.bn3.1.weight');
    expect(j.nodesBefore).toBe(545);
    expect(j.nearMisses).toEqual([]);
    expect(j.output).toBe(join(dir, 'out.onnx'));
    expect(findInjectedSites(decodeModel(bytesOf(join(dir, 'out.onnx')))).every((s) => s.mode === 'inline')).toBe(true);
  });

  it('--dry-run reports and writes nothing', async () => {
    const { dir, path } = folderWith(SGE13);
    const before = snapshot(dir);
    const r = await cli(['fuse', path, '--dry-run']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('dry run: nothing written');
    expect(snapshot(dir)).toEqual(before);
  });

  it('reports near misses beside the fused sites, exit 0', async () => {
    const model = loadFixture(SGE13);
    NEAR_MISS_EDITS.biased.edit(model, 'layer3.1');
    const { path } = folderWith(encodeModel(model));
    const r = await cli(['fuse', path]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/5 exported SGE blocks fused/);
    expect(r.stdout).toMatch(
      /1 near miss left as it is:\n {2}- after '\/layer3\/layer3\.1\/conv3\/Conv' .*std divides by S, not S−1/,
    );
  });

  it('only near misses: exit 2, each reason listed, nothing written', async () => {
    const model = loadFixture(SGE13);
    NEAR_MISS_EDITS.tanh.edit(model, 'layer1.0');
    NEAR_MISS_EDITS.noEps.edit(model, 'layer2.0');
    for (const l of ['layer2.1', 'layer3.0', 'layer3.1', 'layer4.0']) NEAR_MISS_EDITS.epsInside.edit(model, l);
    const { dir, path } = folderWith(encodeModel(model));
    const before = snapshot(dir);
    const r = await cli(['fuse', path]);
    expectRefusal(r, {
      status: 2,
      says: [
        /no exported SGE block in .* can be fused; nothing written/,
        /gate is Tanh, not Sigmoid/,
        /no eps/,
        /eps 1e-5 is inside the square root/,
        /→ /,
      ],
    });
    expect(snapshot(dir)).toEqual(before);
  });

  it('a model without SGE: exit 2, nothing written', async () => {
    const { dir, path } = folderWith(PLAIN13);
    const before = snapshot(dir);
    expectRefusal(await cli(['fuse', path]), {
      status: 2,
      says: [/has no exported SGE block/, /sge-inject list MODEL/],
    });
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses to replace the input unless --overwrite, then replaces it atomically', async () => {
    const { dir, path } = folderWith(SGE13);
    const before = snapshot(dir);
    expectRefusal(await cli(['fuse', path, '-o', path]), { status: 2, says: [/is the input model/, /--overwrite/] });
    expect(snapshot(dir)).toEqual(before);
    const r = await cli(['fuse', path, '-o', path, '--overwrite']);
    expect(r.status, r.stderr).toBe(0);
    expect(findInjectedSites(decodeModel(bytesOf(path)))).toHaveLength(6);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('a missing model, an empty -o: exit 2 with the way out', async () => {
    expectRefusal(await cli(['fuse', join(root, 'nope.onnx')]), { status: 2, says: [/nope\.onnx/] });
    expectRefusal(await cli(['fuse', SGE13, '-o', '']), { status: 2, says: [/-o\/--output is empty/] });
    expect(existsSync(join(root, 'nope.fused.onnx'))).toBe(false);
  });

  it('list marks the convolutions an exported SGE follows, and names near misses', async () => {
    const model = loadFixture(SGE13);
    NEAR_MISS_EDITS.eps.edit(model, 'layer4.0');
    const { path } = folderWith(encodeModel(model));
    const r = await cli(['list', path]);
    expect(r.status, r.stderr).toBe(0);
    for (const c of CONV3.slice(0, 5)) expect(r.stdout).toMatch(new RegExp(`${c}\\s.*candidate`));
    expect(r.stdout).toMatch(/\/layer4\/layer4\.0\/conv3\/Conv\s.*near miss/);
    expect(r.stdout).toContain('5 exported SGE blocks (candidate): `sge-inject fuse MODEL` proves and replaces them');
    expect(r.stdout).toContain('near miss after /layer4/layer4.0/conv3/Conv: eps is 0.001, not 1e-5');
    const j = JSON.parse((await cli(['list', path, '--json'])).stdout);
    expect(j.rows.filter((x: { exported: unknown }) => x.exported).length).toBe(6);
  });
});
