// The client bundled for the browser (esbuild, no Node polyfills: only the tiny Buffer shim in
// src/client/browser/buffer.ts) exchanges messages with the broker over WebSocket from headless
// Chromium. Part of `npm run test:interop`: .ci/run installs Debian's `chromium`, and a missing
// browser fails the suite rather than skipping it.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import type { TestBroker } from '../helpers/broker.js';
import { startBroker } from '../helpers/broker.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import type { MosquittoHandle } from '../helpers/mosquitto.js';
import { hasMosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { Clients, nextMessages, uniqueTopic } from '../integration/client/util.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The public client entry as one browser script exposing `globalThis.petrel`. */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [`${root}src/index.ts`],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'petrel',
    platform: 'browser',
    target: 'es2022',
    inject: [`${root}src/client/browser/buffer.ts`],
    // Reached only under Node (TCP, TLS and the `ws` package); the browser uses its WebSocket.
    external: ['node:*', 'ws'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

test('Debian chromium is installed for the browser interop test', () => {
  assert.ok(CHROMIUM, 'install Debian chromium (apt-get install chromium)');
});

if (CHROMIUM !== undefined) {
  describe('client in headless Chromium', () => {
    let browser: Browser;
    let broker: TestBroker;
    let mosquitto: MosquittoHandle | undefined;
    let script: string;
    let http: Server;
    let pageUrl: string;
    const clients = new Clients();
    before(async () => {
      [script, broker, browser, mosquitto] = await Promise.all([
        bundle(),
        startBroker({ wsPort: 0 }),
        launchChromium(),
        hasMosquitto() ? startMosquitto({ websockets: true }) : undefined,
      ]);
      // Served from loopback: Chromium blocks pages from elsewhere (about:blank included) from
      // opening connections to a local address.
      http = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><title>petrel</title><script>${script}</script>`);
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const addr = http.address();
      pageUrl = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}/`;
    });
    after(async () => {
      clients.closeAll();
      await browser.close();
      await broker.close();
      await mosquitto?.close();
      await new Promise((resolve) => http.close(resolve));
    });

    test('the bundle has no Node built-ins or Buffer polyfill', () => {
      assert.ok(script.length > 0);
      assert.doesNotMatch(script, /require\(["']buffer["']\)|from ["']buffer["']/);
      assert.doesNotMatch(script, /^import .* from ["']node:/m);
    });

    const targets: Array<[string, () => { ws: string; tcp: string }]> = [
      ['petrel', () => ({ ws: `ws://127.0.0.1:${broker.wsPort}/mqtt`, tcp: broker.url })],
    ];
    if (hasMosquitto()) {
      targets.push([
        'mosquitto',
        () => ({ ws: `ws://127.0.0.1:${mosquitto?.wsPort}/mqtt`, tcp: mosquitto?.url ?? '' }),
      ]);
    }
    for (const [name, target] of targets) {
      test(`publish and subscribe QoS 0-2 over ws:// from the page (${name})`, {
        timeout: 10_000,
      }, async () => {
        const page = await browser.newPage();
        try {
          await page.goto(pageUrl);
          const url = target().ws;
          const toPage = uniqueTopic('to-page');
          const fromPage = uniqueTopic('from-page');
          const node = await clients.connect(target().tcp);
          await node.subscribe(fromPage, { qos: 2 });
          const fromBrowser = nextMessages(node, 3, 5000);
          fromBrowser.catch(() => undefined); // awaited below; a page failure must not leave it unhandled
          // Runs in the page: connect, subscribe, wait for three messages from Node, publish three.
          const inPage = page.evaluate(
            async ({ url, toPage, fromPage }) => {
              type Msg = { topic: string; payload: Uint8Array; qos: number };
              type Client = {
                subscribe(f: string, o: object): Promise<unknown>;
                publish(t: string, p: string, o: object): Promise<unknown>;
                messages(f: string): AsyncIterable<Msg>;
                disconnect(): Promise<void>;
              };
              const lib = (
                globalThis as unknown as { petrel: { connect(u: string): Promise<Client> } }
              ).petrel;
              const client = await lib.connect(url);
              await client.subscribe(toPage, { qos: 2 });
              (globalThis as unknown as { ready: boolean }).ready = true;
              const got: string[] = [];
              for await (const m of client.messages(toPage)) {
                got.push(`${m.qos}:${new TextDecoder().decode(m.payload)}`);
                if (got.length === 3) break;
              }
              for (const qos of [0, 1, 2]) await client.publish(fromPage, `page-q${qos}`, { qos });
              await client.disconnect();
              return { got, hasBuffer: typeof (globalThis as { Buffer?: unknown }).Buffer };
            },
            { url, toPage, fromPage },
          );
          await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true);
          for (const qos of [0, 1, 2] as const) await node.publish(toPage, `node-q${qos}`, { qos });
          const result = await inPage;
          assert.deepEqual(result.got, ['0:node-q0', '1:node-q1', '2:node-q2']);
          assert.equal(result.hasBuffer, 'undefined');
          const msgs = await fromBrowser;
          assert.deepEqual(
            msgs.map((m) => `${m.qos}:${m.payload.toString()}`),
            ['0:page-q0', '1:page-q1', '2:page-q2'],
          );
        } finally {
          await page.close();
        }
      });
    }
  });
}
