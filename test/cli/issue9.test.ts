/**
 * Issue 9 (reliability, round two), case by case, as real processes (node bin/sge-inject.js): outputs
 * that are not regular files, inputs that are the output, external data locations and truncation, a
 * foreign SGE function, strip's refusals and IR bounds, option values, list, validate options and
 * validation like with like. Every refusal: exit 2, a short message naming the file, tensor or node and
 * the way out, no stack trace, nothing written, every input byte-identical (folder snapshots).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, linkSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import { DataLocation } from '../../src/codec/types.js';
import { makeAttribute, makeInt64Tensor, makeNode, makeValueInfo } from '../../src/graph/factory.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { findInjectedSites } from '../../src/sge/detect.js';
import {
  expectRefusal,
  RESNET13,
  RESNET13_PARAMS,
  snapshot,
  spawnCli,
  subFolder,
  tempFiles,
  tempFolder,
  type ProcessResult,
} from './helpers.js';
import { withForeignSgeFunction } from '../helpers/conv-models.js';
import { convInFunctionModel, okConvModel, twoConvModel, writeModel } from './models.js';

const root = tempFolder('issue9');
const asRoot = process.getuid?.() === 0;
const AFTER = ['-g', '8', '--after', '*/conv3/Conv'];

const resnetIn = (dir: string, name = 'model.onnx'): string => {
  const p = join(dir, name);
  copyFileSync(RESNET13, p);
  return p;
};

/** Runs the CLI in `dir` and checks the refusal and that nothing in `dir` changed. */
async function refused(dir: string, argv: string[], says: RegExp[]): Promise<ProcessResult> {
  const before = snapshot(dir);
  const r = await spawnCli(argv, { cwd: dir });
  expectRefusal(r, { status: 2, says });
  expect(snapshot(dir)).toEqual(before);
  expect(tempFiles(dir)).toEqual([]);
  return r;
}

/** The resnet with its initializers in `m.onnx.data` beside it (written by our own saveModel). */
async function externalResnet(dir: string): Promise<string> {
  const path = join(dir, 'm.onnx');
  await saveModel(await loadModel(RESNET13), path, { externalData: true });
  return path;
}

/** Rewrites the external reference of the first external tensor of `path` with `edit`. */
function editFirstReference(path: string, edit: (entries: Map<string, string>) => void): void {
  const m = decodeModel(new Uint8Array(readFileSync(path)));
  const t = m.graph!.initializer.find((x) => x.data_location === DataLocation.EXTERNAL)!;
  const entries = new Map(t.external_data.map((e) => [e.key ?? '', e.value ?? '']));
  edit(entries);
  t.external_data = [...entries].map(([key, value]) => ({ key, value }));
  writeFileSync(path, encodeModel(m));
}

describe.concurrent('outputs that are not regular files', { timeout: 240_000 }, () => {
  it('-o a FIFO: exit 2, the FIFO stays a FIFO, nothing written', async () => {
    const dir = subFolder(root, 'fifo');
    const input = resnetIn(dir);
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    await refused(dir, [input, ...AFTER, '-o', join(dir, 'pipe')], [/pipe exists and is a FIFO/, /→ .*-o/]);
    expect(lstatSync(join(dir, 'pipe')).isFIFO()).toBe(true);
  });

  it.runIf(asRoot)(
    '-o a character device made with mknod (a /dev/null of our own): exit 2, still a device',
    async () => {
      const dir = subFolder(root, 'chardev');
      const input = resnetIn(dir);
      execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
      await refused(dir, [input, ...AFTER, '-o', join(dir, 'null')], [/null exists and is a character device/]);
      expect(lstatSync(join(dir, 'null')).isCharacterDevice()).toBe(true);
    },
  );

  it('-o a symbolic link (here to a FIFO): exit 2, the link is left as it is', async () => {
    const dir = subFolder(root, 'link');
    const input = resnetIn(dir);
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    symlinkSync(join(dir, 'pipe'), join(dir, 'out.onnx'));
    await refused(dir, [input, ...AFTER, '-o', join(dir, 'out.onnx')], [/out\.onnx exists and is a symbolic link/]);
    expect(lstatSync(join(dir, 'out.onnx')).isSymbolicLink()).toBe(true);
  });

  it('strip -o a FIFO: exit 2', async () => {
    const dir = subFolder(root, 'strip-fifo');
    const injected = join(dir, 'in.onnx');
    expect((await spawnCli([RESNET13, ...AFTER, '-o', injected])).code).toBe(0);
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    await refused(dir, ['strip', injected, '-o', join(dir, 'pipe')], [/pipe exists and is a FIFO/]);
  });
});

describe.concurrent('no input of the command may be the output', { timeout: 240_000 }, () => {
  it('the --params file (also through a hard link)', async () => {
    const dir = subFolder(root, 'params-out');
    const input = resnetIn(dir);
    const params = join(dir, 'p.json');
    copyFileSync(RESNET13_PARAMS, params);
    linkSync(params, join(dir, 'p-link.json'));
    for (const out of [params, join(dir, 'p-link.json')]) {
      await refused(
        dir,
        [input, '--after', '*/conv3/Conv', '--params', params, '-o', out],
        [/is the --params file .*p\.json/, /→ choose another output path/],
      );
    }
  });

  it("the model's external data file, even with --overwrite; inject and strip", async () => {
    const dir = subFolder(root, 'data-out');
    const model = await externalResnet(dir);
    const data = `${model}.data`;
    await refused(
      dir,
      [model, ...AFTER, '-o', data, '--overwrite'],
      [/is an external data file of the model: .*m\.onnx\.data/],
    );
    const injected = join(dir, 'sge.onnx');
    expect((await spawnCli([model, ...AFTER, '-o', injected])).code).toBe(0);
    await refused(dir, ['strip', injected, '-o', data], [/is an external data file of the model/]);
  });

  it('a file of the --inputs folder, or a new .npy/.pb in it', async () => {
    const dir = subFolder(root, 'inputs-out');
    const input = resnetIn(dir);
    const inputs = join(dir, 'inputs');
    mkdirSync(inputs);
    copyFileSync(join(RESNET13.replace(/\.onnx$/, ''), 'test_data_set_0', 'input_0.pb'), join(inputs, 'input_0.pb'));
    await refused(
      dir,
      [input, ...AFTER, '--validate', '--inputs', inputs, '-o', join(inputs, 'input_0.pb')],
      [/is a file of the --inputs folder/],
    );
    await refused(
      dir,
      [input, ...AFTER, '--validate', '--inputs', inputs, '-o', join(inputs, 'x.npy')],
      [/would be written into the --inputs folder/],
    );
  });

  it('the model itself only with --overwrite', async () => {
    const dir = subFolder(root, 'model-out');
    const input = resnetIn(dir);
    await refused(dir, [input, ...AFTER, '-o', input], [/is the input model/, /--overwrite/]);
    const r = await spawnCli([input, ...AFTER, '-o', input, '--overwrite']);
    expect(r.code, r.stderr).toBe(0);
    expect(findInjectedSites(decodeModel(new Uint8Array(readFileSync(input))))).toHaveLength(6);
  });
});

describe.concurrent('external data: locations and lengths', { timeout: 240_000 }, () => {
  for (const [name, location] of [
    ['absolute', '/etc/hostname'],
    ['climbing out with ..', '../secret.bin'],
  ] as const) {
    it(`a location ${name}: exit 2 naming the tensor and the location, nothing read or copied`, async () => {
      const dir = subFolder(root, `loc-${name}`);
      const model = await externalResnet(dir);
      editFirstReference(model, (e) => {
        e.set('location', location);
        e.delete('length');
      });
      const out = subFolder(root, `loc-out-${name}`);
      await refused(
        dir,
        [model, ...AFTER, '-o', join(out, 'o.onnx')],
        [new RegExp(`keeps its data at '${location.replace(/[.]/g, '\\.')}', which is absolute or outside`)],
      );
      expect(snapshot(out)).toEqual({});
    });
  }

  it('a truncated data file (shorter than offset + length): exit 2 naming the tensor and the file', async () => {
    const dir = subFolder(root, 'truncated');
    const model = await externalResnet(dir);
    const data = readFileSync(`${model}.data`);
    writeFileSync(`${model}.data`, data.subarray(0, data.length - 100));
    const out = subFolder(root, 'truncated-out');
    await refused(
      dir,
      [model, ...AFTER, '-o', join(out, 'o.onnx')],
      [/initializer '.*' needs bytes \d+\.\.\d+ of 'm\.onnx\.data', which has only \d+ bytes/, /truncated/],
    );
    expect(snapshot(out)).toEqual({});
  });

  it('a reference without length to a file shorter than the tensor: exit 2', async () => {
    const dir = subFolder(root, 'short-nolength');
    const model = await externalResnet(dir);
    let offset = 0;
    editFirstReference(model, (e) => {
      e.delete('length');
      offset = Number(e.get('offset') ?? 0);
    });
    const data = readFileSync(`${model}.data`);
    writeFileSync(`${model}.data`, data.subarray(0, offset + 8));
    await refused(dir, [model, ...AFTER, '--dry-run'], [/initializer '.*' needs bytes|has 8 bytes .* need/]);
  });

  it('--validate of a model with external data, run from another folder: exit 0', async () => {
    const dir = subFolder(root, 'ext-validate');
    const model = await externalResnet(dir);
    const elsewhere = subFolder(root, 'elsewhere');
    const r = await spawnCli([model, ...AFTER, '-o', join(dir, 'o.onnx'), '--validate', '--runs', '1'], {
      cwd: elsewhere,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/result: PASS/);
  });
});

describe.concurrent('a function named like ours with a body that is not ours', { timeout: 240_000 }, () => {
  it('inject refuses it, naming the function and the way out; --inline works and strip keeps it', async () => {
    const dir = subFolder(root, 'foreign');
    const model = writeModel(join(dir, 'm.onnx'), withForeignSgeFunction(okConvModel()));
    await refused(
      dir,
      [model, '--after', 'conv', '-g', '2', '-o', join(dir, 'o.onnx')],
      [/already defines the function com\.sge-inject\.SpatialGroupEnhance/, /→ rename that function .* --inline/],
    );
    const inline = join(dir, 'inline.onnx');
    expect((await spawnCli([model, '--after', 'conv', '-g', '2', '--inline', '-o', inline])).code).toBe(0);
    const stripped = join(dir, 'stripped.onnx');
    const r = await spawnCli(['strip', inline, '-o', stripped]);
    expect(r.code, r.stderr).toBe(0);
    // Exactly the model before injection: the user's function and import are still there.
    expect(readFileSync(stripped).equals(readFileSync(model))).toBe(true);
  });
});

describe.concurrent('strip', { timeout: 240_000 }, () => {
  it('an inline block whose inner tensor is read outside it: exit 2 naming the tensor', async () => {
    const dir = subFolder(root, 'strip-inner');
    const injected = join(dir, 'in.onnx');
    writeModel(join(dir, 'm.onnx'), okConvModel());
    expect((await spawnCli([join(dir, 'm.onnx'), '--after', 'conv', '-g', '2', '--inline', '-o', injected])).code).toBe(
      0,
    );
    const m = decodeModel(new Uint8Array(readFileSync(injected)));
    const inner = findInjectedSites(m)[0]!.nodes[1]!.output[0]!;
    m.graph!.node.push(makeNode({ op_type: 'Identity', name: 'spy', input: [inner], output: ['spied'] }));
    m.graph!.output.push(makeValueInfo('spied', 1));
    writeModel(injected, m);
    await refused(
      dir,
      ['strip', injected, '-o', join(dir, 'out.onnx')],
      [
        new RegExp(
          `tensor '${inner.replace(/[/.]/g, '\\$&')}', made inside its inline SGE block, is read by node 'spy'`,
        ),
      ],
    );
  });

  it('IR 99 is refused by inject and strip, as opset 27 is', async () => {
    const dir = subFolder(root, 'ir99');
    const m = okConvModel();
    m.ir_version = 99;
    const model = writeModel(join(dir, 'm.onnx'), m);
    await refused(dir, [model, '--after', 'conv', '-g', '2'], [/IR version 99; the newest supported is 13/]);
    await refused(dir, ['strip', model], [/IR version 99/]);
  });

  it('a recorded original IR version out of bounds is refused before any change', async () => {
    const dir = subFolder(root, 'ir-record');
    const injected = join(dir, 'in.onnx');
    expect((await spawnCli([RESNET13, ...AFTER, '-o', injected])).code).toBe(0);
    for (const value of ['99', 'seven']) {
      const m = decodeModel(new Uint8Array(readFileSync(injected)));
      m.metadata_props.find((e) => e.key === 'sge-inject.original_ir_version')!.value = value;
      writeModel(injected, m);
      await refused(
        dir,
        ['strip', injected, '-o', join(dir, 'out.onnx')],
        [new RegExp(`original_ir_version holds '${value}'`), /→ .*remove the sge-inject\.original_ir_version entry/],
      );
    }
  });

  it('keeps the raised IR version (and says why) when the model has since gained a function', async () => {
    const dir = subFolder(root, 'ir-needed');
    const injected = join(dir, 'in.onnx');
    expect((await spawnCli([RESNET13, ...AFTER, '-o', injected])).code).toBe(0);
    const m = decodeModel(new Uint8Array(readFileSync(injected)));
    m.functions.push({ ...convInFunctionModel().functions[0]! });
    writeModel(injected, m);
    const out = join(dir, 'out.onnx');
    const r = await spawnCli(['strip', injected, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/note: IR version kept at 8: the model has model-local functions \(com\.user\.Block\)/);
    const stripped = decodeModel(new Uint8Array(readFileSync(out)));
    expect(Number(stripped.ir_version)).toBe(8);
    expect(stripped.functions.map((f) => f.name)).toEqual(['Block']);
  });
});

describe.concurrent('option values and commands', { timeout: 240_000 }, () => {
  it('--groups 99999999999999999999 is too large, not "below 1"', async () => {
    const dir = subFolder(root, 'groups-huge');
    await refused(dir, [RESNET13, '--after', '*/conv3/Conv', '--groups', '99999999999999999999'], [/too large/]);
  });

  it('a misspelled command is named as such', async () => {
    const dir = subFolder(root, 'lsit');
    const r = await refused(dir, ['lsit', RESNET13], [/unknown command 'lsit' \(did you mean 'list'\?\)/]);
    expect(r.stderr).not.toMatch(/too many arguments/);
  });

  it('two selected nodes sharing a name: the message says so and how to tell them apart', async () => {
    const dir = subFolder(root, 'dup-names');
    const model = writeModel(join(dir, 'm.onnx'), twoConvModel());
    const r = await refused(
      dir,
      [model, '--after', 'conv', '-g', '2'],
      [/2 selected Conv nodes share the name 'conv' \(they write 'a', 'Y'\)/, /→ .*distinct names.*--exclude/],
    );
    expect(r.stderr).not.toMatch(/is already used/);
  });

  it('validate options without --validate are refused; with it they are used', async () => {
    const dir = subFolder(root, 'validate-options');
    const input = resnetIn(dir);
    await refused(
      dir,
      [input, ...AFTER, '--shape', 'input=1x3x96x96', '--runs', '1'],
      [/--shape, --runs apply only with --validate/],
    );
    const inputs = join(RESNET13.replace(/\.onnx$/, ''), 'test_data_set_0');
    const withInputs = await spawnCli([input, ...AFTER, '--validate', '--inputs', inputs, '--runs', '1', '--json']);
    expect(withInputs.code, withInputs.stderr).toBe(0);
    const report = JSON.parse(withInputs.stdout) as {
      validation: { inputs: Array<{ source: string }>; latency: { runs: number } };
    };
    expect(report.validation.inputs[0]!.source).toMatch(/input_0\.pb$/);
    expect(report.validation.latency.runs).toBe(1);
    const withShape = await spawnCli([
      input,
      ...AFTER,
      '--overwrite',
      '-o',
      join(dir, 'o.onnx'),
      '--validate',
      '--dim',
      'batch=2',
      '--runs',
      '0',
      '--json',
    ]);
    expect(withShape.code, withShape.stderr).toBe(0);
    expect(
      (JSON.parse(withShape.stdout) as { validation: { inputs: Array<{ shape: number[] }> } }).validation.inputs[0]!
        .shape,
    ).toEqual([2, 3, 96, 96]);
  });

  it('a huge --shape or --dim is bad input (exit 2), not an internal error', async () => {
    const dir = subFolder(root, 'huge-shape');
    const injected = join(dir, 'in.onnx');
    expect((await spawnCli([RESNET13, ...AFTER, '-o', injected])).code).toBe(0);
    await refused(
      dir,
      ['validate', RESNET13, injected, '--dim', 'batch=100000000'],
      [/input 'input' would be 100000000x3x96x96 = .* elements .*more than validation generates/, /→ give smaller/],
    );
  });
});

describe.concurrent('list', { timeout: 240_000 }, () => {
  it('a 1×1 site is marked not injectable, with the reason', async () => {
    const dir = subFolder(root, 'list-1x1');
    const model = writeModel(join(dir, 'm.onnx'), okConvModel([1, 1]));
    const r = await spawnCli(['list', model, '-g', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^conv\s+Y\s+8\s+1×1\s+yes\s+no: 1×1 map/m);
    expect(r.stdout).toMatch(/1 divisible by 2, 0 injectable/);
  });

  it('convs inside model-local functions are listed, as not injectable; --after on them says why', async () => {
    const dir = subFolder(root, 'list-fn');
    const model = writeModel(join(dir, 'm.onnx'), convInFunctionModel());
    const r = await spawnCli(['list', model, '-g', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^inner_conv\s+y\s+\?\s+\?\s+\?\s+no: inside a function\s+function com\.user\.Block/m);
    await refused(
      dir,
      [model, '--after', 'inner_conv', '-g', '2'],
      [/matches only nodes inside the model-local function com\.user\.Block/],
    );
  });
});

describe.concurrent("onnxruntime's own log lines", { timeout: 240_000 }, () => {
  it('never reach stderr: a run failure is one message of ours, without colour codes or C++ paths', async () => {
    const dir = subFolder(root, 'ort-log');
    // A Gather whose index is out of range: no check at load time sees it; the run fails, and onnxruntime
    // logs an error line of its own (colour codes, C++ source path) before throwing.
    const m = okConvModel();
    m.graph!.node.push(
      makeNode({
        op_type: 'Gather',
        name: 'gather',
        input: ['Y', 'idx'],
        output: ['G'],
        attribute: [makeAttribute('axis', { int: 1 })],
      }),
    );
    m.graph!.initializer.push(makeInt64Tensor('idx', [1], [100]));
    m.graph!.output.push(makeValueInfo('G', 1));
    const model = writeModel(join(dir, 'm.onnx'), m);
    const injected = join(dir, 'in.onnx');
    expect((await spawnCli([model, '--after', 'conv', '-g', '2', '-o', injected])).code).toBe(0);
    const r = await spawnCli(['validate', model, injected, '--runs', '1']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^sge-inject: onnxruntime could not run the original model .*Gather/);
    expect(r.stderr.includes('\u001b')).toBe(false); // no terminal colour codes
    expect(r.stderr).not.toMatch(/onnxruntime_src|\[E:onnxruntime|\.(h|cc):\d+/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
