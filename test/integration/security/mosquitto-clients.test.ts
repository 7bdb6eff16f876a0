// Debian's mosquitto_pub / mosquitto_sub against Petrel's TLS listener: CA, client certificate,
// user name and password from a password file, ACL.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  Acl,
  createAuthHooks,
  hashPassword,
  PasswordAuthenticator,
} from '../../../src/auth/index.js';
import type { Broker } from '../../../src/broker.js';
import type { TestCerts } from './helpers.js';
import { makeCerts, portOf, start } from './helpers.js';

const run = promisify(execFile);

describe('mosquitto_pub/mosquitto_sub over TLS with certificates and passwords', () => {
  let certs: TestCerts;
  let broker: Broker;
  let port: number;
  before(async () => {
    certs = makeCerts();
    const hash = await hashPassword('s3cret', { params: { ln: 4, r: 8, p: 1 } });
    const hooks = createAuthHooks({
      passwords: PasswordAuthenticator.fromText(`alice:${hash}\n`),
      acl: Acl.parse('user alice\ntopic readwrite lab/#\n'),
    });
    broker = await start({
      listeners: [
        {
          type: 'tls',
          port: 0,
          host: '127.0.0.1',
          certFile: certs.serverCert,
          keyFile: certs.serverKey,
          caFile: certs.ca,
          requireCertificate: true,
        },
      ],
      hooks: {
        authenticate: (r) => hooks.authenticate(r),
        authorizePublish: (c, m) => hooks.authorizePublish(c, m),
        authorizeSubscribe: (c, s) => hooks.authorizeSubscribe(c, s),
        authorizeRead: (c, t) => hooks.authorizeRead(c, t),
      },
    });
    port = portOf(broker, 'tls');
  });
  after(async () => {
    await broker.close();
    certs.remove();
  });

  const tlsArgs = (withCert = true) => [
    '-h',
    'localhost',
    '-p',
    String(port),
    '--cafile',
    certs.ca,
    ...(withCert ? ['--cert', certs.clientCert, '--key', certs.clientKey] : []),
  ];

  test('a subscriber and a publisher with --cafile, --cert/--key and -u/-P exchange a message', async () => {
    const sub = spawn(
      'mosquitto_sub',
      [...tlsArgs(), '-u', 'alice', '-P', 's3cret', '-t', 'lab/x', '-C', '1', '-W', '5', '-q', '1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    sub.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((r) => sub.on('exit', (c) => r(c)));
    // Wait until the subscription exists.
    const deadline = Date.now() + 4000;
    while (![...broker.sessions.values()].some((s) => s.subscriptions.has('lab/x'))) {
      assert.ok(Date.now() < deadline, 'mosquitto_sub did not subscribe');
      await new Promise((r) => setTimeout(r, 20));
    }
    await run('mosquitto_pub', [
      ...tlsArgs(),
      '-u',
      'alice',
      '-P',
      's3cret',
      '-t',
      'lab/x',
      '-m',
      'hello',
      '-q',
      '1',
    ]);
    assert.equal(await exited, 0);
    assert.equal(out.trim(), 'hello');
  });

  test('a wrong password is refused (return code 4) and so is a missing client certificate', async () => {
    await assert.rejects(
      run('mosquitto_pub', [...tlsArgs(), '-u', 'alice', '-P', 'nope', '-t', 'lab/x', '-m', 'x']),
      /not authorised|bad user name or password/i,
    );
    await assert.rejects(
      run('mosquitto_pub', [
        ...tlsArgs(false),
        '-u',
        'alice',
        '-P',
        's3cret',
        '-t',
        'lab/x',
        '-m',
        'x',
      ]),
    );
  });
});
