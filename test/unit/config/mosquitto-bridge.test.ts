// mosquitto.conf `connection` sections → `bridges`: every bridge key of mosquitto.conf(5), with a
// warning (file:line) for those Petrel cannot honour and an error (file:line) for bad values.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { resolveBridges } from '../../../src/bridge/options.js';
import { convertMosquittoFile, formatWarning } from '../../../src/config/mosquitto-map.js';
import { BRIDGE_KEYS, MosquittoConfigError } from '../../../src/config/mosquitto-read.js';
import { tempConfs } from '../../helpers/mosquitto-fixtures.js';

const t = tempConfs();
after(() => t.remove());

const HEAD = 'connection hq\naddress 10.0.0.1\ntopic a/# out\n';

function bridgeOf(lines: string) {
  const path = t.write(HEAD + lines);
  const r = convertMosquittoFile(path);
  return {
    bridge: (r.config.bridges as Array<Record<string, unknown>>)[0] as Record<string, unknown>,
    warnings: r.warnings.map((w) => formatWarning(w).replace(`${path}:`, '')),
  };
}

/** Each row: a line after HEAD (so on line 4) and the bridge keys it must produce. */
const MAPPED: Array<[string, Record<string, unknown>]> = [
  [
    'address 10.0.0.2:1884 10.0.0.3\nround_robin true',
    { addresses: ['10.0.0.1', '10.0.0.2:1884', '10.0.0.3'] },
  ],
  ['addresses h4\nround_robin true', { addresses: ['10.0.0.1', 'h4'] }],
  [
    'topic b/+ both 2 l/ r/',
    {
      topics: [
        { pattern: 'a/#', direction: 'out' },
        { pattern: 'b/+', direction: 'both', qos: 2, localPrefix: 'l/', remotePrefix: 'r/' },
      ],
    },
  ],
  [
    'topic "" in 1 local/t remote/t',
    {
      topics: [
        { pattern: 'a/#', direction: 'out' },
        { pattern: '', direction: 'in', qos: 1, localPrefix: 'local/t', remotePrefix: 'remote/t' },
      ],
    },
  ],
  [
    'topic c in 1 "" r/',
    {
      topics: [
        { pattern: 'a/#', direction: 'out' },
        { pattern: 'c', direction: 'in', qos: 1, remotePrefix: 'r/' },
      ],
    },
  ],
  ['remote_clientid edge-7', { remoteClientId: 'edge-7' }],
  ['clientid edge-8', { remoteClientId: 'edge-8' }],
  ['local_clientid site', { localClientId: '$bridge/site' }],
  ['local_clientid $bridge/x', { localClientId: '$bridge/x' }],
  ['remote_username u', { username: 'u' }],
  ['username u2', { username: 'u2' }],
  ['remote_password p w', { password: 'p w' }],
  ['password p2', { password: 'p2' }],
  ['bridge_protocol_version mqttv50', { protocolVersion: 5 }],
  ['bridge_protocol_version mqttv311', { protocolVersion: 4 }],
  ['cleansession true', { cleanSession: true }],
  ['keepalive_interval 30', { keepalive: 30 }],
  ['restart_timeout 10', { restartTimeout: 10 }],
  ['restart_timeout 2 60', { restartTimeout: [2, 60] }],
  ['try_private false', { tryPrivate: false }],
  ['notifications false', { notifications: false }],
  ['notification_topic bridges/hq', { notificationTopic: 'bridges/hq' }],
  ['bridge_cafile /etc/ca.pem', { tls: { caFile: '/etc/ca.pem' }, transport: 'mqtts' }],
  ['bridge_certfile c.pem\nbridge_keyfile k.pem', { tls: { certFile: 'c.pem', keyFile: 'k.pem' } }],
  ['bridge_insecure true', { tls: { insecure: true } }],
  ['bridge_max_packet_size 2048', { maxPacketSize: 2048 }],
  ['start_type automatic', {}],
];

/** Keys Petrel reads with a warning on line 4. */
const WARNED: Array<[string, RegExp]> = [
  ['bridge_alpn x', /^4: bridge_alpn: not supported/],
  ['bridge_attempt_unsubscribe false', /^4: bridge_attempt_unsubscribe: ignored/],
  ['bridge_bind_address 10.0.0.9', /^4: bridge_bind_address: not supported/],
  ['bridge_capath /etc/ssl/certs', /^4: bridge_capath: not supported; use bridge_cafile/],
  ['bridge_identity id', /^4: bridge_identity: not supported/],
  ['bridge_psk 0a0b', /^4: bridge_psk: not supported/],
  ['bridge_outgoing_retain false', /^4: bridge_outgoing_retain: ignored/],
  ['bridge_require_ocsp true', /^4: bridge_require_ocsp: not supported/],
  ['bridge_tls_version tlsv1.2', /^4: bridge_tls_version: ignored/],
  ['idle_timeout 60', /^4: idle_timeout: ignored/],
  ['local_cleansession true', /^4: local_cleansession: ignored/],
  ['local_username me', /^4: local_username: ignored; the bridge is trusted/],
  ['local_password pw', /^4: local_password: ignored; the bridge is trusted/],
  ['notifications_local_only true', /^4: notifications_local_only: ignored/],
  ['addresses h4', /^1: connection hq: round_robin false is not supported/],
  ['address h4\nround_robin false', /^1: connection hq: round_robin false is not supported/],
  ['threshold 10', /^4: threshold: ignored/],
  ['start_type lazy', /^4: start_type: lazy is not supported/],
  ['bridge_protocol_version mqttv31', /^4: bridge_protocol_version: mqttv31 is not offered/],
];

/** Lines refused with an error naming file and line. */
const REFUSED: Array<[string, RegExp]> = [
  ['topic a/# sideways', /:4: topic: direction must be in, out or both/],
  ['topic a/# out 3', /:4: topic: expected an integer from 0 to 2/],
  ['topic a/# out 1 local/', /:4: topic: a local prefix needs a remote prefix/],
  ['topic a/# out 1 l/ r/ extra', /:4: topic: too many values/],
  ['cleansession maybe', /:4: cleansession: expected true or false/],
  ['bridge_protocol_version mqttv6', /:4: bridge_protocol_version: expected/],
  ['keepalive_interval -1', /:4: keepalive_interval: expected an integer/],
  ['restart_timeout 10 5', /:4: restart_timeout: expected an integer from 10/],
  [
    'topic a/#/b out',
    /:1: connection hq\.topics\[1\]\.pattern: 'a\/#\/b' is not a valid topic filter/,
  ],
];

describe('mosquitto.conf bridges', () => {
  for (const [line, expected] of MAPPED) {
    test(`${line.replaceAll('\n', ' / ')} maps`, () => {
      const { bridge, warnings } = bridgeOf(line);
      assert.deepEqual(warnings, []);
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(bridge[k], v, k);
      // What the mapper produces is a valid Petrel bridge.
      assert.equal(resolveBridges([bridge]).length, 1);
    });
  }
  for (const [line, warning] of WARNED) {
    test(`${line} warns`, () => {
      const { warnings } = bridgeOf(line);
      assert.ok(
        warnings.some((w) => warning.test(w)),
        JSON.stringify(warnings),
      );
    });
  }
  for (const [line, error] of REFUSED) {
    test(`${line} is refused`, () => {
      assert.throws(
        () => bridgeOf(line),
        (err: unknown) => err instanceof MosquittoConfigError && error.test(err.message),
      );
    });
  }

  test('a section without address or topic is refused, naming its line', () => {
    const path = t.write('log_type all\nconnection lonely\ntopic a/#\n');
    assert.throws(() => convertMosquittoFile(path), {
      message: `${path}:2: connection lonely: no address`,
    });
    const path2 = t.write('connection quiet\naddress h\n');
    assert.throws(() => convertMosquittoFile(path2), {
      message: `${path2}:1: connection quiet: no topic`,
    });
  });

  test('every bridge key of mosquitto.conf(5) is covered by these tables', () => {
    const seen = new Set(['connection', 'address', 'topic']);
    for (const [text] of [...MAPPED, ...WARNED, ...REFUSED]) {
      for (const line of text.split('\n')) seen.add(line.split(' ')[0] as string);
    }
    assert.deepEqual(
      [...BRIDGE_KEYS].filter((k) => !seen.has(k)),
      [],
    );
  });

  test('two sections become two bridges, in order', () => {
    const path = t.write(
      'connection a\naddress h1\ntopic x\nconnection b\naddress h2\ntopic y in\n',
    );
    const r = convertMosquittoFile(path);
    assert.deepEqual(r.config.bridges, [
      { name: 'a', addresses: ['h1'], topics: [{ pattern: 'x' }] },
      { name: 'b', addresses: ['h2'], topics: [{ pattern: 'y', direction: 'in' }] },
    ]);
  });
});
