/**
 * Issue 5's contract, case by case: every bad usage or bad input ends with exit status 2 and a short
 * message on stderr naming the file, node or value at fault and the way out; no stack trace; no output
 * file and no temporary file left behind; the inputs unchanged. Runs the CLI in-process (runCli) for speed;
 * test/cli/process.test.ts repeats a sample as real processes.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import { DataLocation } from '../../src/codec/types.js';
import { seededUniform } from '../helpers/conv-models.js';
import {
  cli,
  expectRefusal,
  RESNET13,
  ROOT,
  RESNET13_PARAMS,
  snapshot,
  subFolder,
  tempFiles,
  tempFolder,
  VGG,
  type Refusal,
} from './helpers.js';
import { doubleConvModel, okConvModel, safetensors, unknownChannelsModel, writeModel } from './models.js';

const root = tempFolder('bad');

/** A case: `setup` fills its own folder and returns the arguments; the refusal expected. */
interface Case extends Refusal {
  readonly name: string;
  readonly setup: (dir: string) => string[] | Promise<string[]>;
}

const AFTER = ['--after', '*/conv3/Conv'];
const resnetIn = (dir: string): string => {
  const p = join(dir, 'model.onnx');
  copyFileSync(RESNET13, p);
  return p;
};
const paramsDoc = (): { groups: number; params: Record<string, { weight: unknown[]; bias: unknown[] }> } =>
  JSON.parse(readFileSync(RESNET13_PARAMS, 'utf8'));
const writeJson = (dir: string, doc: unknown, name = 'params.json'): string => {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(doc));
  return p;
};
/** The file's text with one value replaced by raw JSON text (JSON.stringify cannot write 1e999). */
const withRawValue = (dir: string, site: string, field: 'weight' | 'bias', index: number, raw: string): string => {
  const doc = paramsDoc();
  const marker = '"__RAW__"';
  (doc.params[site]![field] as unknown[])[index] = '__RAW__';
  const p = join(dir, 'params.json');
  writeFileSync(p, JSON.stringify(doc).replace(marker, raw));
  return p;
};
const file = (dir: string, name: string, bytes: Uint8Array | string): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const randomBytes = (n: number): Uint8Array => Uint8Array.from(seededUniform(n, 5, 0, 256), (v) => Math.floor(v));
const f32 = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

const cases: Case[] = [
  // ---- the model file ----
  {
    name: 'model path missing',
    setup: (d) => [join(d, 'nope.onnx'), ...AFTER],
    status: 2,
    says: [/nope\.onnx/, /no such model file/, /→ check the path/],
  },
  {
    name: 'empty file',
    setup: (d) => [file(d, 'empty.onnx', ''), ...AFTER],
    status: 2,
    says: [/empty\.onnx/, /empty/, /→ .*complete \.onnx model/],
  },
  {
    name: 'random bytes',
    setup: (d) => [file(d, 'random.onnx', randomBytes(4096)), ...AFTER],
    status: 2,
    says: [/random\.onnx/, /not a valid ONNX model/, /→ /],
  },
  {
    name: 'truncated model',
    setup: (d) => {
      const b = readFileSync(RESNET13);
      return [file(d, 'cut.onnx', b.subarray(0, Math.floor(b.length * 0.6))), ...AFTER];
    },
    status: 2,
    says: [/cut\.onnx/, /truncated/, /→ .*re-export/],
  },
  {
    name: 'JSON file named .onnx',
    setup: (d) => [file(d, 'model.onnx', '{"graph": {"node": []}}\n'), ...AFTER],
    status: 2,
    says: [/model\.onnx/, /JSON/, /→ /],
  },
  {
    // ir_version 7, then field 7 (graph, length-delimited) claiming 1000 bytes where 4 follow.
    name: 'length prefix claims more bytes than exist',
    setup: (d) => [
      file(d, 'prefix.onnx', Uint8Array.from([0x08, 0x07, 0x3a, 0xe8, 0x07, 0x0a, 0x02, 0x61, 0x62])),
      ...AFTER,
    ],
    status: 2,
    says: [/prefix\.onnx/, /length|truncated/, /→ /],
  },
  {
    name: 'valid protobuf that is not a ModelProto (a TensorProto .pb)',
    setup: (d) => {
      const p = join(d, 'tensor.onnx');
      copyFileSync(join(ROOT, 'fixtures/sge-op/basic_2x64x7x7_g8/x.pb'), p);
      return [p, ...AFTER];
    },
    status: 2,
    says: [/tensor\.onnx/, /not a valid ONNX model|not an ONNX model/, /→ /],
  },
  {
    name: 'valid ModelProto encoding without a graph',
    setup: (d) => {
      const m = decodeModel(readFileSync(RESNET13));
      delete (m as { graph?: unknown }).graph;
      return [file(d, 'nograph.onnx', encodeModel(m)), ...AFTER];
    },
    status: 2,
    says: [/nograph\.onnx/, /no graph/, /→ /],
  },
  // ---- choosing sites ----
  { name: 'no --after', setup: (d) => [resnetIn(d)], status: 2, says: [/--after is required/, /sge-inject list/] },
  {
    name: 'unknown option',
    setup: (d) => [resnetIn(d), ...AFTER, '--bogus'],
    status: 2,
    says: [/unknown option '--bogus'/, /--help/],
  },
  {
    name: 'pattern matching nothing',
    setup: (d) => [resnetIn(d), '--after', '*/conv9/Conv'],
    status: 2,
    says: [/'\*\/conv9\/Conv' matches no node/, /nearest names: .*\/conv1\/Conv/, /sge-inject list/],
  },
  {
    name: 'pattern matching nothing (Caffe tensor names)',
    setup: (d) => {
      const p = join(d, 'vgg.onnx');
      copyFileSync(VGG, p);
      return [p, '--after', 'conv6_*'];
    },
    status: 2,
    says: [/'conv6_\*' matches no node/, /nearest names: .*conv\d_\d/, /sge-inject list/],
  },
  {
    name: 'pattern matching only non-Conv nodes',
    setup: (d) => [resnetIn(d), '--after', '*/relu/Relu'],
    status: 2,
    says: [/only Relu nodes, not Conv/, /--op-types/],
  },
  // ---- --groups ----
  {
    name: '--groups 0',
    setup: (d) => [resnetIn(d), ...AFTER, '--groups', '0'],
    status: 2,
    says: [/--groups '0'/, /at least 1/, /→ e\.g\. --groups 64/],
  },
  {
    name: '--groups negative',
    setup: (d) => [resnetIn(d), ...AFTER, '--groups', '-8'],
    status: 2,
    says: [/--groups '-8'/, /positive/, /→ /],
  },
  {
    name: '--groups=negative',
    setup: (d) => [resnetIn(d), ...AFTER, '--groups=-8'],
    status: 2,
    says: [/--groups '-8'/, /positive/, /→ /],
  },
  {
    name: '--groups not a number',
    setup: (d) => [resnetIn(d), ...AFTER, '-g', 'eight'],
    status: 2,
    says: [/--groups 'eight'/, /a number/, /→ /],
  },
  {
    name: '--groups fractional',
    setup: (d) => [resnetIn(d), ...AFTER, '-g', '2.5'],
    status: 2,
    says: [/--groups '2\.5'/, /whole number/, /→ /],
  },
  {
    name: "--groups not dividing a site's channels",
    setup: (d) => [resnetIn(d), '--after', '/layer1/*/conv3/Conv', '-g', '12'],
    status: 2,
    says: [
      /site '\/layer1\/layer1\.0\/conv3\/Conv'/,
      /32 channels/,
      /valid: 1, 2, 4, 8, 16, 32\)/,
      /→ choose --groups/,
    ],
  },
  {
    name: '--groups not dividing several sites (one line each)',
    setup: (d) => [resnetIn(d), ...AFTER, '-g', '7'],
    status: 2,
    says: [
      /6 sites cannot take SGE/,
      /^ {2}- groups 7 does not divide the 256 channels of site '\/layer4\/layer4\.0\/conv3\/Conv' \(valid: 1, 2, 4, 8, 16, 32, 64, 128, 256\)$/m,
      /→ choose --groups/,
    ],
  },
  {
    name: '--groups larger than the channel count',
    setup: (d) => [resnetIn(d), '--after', '/layer1/*/conv3/Conv', '-g', '64'],
    status: 2,
    says: [
      /site '\/layer1\/layer1\.0\/conv3\/Conv' has 32 channels, fewer than groups 64/,
      /valid: .*32\)/,
      /→ choose --groups/,
    ],
  },
  // ---- the output ----
  {
    name: 'output folder missing',
    setup: (d) => [resnetIn(d), ...AFTER, '-g', '8', '-o', join(d, 'missing', 'out.onnx')],
    status: 2,
    says: [/missing/, /does not exist/, /→ create it first/],
  },
  {
    name: 'output path equal to the input',
    setup: (d) => {
      const p = resnetIn(d);
      return [p, ...AFTER, '-g', '8', '-o', p];
    },
    status: 2,
    says: [/model\.onnx is the input model/, /--overwrite/],
  },
  {
    name: 'output path equal to the input, written another way',
    setup: (d) => {
      const p = resnetIn(d);
      return [p, ...AFTER, '-g', '8', '-o', join(d, '.', '..', d.split('/').pop()!, 'model.onnx')];
    },
    status: 2,
    says: [/is the input model/, /--overwrite/],
  },
  {
    name: 'output whose parent is a file',
    setup: (d) => [resnetIn(d), ...AFTER, '-g', '8', '-o', join(file(d, 'afile', 'x'), 'out.onnx')],
    status: 2,
    says: [/afile is not a folder/, /→ /],
  },
  {
    name: 'output path is a folder',
    setup: (d) => [resnetIn(d), ...AFTER, '-g', '8', '-o', d],
    status: 2,
    says: [/is a folder/, /→ /],
  },
  // ---- parameters ----
  {
    name: '--groups contradicting the params file',
    setup: (d) => [resnetIn(d), ...AFTER, '-g', '4', '--params', writeJson(d, paramsDoc())],
    status: 2,
    says: [/--groups 4 contradicts the params file's groups 8/, /params\.json/, /→ drop --groups/],
  },
  {
    name: 'params file missing',
    setup: (d) => [resnetIn(d), ...AFTER, '--params', join(d, 'nope.json')],
    status: 2,
    says: [/nope\.json: no such params file/, /→ check the path/],
  },
  {
    name: 'params file not JSON',
    setup: (d) => [resnetIn(d), ...AFTER, '--params', file(d, 'p.json', 'weights: [1, 2]\n')],
    status: 2,
    says: [/p\.json is not valid JSON/, /→ expected JSON \{"groups"/],
  },
  {
    name: 'params file missing a site',
    setup: (d) => {
      const doc = paramsDoc();
      delete doc.params['/layer2/layer2.1/conv3/Conv'];
      return [resnetIn(d), ...AFTER, '--params', writeJson(d, doc)];
    },
    status: 2,
    says: [/params\.json has no entry for site '\/layer2\/layer2\.1\/conv3\/Conv'/, /→ give every selected site/],
  },
  {
    name: 'params length ≠ G',
    setup: (d) => {
      const doc = paramsDoc();
      doc.params['/layer3/layer3.0/conv3/Conv']!.bias.pop();
      return [resnetIn(d), ...AFTER, '--params', writeJson(d, doc)];
    },
    status: 2,
    says: [
      /params\.json/,
      /layer3\.0\/conv3\/Conv" bias has 7 values/,
      /G = 8/,
      /→ every weight and bias must hold exactly G values/,
    ],
  },
  {
    name: 'params value null',
    setup: (d) => [
      resnetIn(d),
      ...AFTER,
      '--params',
      withRawValue(d, '/layer1/layer1.0/conv3/Conv', 'weight', 3, 'null'),
    ],
    status: 2,
    says: [
      /params\.json: params\["\/layer1\/layer1\.0\/conv3\/Conv"\]\.weight\[3\] is null/,
      /→ every SGE parameter must be a finite number/,
    ],
  },
  {
    name: 'params value "NaN" (a string: JSON has no NaN)',
    setup: (d) => [
      resnetIn(d),
      ...AFTER,
      '--params',
      withRawValue(d, '/layer2/layer2.0/conv3/Conv', 'bias', 5, '"NaN"'),
    ],
    status: 2,
    says: [
      /params\.json: params\["\/layer2\/layer2\.0\/conv3\/Conv"\]\.bias\[5\] is "NaN"/,
      /→ every SGE parameter must be a finite number/,
    ],
  },
  {
    name: 'params value NaN (bare, as Python writes it)',
    setup: (d) => [resnetIn(d), ...AFTER, '--params', withRawValue(d, '/layer2/layer2.0/conv3/Conv', 'bias', 5, 'NaN')],
    status: 2,
    says: [/params\.json is not valid JSON/, /→ it holds NaN or Infinity/],
  },
  {
    name: 'params value 1e999 (parses to Infinity)',
    setup: (d) => [
      resnetIn(d),
      ...AFTER,
      '--params',
      withRawValue(d, '/layer4/layer4.0/conv3/Conv', 'weight', 0, '1e999'),
    ],
    status: 2,
    says: [
      /params\.json: params\["\/layer4\/layer4\.0\/conv3\/Conv"\]\.weight\[0\] is Infinity/,
      /→ every SGE parameter must be a finite number/,
    ],
  },
  {
    name: 'params value overflowing float32',
    setup: (d) => [
      resnetIn(d),
      ...AFTER,
      '--params',
      withRawValue(d, '/layer4/layer4.0/conv3/Conv', 'weight', 1, '1e300'),
    ],
    status: 2,
    says: [/params\.json: .*weight\[1\] = 1e\+300 overflows float32/, /→ /],
  },
  {
    name: 'safetensors header length beyond the file',
    setup: (d) => [
      resnetIn(d),
      ...AFTER,
      '--params',
      file(
        d,
        'p.safetensors',
        safetensors({ 'a.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32([1, 2]), 10_000n),
      ),
    ],
    status: 2,
    says: [/p\.safetensors/, /header length/, /→ the safetensors file is damaged/],
  },
  {
    name: 'safetensors header not JSON',
    setup: (d) => {
      const b = safetensors({ x: 1 });
      b[8 + 3] = 0x00;
      return [resnetIn(d), ...AFTER, '--params', file(d, 'p.safetensors', b)];
    },
    status: 2,
    says: [/p\.safetensors/, /safetensors header|not valid/, /→ /],
  },
  {
    name: 'safetensors with dtype F64',
    setup: (d) => {
      const header: Record<string, unknown> = {};
      const site = '/layer1/layer1.0/conv3/Conv';
      header[`${site}.weight`] = { dtype: 'F64', shape: [8], data_offsets: [0, 64] };
      header[`${site}.bias`] = { dtype: 'F64', shape: [8], data_offsets: [64, 128] };
      return [
        resnetIn(d),
        '--after',
        site,
        '--params',
        file(d, 'p.safetensors', safetensors(header, new Uint8Array(new Float64Array(16).buffer))),
      ];
    },
    status: 2,
    says: [/p\.safetensors/, /dtype "F64", not F32/, /→ save SGE parameters as float32/],
  },
  // ---- what the model holds at the site ----
  {
    name: 'site statically 1×1',
    setup: (d) => [writeModel(join(d, 'm.onnx'), okConvModel([1, 1])), '--after', 'conv', '-g', '2'],
    status: 2,
    says: [/site 'conv' has a 1×1 spatial map/, /→ leave the site out with --exclude/],
  },
  {
    name: 'model already injected at the site (no --force)',
    setup: async (d) => [
      await injected(writeModel(join(d, 'm.onnx'), okConvModel()), ['--after', 'conv', '-g', '2']),
      '--after',
      'conv',
      '-g',
      '2',
      '-o',
      join(d, 'out.onnx'),
    ],
    status: 2,
    says: [
      /site 'conv' already has an SGE \(function form\); pass --force to replace it/,
      /→ or leave it out with --exclude/,
    ],
  },
  {
    name: 'conv with unknown channel count',
    setup: (d) => [writeModel(join(d, 'm.onnx'), unknownChannelsModel()), '--after', 'conv', '-g', '2'],
    status: 2,
    says: [/site 'conv': channel count unknown/, /→ add value_info/],
  },
  {
    name: 'unsupported element type (double)',
    setup: (d) => [writeModel(join(d, 'm.onnx'), doubleConvModel()), '--after', 'conv', '-g', '2'],
    status: 2,
    says: [/site 'conv' has element type float64/, /float32 and float16/, /→ /],
  },
  {
    name: 'a graph with a cycle (not valid ONNX)',
    setup: (d) => {
      const m = decodeModel(readFileSync(RESNET13));
      const conv = m.graph!.node.find((n) => n.name === '/layer1/layer1.0/conv3/Conv')!;
      conv.input = [m.graph!.node.at(-1)!.output[0]!, ...conv.input.slice(1)];
      return [file(d, 'cyclic.onnx', encodeModel(m)), '--after', '/layer4/*/conv3/Conv', '-g', '8'];
    },
    status: 2,
    says: [
      /graph cannot be ordered: it has a cycle through: .*\/layer1\/layer1\.0\/conv3\/Conv/,
      /→ the model is not valid ONNX/,
    ],
  },
  {
    name: 'external data file shorter than a later tensor needs',
    setup: (d) => {
      // Two weights in w.bin at explicit ranges; the file ends inside the second one.
      const m = decodeModel(readFileSync(RESNET13));
      const [a, b] = m.graph!.initializer.filter((t) => (t.raw_data?.length ?? 0) > 64);
      const parts: Uint8Array[] = [];
      let offset = 0;
      for (const t of [a!, b!]) {
        const data = t.raw_data!;
        t.external_data = [
          { key: 'location', value: 'w.bin' },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(data.length) },
        ];
        t.data_location = DataLocation.EXTERNAL;
        delete t.raw_data;
        parts.push(data);
        offset += data.length;
      }
      file(d, 'w.bin', Buffer.concat(parts).subarray(0, offset - 4));
      return [file(d, 'm.onnx', encodeModel(m)), ...AFTER, '-g', '8'];
    },
    status: 2,
    says: [/initializer '[^']+' needs bytes \d+\.\.\d+ of 'w\.bin', which has only \d+ bytes/, /→ .*truncated/],
  },
  {
    name: 'opset below 11',
    setup: (d) => {
      const m = okConvModel();
      m.opset_import[0]!.version = 10;
      return [writeModel(join(d, 'm.onnx'), m), '--after', 'conv', '-g', '2'];
    },
    status: 2,
    says: [/opset 10/, /11/],
  },
  // ---- list and validate ----
  {
    name: 'list on a corrupt model',
    setup: (d) => ['list', file(d, 'bad.onnx', randomBytes(2048))],
    status: 2,
    says: [/bad\.onnx/, /not a valid ONNX model/, /→ /],
  },
  {
    name: 'list on a missing model',
    setup: (d) => ['list', join(d, 'gone.onnx')],
    status: 2,
    says: [/gone\.onnx: no such model file/, /→ /],
  },
  { name: 'list --groups 0', setup: (d) => ['list', resnetIn(d), '-g', '0'], status: 2, says: [/--groups '0'/, /→ /] },
  {
    name: 'validate with the original missing',
    setup: (d) => ['validate', join(d, 'gone.onnx'), resnetIn(d)],
    status: 2,
    says: [/gone\.onnx: no such model file/, /→ /],
  },
  {
    name: 'validate with the rewritten missing',
    setup: (d) => ['validate', resnetIn(d), join(d, 'gone.onnx')],
    status: 2,
    says: [/gone\.onnx: no such model file/, /→ /],
  },
  {
    name: 'validate with a corrupt model',
    setup: (d) => ['validate', resnetIn(d), file(d, 'bad.onnx', readFileSync(RESNET13).subarray(0, 3000))],
    status: 2,
    says: [/bad\.onnx/, /not a valid ONNX model/, /→ /],
  },
  {
    name: 'validate with two models whose inputs differ',
    setup: async (d) => [
      'validate',
      writeModel(join(d, 'other.onnx'), okConvModel()),
      await injected(resnetIn(d), ['-g', '8', ...AFTER]),
    ],
    status: 2,
    says: [
      /do not take the same inputs/,
      /input 'X'/,
      /→ validate a rewritten model against the model it was made from/,
    ],
  },
  {
    name: 'validate --inputs folder missing',
    setup: async (d) => [
      'validate',
      resnetIn(d),
      await injected(resnetIn(d), ['-g', '8', ...AFTER]),
      '--inputs',
      join(d, 'no-inputs'),
    ],
    status: 2,
    says: [/--inputs .*no-inputs/, /→ give a folder of input_0\.pb/],
  },
  {
    name: 'validate --inputs with --shape',
    setup: (d) => ['validate', resnetIn(d), resnetIn(d), '--inputs', d, '--shape', 'input=1x3x96x96'],
    status: 2,
    says: [/--inputs and --shape\/--dim exclude each other/],
  },
  {
    name: 'empty -o',
    setup: (d) => [resnetIn(d), ...AFTER, '-g', '8', '-o', ''],
    status: 2,
    says: [/-o\/--output is empty/, /→ give the output file/],
  },
  {
    name: 'validate --rtol not a number',
    setup: (d) => ['validate', resnetIn(d), resnetIn(d), '--rtol', 'tight'],
    status: 2,
    says: [/--rtol 'tight'/, /→ e\.g\. --rtol/],
  },
];

/** Injects `model` with `options` (a setup step; must succeed) and returns the output path. */
async function injected(model: string, options: string[]): Promise<string> {
  const out = model.replace(/\.onnx$/, '.injected.onnx');
  const r = await cli([model, ...options, '-o', out]);
  expect(r.status, r.stderr).toBe(0);
  return out;
}

describe('bad usage and bad input: exit 2, a short message with the way out, nothing written, inputs unchanged', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const dir = subFolder(root, c.name);
      const argv = await c.setup(dir);
      const before = snapshot(dir);
      const r = await cli(argv);
      expectRefusal(r, c);
      // No output file, no temporary file, every input byte as it was.
      expect(snapshot(dir)).toEqual(before);
      expect(tempFiles(dir)).toEqual([]);
    });
  }

  it('with --debug a refusal adds the stack trace (and keeps the exit status)', async () => {
    const dir = subFolder(root, 'debug');
    const r = await cli([join(dir, 'nope.onnx'), ...AFTER, '--debug']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nope\.onnx: no such model file/);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});
