// The dashboard's files at `/`: served without a token even when the listener has tokens (they
// hold no broker data; the page asks for a token when the API answers 401), while /metrics and
// the API stay closed; and the bundled dashboard is the default directory.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_DIR, dashboardProblem } from '../../../src/admin/dashboard-dir.js';
import { call, startWithAdmin } from './helpers.js';

const TOKEN = 'dashboard-files-token-0123456789';

describe('dashboard files on the admin listener', () => {
  test('with tokens: the files open without one, /metrics and the API do not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'petrel-dash-files-'));
    writeFileSync(join(dir, 'index.html'), '<title>dashboard</title>');
    writeFileSync(join(dir, 'app.js'), '"use strict";');
    const f = await startWithAdmin({ tokens: [TOKEN], staticDir: dir });
    try {
      const index = await call(f.admin.url, '/');
      assert.equal(index.status, 200);
      assert.equal(index.text, '<title>dashboard</title>');
      assert.equal((await call(f.admin.url, '/app.js')).status, 200);
      assert.equal((await call(f.admin.url, '/metrics')).status, 401);
      assert.equal((await call(f.admin.url, '/api/v1/broker')).status, 401);
      assert.equal((await call(f.admin.url, '/api/v1/broker', { token: TOKEN })).status, 200);
    } finally {
      await f.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the default directory is the bundle beside the compiled admin modules', () => {
    const compiledAdmin = fileURLToPath(new URL('../../../src/admin/', import.meta.url));
    assert.equal(DASHBOARD_DIR, join(compiledAdmin, 'dashboard/'));
    const empty = mkdtempSync(join(tmpdir(), 'petrel-dash-empty-'));
    try {
      assert.match(dashboardProblem(`${empty}/`) ?? '', /dashboard is not built .* npm run build/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
