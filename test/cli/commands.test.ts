/**
 * What the commands do when all is well: the inject report (table and --json), --dry-run, --overwrite,
 * --force, the default output name, `list` (table and --json) on the mini ResNet and the Caffe VGG
 * checked against onnx's own shape inference (Debian's python3-onnx), and validation's exit statuses:
 * 0 for a good injection, 1 naming the site for a sabotaged one.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { int64ToNumber } from '../../src/codec/int64.js';
import { findInjectedSites } from '../../src/sge/detect.js';
import {
  cli,
  expectRefusal,
  RESNET13,
  RESNET13_PARAMS,
  RESNET_CONV3,
  snapshot,
  STACK_LINE,
  subFolder,
  tempFiles,
  tempFolder,
  VGG,
} from './helpers.js';
import { sabotageSigmoid } from './models.js';

const root = tempFolder('cmd');

/** A conv as onnx.shape_inference (python3-onnx) sees it: name, output, [N, C, ...spatial]. */
interface RefConv {
  name: string;
  output: string;
  shape: (number | string)[];
}

const PY = `
import json, sys, onnx
from onnx import shape_inference
m = shape_inference.infer_shapes(onnx.load(sys.argv[1]))
shapes = {v.name: [d.dim_value if d.HasField('dim_value') else d.dim_param for d in v.type.tensor_type.shape.dim]
          for v in list(m.graph.value_info) + list(m.graph.output)}
print(json.dumps([{'name': n.name, 'output': n.output[0], 'shape': shapes[n.output[0]]} for n in m.graph.node if n.op_type == 'Conv']))
`;

/** Reference conv shapes from python3-onnx, or undefined when it is not installed (said loudly). */
function referenceConvs(model: string): RefConv[] | undefined {
  try {
    return JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', PY, model], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    ) as RefConv[];
  } catch (err) {
    console.warn(
      `[test/cli] /usr/bin/python3 with onnx is not available (${String(err).slice(0, 120)}): list is checked without reference shapes`,
    );
    return undefined;
  }
}

let resnetRef: RefConv[] | undefined;
let vggRef: RefConv[] | undefined;
beforeAll(() => {
  resnetRef = referenceConvs(RESNET13);
  vggRef = referenceConvs(VGG);
});

const siteName = (c: RefConv): string => c.name || c.output;
/** What list's injectable column must say for a conv of these channels and spatial dims (onnx's shapes). */
const expectedInjectable = (channels: number, spatial: number[], groups: number): string =>
  groups > channels
    ? 'no: G > C'
    : channels % groups !== 0
      ? 'no: G ∤ C'
      : spatial.length > 0 && spatial.every((d) => d === 1)
        ? 'no: 1×1 map'
        : 'yes';

/** Parses a table printed by the CLI into records keyed by header, using the dashes line for column bounds. */
function parseTable(text: string): Record<string, string>[] {
  const lines = text.split('\n');
  const dashes = lines.findIndex((l) => /^-+(\s+-+)*$/.test(l));
  const header = lines[dashes - 1]!;
  const bounds: Array<[number, number]> = [];
  for (const m of lines[dashes]!.matchAll(/-+/g)) bounds.push([m.index!, m.index! + m[0].length]);
  const names = bounds.map(([a, b]) => header.slice(a, b).trim());
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(dashes + 1)) {
    if (line.trim() === '' || /^\d+ (convolutions|SGE site)/.test(line)) break;
    rows.push(
      Object.fromEntries(
        bounds.map(([a], i) => [
          names[i]!,
          line.slice(a, i + 1 < bounds.length ? bounds[i + 1]![0] : undefined).trim(),
        ]),
      ),
    );
  }
  return rows;
}

describe('list', () => {
  const check = (
    ref: RefConv[] | undefined,
    rows: Array<{
      name: string;
      channels: number | null;
      spatial: unknown;
      divisible: boolean | null;
      selected: boolean;
    }>,
    groups: number,
    selected: (n: string) => boolean,
  ): void => {
    if (!ref) return;
    expect(rows.map((r) => r.name)).toEqual(ref.map(siteName));
    for (const [i, c] of ref.entries()) {
      const channels = c.shape[1] as number;
      expect(rows[i]!.channels, siteName(c)).toBe(channels);
      expect(rows[i]!.spatial, siteName(c)).toEqual(c.shape.slice(2));
      expect(rows[i]!.divisible, siteName(c)).toBe(channels % groups === 0);
      expect(rows[i]!.selected, siteName(c)).toBe(selected(siteName(c)));
    }
  };

  it('--json on the mini ResNet: every conv with channels, spatial dims, divisibility and selection', async () => {
    const r = await cli(['list', RESNET13, '-g', '8', '--after', '*/conv3/Conv', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { groups: number; rows: Parameters<typeof check>[1] };
    expect(report.groups).toBe(8);
    expect(report.rows.filter((x) => x.selected).map((x) => x.name)).toEqual(RESNET_CONV3);
    check(resnetRef, report.rows, 8, (n) => n.endsWith('/conv3/Conv'));
  });

  it('--json on the Caffe VGG: unnamed nodes listed by their tensor names, conv4_* selected', async () => {
    const r = await cli(['list', VGG, '--groups', '64', '--after', 'conv4_*', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { groups: number; rows: Parameters<typeof check>[1] };
    expect(report.rows.filter((x) => x.selected).map((x) => x.name)).toEqual(['conv4_1', 'conv4_2', 'conv4_3']);
    check(vggRef, report.rows, 64, (n) => n.startsWith('conv4_'));
  });

  it('the table on the VGG shows the same, with a summary line', async () => {
    const r = await cli(['list', VGG, '-g', '64', '--after', 'conv4_*']);
    expect(r.status, r.stderr).toBe(0);
    const rows = parseTable(r.stdout);
    expect(Object.keys(rows[0]!)).toEqual([
      'node',
      'output',
      'channels',
      'spatial',
      '÷64',
      'injectable',
      'selected',
      'sge',
      'subgraph',
    ]);
    if (vggRef) {
      expect(rows.map((x) => x.node)).toEqual(vggRef.map(siteName));
      for (const [i, c] of vggRef.entries()) {
        const ch = c.shape[1] as number;
        expect(rows[i]).toMatchObject({
          channels: String(ch),
          spatial: c.shape.slice(2).join('×'),
          '÷64': ch % 64 === 0 ? 'yes' : 'no',
          injectable: expectedInjectable(ch, c.shape.slice(2) as number[], 64),
          selected: siteName(c).startsWith('conv4_') ? 'yes' : '',
          sge: '',
        });
      }
      const divisible = vggRef.filter((c) => (c.shape[1] as number) % 64 === 0).length;
      const injectable = vggRef.filter(
        (c) => expectedInjectable(c.shape[1] as number, c.shape.slice(2) as number[], 64) === 'yes',
      ).length;
      expect(r.stdout).toMatch(
        new RegExp(
          `^${vggRef.length} convolutions, 3 selected; ${divisible} divisible by 64, ${injectable} injectable$`,
          'm',
        ),
      );
    }
  });

  it('the table on the mini ResNet, and the sge column after an injection', async () => {
    const dir = subFolder(root, 'list-injected');
    const out = join(dir, 'out.onnx');
    expect((await cli([RESNET13, '-g', '8', '--after', '*/conv3/Conv', '-o', out, '--inline'])).status).toBe(0);
    const r = await cli(['list', out, '-g', '8']);
    expect(r.status, r.stderr).toBe(0);
    const rows = parseTable(r.stdout);
    if (resnetRef) {
      expect(rows.map((x) => x.node)).toEqual(resnetRef.map(siteName));
      expect(rows.map((x) => x.channels)).toEqual(resnetRef.map((c) => String(c.shape[1])));
    }
    expect(rows.filter((x) => x.sge === 'inline').map((x) => x.node)).toEqual(RESNET_CONV3);
    // Without --after nothing is marked selected.
    expect(rows.every((x) => x.selected === '')).toBe(true);
  });
});

describe('inject', () => {
  it('--dry-run reports the sites and writes nothing', async () => {
    const dir = subFolder(root, 'dry');
    const input = join(dir, 'model.onnx');
    copyFileSync(RESNET13, input);
    const before = snapshot(dir);
    const r = await cli([input, '-g', '8', '--after', '*/conv3/Conv', '--dry-run']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/6 SGE sites/);
    expect(r.stdout).toMatch(/dry run: nothing written/);
    expect(parseTable(r.stdout).map((x) => x.site)).toEqual(RESNET_CONV3);
    expect(snapshot(dir)).toEqual(before);
  });

  it('--dry-run --json: output null, nothing written, even with -o into a missing folder', async () => {
    const dir = subFolder(root, 'dry-json');
    const input = join(dir, 'model.onnx');
    copyFileSync(RESNET13, input);
    const before = snapshot(dir);
    const r = await cli([
      input,
      '-g',
      '8',
      '--after',
      '*/conv3/Conv',
      '--dry-run',
      '--json',
      '-o',
      join(dir, 'no', 'x.onnx'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { output: unknown; sites: unknown[] };
    expect(report.output).toBeNull();
    expect(report.sites).toHaveLength(6);
    expect(snapshot(dir)).toEqual(before);
  });

  it('--json prints parseable JSON with the sites, and the file holds them', async () => {
    const dir = subFolder(root, 'json');
    const out = join(dir, 'out.onnx');
    const r = await cli([RESNET13, '-g', '8', '--after', '*/conv3/Conv', '-o', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      sites: Array<{
        name: string;
        channels: number;
        spatial: unknown[];
        groups: number;
        elemType: string;
        mode: string;
      }>;
      groups: number;
      mode: string;
      nodesAdded: number;
      initializersAdded: number;
      parametersAdded: number;
      irVersion: { from: number; to: number };
      output: string;
    };
    expect(report.sites.map((s) => s.name)).toEqual(RESNET_CONV3);
    if (resnetRef) {
      for (const s of report.sites) {
        const ref = resnetRef.find((c) => c.name === s.name)!;
        expect(s.channels).toBe(ref.shape[1]);
        expect(s.spatial).toEqual(ref.shape.slice(2));
      }
    }
    expect(report.sites.every((s) => s.groups === 8 && s.elemType === 'float32' && s.mode === 'function')).toBe(true);
    // One function call per site; weight and bias of G = 8 values each.
    expect(report).toMatchObject({
      groups: 8,
      mode: 'function',
      nodesAdded: 6,
      initializersAdded: 12,
      parametersAdded: 6 * 2 * 8,
      output: out,
    });
    const original = decodeModel(new Uint8Array(readFileSync(RESNET13)));
    expect(report.irVersion).toEqual({ from: int64ToNumber(original.ir_version), to: 8 });
    const written = decodeModel(new Uint8Array(readFileSync(out)));
    expect(findInjectedSites(written).map((s) => s.name)).toEqual(RESNET_CONV3);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('the default output is <stem>.sge.onnx beside the model', async () => {
    const dir = subFolder(root, 'default');
    const input = join(dir, 'net.onnx');
    copyFileSync(VGG, input);
    const r = await cli([input, '--groups', '64', '--after', 'conv4_*']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(dir, 'net.sge.onnx')}`);
    expect(
      findInjectedSites(decodeModel(new Uint8Array(readFileSync(join(dir, 'net.sge.onnx'))))).map((s) => s.name),
    ).toEqual(['conv4_1', 'conv4_2', 'conv4_3']);
    expect(readFileSync(input).equals(readFileSync(VGG))).toBe(true);
  });

  it('--overwrite replaces the input atomically with a valid model, keeping its mode', async () => {
    const dir = subFolder(root, 'overwrite');
    const input = join(dir, 'model.onnx');
    copyFileSync(RESNET13, input);
    chmodSync(input, 0o640);
    const r = await cli([input, '-g', '8', '--after', '*/conv3/Conv', '-o', input, '--overwrite']);
    expect(r.status, r.stderr).toBe(0);
    expect(Object.keys(snapshot(dir))).toEqual(['model.onnx']);
    expect(statSync(input).mode & 0o777).toBe(0o640);
    expect(findInjectedSites(decodeModel(new Uint8Array(readFileSync(input)))).map((s) => s.name)).toEqual(
      RESNET_CONV3,
    );
  });

  it('--force re-injects over an existing site (and says so); the params file is used', async () => {
    const dir = subFolder(root, 'force');
    const first = join(dir, 'first.onnx'),
      second = join(dir, 'second.onnx');
    expect((await cli([RESNET13, '-g', '8', '--after', '*/conv3/Conv', '-o', first])).status).toBe(0);
    const r = await cli([
      first,
      '--params',
      RESNET13_PARAMS,
      '--after',
      '*/conv3/Conv',
      '-o',
      second,
      '--force',
      '--inline',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/replaced 6 existing SGE sites \(--force\)/);
    const sites = findInjectedSites(decodeModel(new Uint8Array(readFileSync(second))));
    expect(sites.map((s) => [s.name, s.mode])).toEqual(RESNET_CONV3.map((n) => [n, 'inline']));
  });
});

describe('validation exit statuses', () => {
  it('--validate on a good injection: 0 and PASS for every site', async () => {
    const dir = subFolder(root, 'validate-ok');
    const out = join(dir, 'out.onnx');
    const r = await cli([RESNET13, '-g', '8', '--after', '*/conv3/Conv', '-o', out, '--validate']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/result: PASS/);
    for (const site of RESNET_CONV3)
      expect(r.stdout).toMatch(new RegExp(`^${site.replace(/[/.]/g, '\\$&')}\\s.*\\spass$`, 'm'));
  });

  it('--validate --json: one JSON document with the injection and the validation', async () => {
    const dir = subFolder(root, 'validate-json');
    const r = await cli([VGG, '-g', '64', '--after', 'conv4_*', '-o', join(dir, 'out.onnx'), '--validate', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      inject: { sites: Array<{ name: string }> };
      validation: { passed: boolean; sites: Array<{ site: string; verdict: string }> };
    };
    expect(doc.inject.sites.map((s) => s.name)).toEqual(['conv4_1', 'conv4_2', 'conv4_3']);
    expect(doc.validation.passed).toBe(true);
    expect(doc.validation.sites.map((s) => [s.site, s.verdict])).toEqual([
      ['conv4_1', 'pass'],
      ['conv4_2', 'pass'],
      ['conv4_3', 'pass'],
    ]);
  });

  it('`validate` on a sabotaged model (Sigmoid → HardSigmoid in the function body): exit 1 naming the sites', async () => {
    const dir = subFolder(root, 'sabotage');
    const good = join(dir, 'good.onnx'),
      bad = join(dir, 'bad.onnx');
    expect((await cli([RESNET13, '-g', '8', '--after', '*/conv3/Conv', '-o', good])).status).toBe(0);
    const { bytes, swapped } = sabotageSigmoid(new Uint8Array(readFileSync(good)));
    expect(swapped).toBe(1); // one function body, shared by the six sites
    writeFileSync(bad, bytes);
    const before = snapshot(dir);
    const r = await cli(['validate', RESNET13, bad, '--runs', '1']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^sge-inject: validation failed: .*\/layer1\/layer1\.0\/conv3\/Conv/m);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stdout).toMatch(/result: FAIL/);
    for (const site of RESNET_CONV3)
      expect(r.stdout).toMatch(new RegExp(`^${site.replace(/[/.]/g, '\\$&')}\\s.*\\sfail$`, 'm'));
    expect(snapshot(dir)).toEqual(before);
  });

  it("`validate --inputs DIR` runs on the test data set's tensors (input_0.pb)", async () => {
    const dir = subFolder(root, 'validate-inputs');
    const out = join(dir, 'out.onnx');
    expect((await cli([RESNET13, '-g', '8', '--after', '*/conv3/Conv', '-o', out])).status).toBe(0);
    const r = await cli([
      'validate',
      RESNET13,
      out,
      '--inputs',
      join(RESNET13.replace(/\.onnx$/, ''), 'test_data_set_0'),
      '--runs',
      '1',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      validation: { passed: boolean; inputs: Array<{ name: string; shape: number[]; source: string }> };
    };
    expect(doc.validation.passed).toBe(true);
    // The fixture README: a batch of 2 inputs of [N, 3, 96, 96].
    expect(doc.validation.inputs.map((i) => [i.name, i.shape])).toEqual([['input', [2, 3, 96, 96]]]);
    expect(doc.validation.inputs[0]!.source).toMatch(/input_0\.pb/);
  });

  it('`validate` of a model against itself without SGE: exit 1, not 2 (nothing to prove is a failed validation)', async () => {
    const r = await cli(['validate', RESNET13, RESNET13, '--runs', '1']);
    expectRefusal({ ...r, stdout: '' }, { status: 1, says: [/validation failed: .*no SGE site/] });
  });

  it('--validate that cannot run (the original fails in onnxruntime) says where the output was written', async () => {
    const dir = subFolder(root, 'validate-cannot');
    const { okConvModel, writeModel } = await import('./models.js');
    const m = okConvModel();
    // An op onnxruntime does not know after the conv: the original cannot run.
    m.graph!.node.push({
      op_type: 'Bar',
      domain: 'com.example',
      name: 'bar',
      input: ['Y'],
      output: ['Z'],
      attribute: [],
      metadata_props: [],
    } as never);
    m.graph!.output[0]!.name = 'Z';
    m.opset_import.push({ domain: 'com.example', version: 1 });
    const input = writeModel(join(dir, 'm.onnx'), m);
    const out = join(dir, 'out.onnx');
    const r = await cli([input, '--after', 'conv', '-g', '2', '-o', out, '--validate']);
    // The validation layer decides whether an original that cannot run is bad input (2) or a failed validation (1).
    expect([1, 2], r.stderr).toContain(r.status);
    expect(r.stderr).toMatch(/onnxruntime could not load the original/);
    expect(r.stderr).toMatch(new RegExp(`the rewritten model was (kept|written): ${out.replace(/[.]/g, '\\.')}`));
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(existsSync(out)).toBe(true);
  });
});
