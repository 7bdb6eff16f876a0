// The sessions view pages past the first 100 sessions (More), and the clients view shows one
// client in full (Details): headless Chromium against a real `petrel broker --http-port`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import { CHROMIUM, launchChromium } from '../../helpers/chromium.js';
import { killAll } from '../../helpers/cli.js';
import type { DashboardBroker } from './petrel.js';
import { startDashboardBroker } from './petrel.js';

const SESSIONS = 105;

if (CHROMIUM !== undefined) {
  describe('dashboard sessions paging and client details', { timeout: 45_000 }, () => {
    let browser: Browser;
    let petrel: DashboardBroker;
    let port = 0;

    before(async () => {
      [browser, petrel] = await Promise.all([launchChromium(), startDashboardBroker()]);
      port = Number(new URL(petrel.mqtt).port);
    });
    after(async () => {
      await browser?.close();
      await petrel?.close();
      killAll();
    });

    test(`the sessions view shows all ${SESSIONS} sessions, 100 at a time`, async () => {
      // Offline persistent sessions: each client connects with a session that outlives it.
      for (let i = 0; i < SESSIONS; i++) {
        const { client } = await RawClient.connect(port, 5, {
          clientId: `page-${String(i).padStart(3, '0')}`,
          clean: false,
          properties: { sessionExpiryInterval: 600 },
        });
        client.send({ type: 14, reasonCode: 0, properties: undefined });
        await client.waitClose();
      }
      const page = await browser.newPage();
      try {
        await page.goto(`${petrel.http}/#sessions`);
        await page.waitForSelector(`#sessions-status:has-text("100 of ${SESSIONS} shown.")`);
        assert.equal(await page.locator('#sessions-rows tr').count(), 100);
        await page.focus('#sessions-more');
        await page.keyboard.press('Enter');
        await page.waitForSelector(
          `#sessions-status:has-text("${SESSIONS} of ${SESSIONS} shown.")`,
        );
        assert.equal(await page.locator('#sessions-rows tr').count(), SESSIONS);
        assert.equal(await page.isHidden('#sessions-more'), true);
        assert.equal(
          await page.locator(`#sessions-rows tr[data-client-id="page-${SESSIONS - 1}"]`).count(),
          1,
        );
      } finally {
        await page.close();
      }
    });

    test('Details shows a client’s protocol, keep-alive, session expiry, queue and subscriptions', async () => {
      const { client } = await RawClient.connect(port, 5, {
        clientId: 'detail-me',
        keepAlive: 42,
        properties: { sessionExpiryInterval: 300 },
      });
      try {
        assert.deepEqual(await subscribeRaw(client, [subOf('detail/+/t', 1)]), [1]);
        const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
        try {
          await page.goto(`${petrel.http}/#clients`);
          await page.focus('button[aria-label="Details of detail-me"]');
          await page.keyboard.press('Enter');
          await page.waitForSelector('#client-detail h3:has-text("Client detail-me")');
          const props = (await page.textContent('#client-props')) ?? '';
          for (const expected of ['MQTT 5.0', '127.0.0.1 (tcp)', '42 s', '300 s', '0 / 0']) {
            assert.ok(props.includes(expected), `${expected} in ${props}`);
          }
          assert.match(props, /Connected since.+\d/);
          assert.equal(await page.textContent('#client-subs-rows td.id'), 'detail/+/t');
          const overflow = await page.evaluate<number>(
            'document.documentElement.scrollWidth - document.documentElement.clientWidth',
          );
          assert.ok(overflow <= 0, `the clients view is ${overflow}px wider than the screen`);
        } finally {
          await page.close();
        }
      } finally {
        client.destroy();
      }
    });
  });
}
