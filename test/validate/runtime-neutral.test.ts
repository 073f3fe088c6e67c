/**
 * The validation core is runtime-neutral: nothing it imports at run time is a Node module or an
 * onnxruntime package, and it validates models in onnxruntime-web (wasm, in Node here) exactly as in
 * onnxruntime-node, including external data handed over the way the web page does (`externalData`).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelProto } from '../../src/codec/types.js';
import { decodeModel } from '../../src/codec/decode.js';
import type { ExternalFile } from '../../src/external/reader.js';
import { saveModel } from '../../src/io/save.js';
import { injectSge } from '../../src/sge/inject.js';
import { parseSgeParams } from '../../src/sge/params.js';
import type { ModelFiles } from '../../src/validate/model-sessions.js';
import { formatReport } from '../../src/validate/report.js';
import type { OrtModule } from '../../src/validate/session.js';
import { validateModels } from '../../src/validate/validate-models.js';
import { tempFolder } from '../io/tmp.js';
import { swapSigmoid } from './models.js';

const SRC = resolve(import.meta.dirname, '../../src');
const BASE = 'fixtures/models/mini_resnet_bottleneck_op13';

/** Every module `entry` imports at run time, transitively: relative ones resolved, others by specifier. */
function runtimeImports(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    // Comments go first: they quote imports (`await import('onnxruntime-node')`) that are not code.
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    // Static imports and re-exports that are not type-only, bare imports and dynamic import().
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gms),
      ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
      ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
    ].map((m) => m[1]!);
    for (const s of specifiers) {
      if (s.startsWith('.')) visit(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
      else external.add(s);
    }
  };
  visit(join(SRC, entry));
  return { files, external };
}

describe('the validation core', () => {
  for (const entry of ['validate/core.ts', 'external/index.ts']) {
    it(`${entry} loads no Node module and no onnxruntime package`, () => {
      const { files, external } = runtimeImports(entry);
      expect(files.size).toBeGreaterThan(entry.startsWith('validate') ? 20 : 2);
      expect([...external].filter((s) => s.startsWith('node:') || s.startsWith('onnxruntime'))).toEqual([]);
      expect([...files].filter((f) => /\/src\/(io|cli)\/|\/node\//.test(f))).toEqual([]);
      // The walk sees what it must: the Node layer does import Node modules and onnxruntime-node.
      expect([...runtimeImports('validate/index.ts').external]).toEqual(
        expect.arrayContaining(['node:fs/promises', 'onnxruntime-node']),
      );
    });
  }
});

describe('validateModels in onnxruntime-web (wasm, in Node)', () => {
  let ort: OrtModule;
  const fetched: unknown[] = [];
  beforeAll(async () => {
    // Nothing may come from the network: the wasm binary must be found in node_modules.
    vi.stubGlobal('fetch', (...args: unknown[]) => {
      fetched.push(args[0]);
      return Promise.reject(new Error('no network in this test'));
    });
    const web = await import('onnxruntime-web');
    web.env.wasm.numThreads = 1;
    ort = web;
  });
  afterAll(() => {
    vi.unstubAllGlobals();
  });

  function injected(): { original: ModelProto; rewritten: ModelProto } {
    const bytes = new Uint8Array(readFileSync(`${BASE}.onnx`));
    const original = decodeModel(bytes);
    const rewritten = decodeModel(bytes);
    const params = parseSgeParams(new Uint8Array(readFileSync(`${BASE}.sge-g8-params.json`)));
    injectSge(rewritten, { after: ['*/conv3/Conv'], params });
    return { original, rewritten };
  }

  it('passes the injected fixture and fails it sabotaged, naming every site', async () => {
    const { original, rewritten } = injected();
    const report = await validateModels({
      ort,
      original: { model: original },
      rewritten: { model: rewritten },
      runs: 1,
    });
    expect(report.failures, formatReport(report)).toEqual([]);
    expect(report.sites).toHaveLength(6);
    for (const s of report.sites) {
      expect(s).toMatchObject({ verdict: 'pass', groups: 8 });
      expect(s.input!.bitwiseEqual).toBe(true);
    }
    expect(report.latency).toMatchObject({ runs: 1 });

    const sabotaged = await validateModels({
      ort,
      original: { model: original },
      rewritten: { model: swapSigmoid(rewritten) },
      runs: 0,
    });
    expect(sabotaged.passed).toBe(false);
    expect(sabotaged.sites.map((s) => s.verdict)).toEqual(new Array(6).fill('fail'));
    for (const s of sabotaged.sites) {
      expect(sabotaged.failures.join('\n')).toContain(`site ${s.site}: Y differs from the reference SGE`);
    }
    expect(fetched).toEqual([]);
  });

  it('reads external data through ModelFiles as the web page does (bytes in memory, externalData)', async () => {
    const dir = tempFolder('ortweb');
    const { original, rewritten } = injected();
    await saveModel(original, join(dir, 'orig.onnx'), { externalData: { threshold: 0 } });
    await saveModel(rewritten, join(dir, 'sge.onnx'), { externalData: { threshold: 0 } });
    const asPicked = (name: string): { model: ModelProto; files: ModelFiles; opened: string[] } => {
      const data = new Uint8Array(readFileSync(join(dir, `${name}.data`)));
      const opened: string[] = [];
      const files: ModelFiles = {
        async open(location): Promise<ExternalFile> {
          opened.push(location);
          if (location !== `${name}.data`) throw new Error(`unexpected location ${location}`);
          return { size: data.length, read: async (o, l) => data.slice(o, o + l), close: async () => {} };
        },
        sessionOptions: (locations) => ({ externalData: locations.map((path) => ({ path, data })) }),
      };
      return { model: decodeModel(new Uint8Array(readFileSync(join(dir, name)))), files, opened };
    };
    const o = asPicked('orig.onnx');
    const r = asPicked('sge.onnx');
    const report = await validateModels({ ort, original: o, rewritten: r, runs: 0 });
    expect(report.failures, formatReport(report)).toEqual([]);
    expect(report.sites.map((s) => s.verdict)).toEqual(new Array(6).fill('pass'));
    // The SGE parameters were read through the checked reader, from the rewritten model's data only.
    expect(r.opened).toEqual(['sge.onnx.data']);
    expect(o.opened).toEqual([]);

    // A truncated data file: the parameters are refused naming the tensor and the file.
    const short = asPicked('sge.onnx');
    const full = new Uint8Array(readFileSync(join(dir, 'sge.onnx.data')));
    const cut = full.slice(0, full.length - 4);
    const truncated: ModelFiles = {
      open: async () => ({ size: cut.length, read: async (off, l) => cut.slice(off, off + l), close: async () => {} }),
      sessionOptions: short.files.sessionOptions,
    };
    const bad = await validateModels({ ort, original: o, rewritten: { ...short, files: truncated }, runs: 0 });
    const last = bad.sites.filter((s) => s.verdict === 'fail');
    expect(last.length).toBeGreaterThan(0);
    expect(last[0]!.reason).toMatch(
      /cannot read the parameters: .*initializer '.*\/sge\/(weight|bias)' needs bytes .* of 'sge\.onnx\.data', which has only \d+ bytes/,
    );
    expect(fetched).toEqual([]);
  });
});
