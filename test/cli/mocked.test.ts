/**
 * Exits that need a fault inside sge-inject itself: an internal error (a bug: exit 70, no stack trace
 * without --debug) and an injection that computes the wrong thing (a sabotaged function body), which
 * --validate must catch with exit 1 while keeping the written model and saying where it is.
 * The faults are switched on per test through vi.mock of the real modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { findInjectedSites } from '../../src/sge/detect.js';
import { cli, RESNET13, RESNET_CONV3, snapshot, STACK_LINE, subFolder, tempFiles, tempFolder } from './helpers.js';

const fault = vi.hoisted(() => ({ crash: false, sabotage: false }));

vi.mock('../../src/sge/inject.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/sge/inject.js')>();
  return {
    ...real,
    injectSge: (...args: Parameters<typeof real.injectSge>) => {
      // A stand-in for any bug: a TypeError from deep inside the transform.
      if (fault.crash) (undefined as unknown as { node: unknown[] }).node.push(1);
      return real.injectSge(...args);
    },
  };
});

vi.mock('../../src/sge/function.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/sge/function.js')>();
  return {
    ...real,
    buildSgeFunction: (...args: Parameters<typeof real.buildSgeFunction>) => {
      const f = real.buildSgeFunction(...args);
      if (fault.sabotage) for (const n of f.node) if (n.op_type === 'Sigmoid') n.op_type = 'HardSigmoid';
      return f;
    },
  };
});

afterEach(() => {
  fault.crash = false;
  fault.sabotage = false;
});

const root = tempFolder('mock');

describe('an internal error (a bug)', () => {
  it('exits 70, says it is a bug and how to see more; no stack trace, nothing written', async () => {
    fault.crash = true;
    const dir = subFolder(root, 'crash');
    const before = snapshot(dir);
    const r = await cli([RESNET13, '-g', '8', '--after', '*/conv3/Conv', '-o', join(dir, 'out.onnx')]);
    expect(r.status).toBe(70);
    expect(r.stderr).toMatch(/^sge-inject: internal error \(a bug in sge-inject, please report it\): .*undefined/m);
    expect(r.stderr).toMatch(/→ run again with --debug/);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(3);
    expect(snapshot(dir)).toEqual(before);
  });

  it('with --debug the stack trace is shown', async () => {
    fault.crash = true;
    const dir = subFolder(root, 'crash-debug');
    const r = await cli([RESNET13, '-g', '8', '--after', '*/conv3/Conv', '-o', join(dir, 'out.onnx'), '--debug']);
    expect(r.status).toBe(70);
    expect(r.stderr).toMatch(STACK_LINE);
    expect(r.stderr).toMatch(/inject/);
  });
});

describe('--validate catching a wrong injection', () => {
  it('exits 1 naming the sites, keeps the output file and says where it is', async () => {
    fault.sabotage = true;
    const dir = subFolder(root, 'sabotage');
    const out = join(dir, 'out.onnx');
    const r = await cli([RESNET13, '-g', '8', '--after', '*/conv3/Conv', '-o', out, '--validate']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^sge-inject: validation failed: .*\/layer1\/layer1\.0\/conv3\/Conv/m);
    expect(r.stderr).toContain(`the rewritten model was kept: ${out}`);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stdout).toMatch(/result: FAIL/);
    // The kept file is the complete rewritten model (with the sabotaged body), not a partial one.
    expect(existsSync(out)).toBe(true);
    const kept = decodeModel(new Uint8Array(readFileSync(out)));
    expect(findInjectedSites(kept).map((s) => s.name)).toEqual(RESNET_CONV3);
    expect(kept.functions.flatMap((f) => f.node).some((n) => n.op_type === 'HardSigmoid')).toBe(true);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('--json too: exit 1 and the JSON says passed: false', async () => {
    fault.sabotage = true;
    const dir = subFolder(root, 'sabotage-json');
    const r = await cli([
      RESNET13,
      '-g',
      '8',
      '--after',
      '/layer2/*/conv3/Conv',
      '-o',
      join(dir, 'out.onnx'),
      '--validate',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      validation: { passed: boolean; sites: Array<{ site: string; verdict: string }> };
    };
    expect(doc.validation.passed).toBe(false);
    expect(doc.validation.sites.map((s) => [s.site, s.verdict])).toEqual([
      ['/layer2/layer2.0/conv3/Conv', 'fail'],
      ['/layer2/layer2.1/conv3/Conv', 'fail'],
    ]);
  });
});
