// Reload under load: many publishing clients, an ACL reload and a certificate reload; nobody is
// dropped and the new ACL is in force at once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Acl, createAuthHooks } from '../../../src/auth/index.js';
import { publishOf, RawClient } from '../../helpers/broker.js';
import { makeCerts, mqttConnect, portOf, start, trust } from './helpers.js';

// The number. Client and server ends share this process, so it needs two descriptors per
// client: a machine whose limit is lower fails here, naming the limit, rather than testing fewer.
const CLIENTS = 1000;

/** The soft limit on open files, from /proc (Node has no getrlimit). */
function openFileLimit(): number {
  const m = readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+(\d+|unlimited)/m);
  return m === null || m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

test('ACL and certificate reload under load (1000 publishing clients): no connection dropped, new ACL effective', async () => {
  const limit = openFileLimit();
  assert.ok(
    limit >= 2 * CLIENTS + 256,
    `open-file limit ${limit} is too low for ${CLIENTS} clients in one process (raise ulimit -n)`,
  );
  const certs = makeCerts();
  const hooks = createAuthHooks({
    acl: Acl.parse('pattern readwrite load/%c/#\ntopic readwrite load/#\n'),
    allowAnonymous: true,
  });
  const broker = await start({
    certFile: certs.serverCert,
    keyFile: certs.serverKey,
    tlsPort: 0,
    maxConnections: CLIENTS + 10,
    hooks: {
      authorizePublish: (c, m) => hooks.authorizePublish(c, m),
      authorizeSubscribe: (c, s) => hooks.authorizeSubscribe(c, s),
      authorizeRead: (c, t) => hooks.authorizeRead(c, t),
    },
  });
  const clients: RawClient[] = [];
  let running = true;
  try {
    const port = portOf(broker, 'tcp');
    for (let i = 0; i < CLIENTS; i++) {
      const { client } = await RawClient.connect(port, 5, { clientId: `c${i}` });
      clients.push(client);
    }
    const tlsClient = await mqttConnect(`mqtts://localhost:${portOf(broker, 'tls')}`, trust(certs));
    let disconnects = 0;
    broker.on('clientDisconnected', () => disconnects++);
    const pump = (async () => {
      let rounds = 0;
      while (running) {
        for (let i = 0; i < clients.length; i++) {
          (clients[i] as RawClient).send(publishOf(`load/c${i}/t`, 'x', 0));
        }
        rounds++;
        await new Promise((r) => setTimeout(r, 5));
      }
      return rounds;
    })();
    await new Promise((r) => setTimeout(r, 200));
    // Reload: only each client's own subtree stays writable.
    hooks.setAcl(Acl.parse('pattern readwrite load/%c/#\n'));
    await broker.reauthorizeSubscriptions();
    await broker.reloadCertificates();
    await new Promise((r) => setTimeout(r, 200));
    running = false;
    const rounds = await pump;
    assert.ok(rounds > 5, `only ${rounds} rounds published`);

    // Everyone is still connected…
    assert.equal(disconnects, 0);
    assert.equal(broker.stats.connected, CLIENTS + 1);
    assert.equal(tlsClient.connected, true);
    // …and the new ACL holds: c0 may no longer publish into c1's subtree.
    const probe = clients[0] as RawClient;
    probe.send(publishOf('load/c1/t', 'x', 1, 9));
    for (;;) {
      const p = await probe.next();
      if (p.type === 4) {
        assert.equal(p.reasonCode, 0x87);
        break;
      }
    }
    tlsClient.end(true);
  } finally {
    running = false;
    for (const c of clients) c.destroy();
    await broker.close();
    certs.remove();
  }
});
