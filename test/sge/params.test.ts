import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseSgeParams } from '../../src/sge/params.js';
import { InputError } from '../../src/errors.js';

const enc = (s: string) => new TextEncoder().encode(s);

interface StTensor {
  name: string;
  dtype?: string;
  shape: number[];
  values: number[];
  offsets?: [number, number];
}

/** A safetensors file written by hand from the format's definition (test-only writer). */
function safetensors(
  tensors: StTensor[],
  metadata?: Record<string, string>,
  pad = 0,
  headerLengthOverride?: bigint,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const data = new Uint8Array(new Float32Array(t.values).buffer);
    header[t.name] = {
      dtype: t.dtype ?? 'F32',
      shape: t.shape,
      data_offsets: t.offsets ?? [offset, offset + data.length],
    };
    chunks.push(data);
    offset += data.length;
  }
  const json = enc(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, headerLengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function expectInputError(fn: () => unknown, message: RegExp, hint?: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(message);
    if (hint) expect((err as InputError).hint).toMatch(hint);
    expect((err as InputError).hint).toBeTruthy();
    return;
  }
  expect.fail('no error');
}

describe('JSON parameter files', () => {
  it('reads the fixture params file of the mini ResNet', () => {
    const bytes = readFileSync(
      new URL('../../fixtures/models/mini_resnet_bottleneck_op13.sge-g8-params.json', import.meta.url),
    );
    const p = parseSgeParams(bytes);
    expect(p.format).toBe('json');
    expect(p.groups).toBe(8);
    expect(p.groupsDeclared).toBe(true);
    expect([...p.sites.keys()]).toEqual([
      '/layer1/layer1.0/conv3/Conv',
      '/layer2/layer2.0/conv3/Conv',
      '/layer2/layer2.1/conv3/Conv',
      '/layer3/layer3.0/conv3/Conv',
      '/layer3/layer3.1/conv3/Conv',
      '/layer4/layer4.0/conv3/Conv',
    ]);
    const first = p.sites.get('/layer1/layer1.0/conv3/Conv')!;
    expect(first.weight[0]).toBe(-0.6999713778495789);
    expect(first.bias[7]).toBe(-0.17425572872161865);
  });

  it('takes G from the lengths when the file does not declare it; tolerates a BOM and whitespace', () => {
    const p = parseSgeParams(enc('\ufeff \n{"params": {"a": {"weight": [1, 2], "bias": [0, 0.5]}}}'));
    expect(p.groups).toBe(2);
    expect(p.groupsDeclared).toBe(false);
    expect(Array.from(p.sites.get('a')!.bias)).toEqual([0, 0.5]);
  });

  it('refuses malformed files with a hint', () => {
    expectInputError(() => parseSgeParams(enc('hello')), /not valid JSON/);
    expectInputError(() => parseSgeParams(new Uint8Array(0)), /not valid JSON/);
    expectInputError(
      () => parseSgeParams(enc('{"groups": 2, "params": {"a": {"weight": [NaN, 1], "bias": [0, 0]}}}')),
      /not valid JSON/,
      /NaN or Infinity/,
    );
    expectInputError(
      () => parseSgeParams(enc('{"params": {"a": {"weight": [-Infinity, 1], "bias": [0, 0]}}}')),
      /not valid JSON/,
      /NaN or Infinity/,
    );
    expectInputError(() => parseSgeParams(enc('[1, 2]')), /no "params" object/);
    expectInputError(() => parseSgeParams(enc('{"groups": 2}')), /no "params" object/);
    expectInputError(() => parseSgeParams(enc('{"params": {}}')), /no site parameters/);
    expectInputError(
      () => parseSgeParams(enc('{"params": {"a": {"weight": [1, null], "bias": [0, 0]}}}')),
      /weight\[1\] is null/,
      /finite/,
    );
    expectInputError(
      () => parseSgeParams(enc('{"params": {"a": {"weight": [1, 2], "bias": ["0", 0]}}}')),
      /bias\[0\] is "0"/,
    );
    expectInputError(() => parseSgeParams(enc('{"params": {"a": {"weight": [1, 2]}}}')), /bias is missing/);
    expectInputError(() => parseSgeParams(enc('{"params": {"a": [1, 2]}}')), /not an object/);
    expectInputError(
      () => parseSgeParams(enc('{"params": {"a": {"weight": [1e39], "bias": [0]}}}')),
      /overflows float32/,
    );
    expectInputError(
      () => parseSgeParams(enc('{"groups": 0, "params": {"a": {"weight": [1], "bias": [0]}}}')),
      /positive integer/,
    );
    expectInputError(
      () => parseSgeParams(enc('{"groups": "2", "params": {"a": {"weight": [1], "bias": [0]}}}')),
      /positive integer/,
    );
  });

  it('refuses lengths that disagree with each other or with the declared groups', () => {
    expectInputError(
      () => parseSgeParams(enc('{"params": {"a": {"weight": [1, 2], "bias": [0]}}}')),
      /bias has 1 values but .* G = 2/,
      /exactly G/,
    );
    expectInputError(
      () =>
        parseSgeParams(
          enc('{"params": {"a": {"weight": [1, 2], "bias": [0, 1]}, "b": {"weight": [1, 2, 3], "bias": [0, 0, 0]}}}'),
        ),
      /site "b" weight has 3 values/,
    );
    expectInputError(
      () => parseSgeParams(enc('{"groups": 4, "params": {"a": {"weight": [1, 2], "bias": [0, 1]}}}')),
      /declared groups says G = 4/,
    );
    expectInputError(() => parseSgeParams(enc('{"params": {"a": {"weight": [], "bias": []}}}')), /empty weight/);
  });
});

describe('safetensors parameter files', () => {
  // biome-ignore lint/suspicious/noApproximativeNumericConstant: a float32 value written out, not π
  const w = [0.5, -1.25, 3.1415927, 1e-20];
  const b = [1, 0, -0.1, 2];

  it('reads [G] and [1, G, 1, 1] F32 tensors, told apart from JSON by content', () => {
    const bytes = safetensors(
      [
        { name: 'conv1.bias', shape: [4], values: b },
        { name: 'conv1.weight', shape: [1, 4, 1, 1], values: w },
        { name: '/layer1/conv3/Conv.weight', shape: [4], values: w },
        { name: '/layer1/conv3/Conv.bias', shape: [4], values: b },
      ],
      { format: 'pt' },
    );
    const p = parseSgeParams(bytes, 'p.json'); // the name says nothing
    expect(p.format).toBe('safetensors');
    expect(p.groups).toBe(4);
    expect(p.groupsDeclared).toBe(false);
    expect([...p.sites.keys()]).toEqual(['conv1', '/layer1/conv3/Conv']);
    expect(Array.from(p.sites.get('conv1')!.weight)).toEqual(Array.from(Float32Array.from(w)));
    expect(Array.from(p.sites.get('/layer1/conv3/Conv')!.bias)).toEqual(Array.from(Float32Array.from(b)));
  });

  it('reads groups from __metadata__, a space-padded header, and a header length whose low byte is "{"', () => {
    const tensors = [
      { name: 's.weight', shape: [4], values: w },
      { name: 's.bias', shape: [4], values: b },
    ];
    const plain = safetensors(tensors, { groups: '4' });
    const len = Number(new DataView(plain.buffer).getBigUint64(0, true));
    const padded = safetensors(tensors, { groups: '4' }, 0x17b - len); // header length 0x17b: first byte '{'
    expect(padded[0]).toBe(0x7b);
    const p = parseSgeParams(padded);
    expect(p.format).toBe('safetensors');
    expect(p.groups).toBe(4);
    expect(p.groupsDeclared).toBe(true);
    expectInputError(() => parseSgeParams(safetensors(tensors, { groups: '8' })), /declared groups says G = 8/);
    expectInputError(() => parseSgeParams(safetensors(tensors, { groups: 'eight' })), /positive integer/);
  });

  it('refuses damaged files, other dtypes, wrong shapes and non-finite values', () => {
    const ok = [
      { name: 's.weight', shape: [2], values: [1, 2] },
      { name: 's.bias', shape: [2], values: [0, 0] },
    ];
    const good = safetensors(ok);
    expectInputError(() => parseSgeParams(good.subarray(0, 20)), /header length .* runs beyond the file/);
    expectInputError(() => parseSgeParams(safetensors(ok, undefined, 0, 1n << 40n)), /runs beyond the file/);
    const badJson = good.slice();
    badJson[10] = 0x00;
    expectInputError(() => parseSgeParams(badJson), /header is not valid JSON/);
    expectInputError(
      () => parseSgeParams(safetensors([{ ...ok[0]!, dtype: 'F16' }, ok[1]!])),
      /dtype "F16", not F32/,
      /float32/,
    );
    expectInputError(
      () => parseSgeParams(safetensors([{ ...ok[0]!, shape: [1, 2] }, ok[1]!])),
      /shape \[1, 2\], not \[G\] or \[1, G, 1, 1\]/,
    );
    expectInputError(() => parseSgeParams(safetensors([{ ...ok[0]!, offsets: [0, 400] }, ok[1]!])), /fall outside/);
    expectInputError(
      () => parseSgeParams(safetensors([{ ...ok[0]!, shape: [3] }, ok[1]!])),
      /8 data bytes for 3 F32 values/,
    );
    expectInputError(
      () => parseSgeParams(safetensors([{ ...ok[0]!, values: [1, NaN] }, ok[1]!])),
      /s.weight"\[1\] is NaN/,
      /finite/,
    );
    expectInputError(
      () => parseSgeParams(safetensors([ok[0]!, { ...ok[1]!, values: [Infinity, 0] }])),
      /s.bias"\[0\] is Infinity/,
    );
    expectInputError(
      () => parseSgeParams(safetensors([...ok, { name: 'running_mean', shape: [2], values: [0, 0] }])),
      /not named <site>.weight/,
    );
    expectInputError(() => parseSgeParams(safetensors([ok[0]!])), /site "s" has a weight but no bias/);
    expectInputError(
      () =>
        parseSgeParams(
          safetensors([
            ok[0]!,
            { ...ok[1]!, shape: [1, 2, 1, 1], values: [0, 0] },
            { name: 't.weight', shape: [3], values: [1, 1, 1] },
            { name: 't.bias', shape: [3], values: [0, 0, 0] },
          ]),
        ),
      /site "t" weight has 3 values/,
    );
  });
});
