/**
 * Strip and Fuse in the page give the CLI's bytes, the progress bar follows validation's own progress
 * events, and the page answers input within 100 ms while the worker injects a large model (measured in the page: the delay of each key event, and the longest task).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import { makeTensor } from '../../src/graph/factory.js';
import { loadModel } from '../../src/io/load.js';
import { validateModels } from '../../src/validate/validate-models.js';
import { tempFolder } from '../io/tmp.js';
import { HAVE_BROWSER, REQUIRE_BROWSER, ROOT, SKIP_REASON, idle, textOf, usePage } from './browser.js';

const FIXTURE = join(ROOT, 'fixtures/models/mini_resnet_bottleneck_op13.onnx');
const EXPORTED = join(ROOT, 'fixtures/fuse/pytorchinsight_op13_b1_fold.onnx');

async function cli(args: string[]): Promise<number> {
  return runCli(args, { stdout: () => {}, stderr: () => {}, stderrIsTty: false });
}

/** What the page records about its own responsiveness (installed by {@link watchInput}). */
interface InputWatch {
  delays: number[];
  /** Key presses handled while the worker was still injecting (the page said busy). */
  duringWork: number;
  longest: number;
}

/** Records, in the page, each keydown's delay (handler time - event time) and the longest task. */
async function watchInput(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as unknown as {
      __watch: InputWatch;
      document: { body: { dataset: Record<string, string | undefined> } };
      addEventListener(t: string, f: (e: { timeStamp: number }) => void): void;
      PerformanceObserver: new (
        cb: (l: { getEntries(): { duration: number }[] }) => void,
      ) => { observe(o: { type: string }): void };
    };
    g.__watch = { delays: [], duringWork: 0, longest: 0 };
    g.addEventListener('keydown', (e) => {
      g.__watch.delays.push(performance.now() - e.timeStamp);
      if (g.document.body.dataset.busy === 'true') g.__watch.duringWork++;
    });
    new g.PerformanceObserver((l) => {
      for (const e of l.getEntries()) g.__watch.longest = Math.max(g.__watch.longest, e.duration);
    }).observe({ type: 'longtask' });
  });
}

if (!HAVE_BROWSER && REQUIRE_BROWSER) {
  describe('the web page commands', () => {
    it('needs a browser under CI (SGE_REQUIRE_BROWSER=1)', () => {
      throw new Error(SKIP_REASON.replace('are skipped', 'cannot run'));
    });
  });
} else if (!HAVE_BROWSER) {
  describe.skip(`the web page commands: ${SKIP_REASON}`, () => {
    it('skipped', () => {});
  });
} else {
  describe('the web page commands in Chromium', () => {
    const { url, openPage } = usePage();
    const dir = tempFolder('webcmd');

    async function downloaded(page: Page, name: string): Promise<Buffer> {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe(name);
      return readFileSync((await download.path())!);
    }

    it('strips a model the CLI injected, and fuses an exported model, to the CLI’s bytes', async () => {
      const injected = join(dir, 'mini.sge.onnx');
      expect(await cli([FIXTURE, '--after', '*/conv3/Conv', '-g', '8', '--inline', '-o', injected])).toBe(0);
      const stripped = join(dir, 'mini.nosge.onnx');
      expect(await cli(['strip', injected, '-o', stripped])).toBe(0);
      const fused = join(dir, 'exported.fused.onnx');
      expect(await cli(['fuse', EXPORTED, '-o', fused])).toBe(0);

      const { page, requests } = await openPage();
      const report = page.getByRole('region', { name: 'Report' });
      await page.getByLabel('Model', { exact: true }).setInputFiles(injected);
      await idle(page);
      await page.getByRole('button', { name: 'Strip' }).click();
      await idle(page);
      expect((await textOf(report)).trim()).toMatch(/^removed 6 SGE sites/);
      expect(Buffer.compare(await downloaded(page, 'mini.sge.nosge.onnx'), readFileSync(stripped))).toBe(0);

      await page.getByLabel('Model', { exact: true }).setInputFiles(EXPORTED);
      await idle(page);
      await page.getByRole('button', { name: 'Fuse' }).click();
      await idle(page);
      expect(await textOf(report)).toContain('fused');
      const name = 'pytorchinsight_op13_b1_fold.fused.onnx';
      expect(Buffer.compare(await downloaded(page, name), readFileSync(fused))).toBe(0);
      // The fused model validates against the exported one, in the page.
      await page.getByRole('button', { name: 'Validate' }).click();
      await idle(page);
      expect(await textOf(report)).toContain('result: PASS');
      expect(requests.filter((u) => !u.startsWith(url()) && !u.startsWith('blob:'))).toEqual([]);
      await page.close();
    });

    it('moves the progress bar through the fractions validation reports, in order, then hides it', async () => {
      const injected = join(dir, 'progress.sge.onnx');
      expect(await cli([FIXTURE, '--after', '*/conv3/Conv', '-g', '8', '-o', injected])).toBe(0);
      // The reference: the same validation in this process (onnxruntime-node), its events with a total.
      const expected: number[] = [];
      const ort = await import('onnxruntime-node');
      const report = await validateModels({
        ort: async () => ort,
        original: { model: await loadModel(FIXTURE), name: 'original' },
        rewritten: { model: await loadModel(injected), name: 'rewritten' },
        onProgress: (e) => {
          if (e.total) expected.push((e.done ?? 0) / e.total);
        },
      });
      expect(report.passed).toBe(true);
      expect(expected.length).toBeGreaterThan(3);

      const { page } = await openPage();
      await page.getByLabel('Model', { exact: true }).setInputFiles(FIXTURE);
      await idle(page);
      await page.getByLabel('After', { exact: true }).fill('*/conv3/Conv');
      await page.getByLabel('Groups', { exact: true }).fill('8');
      await page.getByRole('button', { name: 'Inject' }).click();
      await idle(page);
      // Every value the page gives its progress bar, recorded where it is set.
      await page.evaluate(() => {
        const g = globalThis as unknown as {
          __progress: number[];
          HTMLProgressElement: { prototype: object };
        };
        g.__progress = [];
        const proto = g.HTMLProgressElement.prototype;
        const d = Object.getOwnPropertyDescriptor(proto, 'value')!;
        Object.defineProperty(proto, 'value', {
          ...d,
          set(v: number) {
            g.__progress.push(v);
            d.set!.call(this, v);
          },
        });
      });
      await page.getByRole('button', { name: 'Validate' }).click();
      await idle(page);
      expect(await textOf(page.getByRole('region', { name: 'Report' }))).toContain('result: PASS');
      const shown = await page.evaluate(() => (globalThis as unknown as { __progress: number[] }).__progress);
      expect(shown).toEqual(expected);
      expect(await page.locator('#progress').isHidden()).toBe(true);
      await page.close();
    });

    it('answers key presses within 100 ms while the worker injects a large model', async () => {
      // The mini ResNet carrying 256 MB of extra weights: the worker's decode, inject, encode and Blob take
      // about a second or more, long enough for several key presses.
      const model = decodeModel(new Uint8Array(readFileSync(FIXTURE)));
      model.graph!.initializer.push(
        makeTensor('ballast', [64, 1024, 1024], new Float32Array(64 * 1024 * 1024).fill(0.5)),
      );
      const big = join(dir, 'big.onnx');
      writeFileSync(big, encodeModel(model));

      const { page } = await openPage();
      await page.getByLabel('Model', { exact: true }).setInputFiles(big);
      await idle(page);
      await page.getByLabel('After', { exact: true }).fill('*/conv3/Conv');
      await page.getByLabel('Groups', { exact: true }).fill('8');
      await page.locator('#count').filter({ hasText: 'selected' }).waitFor();
      const exclude = page.getByLabel('Exclude', { exact: true });
      await exclude.focus();
      await watchInput(page);
      // A click event, not a click: the focus stays in Exclude, and the first key press follows at once
      // (a quiet machine injects in well under a second, and a click's focus change plus a separate
      // wait for the busy state once used all of it before the first press).
      await page.getByRole('button', { name: 'Inject' }).dispatchEvent('click');
      let presses = 0;
      do {
        await page.keyboard.press('x');
        presses++;
        await page.waitForTimeout(10);
      } while ((await page.locator('body[data-busy="true"]').count()) > 0);
      await idle(page);
      expect(await textOf(page.getByRole('region', { name: 'Report' }))).toContain('ready to download: big.sge.onnx');
      const watch = (await page.evaluate(
        () => (globalThis as unknown as { __watch: InputWatch }).__watch,
      )) as InputWatch;
      console.log(
        `[test/web] ${presses} key presses during the inject (${watch.duringWork} handled while it ran): longest delay ${Math.max(...watch.delays).toFixed(1)} ms, longest task ${watch.longest.toFixed(0)} ms`,
      );
      // Key presses were handled while the worker worked (work on the page's thread would queue them all
      // until it ended), and promptly: the typical delay is far under 100 ms. The largest delay is logged
      // above; on a loaded machine the OS alone can stall a renderer past 100 ms now and then, so the
      // 100 ms target for every press is checked by `npm run bench -- web` (the team's rule for timings).
      // Every press sent while the page said busy was handled while it was still busy, but for the last,
      // which may straddle the end (how many fit depends on the machine's load: 3 to 52 seen). Work on the
      // page's thread would hold the first press until the work ended: one press, none handled during it.
      expect(watch.delays.length).toBeGreaterThanOrEqual(presses);
      expect(watch.duringWork).toBeGreaterThanOrEqual(2);
      expect(watch.duringWork).toBeGreaterThanOrEqual(presses - 1);
      const sorted = [...watch.delays].sort((a, b) => a - b);
      expect(sorted[sorted.length >> 1]).toBeLessThan(100);
      await page.close();
    });
  });
}
