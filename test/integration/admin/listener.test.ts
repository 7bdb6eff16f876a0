// The admin HTTP listener: probes, bearer tokens (never cookies), the refusal to serve an open API
// beyond loopback, HTTPS, and its end with the broker.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startAdmin } from '../../../src/admin/index.js';
import { startBroker } from '../../helpers/broker.js';
import { makeCerts } from '../client/certs.js';
import { call, startWithAdmin } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdef';

describe('admin listener', () => {
  test('healthz and readyz answer; readyz turns 503 once the broker closes', async () => {
    const f = await startWithAdmin();
    try {
      assert.deepEqual((await call(f.admin.url, '/healthz')).json, { status: 'ok' });
      const ready = await call(f.admin.url, '/readyz');
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.json, { status: 'ok', listeners: true, store: true });
      assert.match(f.admin.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await f.close();
    }
  });

  test('the broker closes its admin listener on close()', async () => {
    const f = await startWithAdmin();
    await f.close();
    await assert.rejects(call(f.admin.url, '/healthz'), /ECONNREFUSED/);
  });

  test('with tokens: 401 without, with a wrong one, or with the token in a cookie; 200 with it', async () => {
    const f = await startWithAdmin({ tokens: [TOKEN] });
    try {
      const none = await call(f.admin.url, '/api/v1/broker');
      assert.equal(none.status, 401);
      assert.equal(none.json.error, 'unauthorized');
      assert.equal(none.headers['www-authenticate'], 'Bearer realm="petrel"');
      assert.equal((await call(f.admin.url, '/metrics', { token: `${TOKEN}x` })).status, 401);
      const cookie = await call(f.admin.url, '/api/v1/broker', {
        headers: { cookie: `token=${TOKEN}; authorization=Bearer ${TOKEN}` },
      });
      assert.equal(cookie.status, 401);
      const basic = await call(f.admin.url, '/api/v1/broker', {
        headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
      });
      assert.equal(basic.status, 401);
      const ok = await call(f.admin.url, '/api/v1/broker', { token: TOKEN });
      assert.equal(ok.status, 200);
      // An unknown path is refused like a known one: a 404 would tell which routes exist.
      for (const method of ['GET', 'POST', 'DELETE']) {
        const unknown = await call(f.admin.url, '/api/v1/nothing', { method });
        assert.equal(unknown.status, 401, `${method} /api/v1/nothing without a token`);
        assert.equal(unknown.json.error, 'unauthorized');
        const known = await call(f.admin.url, '/api/v1/nothing', { method, token: TOKEN });
        assert.equal(known.status, 404, `${method} /api/v1/nothing with the token`);
      }
      // The probes stay open for orchestrators.
      assert.equal((await call(f.admin.url, '/healthz')).status, 200);
      assert.equal((await call(f.admin.url, '/readyz')).status, 200);
    } finally {
      await f.close();
    }
  });

  test('a host other than loopback without tokens is refused before anything is bound', async () => {
    const b = await startBroker();
    try {
      await assert.rejects(
        startAdmin(b.broker, { port: 0, host: '0.0.0.0' }),
        /0\.0\.0\.0 is not a loopback address: refusing to serve the admin API there without credentials/,
      );
      await assert.rejects(
        startAdmin(b.broker, { port: 0, tokens: ['short'] }),
        /http\.tokens\[0\]: must be a string of at least 16 characters/,
      );
      await assert.rejects(
        startAdmin(b.broker, { port: 0, certFile: '/x.pem' }),
        /http\.keyFile: HTTPS needs both/,
      );
      // With a token the same host is served.
      const a = await startAdmin(b.broker, { port: 0, host: '0.0.0.0', tokens: [TOKEN] });
      assert.equal(
        (await call(`http://127.0.0.1:${a.address.port}`, '/api/v1/broker')).status,
        401,
      );
      await a.close();
    } finally {
      await b.close();
    }
  });

  test('HTTPS with a certificate and key', async () => {
    const certs = makeCerts();
    const f = await startWithAdmin({ certFile: certs.serverCert, keyFile: certs.serverKey });
    try {
      assert.match(f.admin.url, /^https:/);
      const ca = readFileSync(certs.ca);
      const r = await call(f.admin.url, '/healthz', { ca });
      assert.equal(r.status, 200);
      await assert.rejects(call(f.admin.url.replace('https:', 'http:'), '/healthz'));
    } finally {
      await f.close();
      certs.remove();
    }
  });

  test('unknown routes get a JSON 404', async () => {
    const f = await startWithAdmin();
    try {
      const r = await call(f.admin.url, '/api/v1/nothing');
      assert.equal(r.status, 404);
      assert.equal(r.json.error, 'not_found');
    } finally {
      await f.close();
    }
  });

  test('staticDir serves files at / and nothing outside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'petrel-static-'));
    writeFileSync(join(dir, 'index.html'), '<h1>petrel</h1>');
    writeFileSync(join(dir, 'app.js'), 'export {}');
    const f = await startWithAdmin({ staticDir: dir });
    try {
      const index = await call(f.admin.url, '/');
      assert.equal(index.text, '<h1>petrel</h1>');
      assert.match(String(index.headers['content-type']), /text\/html/);
      assert.match(
        String((await call(f.admin.url, '/app.js')).headers['content-type']),
        /javascript/,
      );
      assert.equal((await call(f.admin.url, '/%2e%2e/%2e%2e/etc/passwd')).status, 404);
      assert.equal((await call(f.admin.url, '/missing.js')).status, 404);
      // The API still wins over the catch-all.
      assert.equal((await call(f.admin.url, '/healthz')).json.status, 'ok');
    } finally {
      await f.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
