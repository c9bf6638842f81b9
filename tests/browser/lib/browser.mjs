// A fresh headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) with a fresh
// profile, one page on it, numbered full-page screenshots and a record of what went wrong.
// `*.localhost` resolves to 127.0.0.1, so one server can answer as spoke.localhost and
// hub.localhost (WebAuthn needs a `localhost` host name, not an IP address).

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Opens the browser. Page errors, failed requests and 5xx answers fail the test at `close()`;
 * every top-level navigation is kept in `visited` (the URL) for assertions about the route taken.
 * Screenshots go to `${shotsDir}/${name}-NN-${step}.png`.
 */
export async function openBrowser(name, shotsDir) {
  const profile = await mkdtemp(join(tmpdir(), 'federa-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP *.localhost 127.0.0.1, MAP localhost 127.0.0.1',
    ],
    viewport: { width: 800, height: 900 },
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  const visited = [];
  const shots = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 500) problems.push(`${r.status()} from ${r.url()}`); });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    // A navigation that replaces a page still loading (a form posted by script) is not a fault.
    if (why === 'net::ERR_ABORTED' && r.isNavigationRequest()) return;
    problems.push(`request failed: ${r.url()} ${why}`);
  });
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) visited.push(f.url()); });
  let n = 0;
  return {
    page, context, visited, shots,
    async shot(step) {
      n += 1;
      const path = join(shotsDir, `${name}-${String(n).padStart(2, '0')}-${step}.png`);
      await page.screenshot({ path, fullPage: true });
      shots.push(path);
      return path;
    },
    async close(failed) {
      if (failed) await this.shot('failure').catch(() => {});
      await context.close();
      await rm(profile, { recursive: true, force: true });
      assert.deepEqual(problems, [], 'no page errors, failed requests or 5xx answers');
    },
  };
}

/** Runs `body` with a fresh browser, closing it (with a failure screenshot) whatever happens. */
export async function withBrowser(name, shotsDir, body) {
  const b = await openBrowser(name, shotsDir);
  let failed = true;
  try {
    await body(b);
    failed = false;
  } catch (e) {
    const html = await b.page.content().catch(() => '');
    e.message += `\n(at ${b.page.url()}; page text: ${html.replace(/<style[\s\S]*?<\/style>/, '').replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 800)})`;
    throw e;
  } finally {
    await b.close(failed);
  }
}
