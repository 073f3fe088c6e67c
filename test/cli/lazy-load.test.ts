/**
 * Start-up cost (issue 11): a command loads only what it needs. `--help` and `--version` load commander
 * and none of protobufjs or onnxruntime; `list` loads the codec (protobufjs) but not onnxruntime. Both
 * libraries are CommonJS, so whatever loaded them is in the CommonJS module cache of the process.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const MINI = join(ROOT, 'fixtures', 'models', 'mini_resnet_bottleneck_op13.onnx');

/** The packages in the CommonJS cache after runCli(argv) in a fresh process, and the exit status. */
function loadedBy(argv: readonly string[]): { status: number; packages: string[] } {
  const probe =
    `const { runCli } = await import('sge-inject/cli');` +
    `const io = { stdout: () => {}, stderr: () => {}, stderrIsTty: false };` +
    `const status = await runCli(${JSON.stringify(argv)}, io);` +
    `const { createRequire } = await import('node:module');` +
    'const keys = Object.keys(createRequire(import.meta.url).cache);' +
    `const packages = [...new Set(keys.map((k) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(k)?.[1]).filter(Boolean))];` +
    'console.log(JSON.stringify({ status, packages }));';
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as { status: number; packages: string[] };
}

describe('each command loads only what it needs', () => {
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
