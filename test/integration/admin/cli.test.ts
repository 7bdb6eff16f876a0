// `petrel broker --http-port`: the admin listener of the command line, its flags and its config
// section, as a real process.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { killAll, runCli, startCli } from '../../helpers/cli.js';
import { call } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-http-cli-'));
const TOKEN = 'cli-token-0123456789abcdef';

describe('petrel broker --http-port', () => {
  after(() => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves the probes, /metrics and the API; a reload through the API is logged, a failed one answers 500 naming the file', async () => {
    const cfg = join(dir, 'broker.json');
    writeFileSync(cfg, JSON.stringify({ maxInflight: 7 }));
    const p = startCli(
      ['broker', '-p', '0', '-c', cfg, '--durability', 'none', '--http-port', '0'],
      {
        cwd: dir,
      },
    );
    try {
      const url = (await p.waitFor(/admin API on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
      assert.equal((await call(url, '/readyz')).json.status, 'ok');
      assert.match((await call(url, '/metrics')).text, /^petrel_connects_total 0$/m);
      const info = await call(url, '/api/v1/broker');
      assert.equal(info.json.config.maxInflight, 7);
      assert.equal(info.json.config.configFile, cfg);
      assert.equal(info.json.listeners[0].type, 'tcp');
      const r = await call(url, '/api/v1/broker/reload', { method: 'POST' });
      assert.deepEqual(r.json, { reloaded: true });
      await p.waitFor('configuration reloaded');
      // A file that no longer parses: the answer says so (the previous configuration stays).
      writeFileSync(cfg, '{ "maxInflight": ');
      const bad = await call(url, '/api/v1/broker/reload', { method: 'POST' });
      assert.equal(bad.status, 500);
      assert.equal(bad.json.error, 'reload_failed');
      assert.match(bad.json.message, /configuration: .*broker\.json/);
      assert.equal((await call(url, '/api/v1/broker')).json.config.maxInflight, 7);
    } finally {
      assert.equal(await p.stop('SIGTERM'), 0);
    }
  });

  test('a token file closes the API; --http-host 0.0.0.0 without one refuses to start', async () => {
    const refused = await runCli(
      ['broker', '-p', '0', '--durability', 'none', '--http-port', '0', '--http-host', '0.0.0.0'],
      { cwd: dir },
    );
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /0\.0\.0\.0 is not a loopback address: refusing to serve the admin API/,
    );

    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, `# admin tokens\n${TOKEN}\n\n`);
    const p = startCli(
      [
        'broker',
        '-p',
        '0',
        '--durability',
        'none',
        '--http-port',
        '0',
        '--http-token-file',
        tokens,
      ],
      { cwd: dir },
    );
    try {
      const url = (await p.waitFor(/admin API on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
      assert.equal((await call(url, '/api/v1/broker')).status, 401);
      const ok = await call(url, '/api/v1/broker', { token: TOKEN });
      assert.equal(ok.status, 200);
      assert.equal(ok.json.config.http.tokenFile, '[redacted]');
    } finally {
      assert.equal(await p.stop('SIGTERM'), 0);
    }
  });

  test('without --http-port no HTTP code is loaded (fastify and prom-client stay on disk)', async () => {
    // NODE_DEBUG=module logs every CommonJS load, which is how both packages arrive.
    const loads = async (extra: string[]) => {
      const p = startCli(['broker', '-p', '0', '--durability', 'none', ...extra], {
        cwd: dir,
        env: { NODE_DEBUG: 'module' },
      });
      try {
        await p.waitFor(/listening on mqtt:/);
        if (extra.length > 0) await p.waitFor(/admin API on/);
      } finally {
        await p.stop('SIGTERM');
      }
      return /node_modules\/(fastify|prom-client)\//.test(p.stderr());
    };
    assert.equal(await loads([]), false);
    assert.equal(await loads(['--http-port', '0']), true, 'the check sees them when they load');
  });

  test('--schema describes the http section', async () => {
    const r = await runCli(['broker', '--schema']);
    const http = JSON.parse(r.stdout).properties.http;
    assert.equal(http.additionalProperties, false);
    assert.deepEqual(Object.keys(http.properties).sort(), [
      'certFile',
      'host',
      'keyFile',
      'port',
      'staticDir',
      'tokenFile',
      'tokens',
    ]);
    assert.equal(http.properties.tokens.items.minLength, 16);
  });

  test('a bad http section stops start-up naming the key', async () => {
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ http: { port: 'eighty' } }));
    const r = await runCli(['broker', '-c', cfg, '--durability', 'none'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.json: http\.port: must be an integer between 0 and 65535/);
    writeFileSync(cfg, JSON.stringify({ http: { port: 0, colour: 'red' } }));
    const r2 = await runCli(['broker', '-c', cfg, '--durability', 'none'], { cwd: dir });
    assert.match(r2.stderr, /http\.colour: unknown option/);
    const short = join(dir, 'short-tokens');
    writeFileSync(short, 'abc\n');
    const r3 = await runCli(
      ['broker', '-p', '0', '--durability', 'none', '--http-port', '0', '--http-token-file', short],
      { cwd: dir },
    );
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /short-tokens: token line\[0\]: must be a string of at least 16/);
  });
});
