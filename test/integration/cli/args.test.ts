// Flag parsing shared by pub/sub/rr, without spawning processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientOptions, parseArgs, UsageError } from '../../../src/cli/common.js';
import { formatMessage, isoLocal } from '../../../src/cli/output.js';
import type { Message } from '../../../src/client/types.js';

test('-L carries credentials, host, port and a topic with wildcards', () => {
  const a = parseArgs(['-L', 'mqtt://us%40er:p%3Ass@broker.example:1999/a/+/#'], []);
  assert.equal(a.username, 'us@er');
  assert.equal(a.password, 'p:ss');
  assert.equal(a.urlTopic, 'a/+/#');
  const o = clientOptions(a, 'petrel_sub');
  assert.equal(o.url, 'mqtt://us%40er:p%3Ass@broker.example:1999/a/+/#');
  assert.equal(o.username, 'us@er');
});

test('-D groups v5 properties by packet; user-property takes a name and a value', () => {
  const a = parseArgs(
    [
      '-V',
      '5',
      '-D',
      'publish',
      'user-property',
      'k',
      'v',
      '-D',
      'publish',
      'user-property',
      'k',
      'w',
      '-D',
      'publish',
      'content-type',
      'text/plain',
      '-D',
      'connect',
      'session-expiry-interval',
      '60',
      '-D',
      'connect',
      'request-problem-information',
      '1',
      '-D',
      'subscribe',
      'subscription-identifier',
      '9',
      '-D',
      'will',
      'will-delay-interval',
      '5',
    ],
    [],
  );
  assert.deepEqual(a.properties.publish, {
    userProperties: [
      ['k', 'v'],
      ['k', 'w'],
    ],
    contentType: 'text/plain',
  });
  assert.deepEqual(a.properties.connect, {
    sessionExpiryInterval: 60,
    requestProblemInformation: true,
  });
  assert.equal(a.properties.subscribe.subscriptionIdentifier, 9);
  assert.equal(a.properties.will.willDelayInterval, 5);
  assert.throws(() => parseArgs(['-D', 'subscribe', 'content-type', 'x'], []), UsageError);
  assert.throws(() => parseArgs(['-D', 'publish', 'colour', 'x'], []), /unknown property 'colour'/);
});

test('-c under v5 asks for a session that does not expire unless -x says otherwise', () => {
  const never = clientOptions(parseArgs(['-V', '5', '-c', '-i', 'x'], []), 'petrel_sub');
  assert.equal(never.clean, false);
  assert.equal(never.properties?.sessionExpiryInterval, 0xffffffff);
  const sixty = clientOptions(
    parseArgs(['-V', '5', '-c', '-i', 'x', '-x', '60'], []),
    'petrel_sub',
  );
  assert.equal(sixty.properties?.sessionExpiryInterval, 60);
});

test('TLS flags switch to mqtts:// on 8883; IPv6 hosts are bracketed; --opt=value works', () => {
  const o = clientOptions(parseArgs(['--insecure', '--tls', '-h', '::1'], []), 'petrel_pub');
  assert.equal(o.url, 'mqtts://[::1]:8883');
  assert.equal(o.tls?.rejectUnauthorized, false);
  const p = parseArgs(['--port=1999', '--qos=2'], []);
  assert.equal(p.port, 1999);
  assert.equal(p.qos, 2);
});

test('bad combinations are refused with the flag named', () => {
  assert.throws(() => parseArgs(['-i', 'a', '-I', 'b'], []), /'-i' and '-I'/);
  assert.throws(() => parseArgs(['-c'], []), /'-c' needs a client id/);
  assert.throws(() => parseArgs(['-P', 'secret'], []), /'-P' needs '-u'/);
  assert.throws(() => parseArgs(['--will-payload', 'x'], []), /--will-topic/);
  assert.throws(() => parseArgs(['-k', '70000'], []), /'-k': 70000 is out of range/);
  assert.throws(() => parseArgs(['-L', 'http://x'], []), /unsupported URL scheme/);
  assert.throws(() => parseArgs(['-d=1'], []), /unknown option '-d=1'/);
});

test('-A, --unix and -M reach the client options; --nodelay is accepted', () => {
  const o = clientOptions(
    parseArgs(['-A', '127.0.0.2', '--unix', '/tmp/m.sock', '-M', '7', '--nodelay'], []),
    'petrel_pub',
  );
  assert.equal(o.localAddress, '127.0.0.2');
  assert.equal(o.socketPath, '/tmp/m.sock');
  assert.equal(o.maxInflight, 7);
});

test('-A, --unix, -M and -S refuse what cannot work, naming the flag', () => {
  assert.throws(() => parseArgs(['-M', '0'], []), /'-M': 0 is out of range/);
  assert.throws(() => parseArgs(['-A', 'eth0'], []), /'-A': 'eth0' is not an IP address/);
  assert.throws(
    () => parseArgs(['--unix', '/tmp/s', '-L', 'ws://h:8080/mqtt'], []),
    /'--unix' cannot be used with a WebSocket URL/,
  );
  assert.throws(() => parseArgs(['-S', '-p', '1883'], []), /'-S'/);
  assert.throws(() => parseArgs(['-S', '--unix', '/tmp/s'], []), /'-S'/);
});

test('-F expands every documented placeholder and escape', () => {
  const msg: Message = {
    topic: 'a/b',
    payload: Buffer.from('hi'),
    qos: 1,
    retain: true,
    dup: false,
    packetId: 0,
    properties: { contentType: 'text/plain', responseTopic: 'r', messageExpiryInterval: 9 },
  };
  assert.equal(
    formatMessage('%t|%p|%q|%r|%l|%x|%X|%C|%R|%E|%%|\\t|\\n', msg).toString(),
    'a/b|hi|1|1|2|6869|6869|text/plain|r|9|%|\t|\n',
  );
  assert.match(formatMessage('%U', msg).toString(), /^\d+\.\d{9}$/);
  assert.match(isoLocal(new Date()), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/);
  const j = JSON.parse(formatMessage('%j', msg).toString()) as Record<string, unknown>;
  assert.deepEqual([j.topic, j.payload, j.qos, j.retain], ['a/b', 'hi', 1, 1]);
});

test('--psk and --psk-identity give a TLS-PSK client on 8883; bad keys and mixes are refused', () => {
  const a = parseArgs(['--psk', 'DeadBeef01', '--psk-identity', 'dev1', '-h', 'b'], []);
  const o = clientOptions(a, 'petrel_pub');
  assert.equal(o.url, 'mqtts://b:8883');
  assert.deepEqual(o.tls?.psk, { identity: 'dev1', key: Buffer.from('deadbeef01', 'hex') });
  assert.equal(
    clientOptions(parseArgs(['--ciphers', 'PSK-AES128-CBC-SHA', '--tls'], []), 'x').tls?.ciphers,
    'PSK-AES128-CBC-SHA',
  );
  assert.throws(
    () => parseArgs(['--psk', '0xdead', '--psk-identity', 'd'], []),
    /'--psk'.*hexadecimal/,
  );
  assert.throws(() => parseArgs(['--psk', 'abc', '--psk-identity', 'd'], []), /'--psk'/);
  assert.throws(() => parseArgs(['--psk', 'abcd'], []), /'--psk' and '--psk-identity' go together/);
  assert.throws(() => parseArgs(['--psk-identity', 'd'], []), /go together/);
  assert.throws(
    () => parseArgs(['--psk', 'abcd', '--psk-identity', 'd', '--cafile', 'ca.pem'], []),
    /'--psk' replaces certificates/,
  );
});

test('--proxy takes a socks5h:// URL and reaches the client options; other schemes are refused', () => {
  const a = parseArgs(['--proxy', 'socks5h://u:p@proxy.example:1081'], []);
  assert.equal(clientOptions(a, 'petrel_sub').proxy, 'socks5h://u:p@proxy.example:1081');
  assert.throws(() => parseArgs(['--proxy', 'http://proxy:8080'], []), /'--proxy'.*socks5/);
  assert.throws(() => parseArgs(['--proxy', 'not a url'], []), /'--proxy'/);
  assert.throws(
    () => parseArgs(['--proxy', 'socks5h://p', '--unix', '/tmp/s'], []),
    /'--proxy' cannot be used with '--unix'/,
  );
});
