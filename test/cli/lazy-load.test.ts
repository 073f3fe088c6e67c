/**
 * Start-up cost (issue 11): a command loads only what it needs. `--help` and `--version` load commander
 * and none of protobufjs or onnxruntime; `list` loads the codec (protobufjs) but not onnxruntime.
 *
 * Checked twice: for `sge-inject/cli` (the tsc build, in-process), whose packages are CommonJS and so
 * show in the CommonJS module cache; and for the shipped bin/sge-inject.js as a whole process, which
 * runs the bundled CLI (dist/cli-bundle/, CommonJS chunks): there a package is loaded when a file of it
 * is (CommonJS cache, and an ESM resolve hook for anything imported) or when a loaded chunk of the
 * bundle holds its code (scripts/build-cli.mjs ends each chunk with a `// <input>` line per module).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, tempFolder } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MINI = join(ROOT, 'fixtures', 'models', 'mini_resnet_bottleneck_op13.onnx');
const BUNDLE = join(ROOT, 'dist', 'cli-bundle');

interface Loaded {
  status: number;
  packages: string[];
  /** Files of the bundle (dist/cli-bundle/) the run loaded; empty for the tsc build. */
  chunks: string[];
  /** Files of the tsc build (dist/) the run loaded, outside the bundle. */
  distFiles: string[];
}

const packageOf = (path: string): string | undefined => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];

/** The packages in the CommonJS cache after runCli(argv) from `sge-inject/cli` in a fresh process. */
function loadedByExport(argv: readonly string[]): Loaded {
  const probe =
    `const { runCli } = await import('sge-inject/cli');` +
    `const io = { stdout: () => {}, stderr: () => {}, stderrIsTty: false };` +
    `const status = await runCli(${JSON.stringify(argv)}, io);` +
    `const { createRequire } = await import('node:module');` +
    'const keys = Object.keys(createRequire(import.meta.url).cache);' +
    `const packages = [...new Set(keys.map((k) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(k)?.[1]).filter(Boolean))];` +
    'console.log(JSON.stringify({ status, packages }));';
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: ROOT, encoding: 'utf8' });
  return {
    ...(JSON.parse(out.trim().split('\n').pop()!) as { status: number; packages: string[] }),
    chunks: [],
    distFiles: [],
  };
}

const scratch = tempFolder('lazy-load');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let runs = 0;

/** What `node bin/sge-inject.js argv` loads: every file the ESM loader resolves, and the CommonJS cache at exit. */
function loadedByBin(argv: readonly string[]): Loaded {
  const record = join(scratch, `loaded-${++runs}.txt`);
  const hooks =
    "import { appendFileSync } from 'node:fs';" +
    'export async function resolve(specifier, context, next) {' +
    '  const r = await next(specifier, context);' +
    `  if (r.url.startsWith('file:')) appendFileSync(${JSON.stringify(record)}, r.url + '\\n');` +
    '  return r;' +
    '}';
  const probe =
    "import { register, createRequire } from 'node:module';" +
    "import { appendFileSync } from 'node:fs';" +
    `register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));` +
    "process.on('exit', () => appendFileSync(" +
    JSON.stringify(record) +
    `, Object.keys(createRequire(${JSON.stringify(join(ROOT, 'package.json'))}).cache)` +
    ".map((k) => 'file://' + k + '\\n').join('')));";
  let status = 0;
  try {
    execFileSync(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(probe)}`, join(ROOT, 'bin', 'sge-inject.js'), ...argv],
      { cwd: ROOT, stdio: 'pipe' },
    );
  } catch (err) {
    status = (err as { status: number }).status;
  }
  const files = [
    ...new Set(
      readFileSync(record, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((u) => fileURLToPath(u)),
    ),
  ];
  // The CommonJS cache was read (the bin itself is CommonJS): an empty record would pass every check below.
  expect(files).toContain(join(ROOT, 'bin', 'sge-inject.js'));
  const chunks = files.filter((f) => f.startsWith(`${BUNDLE}/`));
  const packages = new Set(files.map(packageOf).filter((p): p is string => p !== undefined));
  for (const chunk of chunks)
    for (const m of readFileSync(chunk, 'utf8').matchAll(/^\/\/ (node_modules\/\S+)$/gm))
      packages.add(packageOf(m[1]!)!);
  const distFiles = files.filter((f) => f.startsWith(join(ROOT, 'dist/')) && !chunks.includes(f));
  return { status, packages: [...packages], chunks, distFiles };
}

for (const [what, loadedBy] of [
  ['sge-inject/cli (tsc build, in-process)', loadedByExport],
  ['bin/sge-inject.js (bundled CLI, whole process)', loadedByBin],
] as const) {
  describe(`each command loads only what it needs: ${what}`, () => {
    for (const argv of [['--help'], ['--version'], ['list', '--help']]) {
      it(`${argv.join(' ')}: commander only`, () => {
        const r = loadedBy(argv);
        expect(r.status).toBe(0);
        expect(r.packages).toContain('commander');
        expect(r.packages.filter((p) => /protobufjs|onnxruntime|picomatch/.test(p))).toEqual([]);
      });
    }

    it('list: the codec and picomatch, no onnxruntime', () => {
      const r = loadedBy(['list', MINI]);
      expect(r.status).toBe(0);
      expect(r.packages).toEqual(expect.arrayContaining(['commander', 'protobufjs', 'picomatch']));
      expect(r.packages.filter((p) => p.startsWith('onnxruntime'))).toEqual([]);
    });
  });
}

describe('the shipped bin runs the bundle', () => {
  it('loads its entry and chunks, and no module of the tsc build', () => {
    const help = loadedByBin(['--help']);
    const list = loadedByBin(['list', MINI]);
    expect(help.chunks).toContain(join(BUNDLE, 'main.js'));
    expect(help.distFiles).toEqual([]);
    expect(list.distFiles).toEqual([]);
    // list's own chunks (codec, graph, list) come on top of what --help loads.
    expect(list.chunks.length).toBeGreaterThan(help.chunks.length);
    expect(list.chunks).toEqual(expect.arrayContaining(help.chunks));
  });

  it('validate loads onnxruntime-node, from node_modules (external to the bundle)', () => {
    const injected = join(scratch, 'mini.sge.onnx');
    execFileSync(process.execPath, [BIN, MINI, '--groups', '8', '--after', '*/conv3/Conv', '-o', injected], {
      cwd: ROOT,
    });
    const r = loadedByBin(['validate', MINI, injected, '--runs', '1']);
    expect(r.status).toBe(0);
    expect(r.packages).toContain('onnxruntime-node');
    expect(r.packages).not.toContain('onnxruntime-web');
  });
});
