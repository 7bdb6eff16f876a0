// The web dashboard in headless Chromium, served by a real `petrel broker --http-port`: the
// overview charts fill from /metrics, a client connected here shows in the table and is
// disconnected from it, the WebSocket panel publishes to a subscriber started here and receives
// what is published here, the page makes no request off the broker, and at phone size nothing
// overflows sideways (a screenshot is written to .tmp/dashboard-phone.png for a human look).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../../helpers/chromium.js';
import { killAll } from '../../helpers/cli.js';
import { Clients, nextMessages, once, uniqueTopic } from '../../integration/client/util.js';
import type { DashboardBroker } from './petrel.js';
import { startDashboardBroker } from './petrel.js';

test('Debian chromium is installed for the dashboard tests', () => {
  assert.ok(CHROMIUM, 'install Debian chromium (apt-get install chromium)');
});

if (CHROMIUM !== undefined) {
  describe('dashboard in headless Chromium', { timeout: 45_000 }, () => {
    let browser: Browser;
    let petrel: DashboardBroker;
    const clients = new Clients();
    /** Every URL any page asked for. */
    const requested: string[] = [];

    before(async () => {
      [browser, petrel] = await Promise.all([launchChromium(), startDashboardBroker()]);
    });
    after(async () => {
      clients.closeAll();
      await browser?.close();
      await petrel?.close();
      killAll();
    });

    async function open(view: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
      const page = await browser.newPage({ viewport });
      page.on('request', (r) => requested.push(r.url()));
      await page.goto(`${petrel.http}/#${view}`);
      return page;
    }

    test('the overview loads and its charts fill from /metrics, with the traffic made here', async () => {
      const page = await open('overview');
      const publisher = await clients.connect(petrel.mqtt);
      const topic = uniqueTopic('overview');
      // 10 messages a second for at most 8 s: the messages chart's "in" rate must rise above 0.
      let sent = 0;
      const timer = setInterval(() => {
        if (++sent > 80) clearInterval(timer);
        else publisher.publish(topic, 'x').catch(() => undefined);
      }, 100);
      try {
        // Rates need two scrapes: the first point appears after the second (2 s apart).
        await page.waitForSelector('#chart-messages[data-points="1"]', { timeout: 8000 });
        assert.match(
          (await page.textContent('#chart-connections .latest')) ?? '',
          /^connected: [1-9]\d*$/,
        );
        assert.equal(await page.textContent('#overview-status'), '');
        // Every chart reads a metric the broker exports (none reads "no data").
        for (const id of ['drops', 'queue', 'store', 'eventloop']) {
          const text = (await page.textContent(`#chart-${id} .latest`)) ?? '';
          assert.doesNotMatch(text, /no data|waiting/, `${id}: ${text}`);
        }
        // uPlot drew into its canvas.
        assert.equal(await page.locator('#chart-messages canvas').count(), 1);
        await page.waitForSelector('#chart-messages .latest:text-matches("^in: [1-9]")', {
          timeout: 8000,
        });
      } finally {
        clearInterval(timer);
        await page.close();
      }
    });

    test('a client connected by the test appears in the table and is disconnected from it', async () => {
      const id = `dash-${process.pid}-${Date.now()}`;
      const client = await clients.connect(petrel.mqtt, { clientId: id });
      const page = await open('clients');
      try {
        await page.fill('#clients-search', id.slice(0, -3));
        const row = page.locator(`tr[data-client-id="${id}"]`);
        await row.waitFor({ timeout: 5000 });
        assert.match((await row.textContent()) ?? '', /MQTT 5\.0/);
        // From the keyboard: focus the row's button and press Enter.
        await page.getByRole('button', { name: `Disconnect ${id}` }).focus();
        // Waited for from here: opening the page and finding the row may take seconds on a
        // loaded machine, and the wait has its own time limit.
        const closed = once(client, 'close');
        await page.keyboard.press('Enter');
        await closed;
        await row.waitFor({ state: 'detached', timeout: 5000 });
        assert.equal(await page.textContent('#clients-status'), `Disconnected ${id}.`);
      } finally {
        await page.close();
      }
    });

    test('a retained message published by the test shows in the topic tree with its payload', async () => {
      const base = uniqueTopic('retained');
      const publisher = await clients.connect(petrel.mqtt);
      await publisher.publish(`${base}/temp`, '21.5 °C', { qos: 1, retain: true });
      await publisher.publish(`${base}/raw`, new Uint8Array([0xff, 0x00, 0x10]), {
        qos: 1,
        retain: true,
      });
      const page = await open('retained');
      try {
        await page.fill('#retained-filter', `${base}/#`);
        await page.press('#retained-filter', 'Enter');
        // Branches are <details>: the leaves sit under the levels of `base`, closed at first.
        const leaf = page.locator(`button[data-topic="${base}/temp"]`);
        await leaf.waitFor({ state: 'attached', timeout: 5000 });
        for (const summary of await page.locator('#retained-tree summary').all()) {
          await summary.click();
        }
        await leaf.click();
        await page.waitForSelector('#retained-payload');
        assert.equal(await page.textContent('#retained-payload'), '21.5 °C');
        await page.click(`button[data-topic="${base}/raw"]`);
        await page.waitForSelector('#retained-detail h3:has-text("/raw")');
        assert.equal(await page.textContent('#retained-payload'), '0xff0010');
      } finally {
        await page.close();
      }
    });

    test('an offline session shows its subscriptions, gets one added and one removed, and is deleted', async () => {
      const id = `dash-session-${process.pid}-${Date.now()}`;
      const filter = uniqueTopic('session');
      const c = await clients.connect(petrel.mqtt, {
        clientId: id,
        clean: false,
        properties: { sessionExpiryInterval: 300 },
      });
      await c.subscribe(filter, { qos: 1 });
      await c.disconnect();
      const page = await open('sessions');
      try {
        const row = page.locator(`#sessions-rows tr[data-client-id="${id}"]`);
        await row.waitFor({ timeout: 5000 });
        assert.match((await row.textContent()) ?? '', /offline/);
        await page.click(`button[aria-label="Show session ${id}"]`);
        await page.waitForSelector(`#session-subs td:has-text("${filter}")`, { timeout: 5000 });
        // Add a subscription from the form, remove the client's own: the table is read back.
        const added = `${filter}/added`;
        await page.fill('#session-sub-filter', added);
        await page.selectOption('#session-sub-qos', '2');
        await page.press('#session-sub-filter', 'Enter');
        await page.waitForSelector(`#session-subs tr:has-text("${added}") >> td:text-is("2")`, {
          timeout: 5000,
        });
        await page.click(`button[aria-label="Remove subscription ${filter}"]`);
        await page.waitForSelector(`#sessions-status:has-text("Removed ${filter} from ${id}.")`);
        assert.deepEqual(await page.locator('#session-subs tbody td.id').allTextContents(), [
          added,
        ]);
        await page.click('#session-detail button:has-text("Delete session")');
        await row.waitFor({ state: 'detached', timeout: 5000 });
        assert.equal(await page.textContent('#sessions-status'), `Deleted the session of ${id}.`);
      } finally {
        await page.close();
      }
    });

    test('the WebSocket panel publishes to a subscriber started by the test, and receives', async () => {
      const topic = uniqueTopic('from-dashboard');
      const toPage = uniqueTopic('to-dashboard');
      const subscriber = await clients.connect(petrel.mqtt);
      await subscriber.subscribe(topic, { qos: 1 });
      const page = await open('websocket');
      try {
        // The URL comes from GET /api/v1/broker's listeners.
        assert.equal(await page.inputValue('#ws-url'), `ws://127.0.0.1:${petrel.wsPort}/mqtt`);
        await page.click('#ws-connect');
        await page.waitForSelector('#ws-state:has-text("Connected to")', { timeout: 5000 });

        await page.fill('#ws-filter', toPage);
        await page.selectOption('#ws-sub-qos', '1');
        await page.click('#ws-subscribe');
        await page.waitForSelector(`#ws-log li:has-text("subscribed to ${toPage}")`);
        await subscriber.publish(toPage, 'hello page', { qos: 1 });
        await page.waitForSelector(`#ws-log li:has-text("${toPage} (QoS 1): hello page")`, {
          timeout: 5000,
        });

        const arrived = nextMessages(subscriber, 1, 5000);
        await page.fill('#ws-topic', topic);
        await page.fill('#ws-payload', 'hello from the dashboard');
        await page.selectOption('#ws-pub-qos', '1');
        await page.click('#ws-publish');
        const [m] = await arrived;
        assert.equal(m?.topic, topic);
        assert.equal(m?.payload.toString(), 'hello from the dashboard');
        assert.equal(m?.qos, 1);
        await page.click('#ws-disconnect');
        await page.waitForSelector('#ws-state:has-text("Not connected")');
      } finally {
        await page.close();
      }
    });

    test('at phone size nothing overflows sideways and every view is reachable by keyboard', async () => {
      const page = await open('overview', { width: 390, height: 844 });
      try {
        await page.waitForSelector('#chart-connections[data-points="1"]', { timeout: 8000 });
        for (const view of ['clients', 'sessions', 'retained', 'users', 'websocket', 'overview']) {
          // Tab to the view's link and follow it with Enter: focus lands on the view's heading.
          await page.locator(`#nav a[href="#${view}"]`).focus();
          await page.keyboard.press('Enter');
          // Strings run in the page (these tests compile without the DOM's types).
          await page.waitForFunction(
            `location.hash === '#${view}' && document.activeElement?.tagName === 'H2'`,
            undefined,
            { timeout: 5000 },
          );
          const overflow = await page.evaluate<number>(
            'document.documentElement.scrollWidth - document.documentElement.clientWidth',
          );
          assert.ok(overflow <= 0, `#${view} is ${overflow}px wider than a 390px screen`);
        }
        // Back on the overview (the loop ends there): a screenshot with its charts drawn.
        await page.waitForSelector('#chart-connections[data-points="2"]', { timeout: 8000 });
        mkdirSync('.tmp', { recursive: true });
        await page.screenshot({ path: '.tmp/dashboard-phone.png', fullPage: true });
      } finally {
        await page.close();
      }
    });

    test('the page made no request beyond the broker', () => {
      assert.ok(requested.length > 0);
      const ours = [petrel.http, `ws://127.0.0.1:${petrel.wsPort}`];
      const foreign = requested.filter((u) => !ours.some((o) => u.startsWith(o)));
      assert.deepEqual(foreign, []);
    });
  });
}
