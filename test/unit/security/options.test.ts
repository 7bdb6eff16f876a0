import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { optionsJsonSchema, resolveOptions, validateOptions } from '../../../src/broker/options.js';

describe('security options', () => {
  test('listener objects take tls/wss types and the per-listener security keys', () => {
    assert.deepEqual(
      validateOptions(
        {
          listeners: [
            { type: 'tls', port: 8883, certFile: 'a', keyFile: 'b', requireCertificate: true },
            {
              type: 'wss',
              port: 8884,
              connectRate: 10,
              maxPendingConnects: 5,
              allowAnonymous: false,
            },
          ],
        },
        true,
      ),
      [],
    );
    assert.deepEqual(validateOptions({ listeners: [{ type: 'tls', port: 1, colour: 1 }] }, true), [
      'listeners: [0].colour: unknown listener option',
    ]);
    assert.deepEqual(
      validateOptions({ listeners: [{ type: 'tcp', port: 1, connectRate: -1 }] }, true),
      ['listeners: [0].connectRate must be an integer between 0 and 1000000'],
    );
    assert.deepEqual(validateOptions({ listeners: [{ type: 'quic', port: 1 }] }, true), [
      'listeners: [0].type must be one of tcp, tls, ws, wss',
    ]);
  });

  test('TLS versions below 1.2 cannot be configured', () => {
    assert.deepEqual(validateOptions({ tlsMinVersion: 'TLSv1.1' }), [
      'tlsMinVersion: must be one of TLSv1.2, TLSv1.3',
    ]);
  });

  test('a tls or wss listener without certFile and keyFile is refused, naming the listener', () => {
    assert.throws(
      () => resolveOptions({ tlsPort: 0 }),
      /listeners\[1\]: tls needs certFile and keyFile/,
    );
    assert.throws(
      () => resolveOptions({ listeners: [{ type: 'wss', port: 0, certFile: 'c' }] }),
      /listeners\[0\]: wss needs certFile and keyFile/,
    );
    const o = resolveOptions({ tlsPort: 8883, wssPort: 8884, certFile: 'c', keyFile: 'k' });
    assert.deepEqual(
      o.listeners.map((l) => l.type),
      ['tcp', 'tls', 'wss'],
    );
  });

  test('defaults: no rate limits, anonymous decided per listener, TLS 1.2 minimum', () => {
    const o = resolveOptions({});
    assert.equal(o.allowAnonymous, undefined);
    assert.equal(o.connectRate, 0);
    assert.equal(o.maxPublishRate, 0);
    assert.equal(o.maxByteRate, 0);
    assert.equal(o.maxPendingConnects, 1000);
    assert.equal(o.tlsMinVersion, 'TLSv1.2');
    assert.equal(o.watchCertificates, true);
  });

  test('the JSON schema describes the security keys, also inside listener objects', () => {
    const schema = optionsJsonSchema() as {
      properties: Record<string, { items?: { properties: Record<string, unknown> } }>;
    };
    for (const key of ['tlsPort', 'certFile', 'allowAnonymous', 'maxPublishRate', 'connectRate']) {
      assert.ok(schema.properties[key], key);
    }
    const item = schema.properties.listeners?.items?.properties ?? {};
    assert.deepEqual(item.type, { enum: ['tcp', 'tls', 'ws', 'wss'] });
    assert.ok(item.requireCertificate);
    assert.ok(item.maxConnections);
  });
});
