/**
 * Debian's Chromium driven by playwright-core, and the page served by the server of `sge-inject web`.
 * Without a browser the tests skip with the reason, except under CI (SGE_REQUIRE_BROWSER=1), where a
 * missing browser is a failure.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { serveFolder, type StaticServer } from '../../src/cli/static-server.js';

/** The browser the tests drive. */
export const CHROMIUM = process.env.SGE_CHROMIUM ?? '/usr/bin/chromium';
/** True when the browser is there; else the tests say why they skip (or fail, under CI). */
export const HAVE_BROWSER = existsSync(CHROMIUM);
export const REQUIRE_BROWSER = process.env.SGE_REQUIRE_BROWSER === '1';
export const SKIP_REASON = `no browser at ${CHROMIUM} (apt-get install chromium, or set SGE_CHROMIUM): the web page tests are skipped`;

export const ROOT = resolve(import.meta.dirname, '../..');
export const PAGE_DIR = join(ROOT, 'dist-web');

/** Flags that work in this container (no GPU, no sandbox, no network chatter of the browser's own). */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium headless with a fresh profile (playwright makes one per launch). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** Serves dist-web/ on a free port of 127.0.0.1. */
export function servePage(): Promise<StaticServer> {
  return serveFolder(PAGE_DIR, 0);
}

/** What {@link usePage} gives a describe block. */
export interface PageHarness {
  /** The browser (for pages not served by the server, e.g. file://). */
  readonly browser: () => Browser;
  /** The server's URL. */
  readonly url: () => string;
  /** A new page on the server, ready, with every request it makes recorded. */
  readonly openPage: () => Promise<{ page: Page; requests: string[] }>;
}

/** One browser and one server for the calling describe block: started before its tests, closed after. */
export function usePage(): PageHarness {
  let browser: Browser | undefined;
  let server: StaticServer | undefined;
  beforeAll(async () => {
    server = await servePage();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    browser: () => browser!,
    url: () => server!.url,
    openPage: async () => {
      const page = await browser!.newPage();
      const requests = recordRequests(page);
      await page.goto(server!.url);
      await page.locator('body[data-ready="true"]').waitFor();
      return { page, requests };
    },
  };
}

/** Every request the page makes, to check that none leaves the server. */
export function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  return urls;
}

/** Waits until the page's worker has answered the last command. */
export async function idle(page: Page): Promise<void> {
  // A locator, not waitForFunction: the page's CSP forbids evaluating strings.
  await page.locator('body[data-busy="false"]').waitFor({ timeout: 120_000 });
}

/** The text of what `locator` finds ('' when it has none). */
export async function textOf(locator: { textContent(): Promise<string | null> }): Promise<string> {
  return (await locator.textContent()) ?? '';
}
