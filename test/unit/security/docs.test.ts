// The broker examples in docs/security.md and docs/config.md must be valid configurations.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { resolveOptions } from '../../../src/broker/options.js';
import { parseConfig } from '../../../src/cli/config.js';

const page = (name: string) =>
  readFileSync(new URL(`../../../../docs/${name}`, import.meta.url), 'utf8');

function jsonBlock(text: string, containing: string): unknown {
  for (const m of text.matchAll(/```json\n([\s\S]*?)```/g)) {
    if (m[1]?.includes(containing)) return JSON.parse(m[1]);
  }
  assert.fail(`no json block containing ${containing}`);
}

test('the hardened example of docs/security.md is a valid config with TLS listeners', () => {
  const cfg = parseConfig(jsonBlock(page('security.md'), '"requireCertificate"'), 'example');
  const { passwordFile: _p, aclFile: _a, ...broker } = cfg;
  const o = resolveOptions(broker);
  assert.deepEqual(
    o.listeners.map((l) => l.type),
    ['tcp', 'tls', 'wss'],
  );
  assert.equal(o.allowAnonymous, false);
  assert.equal(o.maxPublishRate, 200);
});

test('the example of docs/config.md is a valid config', () => {
  const cfg = parseConfig(jsonBlock(page('config.md'), '"port"'), 'example');
  assert.equal(typeof cfg.port, 'number');
});
