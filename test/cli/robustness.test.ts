/**
 * Robustness of the real process on large models (issue 5): an interrupt (SIGINT, SIGTERM) while the
 * output is being written leaves the old output or none, never a partial file, and no temporary file;
 * two runs at once from one input do not interfere; and weights kept in external data (a sparse file
 * of more than 2 GiB, and a few hundred MB copied to another folder) are never read into memory: the
 * process's peak RSS stays far below their size.
 */
import {
  closeSync,
  existsSync,
  ftruncateSync,
  openSync,
  statSync,
  writeFileSync,
  writeSync,
  copyFileSync,
  readdirSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataLocation, DataType, type ModelProto, type TensorProto } from '../../src/codec/types.js';
import {
  makeAttribute,
  makeGraph,
  makeModel,
  makeNode,
  makeOpset,
  makeTensor,
  makeTensorShell,
  makeValueInfo,
} from '../../src/graph/factory.js';
import { loadModel, saveModel } from '../../src/io/index.js';
import { findInjectedSites } from '../../src/sge/detect.js';
import { RESNET13, sha256, spawnCli, subFolder, tempFiles, tempFolder, type ProcessResult } from './helpers.js';

const root = tempFolder('robust');
const MiB = 2 ** 20;

/** X [N, 8, 6, 6] → Conv 'conv' (weight `w`) → Y, plus whatever extra initializers (nothing reads them). */
function convModel(w: TensorProto, extra: TensorProto[]): ModelProto {
  const conv = makeNode({
    op_type: 'Conv',
    name: 'conv',
    input: ['X', 'w'],
    output: ['Y'],
    attribute: [makeAttribute('kernel_shape', { ints: [1, 1] })],
  });
  const graph = makeGraph({
    name: 'big',
    node: [conv],
    initializer: [w, ...extra],
    input: [makeValueInfo('X', DataType.FLOAT, ['N', 8, 6, 6])],
    output: [makeValueInfo('Y', DataType.FLOAT, ['N', 8, 6, 6])],
  });
  return makeModel(graph, [makeOpset('', 17)], 8);
}

const convWeight = (): Float32Array => Float32Array.from({ length: 64 }, (_, i) => ((i * 37) % 17) / 17 - 0.5);

/** A float32 initializer whose bytes live in `location` at `offset`. */
function externalTensor(name: string, elements: number, location: string, offset: number): TensorProto {
  const t = makeTensorShell(name, [elements], DataType.FLOAT);
  t.data_location = DataLocation.EXTERNAL;
  t.external_data = [
    { key: 'location', value: location },
    { key: 'offset', value: String(offset) },
    { key: 'length', value: String(elements * 4) },
  ];
  return t;
}

/** Peak RSS of the child, reported by a preload module on exit (VmHWM, in KiB). */
function rssPreload(dir: string): string {
  const p = join(dir, 'peak-rss.mjs');
  writeFileSync(
    p,
    `import { readFileSync, writeSync } from 'node:fs';
process.on('exit', () => {
  const m = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  writeSync(2, '\\npeak-rss-kib ' + (m ? m[1] : '-1') + '\\n');
});
`,
  );
  return p;
}
const peakMiB = (r: ProcessResult): number => {
  const m = /peak-rss-kib (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no peak RSS reported:\n${r.stderr}`);
  return Number(m[1]) / 1024;
};

describe('interrupts and concurrent runs on a model of 256 MiB', () => {
  const dir = subFolder(root, 'big');
  const input = join(dir, 'big.onnx');
  const args = (out: string): string[] => [input, '--after', 'conv', '-g', '2', '-o', out];
  let inputHash = '';
  let refHash = '';
  let refSize = 0;

  beforeAll(async () => {
    const filler = makeTensor('filler', [1], new Float32Array(1));
    filler.dims = [64 * MiB];
    filler.raw_data = new Uint8Array(256 * MiB).fill(0x3c);
    await saveModel(convModel(makeTensor('w', [8, 8, 1, 1], convWeight()), [filler]), input, { durable: false });
    inputHash = sha256(input);
    // One undisturbed run: the output every other run must produce (or leave no trace of).
    const ref = join(dir, 'ref.onnx');
    const r = await spawnCli(args(ref));
    expect(r.code, r.stderr).toBe(0);
    refHash = sha256(ref);
    refSize = statSync(ref).size;
    expect(refSize).toBeGreaterThan(256 * MiB);
  }, 120_000);

  /**
   * Runs the CLI and sends `signal` once the temporary output exists and holds some bytes (the write is
   * under way). Returns the result and whether the signal was sent before the run ended.
   */
  async function interrupted(
    outDir: string,
    out: string,
    signal: NodeJS.Signals,
  ): Promise<{ r: ProcessResult; sent: boolean }> {
    let pid = 0,
      sent = false;
    const timer = setInterval(() => {
      if (!pid || sent) return;
      for (const t of tempFiles(outDir)) {
        let size = 0;
        try {
          size = statSync(join(outDir, t)).size;
        } catch {
          continue;
        }
        if (size > 0) {
          process.kill(pid, signal);
          sent = true;
          return;
        }
      }
    }, 1);
    try {
      const r = await spawnCli(args(out), {
        onSpawn: (p) => {
          pid = p;
        },
      });
      return { r, sent };
    } finally {
      clearInterval(timer);
    }
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} during the write, no previous output: no output file, no temporary file`, async () => {
      const outDir = subFolder(dir, `none-${signal}`);
      const out = join(outDir, 'out.onnx');
      const { r, sent } = await interrupted(outDir, out, signal);
      expect(sent, 'the signal was sent while the temporary file was being written').toBe(true);
      expect(r.signal, r.stderr).toBe(signal);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(outDir)).toEqual([]);
      expect(sha256(input)).toBe(inputHash);
    });

    it(`${signal} during the write over an existing output: the old file stays, whole`, async () => {
      const outDir = subFolder(dir, `old-${signal}`);
      const out = join(outDir, 'out.onnx');
      copyFileSync(RESNET13, out);
      const oldHash = sha256(out);
      const { r, sent } = await interrupted(outDir, out, signal);
      expect(sent).toBe(true);
      expect(r.signal, r.stderr).toBe(signal);
      expect(sha256(out)).toBe(oldHash);
      expect(readdirSync(outDir)).toEqual(['out.onnx']);
    });
  }

  it('SIGTERM at other moments (loading, injecting, writing, renaming): the output is absent or complete', async () => {
    for (const delay of [120, 350, 600, 900]) {
      const outDir = subFolder(dir, `sweep-${delay}`);
      const out = join(outDir, 'out.onnx');
      let pid = 0;
      const timer = setTimeout(() => {
        if (pid) {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            /* already gone */
          }
        }
      }, delay);
      const r = await spawnCli(args(out), {
        onSpawn: (p) => {
          pid = p;
        },
      });
      clearTimeout(timer);
      expect(r.signal === 'SIGTERM' || r.code === 0, `delay ${delay}: ${r.code} ${r.signal} ${r.stderr}`).toBe(true);
      expect(tempFiles(outDir)).toEqual([]);
      if (existsSync(out)) expect(sha256(out), `delay ${delay}`).toBe(refHash);
      else expect(r.signal).toBe('SIGTERM');
    }
  }, 60_000);

  it('two runs at once writing different outputs from the same input do not interfere', async () => {
    const outDir = subFolder(dir, 'concurrent');
    const a = join(outDir, 'a.onnx'),
      b = join(outDir, 'b.onnx');
    const [ra, rb] = await Promise.all([spawnCli(args(a)), spawnCli(args(b))]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    expect(sha256(a)).toBe(refHash);
    expect(sha256(b)).toBe(refHash);
    expect(readdirSync(outDir).sort()).toEqual(['a.onnx', 'b.onnx']);
    expect(sha256(input)).toBe(inputHash);
  }, 60_000);

  it('two runs at once writing the SAME output: it ends complete (one of them), no temporary file', async () => {
    const outDir = subFolder(dir, 'same-output');
    const out = join(outDir, 'out.onnx');
    const [ra, rb] = await Promise.all([spawnCli(args(out)), spawnCli(args(out))]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    expect(sha256(out)).toBe(refHash);
    expect(readdirSync(outDir)).toEqual(['out.onnx']);
  }, 60_000);
});

describe('weights in external data are never read into memory', () => {
  it('a sparse data file of 2.5 GiB: injected and saved in the same folder with a peak RSS far below it', async () => {
    const dir = subFolder(root, 'sparse');
    const data = join(dir, 'weights.bin');
    const fillers = 5,
      fillerBytes = 512 * MiB,
      headerBytes = 4096;
    const total = headerBytes + fillers * fillerBytes;
    // The conv weight's real bytes at offset 0; the rest a hole (no disk blocks, reads as zeros).
    const fd = openSync(data, 'w');
    writeSync(fd, new Uint8Array(convWeight().buffer), 0, 256, 0);
    ftruncateSync(fd, total);
    closeSync(fd);
    const w = externalTensor('w', 64, 'weights.bin', 0);
    w.dims = [8, 8, 1, 1];
    const extra = Array.from({ length: fillers }, (_, i) =>
      externalTensor(`filler_${i}`, fillerBytes / 4, 'weights.bin', headerBytes + i * fillerBytes),
    );
    const input = join(dir, 'model.onnx');
    await saveModel(convModel(w, extra), input, { durable: false });
    const before = { model: sha256(input), data: statSync(data) };

    const out = join(dir, 'model.sge.onnx');
    const r = await spawnCli([input, '--after', 'conv', '-g', '2', '-o', out], {
      nodeArgs: ['--import', rssPreload(root)],
    });
    expect(r.code, r.stderr).toBe(0);
    const peak = peakMiB(r);
    console.log(`[test/cli] sparse external data ${(total / 2 ** 30).toFixed(2)} GiB: peak RSS ${peak.toFixed(0)} MiB`);
    expect(peak).toBeLessThan(256);

    // Same folder: the references stay valid as they are; nothing copied, the data file untouched.
    expect(readdirSync(dir).sort()).toEqual(['model.onnx', 'model.sge.onnx', 'weights.bin']);
    expect(statSync(data).size).toBe(total);
    expect(statSync(data).mtimeMs).toBe(before.data.mtimeMs);
    expect(sha256(input)).toBe(before.model);
    const written = await loadModel(out);
    expect(findInjectedSites(written).map((s) => s.name)).toEqual(['conv']);
    const refs = written.graph!.initializer.filter((t) => t.data_location === DataLocation.EXTERNAL);
    expect(refs.map((t) => t.name)).toEqual(['w', ...extra.map((t) => t.name)]);
    for (const t of refs) {
      const kv = Object.fromEntries(t.external_data.map((e) => [e.key, e.value]));
      expect(kv.location).toBe('weights.bin');
      expect(Number(kv.offset) + Number(kv.length)).toBeLessThanOrEqual(total);
    }
  }, 120_000);

  it('300 MiB of external data, output in another folder: the data is copied beside it, RSS stays low, the result validates', async () => {
    const dir = subFolder(root, 'ext');
    const srcDir = subFolder(dir, 'src'),
      outDir = subFolder(dir, 'out');
    const data = join(srcDir, 'model.data');
    const fillerBytes = 300 * MiB;
    const fd = openSync(data, 'w');
    writeSync(fd, new Uint8Array(convWeight().buffer), 0, 256, 0);
    // Real bytes, not a hole: a pattern written in 16 MiB pieces.
    const piece = new Uint8Array(16 * MiB).fill(0x3f);
    for (let off = 0; off < fillerBytes; off += piece.length) writeSync(fd, piece, 0, piece.length, 4096 + off);
    closeSync(fd);
    const w = externalTensor('w', 64, 'model.data', 0);
    w.dims = [8, 8, 1, 1];
    const input = join(srcDir, 'model.onnx');
    await saveModel(convModel(w, [externalTensor('filler', fillerBytes / 4, 'model.data', 4096)]), input, {
      durable: false,
    });
    const dataHash = sha256(data);

    const out = join(outDir, 'model.sge.onnx');
    const r = await spawnCli([input, '--after', 'conv', '-g', '2', '-o', out], {
      nodeArgs: ['--import', rssPreload(root)],
    });
    expect(r.code, r.stderr).toBe(0);
    const peak = peakMiB(r);
    console.log(`[test/cli] external data 300 MiB copied to another folder: peak RSS ${peak.toFixed(0)} MiB`);
    expect(peak).toBeLessThan(200);
    expect(readdirSync(outDir).sort()).toEqual(['model.data', 'model.sge.onnx']);
    expect(sha256(join(outDir, 'model.data'))).toBe(dataHash);
    expect(sha256(data)).toBe(dataHash);

    // onnxruntime loads the output with its references and the sites check out against the original.
    const v = await spawnCli(['validate', input, out, '--runs', '1']);
    expect(v.code, `${v.stdout}\n${v.stderr}`).toBe(0);
    expect(v.stdout).toMatch(/result: PASS/);
  }, 120_000);
});
