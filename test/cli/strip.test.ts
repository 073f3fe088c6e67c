import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, RESNET13, VGG } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sge-strip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sge-inject strip', () => {
  it('gives back the original model byte for byte, after either form', async () => {
    for (const [model, args] of [
      [RESNET13, ['--groups', '8', '--after', '*/conv3/Conv']],
      [VGG, ['--after', 'conv4_*', '--inline']],
    ] as const) {
      const injected = join(dir, 'injected.onnx');
      const stripped = join(dir, 'stripped.onnx');
      expect((await cli([model, ...args, '-o', injected])).status).toBe(0);
      const r = await cli(['strip', injected, '-o', stripped]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/removed \d+ SGE sites/);
      expect(readFileSync(stripped).equals(readFileSync(model))).toBe(true);
    }
  });

  it('refuses a model with nothing to strip (exit 2), writing nothing', async () => {
    const out = join(dir, 'none.onnx');
    const r = await cli(['strip', RESNET13, '-o', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no SGE block inserted by sge-inject/);
    expect(existsSync(out)).toBe(false);
  });
});
