// Differential test: the same ACL file loaded by Debian's Mosquitto broker and by Petrel's Acl must
// give the same publish and receive decisions, for every client and topic of a matrix. Subscribe
// decisions are not compared: Mosquitto 2.0's acl_file grants every SUBSCRIBE (see
// docs/security.md). The file avoids the two documented differences (a user's allow against a deny
// pattern, and identities containing '+', '#' or '/').
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import { Acl } from '../../../src/auth/acl.js';

const ACL = `
topic read public/#
topic write public/inbox
topic read sync/#

user admin
topic readwrite #

user alice
topic readwrite alice/#
topic deny alice/secret/#
topic read sensors/+/temp
topic write sensors/alice/cmd
topic read sync/#

user bob
topic read #
topic deny bob/private
topic write bob/out

pattern readwrite devices/%c/#
pattern read users/%u/inbox
pattern deny devices/%c/firmware
pattern read sync/%c
`;

const CLIENTS = [
  { clientId: 'dev1', username: 'alice' },
  { clientId: 'dev2', username: 'bob' },
  { clientId: 'dev3', username: 'carol' },
  { clientId: 'anon1', username: undefined },
];

const TOPICS = [
  'alice/a',
  'alice/secret/x',
  'sensors/k/temp',
  'sensors/alice/cmd',
  'bob/out',
  'bob/private',
  'public/x',
  'public/inbox',
  'devices/dev1/t',
  'devices/dev1/firmware',
  'devices/dev2/t',
  'devices/dev3/t',
  'devices/anon1/t',
  'users/alice/inbox',
  'users/bob/inbox',
  'users/carol/inbox',
  'other/x',
];

let dir = '';
let broker: ChildProcess | undefined;
let port = 0;
let brokerLog = '';
const clients: MqttClient[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
    });
  });
}

async function connect(clientId: string, username: string | undefined): Promise<MqttClient> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
        clientId,
        ...(username === undefined ? {} : { username }),
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 2000,
      });
      clients.push(c);
      return c;
    } catch (err) {
      // The broker may still be starting.
      if (Date.now() > deadline) throw new Error(`${String(err)}; mosquitto: ${brokerLog}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-acl-mosq-'));
  // Started as root, Mosquitto drops to its own user before reading the ACL file.
  chmodSync(dir, 0o755);
  port = await freePort();
  writeFileSync(join(dir, 'acl'), ACL);
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    `listener ${port} 127.0.0.1\nallow_anonymous true\nacl_file ${join(dir, 'acl')}\n` +
      'persistence false\nlog_dest stderr\nlog_type error\n',
  );
  broker = spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  broker.stderr?.setEncoding('utf8').on('data', (d: string) => {
    brokerLog += d;
  });
  broker.on('exit', (code) => {
    brokerLog += `[mosquitto exited with ${code}]`;
  });
});

after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  if (broker !== undefined && broker.exitCode === null) {
    const exited = new Promise((r) => broker?.once('exit', r));
    broker.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Collects topics received by `c` until `sync/<id>` arrives. */
function receiveUntil(c: MqttClient, sync: string): Promise<Set<string>> {
  return new Promise((resolve) => {
    const got = new Set<string>();
    c.on('message', (topic) => {
      if (topic === sync) resolve(got);
      else if (!topic.startsWith('sync/')) got.add(topic);
    });
  });
}

test('receive decisions match Mosquitto for every client and topic', async () => {
  const acl = Acl.parse(ACL);
  const admin = await connect('admin', 'admin');
  const waits: Promise<Set<string>>[] = [];
  for (const id of CLIENTS) {
    const c = await connect(id.clientId, id.username);
    await c.subscribeAsync('#', { qos: 1 });
    waits.push(receiveUntil(c, `sync/${id.clientId}`));
  }
  for (const t of TOPICS) await admin.publishAsync(t, t, { qos: 1 });
  // Same publisher, same QoS: the sync message arrives after every earlier one.
  for (const id of CLIENTS) await admin.publishAsync(`sync/${id.clientId}`, '', { qos: 1 });
  const received = await Promise.all(waits);
  CLIENTS.forEach((id, i) => {
    const checker = acl.checker(id);
    for (const t of TOPICS) {
      assert.equal(
        checker.canRead(t),
        received[i]?.has(t),
        `${id.username ?? '(anonymous)'}/${id.clientId} read ${t}`,
      );
    }
  });
  for (const c of clients.splice(0)) await c.endAsync(true);
});

test('publish decisions match Mosquitto for every client and topic', async () => {
  const acl = Acl.parse(ACL);
  const admin = await connect('admin2', 'admin');
  await admin.subscribeAsync('#', { qos: 1 });
  const seen = new Set<string>();
  let release: (() => void) | undefined;
  admin.on('message', (topic, payload) => {
    if (topic === 'sync/admin2') release?.();
    else seen.add(payload.toString());
  });
  for (const id of CLIENTS) {
    const c = await connect(id.clientId, id.username);
    // Mosquitto acknowledges a refused QoS 1 PUBLISH from a 3.1.1 client and drops it.
    for (const t of TOPICS) await c.publishAsync(t, `${id.clientId}|${t}`, { qos: 1 });
  }
  // Every PUBACK is in, so every allowed message is already queued for admin2 ahead of this one.
  const done = new Promise<void>((r) => {
    release = r;
  });
  await admin.publishAsync('sync/admin2', '', { qos: 1 });
  await done;
  for (const id of CLIENTS) {
    const checker = acl.checker(id);
    for (const t of TOPICS) {
      assert.equal(
        checker.canPublish(t),
        seen.has(`${id.clientId}|${t}`),
        `${id.username ?? '(anonymous)'}/${id.clientId} publish ${t}`,
      );
    }
  }
});
