#!/usr/bin/env node
// Bundles the web dashboard (src/admin/dashboard) into dist/src/admin/dashboard: index.html,
// app.js and app.css, with uPlot and Petrel's browser client inside, so that the page makes no
// request beyond the broker's own HTTP and WebSocket listeners. Run by `npm run build` after
// `tsc -b`; the admin listener serves these files at `/` (src/admin/routes-dashboard.ts).
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const src = `${root}src/admin/dashboard/`;
const out = `${root}dist/src/admin/dashboard/`;

mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: `${src}main.ts` },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  // The client's Buffer stand-in (as in test/interop/browser.test.ts); the Node-only transports
  // (TCP, TLS, the `ws` package) are behind dynamic imports the page never reaches.
  inject: [`${root}src/client/browser/buffer.ts`],
  external: ['node:*', 'ws'],
  logLevel: 'warning',
});
copyFileSync(`${src}index.html`, `${out}index.html`);
