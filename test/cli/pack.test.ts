/**
 * `npm pack` makes a package that installs into an empty project and works there: the CLI (help, an
 * injection validated in onnxruntime) and the API from the package root, types included. Installs
 * offline from npm's cache (the dependencies are there after `npm ci`), with onnxruntime-node's
 * download script skipped as the README tells users to.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { RESNET13, ROOT, tempFolder, VGG } from './helpers.js';

const run = promisify(execFile);
const root = tempFolder('pack');
// A space in the install path: code that finds its files through URL.pathname would see '%20'.
const project = join(root, 'user project');
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_update_notifier: 'false' };
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
let packed: string[] = [];

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, env, maxBuffer: 64 << 20 });
  return stdout;
}

beforeAll(async () => {
  // dist/ is current (the global setup builds it when stale), so the prepare script need not run again.
  const listing = JSON.parse(
    await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', root], ROOT),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = listing[0]!.files.map((f) => f.path);
  const tarball = join(root, listing[0]!.filename);
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'empty-project', version: '1.0.0', private: true, type: 'module' }),
  );
  const install = ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball];
  try {
    await npm([...install, '--offline'], project);
  } catch (err) {
    // A cache missing some dependency: allow the registry for what is not cached.
    console.warn(`[test/cli] offline install failed, retrying with --prefer-offline: ${String(err).slice(0, 300)}`);
    await npm([...install, '--prefer-offline'], project);
  }
}, 180_000);

describe('npm pack', () => {
  it('packs the compiled code, the bin, the README and nothing of the sources or tests', () => {
    for (const f of [
      'package.json',
      'README.md',
      'bin/sge-inject.js',
      'bin/package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'dist/cli-bundle/main.js',
      'dist/cli-bundle/pool.js',
      'dist/cli-bundle/worker.js',
      'dist/cli-bundle/package.json',
      'dist/ci/node/worker.js',
      'sge-inject.schema.json',
      'dist/cli/index.js',
      'dist/cli/index.d.ts',
      'dist-web/index.html',
      'dist-web/main.js',
      'dist-web/worker.js',
      'dist-web/ort/ort-wasm-simd-threaded.mjs',
      'dist-web/ort/ort-wasm-simd-threaded.wasm',
    ])
      expect(packed).toContain(f);
    expect(packed.filter((f) => /^(src|test|fixtures|bench|web|\.ci)\//.test(f))).toEqual([]);
    // Every relative import of the packed JavaScript resolves to a packed file.
    const missing: string[] = [];
    let checked = 0;
    for (const f of packed.filter((p) => p.endsWith('.js'))) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/(?:from|import|require)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = join(f, '..', m[1]!).replace(/\\/g, '/');
        checked++;
        if (!packed.includes(target)) missing.push(`${f} → ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it('installed into an empty project, `npx sge-inject --help` and `--version` answer', async () => {
    const { stdout } = await run('npx', ['--no', '--', 'sge-inject', '--help'], { cwd: project, env });
    expect(stdout).toMatch(/Usage: sge-inject/);
    expect(stdout).toMatch(/--after 'conv4_\*'/);
    const v = await run('npx', ['--no', '--', 'sge-inject', '--version'], { cwd: project, env });
    expect(v.stdout.trim()).toBe(pkg.version);
  });

  it('the installed CLI injects a fixture and validates it in onnxruntime', async () => {
    const out = join(project, 'vgg.sge.onnx');
    const { stdout } = await run(
      'npx',
      ['--no', '--', 'sge-inject', VGG, '--groups', '64', '--after', 'conv4_*', '-o', out, '--validate'],
      { cwd: project, env },
    );
    expect(stdout).toMatch(/3 SGE sites/);
    expect(stdout).toMatch(/result: PASS/);
  }, 60_000);

  it('the installed `sge-inject web` serves the page and its wasm runtime on 127.0.0.1', async () => {
    const bin = join(project, 'node_modules', pkg.name, 'bin', 'sge-inject.js');
    const child = spawn(process.execPath, [bin, 'web', '--port', '0'], {
      cwd: project,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((done, fail) => {
        let text = '';
        child.stdout.on('data', (c) => {
          text += c;
          const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(text);
          if (m) done(m[0]);
        });
        child.on('exit', (code) => fail(new Error(`sge-inject web exited (${code}): ${text}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<label for="model">Model<\/label>/);
      const wasm = await fetch(`${url}ort/ort-wasm-simd-threaded.wasm`);
      expect(wasm.headers.get('content-type')).toBe('application/wasm');
      expect((await wasm.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('the installed CLI exits 2 on bad input, without a stack trace', async () => {
    const err = await run('npx', ['--no', '--', 'sge-inject', join(project, 'package.json'), '--after', 'x'], {
      cwd: project,
      env,
    }).then(
      () => undefined,
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/package\.json: not a valid ONNX model.*JSON/);
    expect(err?.stderr).not.toMatch(/^\s+at /m);
  });

  it('the API works from the package root: decode, inject, encode', async () => {
    const script = `
      import { readFileSync } from 'node:fs';
      import { decodeModel, encodeModel, injectSge, findInjectedSites, listSites } from '${pkg.name}';
      const model = decodeModel(new Uint8Array(readFileSync(${JSON.stringify(RESNET13)})));
      const listed = listSites(model, { groups: 8, after: ['*/conv3/Conv'] }).rows.filter((r) => r.selected).length;
      const report = injectSge(model, { after: ['*/conv3/Conv'], groups: 8 });
      const again = decodeModel(await Promise.resolve(encodeModel(model)));
      console.log(JSON.stringify({ listed, sites: report.sites.length, found: findInjectedSites(again).length }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env });
    expect(JSON.parse(stdout)).toEqual({ listed: 6, sites: 6, found: 6 });
  });

  it("the CLI runs in-process from 'sge-inject/cli'", async () => {
    const script = `
      import { runCli } from '${pkg.name}/cli';
      let out = '';
      const status = await runCli(['--version'], { stdout: (t) => (out += t), stderr: () => {}, stderrIsTty: false });
      console.log(JSON.stringify({ status, out: out.trim() }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env });
    expect(JSON.parse(stdout)).toEqual({ status: 0, out: pkg.version });
  });

  it("the package's types resolve for a TypeScript user", async () => {
    writeFileSync(
      join(project, 'use.ts'),
      `
      import { decodeModel, injectSge, type InjectReport, type ModelProto } from '${pkg.name}';
      import { runCli, type CliIo } from '${pkg.name}/cli';
      const m: ModelProto = decodeModel(new Uint8Array(0));
      const r: InjectReport = injectSge(m, { after: ['conv'], groups: 8 });
      export const n: number = r.sites.length;
      const io: CliIo = { stdout: () => {}, stderr: () => {}, stderrIsTty: false };
      export const status: Promise<number> = runCli(['--help'], io);
    `,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['use.ts'],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project, env });
  }, 60_000);
});
