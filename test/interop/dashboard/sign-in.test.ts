// The dashboard of an admin listener with bearer tokens: the page gets 401s, asks for a token,
// keeps it for the tab (sessionStorage, never a cookie) and then reads the API with it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../../helpers/chromium.js';
import { killAll } from '../../helpers/cli.js';
import type { DashboardBroker } from './petrel.js';
import { startDashboardBroker } from './petrel.js';

const TOKEN = 'dashboard-test-token-0123456789';

if (CHROMIUM !== undefined) {
  describe('dashboard sign-in with a bearer token', { timeout: 30_000 }, () => {
    let browser: Browser;
    let petrel: DashboardBroker;
    const dir = mkdtempSync(join(tmpdir(), 'petrel-dash-token-'));

    before(async () => {
      const tokenFile = join(dir, 'tokens');
      writeFileSync(tokenFile, `${TOKEN}\n`);
      [browser, petrel] = await Promise.all([
        launchChromium(),
        startDashboardBroker(['--http-token-file', tokenFile]),
      ]);
    });
    after(async () => {
      await browser?.close();
      await petrel?.close();
      killAll();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a wrong token is refused, the right one opens the overview; no cookie is set', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(`${petrel.http}/#overview`);
        // The first /metrics answer is 401: the page moves to the sign-in form.
        await page.waitForSelector('#signin-token', { timeout: 5000 });
        await page.fill('#signin-token', 'not-the-token-at-all');
        await page.press('#signin-token', 'Enter');
        await page.waitForSelector('#signin-status:has-text("The API refused this token.")', {
          timeout: 5000,
        });

        await page.fill('#signin-token', TOKEN);
        await page.press('#signin-token', 'Enter');
        await page.waitForSelector('#chart-connections[data-points="1"]', { timeout: 8000 });
        assert.match((await page.textContent('#broker-summary')) ?? '', /^version /);
        assert.deepEqual(await context.cookies(), []);
      } finally {
        await context.close();
      }
    });
  });
}
