// The users view of a broker with a password file: it says that the API has no runtime users,
// and its Reload button makes the broker re-read the file, so that a user added with
// `petrel passwd` connects with its password and a deleted one is refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { connect } from '../../../src/client/connect.js';
import { CHROMIUM, launchChromium } from '../../helpers/chromium.js';
import { killAll, runCli } from '../../helpers/cli.js';
import type { DashboardBroker } from './petrel.js';
import { startDashboardBroker } from './petrel.js';

/** Connects as `username` and disconnects; rejects when the broker refuses. */
async function canConnect(url: string, username: string, password: string): Promise<void> {
  const c = await connect(url, { username, password, reconnect: false, connectTimeout: 3000 });
  await c.disconnect();
}

async function passwd(args: string[]): Promise<void> {
  const r = await runCli(['passwd', ...args]);
  assert.equal(r.code, 0, r.stderr);
}

if (CHROMIUM !== undefined) {
  describe('dashboard users view with a password file', { timeout: 40_000 }, () => {
    let browser: Browser;
    let petrel: DashboardBroker;
    const dir = mkdtempSync(join(tmpdir(), 'petrel-dash-users-'));
    const file = join(dir, 'passwd');

    before(async () => {
      await passwd(['-c', '-b', file, 'alice', 'alice-secret']);
      const config = join(dir, 'petrel.json');
      writeFileSync(config, JSON.stringify({ passwordFile: file }));
      [browser, petrel] = await Promise.all([
        launchChromium(),
        startDashboardBroker(['-c', config]),
      ]);
    });
    after(async () => {
      await browser?.close();
      await petrel?.close();
      killAll();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a user added to the file connects after Reload; a deleted one is refused', async () => {
      await canConnect(petrel.mqtt, 'alice', 'alice-secret');
      await passwd(['-b', file, 'bob', 'bob-secret']);
      await passwd(['-D', file, 'alice']);
      // Not yet re-read: bob is unknown, alice still known.
      await assert.rejects(canConnect(petrel.mqtt, 'bob', 'bob-secret'));
      await canConnect(petrel.mqtt, 'alice', 'alice-secret');

      const page = await browser.newPage();
      try {
        await page.goto(`${petrel.http}/#users`);
        await page.waitForSelector('#users-runtime:has-text("no runtime users")', {
          timeout: 5000,
        });
        await page.click('#users-reload');
        await page.waitForSelector('#users-status:has-text("Reloaded")', { timeout: 5000 });
      } finally {
        await page.close();
      }
      await canConnect(petrel.mqtt, 'bob', 'bob-secret');
      await assert.rejects(canConnect(petrel.mqtt, 'alice', 'alice-secret'));
      await assert.rejects(canConnect(petrel.mqtt, 'bob', 'wrong-password'));
    });
  });
}
