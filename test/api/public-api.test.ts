/**
 * The package as users import it: `import … from 'sge-inject'` resolves through package.json
 * `exports` to the compiled dist/ (built before the tests), not to src/.
 */
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from 'sge-inject';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sge-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the public entry point 'sge-inject'", () => {
  it('resolves to the compiled package, and onnxruntime is not loaded by importing it', () => {
    const resolved = import.meta.resolve('sge-inject');
    expect(resolved).toMatch(/\/dist\/index\.js$/);
    // A child process records every native addon loaded while importing the package.
    const probe =
      'const seen=[];const d=process.dlopen;process.dlopen=(m,f,...r)=>{seen.push(f);return d.call(process,m,f,...r)};' +
      "await import('sge-inject');console.log(JSON.stringify(seen))";
    const loaded = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        encoding: 'utf8',
      }),
    ) as string[];
    expect(loaded.filter((f) => /onnxruntime/.test(f))).toEqual([]);
    for (const name of [
      'decodeModel',
      'encodeModel',
      'loadModel',
      'saveModel',
      'injectSge',
      'listSites',
      'stripSge',
      'fuseSge',
      'findExportedBlocks',
      'validateSge',
      'validateModels',
      'findNodes',
      'ModelIndex',
      'referenceSge',
      'parseSgeParams',
    ]) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it("does not load commander: the CLI is the separate entry 'sge-inject/cli'", () => {
    // commander is CommonJS: whatever loaded it is in the CommonJS module cache.
    const probe = (entry: string) =>
      `await import('${entry}');const {createRequire}=await import('node:module');` +
      'console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)))';
    const cached = (entry: string) =>
      (
        JSON.parse(
          execFileSync(process.execPath, ['--input-type=module', '-e', probe(entry)], {
            cwd: fileURLToPath(new URL('../..', import.meta.url)),
            encoding: 'utf8',
          }),
        ) as string[]
      ).filter((f) => /node_modules\/commander\//.test(f));
    expect(cached('sge-inject')).toEqual([]);
    // The probe sees commander when it is loaded: the CLI entry loads it.
    expect(cached('sge-inject/cli').length).toBeGreaterThan(0);
    expect(import.meta.resolve('sge-inject/cli')).toMatch(/\/dist\/cli\/index\.js$/);
    expect('runCli' in api).toBe(false);
  });

  it('exports an explicit list: helpers internal to a layer are not public', async () => {
    for (const name of ['ownArray', 'nodeReads', 'outerReads']) expect(name in api, name).toBe(false);
    // The validation layer's barrel lists the runtime-neutral core's names again: none may be missing.
    const core = await import('../../src/validate/core.js');
    const layer = await import('../../src/validate/index.js');
    expect(Object.keys(core).filter((k) => !(k in layer))).toEqual([]);
  });

  it('decode → encode is byte for byte, including the IR 13 fixture', () => {
    for (const f of ['models/mini_resnet_bottleneck_op13.onnx', 'ir13/mini_resnet_ir13_future_fields.onnx']) {
      const bytes = new Uint8Array(readFileSync(FIXTURES + f));
      expect(Buffer.from(api.encodeModel(api.decodeModel(bytes))).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('load, inject, save, validate: the library flow of the README', async () => {
    const model = await api.loadModel(`${FIXTURES}models/mini_resnet_bottleneck_op13.onnx`);
    const report = api.injectSge(model, { after: ['*/conv3/Conv'], groups: 8 });
    expect(report.sites).toHaveLength(6);
    const out = join(dir, 'out.onnx');
    const saved = await api.saveModel(model, out);
    expect(saved.byteLength).toBe(readFileSync(out).length);
    const check = await api.validateSge(`${FIXTURES}models/mini_resnet_bottleneck_op13.onnx`, out, { runs: 0 });
    expect(check.passed).toBe(true);
    expect(check.sites.map((s) => s.verdict)).toEqual(new Array(6).fill('pass'));
    const listed = api.listSites(await api.loadModel(out), { groups: 8 });
    expect(listed.rows.filter((r) => r.sge === 'function')).toHaveLength(6);
  });

  it('fuse with onnxruntime passed in: the exported SGE blocks become sites', async () => {
    const model = await api.loadModel(`${FIXTURES}models/mini_resnet_bottleneck_sge_g8_op13.onnx`);
    const report = await api.fuseSge(model, { ort: await import('onnxruntime-node') });
    expect(report.sites).toHaveLength(6);
    expect(api.findInjectedSites(model)).toHaveLength(6);
  });
});
