/**
 * The CLI as a real process (node bin/sge-inject.js): exit statuses as the shell sees them, no stack
 * traces, commander's own errors as 2, help and version, a closed stdout pipe, and an output folder
 * the user cannot write to (as root, the child runs as the unprivileged user `nobody`).
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { findInjectedSites } from '../../src/sge/detect.js';
import {
  BIN,
  cli,
  expectRefusal,
  RESNET13,
  RESNET_CONV3,
  ROOT,
  snapshot,
  spawnCli,
  STACK_LINE,
  subFolder,
  tempFiles,
  tempFolder,
  VGG,
} from './helpers.js';

const root = tempFolder('proc');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('exit statuses of the real process', () => {
  it('a good injection exits 0 and writes a model with the six sites', async () => {
    const dir = subFolder(root, 'ok');
    const out = join(dir, 'out.onnx');
    const r = await spawnCli([RESNET13, '--groups', '8', '--after', '*/conv3/Conv', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/6 SGE sites/);
    const sites = findInjectedSites(decodeModel(new Uint8Array(readFileSync(out))))
      .map((s) => s.name)
      .sort();
    expect(sites).toEqual([...RESNET_CONV3].sort());
    expect(tempFiles(dir)).toEqual([]);
  });

  const refusals: Array<[string, string[], RegExp]> = [
    ['missing model', ['nope/none.onnx', '--after', 'x'], /none\.onnx: no such model file/],
    [
      'corrupt model',
      [join(ROOT, 'fixtures/sge-op/basic_2x64x7x7_g8/x.pb'), '--after', 'x'],
      /x\.pb: not a valid ONNX model/,
    ],
    ['bad --groups', [RESNET13, '--after', '*/conv3/Conv', '-g', '1.5'], /--groups '1\.5'/],
    [
      'groups not dividing',
      [RESNET13, '--after', '/layer1/*/conv3/Conv', '-g', '5'],
      /32 channels.*valid: 1, 2, 4, 8, 16, 32/,
    ],
    ['unknown option (commander)', [RESNET13, '--after', 'x', '--frobnicate'], /unknown option '--frobnicate'/],
    ['option value missing (commander)', [RESNET13, '--after'], /argument missing/],
    ['missing argument (commander)', [], /missing required argument 'model'/],
    ['invalid choice (commander)', [RESNET13, '--after', 'x', '--init', 'kaiming'], /'kaiming' is invalid/],
    ['too many arguments (commander)', [RESNET13, VGG, '--after', 'x'], /too many arguments/],
    ['unknown command option (commander)', ['list', RESNET13, '--inline'], /unknown option '--inline'/],
    ['validate missing an argument (commander)', ['validate', RESNET13], /missing required argument 'rewritten'/],
  ];
  for (const [name, argv, says] of refusals) {
    it(`${name}: exit 2, no stack trace`, async () => {
      const dir = subFolder(root, name);
      const before = snapshot(dir);
      const r = await spawnCli(argv, { cwd: dir });
      expectRefusal(r, { status: 2, says: [says] });
      expect(r.signal).toBeNull();
      expect(snapshot(dir)).toEqual(before);
    });
  }

  it('--debug shows the stack trace of a refusal', async () => {
    const r = await spawnCli(['nope.onnx', '--after', 'x', '--debug'], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(STACK_LINE);
  });

  it('--help exits 0 and shows the ResNet and Caffe examples', async () => {
    const r = await spawnCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--after <pattern>/);
    expect(r.stdout).toMatch(/sge-inject resnet50\.onnx --after '\*\/conv3\/Conv'/);
    expect(r.stdout).toMatch(/--groups 64 --after 'conv4_\*'/);
    expect(r.stdout).toMatch(/Exit status: 0 .* 1 .* 2 .* 70/);
    expect(r.stderr).toBe('');
  });

  it('help of the subcommands exits 0', async () => {
    for (const cmd of ['list', 'validate']) {
      const r = await cli([cmd, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: sge-inject ${cmd}`));
    }
  });

  it('--version and -V exit 0 and print the package version', async () => {
    const r = await spawnCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
    expect((await cli(['-V'])).stdout.trim()).toBe(version);
  });

  it('a reader that closes the pipe early (| head) does not crash the process', async () => {
    // Our end of stdout is closed before the child writes: every write of the child fails with EPIPE.
    const r = await new Promise<{ code: number | null; stderr: string }>((done, reject) => {
      const child = spawn(process.execPath, [BIN, 'list', RESNET13], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      child.on('error', reject);
      child.on('close', (code) => done({ code, stderr }));
    });
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr).not.toMatch(/EPIPE/);
    expect(r.code).toBe(0);
  });
});

/** Why nobody (65534) cannot run `node bin/sge-inject.js --version` here, or undefined when it can. */
async function nobodyCannotRun(): Promise<string | undefined> {
  const r = await spawnCli(['--version'], { uid: 65534, gid: 65534, cwd: '/' }).catch((err: Error) => ({
    code: -1,
    stdout: '',
    stderr: err.message,
  }));
  if (r.code === 0 && r.stdout.trim() === version) return undefined;
  return (r.stderr.split('\n').find((l) => /error|denied|EACCES|Cannot find/i.test(l)) ?? `exit ${r.code}`).trim();
}

describe('an output folder the user cannot write to', () => {
  const asRoot = process.getuid?.() === 0;

  it('exit 2 naming the path, nothing written, input unchanged (as root: the child runs as nobody)', async (ctx) => {
    // nobody must reach node, the checkout and the temporary folder: not so in a clone inside a mode-700
    // folder such as root's home. Then this one case cannot run: say so rather than fail.
    const unreachable = asRoot ? await nobodyCannotRun() : undefined;
    if (unreachable) {
      const note = `skipped: the unprivileged user nobody cannot run the CLI from this checkout (${unreachable}); clone into a folder every user can enter to run it`;
      console.warn(note);
      ctx.skip(note);
    }
    const dir = subFolder(root, 'ro');
    chmodSync(root, 0o755);
    chmodSync(dir, 0o755);
    const input = join(dir, 'model.onnx');
    copyFileSync(RESNET13, input);
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    writeFileSync(join(locked, 'keep.txt'), 'x');
    chmodSync(locked, 0o555);
    const before = snapshot(dir);
    const argv = [input, '--after', '*/conv3/Conv', '-g', '8', '-o', join(locked, 'out.onnx')];
    // root ignores permission bits, so the child drops to nobody (65534) where the bits mean something.
    const r = asRoot ? await spawnCli(argv, { uid: 65534, gid: 65534, cwd: dir }) : await cli(argv);
    expectRefusal(r, {
      status: 2,
      says: [
        /cannot write .*locked\/out\.onnx: permission denied in .*locked/,
        /→ choose an output folder you can write to/,
      ],
    });
    expect(snapshot(dir)).toEqual(before);
    expect(tempFiles(locked)).toEqual([]);
  });

  it.runIf(asRoot)('as root, a folder of a pseudo file system refusing new files (/sys)', async () => {
    const r = await cli([RESNET13, '--after', '*/conv3/Conv', '-g', '8', '-o', '/sys/sge-inject-test.onnx']);
    expectRefusal(r, { status: 2, says: [/sge-inject-test\.onnx|\/sys/, /→ /] });
  });
});
