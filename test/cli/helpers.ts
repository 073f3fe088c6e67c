/**
 * Helpers for the CLI tests: running the tool in-process with captured output or as a real process,
 * snapshots of folders (so a test can prove nothing was written and no input changed), and the checks
 * of issue 5's contract for a refused run.
 */
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { CONV3 } from '../helpers/exported-sge.js';

/** Repository root, fixtures and the compiled entry point. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const MODELS = join(ROOT, 'fixtures/models');
export const RESNET13 = join(MODELS, 'mini_resnet_bottleneck_op13.onnx');
export const RESNET13_PARAMS = join(MODELS, 'mini_resnet_bottleneck_op13.sge-g8-params.json');
export const VGG = join(MODELS, 'mini_vgg_caffe_op13.onnx');
export const BIN = join(ROOT, 'bin/sge-inject.js');

/** The six bottleneck conv3 nodes of the mini ResNet (its fixture README; the params file's keys). */
export const RESNET_CONV3 = CONV3;

/** What a run printed and returned. */
export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process (fast): `runCli` with output captured. */
export async function cli(argv: readonly string[]): Promise<CliResult> {
  let stdout = '',
    stderr = '';
  const status = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTty: false,
  });
  return { status, stdout, stderr };
}

/** A finished child process. */
export interface ProcessResult extends CliResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of {@link spawnCli}. */
export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** Options for node itself, before the script (e.g. ['--import', preload]). */
  nodeArgs?: string[];
  /** Called once the child is running (to kill it, for instance). */
  onSpawn?: (pid: number) => void;
}

/** Runs `node bin/sge-inject.js ARGV` as a real process. */
export function spawnCli(argv: readonly string[], options: SpawnOptions = {}): Promise<ProcessResult> {
  const command = [process.execPath, ...(options.nodeArgs ?? []), BIN, ...argv];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '',
      stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('spawn', () => options.onSpawn?.(child.pid!));
    child.on('close', (code, signal) => resolvePromise({ status: code ?? -1, code, signal, stdout, stderr }));
  });
}

/** A fresh temporary folder, removed after the test file. */
export function tempFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sge-cli-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A new empty folder inside `parent`. */
export function subFolder(parent: string, name: string): string {
  return mkdtempSync(join(parent, `${name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40)}-`));
}

/** sha256 of a file, streamed in 8 MiB reads (large outputs are not held in memory). */
export function sha256(path: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(8 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null))
      h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/**
 * Every entry under `dir` (relative names) with what it is: a file's size and hash, a link's target, a
 * device's numbers, a FIFO or socket as such (never opened: reading a FIFO would block). Compare two to
 * prove nothing changed.
 */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name),
        r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p, r);
      else if (e.isSymbolicLink()) out[r] = `link → ${readlinkSync(p)}`;
      else if (e.isFIFO()) out[r] = 'fifo';
      else if (e.isSocket()) out[r] = 'socket';
      else if (e.isCharacterDevice() || e.isBlockDevice()) out[r] = `device ${lstatSync(p).rdev}`;
      else out[r] = `${statSync(p).size}:${sha256(p)}`;
    }
  };
  walk(dir, '');
  return out;
}

/** Temporary files of our atomic writes (`.<name>.<pid>.<random>.tmp`) in a folder. */
export function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('.') && n.endsWith('.tmp'));
}

/** A line of a JavaScript stack trace. */
export const STACK_LINE = /^\s+at .+/m;

/** What a refused run must look like (issue 5's contract). */
export interface Refusal {
  readonly status: 1 | 2 | 70;
  /** Each must match stderr: the file, node or value at fault, and the way out. */
  readonly says: readonly RegExp[];
  /** At most this many stderr lines (default 12: "a few lines", multi-site lists included). */
  readonly maxLines?: number;
}

/** Checks status, message, no stack trace and nothing on stdout. */
export function expectRefusal(r: CliResult, expected: Refusal): void {
  const context = `stderr was:\n${r.stderr}\nstdout was:\n${r.stdout}`;
  expect(r.status, context).toBe(expected.status);
  for (const re of expected.says) expect(r.stderr, context).toMatch(re);
  expect(r.stderr, context).not.toMatch(STACK_LINE);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.length, context).toBeLessThanOrEqual(expected.maxLines ?? 12);
  expect(lines.length, context).toBeGreaterThanOrEqual(1);
  expect(r.stdout, context).toBe('');
}

/** Reads a file's bytes (small files only). */
export function bytesOf(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
