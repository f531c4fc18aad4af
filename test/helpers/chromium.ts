// Headless Chromium for the tests of HTML pages (the inspect report, the syntax diagrams): one way
// to start Debian's browser and one way to open a page that records what a user would see go
// wrong — console errors and warnings, uncaught exceptions, and any network request at all (the
// pages are self-contained; setContent makes no request for the document itself, so any request
// is a leak).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

export interface PageLog {
  errors: string[];
  requests: string[];
}

/** A new tab that records into a PageLog; `html` is loaded with setContent. */
export async function openPage(browser: Browser, html: string, width = 1300): Promise<{ page: Page; log: PageLog }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const log: PageLog = { errors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log.errors.push(m.text());
  });
  page.on('pageerror', (e) => log.errors.push(e.message));
  page.on('request', (r) => log.requests.push(r.url()));
  page.on('requestfailed', (r) => log.errors.push(`failed ${r.url()}`));
  await page.setContent(html, { waitUntil: 'load' });
  return { page, log };
}
