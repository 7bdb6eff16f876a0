// mosquitto.conf → Petrel options: a table with every key Petrel knows (mapped, warned about or
// refused), Mosquitto's defaults, the man page's and Debian's example files, and the bridge hook.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { resolveOptions } from '../../../src/broker/options.js';
import { KEYS } from '../../../src/config/mosquitto-keys.js';
import type { BridgeMapper } from '../../../src/config/mosquitto-map.js';
import {
  convertMosquittoFile,
  formatWarning,
  MOSQUITTO_DEFAULTS,
} from '../../../src/config/mosquitto-map.js';
import { MosquittoConfigError } from '../../../src/config/mosquitto-read.js';
import { tempConfs } from '../../helpers/mosquitto-fixtures.js';

const t = tempConfs();
after(() => t.remove());

function convert(text: string, bridges?: BridgeMapper) {
  const path = t.write(text);
  const r = convertMosquittoFile(path, bridges === undefined ? {} : { bridges });
  return { ...r, path, lines: r.warnings.map((w) => formatWarning(w).replace(`${path}:`, '')) };
}

/**
 * Each row: config lines, the options they must produce (a subset of the result), and whether a
 * warning comes with them (the WARNED table checks its text).
 */
const MAPPED: Array<[string, Record<string, unknown>, 'warns'?]> = [
  [
    'listener 1883',
    { listeners: [{ type: 'tcp', port: 1883, host: '0.0.0.0' }], allowAnonymous: false },
  ],
  ['listener 1884 127.0.0.1', { listeners: [{ type: 'tcp', port: 1884, host: '127.0.0.1' }] }],
  ['bind_address 127.0.0.1', { listeners: [{ type: 'tcp', port: 1883, host: '127.0.0.1' }] }],
  [
    'listener 1883\nbind_interface lo',
    { listeners: [{ type: 'tcp', port: 1883, host: '127.0.0.1' }] },
  ],
  ['listener 1883\nsocket_domain ipv6', { listeners: [{ type: 'tcp', port: 1883, host: '::' }] }],
  [
    'listener 1883\nsocket_domain ipv4',
    { listeners: [{ type: 'tcp', port: 1883, host: '0.0.0.0' }] },
  ],
  [
    'listener 9001\nprotocol websockets',
    { listeners: [{ type: 'ws', port: 9001, host: '0.0.0.0', path: '*' }] },
  ],
  ['listener 1883\nprotocol mqtt', { listeners: [{ type: 'tcp', port: 1883, host: '0.0.0.0' }] }],
  [
    'listener 1883\nmax_connections 50',
    { listeners: [{ type: 'tcp', port: 1883, host: '0.0.0.0', maxConnections: 50 }] },
  ],
  [
    'listener 1883\nmax_connections -1',
    { listeners: [{ type: 'tcp', port: 1883, host: '0.0.0.0' }] },
  ],
  ['listener 1883\nmax_qos 1', { maximumQoS: 1 }],
  ['listener 1883\nmax_topic_alias 5', { topicAliasMaximum: 5 }],
  [
    'listener 8883\ncertfile /c.pem\nkeyfile /k.pem\ncafile /ca.pem\ncrlfile /crl.pem\nrequire_certificate true\nuse_identity_as_username true\ntls_version tlsv1.3\nciphers ECDHE-RSA-AES128-GCM-SHA256\ntls_keyform pem',
    {
      listeners: [
        {
          type: 'tls',
          port: 8883,
          host: '0.0.0.0',
          certFile: '/c.pem',
          keyFile: '/k.pem',
          caFile: '/ca.pem',
          crlFile: '/crl.pem',
          requireCertificate: true,
          useIdentityAsUsername: true,
          tlsMinVersion: 'TLSv1.3',
          ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
        },
      ],
    },
  ],
  [
    'listener 8081\nprotocol websockets\ncertfile /c.pem\nkeyfile /k.pem\ntls_version tlsv1.2',
    {
      listeners: [
        {
          type: 'wss',
          port: 8081,
          host: '0.0.0.0',
          path: '*',
          certFile: '/c.pem',
          keyFile: '/k.pem',
          tlsMinVersion: 'TLSv1.2',
        },
      ],
    },
  ],
  [
    'password_file /etc/mosquitto/passwd\nacl_file /etc/mosquitto/acl',
    { passwordFile: '/etc/mosquitto/passwd', aclFile: '/etc/mosquitto/acl' },
  ],
  ['listener 1883\nallow_anonymous true', { allowAnonymous: true }],
  ['allow_zero_length_clientid false', { allowEmptyClientId: false }],
  [
    'per_listener_settings true\nlistener 1883\nallow_anonymous true\npassword_file /p\nlistener 1884\npassword_file /p',
    {
      listeners: [
        { type: 'tcp', port: 1883, host: '0.0.0.0', allowAnonymous: true },
        { type: 'tcp', port: 1884, host: '0.0.0.0', allowAnonymous: false },
      ],
      allowAnonymous: true,
      passwordFile: '/p',
    },
  ],
  [
    'per_listener_settings false\nlistener 1883\nallow_anonymous true\nlistener 1884',
    { allowAnonymous: true },
  ],
  ['listener 0 /run/mosquitto.sock', { listeners: [], allowAnonymous: false }, 'warns'],
  ['max_inflight_messages 10', { maxInflight: 10, receiveMaximum: 10 }],
  ['max_inflight_messages 0', { maxInflight: 65535, receiveMaximum: 65535 }],
  ['max_queued_messages 5', { maxQueuedMessages: 5 }],
  ['max_queued_messages 0', { maxQueuedMessages: 100_000_000 }],
  ['max_queued_bytes 1000', { maxQueuedBytes: 1000 }],
  ['max_packet_size 1000', { maxPacketSize: 1000 }],
  ['max_packet_size 0', { maxPacketSize: 268_435_460 }],
  ['message_size_limit 1000', { maxPacketSize: 1000 + 5 + 2 + 65_535 + 2 }, 'warns'],
  ['message_size_limit 1000\nmax_packet_size 2000', { maxPacketSize: 2000 }, 'warns'],
  ['max_keepalive 60', { maxKeepAlive: 60 }],
  // mosquitto.conf(5)'s three examples: 2m, 14d, 1y.
  ['persistent_client_expiration 2m', { maxSessionExpiryInterval: 2 * 30 * 86_400 }],
  ['persistent_client_expiration 14d', { maxSessionExpiryInterval: 14 * 86_400 }],
  ['persistent_client_expiration 1y', { maxSessionExpiryInterval: 365 * 86_400 }],
  ['persistent_client_expiration 3h', { maxSessionExpiryInterval: 3 * 3600 }],
  ['persistent_client_expiration 2w', { maxSessionExpiryInterval: 14 * 86_400 }],
  ['retain_available false', { retainAvailable: false }],
  ['queue_qos0_messages true', { queueQos0Messages: true }],
  ['sys_interval 0', { sysInterval: 0 }],
  ['persistence true', { durability: 'sync' }],
  ['persistence false', { durability: 'none' }],
  [
    'persistence true\npersistence_location /var/lib/mosquitto/',
    { durability: 'sync', dataDir: '/var/lib/mosquitto/petrel' },
  ],
  ['log_type error', { logLevel: 'error' }],
  ['log_type error\nlog_type warning', { logLevel: 'warn' }],
  ['log_type error warning notice information', { logLevel: 'info' }],
  ['log_type subscribe', { logLevel: 'info' }],
  ['log_type all', { logLevel: 'debug' }],
  ['log_type debug', { logLevel: 'debug' }],
  ['log_type websockets', { logLevel: 'debug' }],
  ['log_type none', { logLevel: 'silent' }],
  ['log_dest none', { logLevel: 'silent' }],
  ['log_dest stderr', {}],
  // Values that ask for what Petrel does anyway: accepted without a warning.
  ['set_tcp_nodelay true', {}],
  ['upgrade_outgoing_qos false', {}],
  ['allow_duplicate_messages true', {}],
  ['check_retain_source false', {}],
  ['max_inflight_bytes 0', {}],
];

/** Keys Petrel cannot honour: a warning naming the line and what happens instead. */
const WARNED: Array<[string, RegExp]> = [
  ['port 1885', /^1: port: deprecated in Mosquitto; read as the default listener's port$/],
  [
    'listener 9001\nprotocol websockets\nhttp_dir /var/www',
    /^3: http_dir: not supported; the WebSocket listener serves no HTTP files$/,
  ],
  ['websockets_log_level 255', /^1: websockets_log_level: not supported; /],
  ['websockets_headers_size 4096', /^1: websockets_headers_size: not supported; /],
  [
    'listener 8883\nuse_subject_as_username true',
    /^2: use_subject_as_username: not supported; clients on this listener log in with their MQTT user name/,
  ],
  [
    'listener 8883\ntls_version tlsv1.1',
    /^2: tls_version tlsv1\.1: Petrel accepts TLS 1\.2 and up$/,
  ],
  [
    'listener 8883\nciphers_tls1.3 TLS_AES_128_GCM_SHA256',
    /^2: ciphers_tls1\.3: not supported; TLS 1\.3 uses Node's default/,
  ],
  ['dhparamfile /dh.pem', /^1: dhparamfile: not supported; /],
  ['psk_file /psk', /^1: psk_file: not supported; no listener uses pre-shared keys/],
  ['auto_id_prefix x-', /^1: auto_id_prefix: not supported; /],
  ['auth_plugin_deny_special_chars true', /^1: auth_plugin_deny_special_chars: not supported; /],
  ['auth_opt_db_host localhost', /^1: auth_opt_db_host: not supported; there are no plugins/],
  [
    'check_retain_source true',
    /^1: check_retain_source true: not supported; a retained message is sent to every subscriber allowed to read it/,
  ],
  ['max_inflight_bytes 100', /^1: max_inflight_bytes: not supported; /],
  ['max_packet_size 30', /^1: max_packet_size: Petrel accepts no less than 64; using 64$/],
  ['message_size_limit 1000', /^1: message_size_limit: Petrel limits whole packets; /],
  ['memory_limit 1000000', /^1: memory_limit: not supported; /],
  [
    'set_tcp_nodelay false',
    /^1: set_tcp_nodelay false: not supported; Petrel always sets TCP_NODELAY$/,
  ],
  [
    'upgrade_outgoing_qos true',
    /^1: upgrade_outgoing_qos true: not supported; messages keep the QoS/,
  ],
  [
    'allow_duplicate_messages false',
    /^1: allow_duplicate_messages false: not supported; each client receives a message once/,
  ],
  ['persistence_file my.db', /^1: persistence_file: not supported; the store is a directory/],
  ['autosave_interval 60', /^1: autosave_interval: not supported; every change is committed/],
  ['autosave_on_changes true', /^1: autosave_on_changes: not supported; /],
  ['log_dest syslog', /^1: log_dest syslog: not supported; the log goes to stderr/],
  [
    'log_dest file /var/log/mosquitto.log',
    /^1: log_dest file: not supported; the log goes to stderr/,
  ],
  ['log_facility 5', /^1: log_facility: not supported; /],
  ['log_timestamp false', /^1: log_timestamp: not supported; /],
  ['log_timestamp_format %Y-%m-%dT%H:%M:%S', /^1: log_timestamp_format: not supported; /],
  [
    'connection_messages true',
    /^1: connection_messages: not supported; connections are logged at debug level$/,
  ],
  [
    'pid_file /run/mosquitto.pid',
    /^1: pid_file: not supported; pass --pid-file FILE to petrel broker$/,
  ],
  ['user mosquitto', /^1: user: not supported; /],
  [
    'listener 0 /run/mosquitto.sock',
    /^1: listener: unix sockets are not supported; this listener is not opened$/,
  ],
  [
    'per_listener_settings true\nlistener 1883\npassword_file /p\nlistener 1884',
    /^3: password_file: Petrel has one password_file: it applies to every listener$/,
  ],
  [
    'per_listener_settings true\nlistener 1883\nacl_file /a\nlistener 1884',
    /^3: acl_file: Petrel has one acl_file: it applies to every listener$/,
  ],
  [
    'per_listener_settings true\nlistener 1883\nallow_zero_length_clientid false\nlistener 1884',
    /^3: allow_zero_length_clientid: Petrel decides this for all listeners; false everywhere$/,
  ],
  [
    'listener 1883\nmax_qos 1\nlistener 1884',
    /^2: max_qos: Petrel applies one value to all listeners; the lowest, 1, everywhere$/,
  ],
  [
    'listener 1883\nmax_topic_alias 20\nlistener 1884',
    /^2: max_topic_alias: Petrel applies one value to all listeners; the lowest, 10, everywhere$/,
  ],
  [
    'connection remote\naddress 10.0.0.1 10.0.0.2\ntopic a/# out',
    /^1: connection remote: round_robin false is not supported/,
  ],
];

/** Lines Petrel refuses: an error naming file and line. */
const REFUSED: Array<[string, RegExp]> = [
  [
    'listener 1883\nmount_point tenant/',
    /:2: mount_point: not supported: Petrel has no per-listener topic prefix/,
  ],
  ['listener 1883\nuse_username_as_clientid true', /:2: use_username_as_clientid: not supported: /],
  [
    'listener 8883\ncapath /etc/ssl/certs',
    /:2: capath: not supported: put the CA certificates into one PEM file/,
  ],
  ['listener 8883\npsk_hint hint', /:2: psk_hint: not supported: TLS-PSK listeners/],
  ['tls_engine pkcs11', /:1: tls_engine: not supported: /],
  ['tls_engine_kpass_sha1 abc', /:1: tls_engine_kpass_sha1: not supported: /],
  ['tls_keyform engine', /:1: tls_keyform: only pem is supported/],
  [
    'auth_plugin /usr/lib/mosquitto_dynamic_security.so',
    /:1: auth_plugin: not supported: Petrel cannot load Mosquitto plugins/,
  ],
  [
    'plugin /usr/lib/mosquitto_dynamic_security.so',
    /:1: plugin: not supported: Petrel cannot load Mosquitto plugins/,
  ],
  ['clientid_prefixes secure-', /:1: clientid_prefixes: not supported: /],
  ['colour blue', /:1: colour: unknown key/],
  [
    'listener 1883\n\nallow_anonymous maybe',
    /:3: allow_anonymous: expected true or false, got 'maybe'/,
  ],
  [
    'max_inflight_messages 12x',
    /:1: max_inflight_messages: expected an integer from 0 to 65535, got '12x'/,
  ],
  ['listener 70000', /:1: listener: expected an integer from 0 to 65535, got '70000'/],
  ['listener 1883 127.0.0.1 extra', /:1: listener: expected PORT \[ADDRESS\]/],
  ['max_packet_size 10', /:1: max_packet_size: below 20 bytes is forbidden/],
  ['listener 1883\nsocket_domain ipx', /:2: socket_domain: expected ipv4 or ipv6/],
  ['listener 1883\nprotocol http', /:2: protocol: expected mqtt or websockets, got 'http'/],
  ['listener 8883\ncertfile /c.pem', /:2: certfile and keyfile must be given together/],
  [
    'per_listener_settings true\nlistener 1883\npassword_file /a\nlistener 1884\npassword_file /b',
    /:5: password_file: Petrel has one password_file for all listeners, and .*:3 names another; use one file/,
  ],
  [
    'persistent_client_expiration 14 days',
    /:1: persistent_client_expiration: expected a number followed by h, d, w, m or y/,
  ],
  ['log_type verbose', /:1: log_type: unknown type 'verbose'/],
  ['log_dest file', /:1: log_dest file: expected a file name/],
  ['log_dest printer', /:1: log_dest: unknown destination 'printer'/],
  [
    'listener 1883\nmax_connections 0',
    /:2: max_connections: expected -1 \(no limit\) or a positive integer/,
  ],
  [
    'listener 1883\nbind_interface petrel-no-such0',
    /:2: bind_interface: no interface 'petrel-no-such0'/,
  ],
  ['max_qos 3', /:1: max_qos: expected an integer from 0 to 2, got '3'/],
];

describe('every mosquitto.conf key', () => {
  for (const [text, expected, warns] of MAPPED) {
    test(`${text.replaceAll('\n', ' / ')} → ${JSON.stringify(expected)}`, () => {
      const { config, lines } = convert(text);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(config[key], value, key);
      }
      if (warns === undefined) assert.deepEqual(lines, [], 'no warnings');
      else assert.equal(lines.length, 1);
    });
  }
  for (const [text, warning] of WARNED) {
    test(`${text.replaceAll('\n', ' / ')} warns`, () => {
      const { lines } = convert(text);
      assert.ok(
        lines.some((l) => warning.test(l)),
        `expected ${warning}, got ${JSON.stringify(lines)}`,
      );
    });
  }
  for (const [text, error] of REFUSED) {
    test(`${text.replaceAll('\n', ' / ')} is refused`, () => {
      assert.throws(
        () => convert(text),
        (err: unknown) =>
          err instanceof MosquittoConfigError &&
          error.test(err.message) &&
          err.message.startsWith(t.dir),
      );
    });
  }

  test('the table covers every key the reader knows', () => {
    const seen = new Set<string>();
    for (const [text] of [...MAPPED, ...WARNED, ...REFUSED]) {
      for (const line of text.split('\n')) seen.add(line.split(' ')[0] as string);
    }
    const missing = Object.keys(KEYS).filter((k) => !seen.has(k));
    assert.deepEqual(missing, []);
  });
});

describe("Mosquitto's defaults", () => {
  test("an empty file: Mosquitto 2.0's limits, memory only, and the local-only listener with anonymous access", () => {
    const { config, lines } = convert('# nothing\n');
    assert.equal(config.maxTopicLevels, 200);
    assert.equal(config.maxClientIdLength, 65535);
    assert.equal(config.listeners, undefined, "Petrel's default: 127.0.0.1:1883");
    assert.deepEqual(lines, []);
    assert.deepEqual(config, { ...MOSQUITTO_DEFAULTS, durability: 'none', allowAnonymous: true });
  });

  test('every documented default written out gives the same effective options as leaving it out', () => {
    const a = convertMosquittoFile(t.fixture('documented-defaults.conf'));
    const b = convertMosquittoFile(t.fixture('listener.conf'));
    assert.deepEqual(resolveOptions(a.config), resolveOptions(b.config));
  });
});

describe('example files', () => {
  test("Debian's /etc/mosquitto/mosquitto.conf: persistence in the LMDB store, include_dir read, pid_file and log_dest warned", () => {
    const path = t.fixture('debian-default.conf');
    const r = convertMosquittoFile(path);
    assert.equal(r.config.durability, 'sync');
    assert.equal(r.config.dataDir, `${t.dir}/petrel`);
    assert.equal(r.config.listeners, undefined);
    assert.equal(r.config.allowAnonymous, true);
    assert.deepEqual(
      r.warnings.map((w) => [w.file, w.line, w.message.split(':')[0]]),
      [
        [path, 6, 'pid_file'],
        [path, 11, 'log_dest file'],
      ],
    );
  });

  test('per_listener_settings: a certificate listener and an anonymous one', () => {
    const r = convertMosquittoFile(t.fixture('per-listener.conf'));
    const listeners = r.config.listeners as Array<Record<string, unknown>>;
    assert.equal(listeners.length, 2);
    assert.deepEqual(
      listeners.map((l) => [
        l.type,
        l.port,
        l.allowAnonymous,
        l.requireCertificate,
        l.useIdentityAsUsername,
      ]),
      [
        ['tls', 8883, false, true, true],
        ['tcp', 1883, true, undefined, undefined],
      ],
    );
    assert.equal(r.config.allowAnonymous, true);
    assert.deepEqual(r.warnings, []);
  });

  test('an MQTT and a WebSocket listener', () => {
    const r = convertMosquittoFile(t.fixture('websockets.conf'));
    assert.deepEqual(r.config.listeners, [
      { type: 'tcp', port: 1883, host: '0.0.0.0' },
      { type: 'ws', port: 9001, host: '0.0.0.0', path: '*' },
    ]);
  });

  test('the bridge examples of mosquitto.conf(5) become bridges', () => {
    const r = convertMosquittoFile(t.fixture('bridge-remap.conf'));
    // Two addresses without round_robin: Mosquitto would keep returning to the first.
    assert.deepEqual(
      r.warnings.map((w) => [w.line, w.message.replace(/;.*/, '')]),
      [[8, 'connection remap-tree: round_robin false is not supported']],
    );
    assert.deepEqual(r.config.bridges, [
      {
        name: 'test-mosquitto-org',
        addresses: ['test.mosquitto.org'],
        cleanSession: true,
        topics: [
          {
            pattern: 'clients/total',
            direction: 'in',
            qos: 0,
            localPrefix: 'test/mosquitto/org/',
            remotePrefix: '$SYS/broker/',
          },
        ],
      },
      {
        name: 'remap-tree',
        addresses: ['broker.example:1883', 'backup.example:1884'],
        topics: [
          {
            pattern: '#',
            direction: 'both',
            qos: 2,
            localPrefix: 'local/topic/',
            remotePrefix: 'remote/topic/',
          },
        ],
        restartTimeout: 20,
      },
      {
        name: 'backoff',
        addresses: ['broker.example'],
        topics: [{ pattern: 'sensors/#', direction: 'out', qos: 1 }],
        restartTimeout: [10, 30],
      },
    ]);
  });
});

describe('the bridge mapper hook', () => {
  test('receives every connection section and its result becomes `bridges`', () => {
    let got: unknown;
    const mapper: BridgeMapper = (sections, warn) => {
      got = sections.map((s) => [s.name, s.line, s.directives.map((d) => d.key)]);
      warn(sections[0] as { file: string; line: number }, 'checked');
      return sections.map((s) => ({ name: s.name }));
    };
    const r = convert('connection a\naddress h1\ntopic # out\nconnection b\naddress h2\n', mapper);
    assert.deepEqual(got, [
      ['a', 1, ['address', 'topic']],
      ['b', 4, ['address']],
    ]);
    assert.deepEqual(r.config.bridges, [{ name: 'a' }, { name: 'b' }]);
    assert.deepEqual(r.lines, ['1: checked']);
  });
});
