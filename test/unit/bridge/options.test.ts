// Bridge options: Mosquitto's defaults, and every bad value refused with the field named.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { resolveBridges } from '../../../src/bridge/options.js';

const minimal = { name: 'hq', addresses: ['broker.example'], topics: [{ pattern: 'a/#' }] };

describe('bridge options', () => {
  it("applies Mosquitto's defaults", () => {
    const [b] = resolveBridges([minimal]);
    assert.ok(b !== undefined);
    assert.deepEqual(b.addresses, [{ host: 'broker.example', port: 1883 }]);
    assert.equal(b.remoteClientId, `${hostname()}.hq`);
    assert.equal(b.localClientId, '$bridge/hq');
    assert.equal(b.protocolVersion, 4);
    assert.equal(b.cleanSession, false);
    assert.equal(b.keepalive, 60);
    assert.equal(b.tryPrivate, true);
    assert.equal(b.notifications, true);
    assert.equal(b.notificationTopic, `$SYS/broker/connection/${hostname()}.hq/state`);
    assert.deepEqual([b.restartBase, b.restartCap], [5, 30]);
    assert.deepEqual(b.topics[0], {
      pattern: 'a/#',
      direction: 'out',
      qos: 0,
      localPrefix: '',
      remotePrefix: '',
      localFilter: 'a/#',
      remoteFilter: 'a/#',
    });
  });

  it('reads addresses with ports, IPv6 literals and the transport default port', () => {
    const [b] = resolveBridges([
      { ...minimal, transport: 'mqtts', addresses: ['a.example:8884', '[::1]:9000', '::1', 'b'] },
    ]);
    assert.deepEqual(b?.addresses, [
      { host: 'a.example', port: 8884 },
      { host: '::1', port: 9000 },
      { host: '::1', port: 8883 },
      { host: 'b', port: 8883 },
    ]);
  });

  it('joins prefixes and patterns into the filters of each side', () => {
    const [b] = resolveBridges([
      {
        ...minimal,
        restartTimeout: [1, 8],
        topics: [
          { pattern: 'x/+', direction: 'both', qos: 2, localPrefix: 'l/', remotePrefix: 'r/' },
        ],
      },
    ]);
    assert.equal(b?.topics[0]?.localFilter, 'l/x/+');
    assert.equal(b?.topics[0]?.remoteFilter, 'r/x/+');
    assert.deepEqual([b?.restartBase, b?.restartCap], [1, 8]);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['not an array', { name: 'x' }, /^bridges: must be an array/],
    [
      'no name',
      [{ addresses: ['h'], topics: [{ pattern: 'a' }] }],
      /^bridges\[0\]\.name: is required/,
    ],
    ['bad name', [{ ...minimal, name: 'a b' }], /^bridges\[0\]\.name: must be/],
    [
      'no addresses',
      [{ ...minimal, addresses: [] }],
      /^bridges\[0\]\.addresses: must be a non-empty/,
    ],
    [
      'bad port',
      [{ ...minimal, addresses: ['h:70000'] }],
      /^bridges\[0\]\.addresses\[0\]: 'h:70000'/,
    ],
    ['no topics', [{ ...minimal, topics: [] }], /^bridges\[0\]\.topics: must be a non-empty/],
    [
      'bad qos',
      [{ ...minimal, topics: [{ pattern: 'a', qos: 3 }] }],
      /^bridges\[0\]\.topics\[0\]\.qos: must be one of 0, 1, 2/,
    ],
    [
      'bad direction',
      [{ ...minimal, topics: [{ pattern: 'a', direction: 'up' }] }],
      /topics\[0\]\.direction: must be one of in, out, both/,
    ],
    [
      'wildcard prefix',
      [{ ...minimal, topics: [{ pattern: 'a', localPrefix: '#/' }] }],
      /topics\[0\]\.localPrefix: must not contain/,
    ],
    [
      'bad filter',
      [{ ...minimal, topics: [{ pattern: 'a/#/b' }] }],
      /topics\[0\]\.pattern: 'a\/#\/b' is not a valid topic filter/,
    ],
    ['unknown key', [{ ...minimal, adress: 'x' }], /^bridges\[0\]\.adress: unknown bridge option/],
    [
      'bad version',
      [{ ...minimal, protocolVersion: 3 }],
      /^bridges\[0\]\.protocolVersion: must be one of 4, 5/,
    ],
    [
      'bad keepalive',
      [{ ...minimal, keepalive: -1 }],
      /^bridges\[0\]\.keepalive: must be an integer/,
    ],
    ['bad restart', [{ ...minimal, restartTimeout: [9, 2] }], /^bridges\[0\]\.restartTimeout:/],
    [
      'local id outside $bridge/',
      [{ ...minimal, localClientId: 'me' }],
      /^bridges\[0\]\.localClientId: must start with '\$bridge\/'/,
    ],
    [
      'key without cert',
      [{ ...minimal, tls: { keyFile: 'k.pem' } }],
      /^bridges\[0\]\.tls: certFile and keyFile go together/,
    ],
    [
      'wildcard notification topic',
      [{ ...minimal, notificationTopic: 'a/#' }],
      /notificationTopic: must be a topic name/,
    ],
    [
      'duplicate name',
      [minimal, { ...minimal, localClientId: '$bridge/other' }],
      /^bridges\[1\]\.name: 'hq' is used by another bridge/,
    ],
    [
      'duplicate local id',
      [minimal, { ...minimal, name: 'b', localClientId: '$bridge/hq' }],
      /^bridges\[1\]\.localClientId: '\$bridge\/hq' is used/,
    ],
  ];
  for (const [what, input, message] of bad) {
    it(`refuses ${what}, naming the field`, () => {
      assert.throws(() => resolveBridges(input), { message });
    });
  }
});
