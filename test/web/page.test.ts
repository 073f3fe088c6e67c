/**
 * The web page in a real browser (Debian's Chromium through playwright-core), served by the server of
 * `sge-inject web`: the whole flow, bad files, the keyboard, and that nothing leaves 127.0.0.1. Expected
 * bytes and messages come from the CLI itself, run in this process on the same files.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FileChooser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import { isExternal } from '../../src/external/location.js';
import { collectTensors } from '../../src/external/tensors.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { tempFolder } from '../io/tmp.js';
import { HAVE_BROWSER, PAGE_DIR, REQUIRE_BROWSER, ROOT, SKIP_REASON, idle, textOf, usePage } from './browser.js';

const FIXTURE = join(ROOT, 'fixtures/models/mini_resnet_bottleneck_op13.onnx');
const TENSOR = join(ROOT, 'fixtures/models/mini_resnet_bottleneck_op13/test_data_set_0/input_0.pb');
const SHOTS = join(ROOT, 'test-output/web');

/** Runs the CLI in this process; returns its exit status and what it printed. */
async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stderrIsTty: false });
  return { status, stdout, stderr };
}

if (!HAVE_BROWSER && REQUIRE_BROWSER) {
  describe('the web page', () => {
    it('needs a browser under CI (SGE_REQUIRE_BROWSER=1)', () => {
      throw new Error(SKIP_REASON.replace('are skipped', 'cannot run'));
    });
  });
} else if (!HAVE_BROWSER) {
  describe.skip(`the web page: ${SKIP_REASON}`, () => {
    it('skipped', () => {});
  });
} else {
  describe('the web page in Chromium', () => {
    const { browser, url, openPage } = usePage();
    const dir = tempFolder('web');

    async function openModel(page: Page, path: string): Promise<void> {
      await page.getByLabel('Model', { exact: true }).setInputFiles(path);
      await idle(page);
    }

    const report = (page: Page) => page.getByRole('region', { name: 'Report' });

    it('opens the fixture, injects */conv3/Conv with G 8, validates (PASS) and downloads the CLI’s bytes', async () => {
      const { page, requests } = await openPage();
      await openModel(page, FIXTURE);
      await expect
        .poll(() => textOf(page.getByRole('region', { name: 'Model summary' })), { timeout: 30_000 })
        .toContain('IR version');
      const summary = await textOf(page.getByRole('region', { name: 'Model summary' }));
      expect(summary).toContain('mini_resnet_bottleneck_op13.onnx');
      expect(summary).toMatch(/ai\.onnx 13/);

      await page.getByLabel('After', { exact: true }).fill('*/conv3/Conv');
      await page.getByLabel('Groups', { exact: true }).fill('8');
      // The live count is what `list --after '*/conv3/Conv' -g 8` says.
      const listed = await cli(['list', FIXTURE, '--after', '*/conv3/Conv', '-g', '8', '--json']);
      const selected = JSON.parse(listed.stdout).rows.filter((r: { selected: boolean }) => r.selected).length;
      expect(selected).toBeGreaterThan(0);
      await expect
        .poll(() => textOf(page.locator('#count')), { timeout: 30_000 })
        .toContain(`${selected} sites selected`);
      // The table's count line is the CLI's, once the listing for G 8 has come back.
      const listText = await cli(['list', FIXTURE, '--after', '*/conv3/Conv', '-g', '8']);
      const countLine = listText.stdout.split('\n').find((l) => /^\d+ convolutions/.test(l));
      expect(countLine).toContain('divisible by 8');
      await expect.poll(() => textOf(page.locator('#list-summary')), { timeout: 30_000 }).toBe(countLine);

      await page.getByRole('button', { name: 'Inject' }).click();
      await idle(page);
      const injected = await textOf(report(page));
      expect(injected).toContain(`${selected} SGE sites (function form, G=8`);
      expect(injected).toContain('ready to download: mini_resnet_bottleneck_op13.sge.onnx');

      const out = join(dir, 'cli.sge.onnx');
      const run = await cli([FIXTURE, '--after', '*/conv3/Conv', '-g', '8', '-o', out]);
      expect(run.status).toBe(0);
      // The report is the CLI's, but for the last line (where it wrote vs what the page offers).
      const body = (t: string) => t.trim().split('\n').slice(0, -1).join('\n');
      expect(body(injected)).toBe(body(run.stdout));

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe('mini_resnet_bottleneck_op13.sge.onnx');
      const got = readFileSync((await download.path())!);
      expect(Buffer.compare(got, readFileSync(out))).toBe(0);

      await page.getByRole('button', { name: 'Validate' }).click();
      await idle(page);
      const validated = await textOf(report(page));
      expect(validated).toContain('result: PASS');
      expect(validated).toMatch(/sites: \d+ \(\d+ pass, 0 fail/);
      expect(validated).toContain('latency (1 thread');
      expect(validated).toContain('MACs added');
      mkdirSync(SHOTS, { recursive: true });
      await report(page).screenshot({ path: join(SHOTS, 'report.png') });
      await page.screenshot({ path: join(SHOTS, 'page.png'), fullPage: true });

      expect(requests.filter((u) => !u.startsWith(url()) && !u.startsWith('blob:'))).toEqual([]);
      await page.close();
    });

    it('shows the CLI’s message for bad files and goes on with the next good one', async () => {
      const { page, requests } = await openPage();
      const full = readFileSync(FIXTURE);
      const bad: Array<[string, Uint8Array]> = [
        ['notes.onnx', new TextEncoder().encode('this is a text file, not a model\n')],
        ['truncated.onnx', full.subarray(0, Math.floor(full.length / 2))],
        ['tensor.onnx', readFileSync(TENSOR)],
      ];
      for (const [name, bytes] of bad) {
        const path = join(dir, name);
        writeFileSync(path, bytes);
        await openModel(page, path);
        const expected = await cli(['list', path]);
        expect(expected.status).toBe(2);
        const text = (await textOf(report(page))).trim();
        expect(text, name).toBe(expected.stderr.replaceAll(`${dir}/`, '').trim());
      }
      // An opset newer than onnxruntime loads: refused at Inject as by the CLI.
      const future = decodeModel(new Uint8Array(full));
      for (const o of future.opset_import) if (!o.domain) o.version = 99;
      const futurePath = join(dir, 'future.onnx');
      writeFileSync(futurePath, encodeModel(future));
      await openModel(page, futurePath);
      await page.getByLabel('After', { exact: true }).fill('*/conv3/Conv');
      await page.getByRole('button', { name: 'Inject' }).click();
      await idle(page);
      const opset = await cli([futurePath, '--after', '*/conv3/Conv', '-o', join(dir, 'future.sge.onnx')]);
      expect(opset.status).toBe(2);
      expect((await textOf(report(page))).trim()).toBe(opset.stderr.replaceAll(`${dir}/`, '').trim());
      // Groups that do not divide: refused as by the CLI, on the model that is open.
      await openModel(page, FIXTURE);
      await page.getByLabel('After', { exact: true }).fill('*/conv3/Conv');
      await page.getByLabel('Groups', { exact: true }).fill('7');
      await page.getByRole('button', { name: 'Inject' }).click();
      await idle(page);
      const refused = await cli([FIXTURE, '--after', '*/conv3/Conv', '-g', '7', '-o', join(dir, 'g7.onnx')]);
      expect(refused.status).toBe(2);
      const shown = (await textOf(report(page))).trim();
      expect(shown).toBe(refused.stderr.replaceAll(FIXTURE, basename(FIXTURE)).trim());
      expect(await page.getByRole('button', { name: 'Download' }).isDisabled()).toBe(true);
      // And the page still works.
      await page.getByLabel('Groups', { exact: true }).fill('8');
      await page.getByRole('button', { name: 'Inject' }).click();
      await idle(page);
      expect(await textOf(report(page))).toContain('ready to download');
      expect(requests.filter((u) => !u.startsWith(url()) && !u.startsWith('blob:'))).toEqual([]);
      await page.close();
    });

    it('opens a model with external data once its data file is picked, and downloads one self-contained file', async () => {
      const ext = join(dir, 'ext');
      mkdirSync(ext, { recursive: true });
      await saveModel(decodeModel(new Uint8Array(readFileSync(FIXTURE))), join(ext, 'split.onnx'), {
        externalData: { threshold: 0 },
      });
      const { page } = await openPage();
      await openModel(page, join(ext, 'split.onnx'));
      const missing = (await textOf(report(page))).trim();
      expect(missing).toMatch(
        /^sge-inject: split\.onnx: initializer '.*' keeps its data in 'split\.onnx\.data': 'split\.onnx\.data' was not picked/,
      );
      await page.getByLabel('Data files', { exact: true }).setInputFiles(join(ext, 'split.onnx.data'));
      await idle(page);
      expect(await textOf(report(page))).toContain('opened split.onnx');
      await page.getByLabel('After', { exact: true }).fill('*/conv3/Conv');
      await page.getByLabel('Groups', { exact: true }).fill('8');
      await page.getByRole('button', { name: 'Inject' }).click();
      await idle(page);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe('split.sge.onnx');
      const got = decodeModel(new Uint8Array(readFileSync((await download.path())!)));
      expect(collectTensors(got).filter((t) => isExternal(t.tensor))).toEqual([]);
      // The same model as the CLI makes from the model with its data read in.
      const whole = join(ext, 'whole.onnx');
      await saveModel(await loadModel(join(ext, 'split.onnx'), { loadExternal: true }), whole);
      const out = join(ext, 'whole.sge.onnx');
      expect((await cli([whole, '--after', '*/conv3/Conv', '-g', '8', '-o', out])).status).toBe(0);
      expect(Buffer.compare(readFileSync((await download.path())!), readFileSync(out))).toBe(0);
      await page.close();
    });

    it('injects with a parameter file and the inline form, to the CLI’s bytes', async () => {
      const params = FIXTURE.replace(/\.onnx$/, '.sge-g8-params.json');
      const { page } = await openPage();
      await openModel(page, FIXTURE);
      await page.getByLabel('After', { exact: true }).fill('*/conv3/Conv');
      await page.getByLabel('Parameters', { exact: true }).setInputFiles(params);
      await page.getByLabel('Inline', { exact: true }).check();
      await page.getByRole('button', { name: 'Inject' }).click();
      await idle(page);
      expect(await textOf(report(page))).toContain('(inline form, G=8');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download' }).click(),
      ]);
      const out = join(dir, 'params.sge.onnx');
      expect((await cli([FIXTURE, '--after', '*/conv3/Conv', '--params', params, '--inline', '-o', out])).status).toBe(
        0,
      );
      expect(Buffer.compare(readFileSync((await download.path())!), readFileSync(out))).toBe(0);
      await page.close();
    });

    it('opens a model dropped on the page', async () => {
      const { page } = await openPage();
      const bytes = [...readFileSync(FIXTURE)];
      const dataTransfer = await page.evaluateHandle((data) => {
        const g = globalThis as unknown as {
          DataTransfer: new () => { items: { add(f: unknown): void } };
          File: new (parts: unknown[], name: string) => unknown;
        };
        const dt = new g.DataTransfer();
        dt.items.add(new g.File([new Uint8Array(data)], 'dropped.onnx'));
        return dt;
      }, bytes);
      await page.dispatchEvent('body', 'drop', { dataTransfer });
      await idle(page);
      expect(await textOf(report(page))).toContain('opened dropped.onnx');
      expect(await textOf(page.locator('#list-summary'))).toMatch(/^23 convolutions/);
      await page.close();
    });

    // Inject and validate run in the page's worker (wasm): under a loaded CI machine this test has taken
    // most of a minute, so it gets more than the default 60 s, and each step its own bound and name.
    it('runs the whole flow by keyboard', { timeout: 180_000 }, async () => {
      const { page } = await openPage();
      /** Presses Tab until the element named `label` has the focus. */
      const tabTo = async (id: string) => {
        for (let i = 0; i < 60; i++) {
          if (await page.locator(`#${id}:focus`).count()) return;
          await page.keyboard.press('Tab');
        }
        throw new Error(`Tab never reached #${id}`);
      };
      /** Waits until the report contains `text`, failing with the step's name. */
      const reportSays = (text: string, step: string) =>
        expect.poll(() => textOf(report(page)), { timeout: 60_000, message: step }).toContain(text);
      // The chooser is intercepted from the start, not from the key press: Chromium sometimes does not
      // report a chooser opened right after interception is turned on (playwright#28023). A user who
      // sees no dialog presses Space again; so does the test, once, and says so.
      const choosers: FileChooser[] = [];
      page.on('filechooser', (c) => choosers.push(c));
      const chooser = async (): Promise<FileChooser | undefined> => {
        await expect
          .poll(() => choosers.length, { timeout: 15_000 })
          .toBeGreaterThan(0)
          .catch(() => {});
        return choosers[0];
      };
      // Keyboard input and the file chooser go to the page in front.
      await page.bringToFront();
      await tabTo('model');
      await page.keyboard.press('Space');
      let picked = await chooser();
      if (!picked) {
        console.warn('[test/web] Space on #model opened no file chooser within 15 s; pressing it again');
        await page.keyboard.press('Space');
        picked = await chooser();
      }
      if (!picked) throw new Error('Space on the focused Model field opened no file chooser (twice)');
      await picked.setFiles(FIXTURE);
      await reportSays('opened mini_resnet_bottleneck_op13.onnx', 'the model opens');
      await idle(page);
      await tabTo('after');
      await page.keyboard.type('*/conv3/Conv');
      await tabTo('groups');
      await page.keyboard.type('8');
      await tabTo('inject');
      await page.keyboard.press('Enter');
      await reportSays('ready to download', 'Enter on Inject injects');
      await idle(page);
      await tabTo('validate');
      await page.keyboard.press('Enter');
      await reportSays('result: PASS', 'Enter on Validate validates');
      await idle(page);
      await tabTo('download');
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: 30_000 }),
        page.keyboard.press('Enter'),
      ]);
      expect(download.suggestedFilename()).toBe('mini_resnet_bottleneck_op13.sge.onnx');
      await page.close();
    });

    it('opened from file:// (where module workers and wasm do not work), it says how to serve it', async () => {
      const page = await browser().newPage();
      await page.goto(`file://${PAGE_DIR}/index.html`);
      await expect
        .poll(() => textOf(report(page)), { timeout: 30_000 })
        .toContain('this page does not work from file://');
      expect(await textOf(report(page))).toContain('npx sge-inject web');
      expect(await page.getByRole('button', { name: 'Inject' }).isDisabled()).toBe(true);
      await page.close();
    });
  });
}
