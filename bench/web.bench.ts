// The web page against the CLI on ResNet-50 (about 100 MB, made once as bench/io.bench.ts makes it):
// inject + download in the page (Debian's Chromium, headless, the page served by `sge-inject web`) beside
// the CLI's inject for the same model and options, the longest input delay in the page while it works,
// and validation in the page (onnxruntime-web, wasm, one thread) beside the CLI's (onnxruntime-node).
// Targets: page inject + download <= 3x the CLI's; input answered within 100 ms.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { runCli } from 'sge-inject/cli';
import { arg, median, OUT, ROOT } from './common.js';
import { ensureResNet50 } from './models.js';

const REPS = Number(arg('--reps', '3'));
const CHROMIUM = process.env.SGE_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--after', '*/conv3/Conv', '--groups', '64'];

const quiet = { stdout: () => {}, stderr: () => {}, stderrIsTty: false };

/** The CLI's inject in this process (load, inject, save), in ms. */
async function cliInject(model: string, out: string): Promise<number> {
  rmSync(out, { force: true });
  const t0 = performance.now();
  const status = await runCli([model, ...ARGS, '-o', out], quiet);
  const ms = performance.now() - t0;
  if (status !== 0) throw new Error(`the CLI's inject failed (exit ${status})`);
  return ms;
}

/** The CLI as a user runs it (a fresh process: start-up, imports, load, inject, save), in ms. */
function cliProcess(model: string, out: string): number {
  rmSync(out, { force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/sge-inject.js'), model, ...ARGS, '-o', out]);
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`sge-inject failed (exit ${r.status}): ${r.stderr}`);
  return ms;
}

/** `sge-inject web --port 0`, as a user starts it; resolves with the URL it prints. */
function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/sge-inject.js'), 'web', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((done, fail) => {
    let text = '';
    child.stdout!.on('data', (c) => {
      text += c;
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(text);
      if (m) done({ url: m[0], child });
    });
    child.on('exit', (code) => fail(new Error(`sge-inject web exited (${code}): is dist-web/ built?`)));
  });
}

interface Watch {
  delays: number[];
  longest: number;
}

/** In the page: the delay of every keydown and the longest main-thread task. */
async function watchInput(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as unknown as {
      __watch: Watch;
      addEventListener(t: string, f: (e: { timeStamp: number }) => void): void;
      PerformanceObserver: new (
        cb: (l: { getEntries(): { duration: number }[] }) => void,
      ) => { observe(o: { type: string }): void };
    };
    g.__watch = { delays: [], longest: 0 };
    g.addEventListener('keydown', (e) => g.__watch.delays.push(performance.now() - e.timeStamp));
    new g.PerformanceObserver((l) => {
      for (const e of l.getEntries()) g.__watch.longest = Math.max(g.__watch.longest, e.duration);
    }).observe({ type: 'longtask' });
  });
}

async function idle(page: Page): Promise<void> {
  await page.locator('body[data-busy="false"]').waitFor({ timeout: 600_000 });
}

/** One page run: open, inject (typing meanwhile), download; then validate when asked. */
async function pageRun(
  page: Page,
  url: string,
  model: string,
  validate: boolean,
): Promise<{
  injectMs: number;
  readyMs: number;
  bytes: Buffer;
  watch: Watch;
  validateMs?: number;
  passed?: boolean;
}> {
  await page.goto(url);
  await page.locator('body[data-ready="true"]').waitFor();
  await page.getByLabel('Model', { exact: true }).setInputFiles(model);
  await idle(page);
  await page.getByLabel('After', { exact: true }).fill('*/conv3/Conv');
  await page.getByLabel('Groups', { exact: true }).fill('64');
  await page.locator('#count').filter({ hasText: 'selected' }).waitFor();
  await watchInput(page);
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Inject' }).click();
  await page.getByLabel('Exclude', { exact: true }).focus();
  while ((await page.locator('body[data-busy="true"]').count()) > 0) {
    await page.keyboard.press('x');
    await page.waitForTimeout(15);
  }
  const readyMs = Date.now() - t0;
  // While it worked: read before the download, which is the user's next action, not the work.
  const watch = (await page.evaluate(() => (globalThis as unknown as { __watch: Watch }).__watch)) as Watch;
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download' }).click(),
  ]);
  const path = await download.path();
  const injectMs = Date.now() - t0;
  const bytes = readFileSync(path!);
  if (!validate) return { injectMs, readyMs, bytes, watch };
  const v0 = Date.now();
  await page.getByRole('button', { name: 'Validate' }).click();
  await idle(page);
  const validateMs = Date.now() - v0;
  const passed = ((await page.getByRole('region', { name: 'Report' }).textContent()) ?? '').includes('result: PASS');
  return { injectMs, readyMs, bytes, watch, validateMs, passed };
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`no browser at ${CHROMIUM}: the web page benchmark is skipped`);
    return;
  }
  // The page of this checkout, as `npm run build:web` makes it (about 2 s).
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build:web failed');
  const model = await ensureResNet50();
  console.log(
    `model: ${model.path} (${(statSync(model.path).size / 1e6).toFixed(1)} MB; ${model.how}); ${ARGS.join(' ')}; ${REPS} runs each, medians`,
  );
  const out = join(OUT, '.bench-web-cli.onnx');
  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const cli: number[] = [];
    const proc: number[] = [];
    const web: number[] = [];
    const ready: number[] = [];
    const delays: number[] = [];
    const longest: number[] = [];
    let same = true;
    let validation: { ms: number; passed: boolean } | undefined;
    for (let i = 0; i < REPS; i++) {
      proc.push(cliProcess(model.path, out));
      cli.push(await cliInject(model.path, out));
      const page = await browser.newPage();
      const r = await pageRun(page, server.url, model.path, i === REPS - 1);
      await page.close();
      web.push(r.injectMs);
      ready.push(r.readyMs);
      delays.push(Math.max(0, ...r.watch.delays));
      longest.push(r.watch.longest);
      same &&= Buffer.compare(r.bytes, readFileSync(out)) === 0;
      if (r.validateMs !== undefined) validation = { ms: r.validateMs, passed: Boolean(r.passed) };
    }
    const v0 = performance.now();
    const status = await runCli(['validate', model.path, out], quiet);
    const cliValidate = performance.now() - v0;
    rmSync(out, { force: true });

    const ratio = median(web) / median(cli);
    const worstDelay = Math.max(...delays);
    const worstTask = Math.max(...longest);
    console.log(`\ninject ${ARGS.join(' ')}           | median   | runs`);
    console.log(
      `CLI (load, inject, save; in process) | ${(median(cli) / 1000).toFixed(2)} s | ${cli.map((x) => (x / 1000).toFixed(2)).join(', ')}`,
    );
    console.log(
      `CLI (the same, a fresh process)      | ${(median(proc) / 1000).toFixed(2)} s | ${proc.map((x) => (x / 1000).toFixed(2)).join(', ')}`,
    );
    console.log(
      `page (inject, download)              | ${(median(web) / 1000).toFixed(2)} s | ${web.map((x) => (x / 1000).toFixed(2)).join(', ')}`,
    );
    console.log(
      `  of which inject (report shown) | ${(median(ready) / 1000).toFixed(2)} s | ${ready.map((x) => (x / 1000).toFixed(2)).join(', ')}`,
    );
    console.log(
      `page / CLI in process: ${ratio.toFixed(2)}x (target <= 3: ${ratio <= 3 ? 'met' : 'MISSED'}); page / CLI process: ${(median(web) / median(proc)).toFixed(2)}x; downloads equal the CLI's bytes: ${same ? 'yes' : 'NO'}`,
    );
    console.log(
      `input while working: longest key delay ${worstDelay.toFixed(1)} ms, longest main-thread task ${worstTask.toFixed(0)} ms (target < 100: ${worstDelay < 100 && worstTask < 100 ? 'met' : 'MISSED'})`,
    );
    if (validation)
      console.log(
        `validate (10 timed runs each): page, onnxruntime-web wasm 1 thread ${(validation.ms / 1000).toFixed(1)} s (${validation.passed ? 'PASS' : 'FAIL'}); CLI, onnxruntime-node ${(cliValidate / 1000).toFixed(1)} s (exit ${status}); ratio ${(validation.ms / cliValidate).toFixed(2)}x`,
      );
  } finally {
    await browser.close();
    server.child.kill('SIGTERM');
  }
}

await main();
