// The users view of `petrel broker --dynamic-security` in headless Chromium at phone size, driven
// from the keyboard: a role whose rule denies a topic and a user with that role are made in the
// editor; the user connects with its password (Petrel's client) and its subscription to the
// denied topic is refused; disabled, then deleted, it cannot connect. A screenshot of the editor
// at phone size is written to .tmp/dashboard-users-phone.png for a human look.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { MqttClient } from '../../../src/client/client.js';
import { connect } from '../../../src/client/connect.js';
import { CHROMIUM, launchChromium } from '../../helpers/chromium.js';
import { killAll } from '../../helpers/cli.js';
import type { DashboardBroker } from './petrel.js';
import { startDashboardBroker } from './petrel.js';

function login(url: string, username: string, password: string): Promise<MqttClient> {
  return connect(url, { username, password, reconnect: false, connectTimeout: 3000 });
}

/** Submits a form from the keyboard: focus its submit button, press Enter. */
async function submit(page: Page, form: string): Promise<void> {
  await page.focus(`${form} button[type="submit"]`);
  await page.keyboard.press('Enter');
}

/** Types a role's name and rules into the roles form and submits it. */
async function saveRole(page: Page, name: string, rules: string): Promise<void> {
  await page.fill('#role-name', name);
  await page.fill('#role-rules', rules);
  await submit(page, '#role-form');
}

/** Opens the users view, waiting for the editor. */
async function openEditor(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/#users`);
  await page.waitForSelector('#role-form');
}

if (CHROMIUM !== undefined) {
  describe('dashboard users editor (dynamic security)', { timeout: 45_000 }, () => {
    let browser: Browser;
    let petrel: DashboardBroker;

    before(async () => {
      [browser, petrel] = await Promise.all([
        launchChromium(),
        startDashboardBroker(['--dynamic-security']),
      ]);
    });
    after(async () => {
      await browser?.close();
      await petrel?.close();
      killAll();
    });

    test('a user made in the editor connects, its role’s deny rule stops a subscription, and disabled or deleted it cannot connect', async () => {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      try {
        await openEditor(page, petrel.http);
        await saveRole(page, 'cams', 'deny:subscribe:cams/private/#\nallow:subscribe:cams/#');
        await page.waitForSelector('#users-status:has-text("Saved cams (2 rules).")');
        await page.waitForSelector('#role-rows tr[data-role="cams"]');

        await page.fill('#user-name', 'eve');
        await page.fill('#user-password', 'eve-secret');
        await page.fill('#user-roles', 'cams');
        // Enter in a text field submits its form, as in any HTML form.
        await page.focus('#user-password');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#users-status:has-text("Added eve.")');
        await page.waitForSelector('#users-rows tr[data-user="eve"]');
        // The password went into the request only: not in the page, and its field was emptied.
        assert.equal(await page.inputValue('#user-password'), '');
        assert.ok(!((await page.textContent('body')) ?? '').includes('eve-secret'));
        const overflow = await page.evaluate<number>(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        );
        assert.ok(overflow <= 0, `the editor is ${overflow}px wider than a 390px screen`);
        mkdirSync('.tmp', { recursive: true });
        await page.screenshot({ path: '.tmp/dashboard-users-phone.png', fullPage: true });

        const eve = await login(petrel.mqtt, 'eve', 'eve-secret');
        const { granted } = await eve.subscribe(['cams/private/1', 'cams/door']);
        assert.deepEqual(
          granted.map((g) => g.reasonCode),
          [0x87, 0],
        );
        await assert.rejects(login(petrel.mqtt, 'eve', 'wrong'));

        await page.focus('button[aria-label="Disable eve"]');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#users-status:has-text("Disabled eve.")');
        // Its open connection was closed, and it cannot connect again.
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('eve not disconnected within 3 s')), 3000);
          if (eve.state === 'closed') {
            clearTimeout(t);
            resolve();
          } else
            eve.once('close', () => {
              clearTimeout(t);
              resolve();
            });
        });
        await assert.rejects(login(petrel.mqtt, 'eve', 'eve-secret'), /not authori[sz]ed/i);

        await page.click('button[aria-label="Enable eve"]');
        await page.waitForSelector('#users-status:has-text("Enabled eve.")');
        await (await login(petrel.mqtt, 'eve', 'eve-secret')).disconnect();

        await page.click('button[aria-label="Delete eve"]');
        await page.waitForSelector('#users-status:has-text("Deleted eve.")');
        await page.waitForSelector('#users-rows tr[data-user="eve"]', { state: 'detached' });
        await assert.rejects(login(petrel.mqtt, 'eve', 'eve-secret'));
      } finally {
        await page.close();
      }
    });

    test('a user bound to a client id in the editor connects with that id only', async () => {
      const page = await browser.newPage();
      try {
        await openEditor(page, petrel.http);
        await page.fill('#user-name', 'cam7');
        await page.fill('#user-password', 'cam7-secret');
        await page.fill('#user-client-id', 'cam-7');
        await submit(page, '#user-add');
        await page.waitForSelector('#users-rows tr[data-user="cam7"] td:has-text("cam-7")');
        const ok = await connect(petrel.mqtt, {
          clientId: 'cam-7',
          username: 'cam7',
          password: 'cam7-secret',
          reconnect: false,
          connectTimeout: 3000,
        });
        await ok.disconnect();
        await assert.rejects(login(petrel.mqtt, 'cam7', 'cam7-secret'), /not authori[sz]ed/i);
        // Unbound from the change form ("-"), it connects with any client id.
        await page.fill('#change-user', 'cam7');
        await page.fill('#change-client-id', '-');
        await submit(page, '#user-change');
        await page.waitForSelector('#users-status:has-text("Changed cam7.")');
        await (await login(petrel.mqtt, 'cam7', 'cam7-secret')).disconnect();
      } finally {
        await page.close();
      }
    });

    test('a bad rule is named in the status line and nothing is sent', async () => {
      const page = await browser.newPage();
      try {
        await openEditor(page, petrel.http);
        await saveRole(page, 'broken', 'allow:subscribe:a/#\nsubscribe to everything');
        await page.waitForSelector('#users-status:has-text("line 2: expected allow|deny")');
        // A filter only the broker can judge: its 400 names the field.
        await saveRole(page, 'broken', 'allow:subscribe:a/#/b');
        await page.waitForSelector('#users-status:has-text("body.rules[0].topic")');
        assert.equal(await page.locator('#role-rows tr[data-role="broken"]').count(), 0);
      } finally {
        await page.close();
      }
    });
  });
}
