// The /api/v1 routes against a real broker and raw MQTT clients: clients, sessions,
// subscriptions, retained messages, publish, and the refusals (JSON errors naming the field,
// nothing half-applied).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { nextPublishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import type { AdminFixture } from './helpers.js';
import { call, startWithAdmin } from './helpers.js';

let f: AdminFixture;
const api = (path: string, o: Parameters<typeof call>[2] = {}) => call(f.admin.url, path, o);

/** A connected raw client (v5 unless asked otherwise) with a given id and session expiry. */
async function client(id: string, version: 4 | 5 = 5, extra: Record<string, unknown> = {}) {
  return (
    await RawClient.connect(f.port, version, {
      clientId: id,
      ...(version === 5 ? { properties: { sessionExpiryInterval: 0 } } : {}),
      ...extra,
    })
  ).client;
}

describe('admin API', () => {
  before(async () => {
    f = await startWithAdmin();
  });
  after(async () => {
    await f.close();
  });

  test('GET /clients filters by prefix, user and listener, and pages with a cursor', async () => {
    const cs = [
      await client('app-1', 5, { username: 'alice' }),
      await client('app-2', 4, { username: 'bob' }),
      await client('app-3', 5, { username: 'alice' }),
      await client('other', 5),
    ];
    try {
      const all = await api('/api/v1/clients?prefix=app-');
      assert.equal(all.status, 200);
      assert.equal(all.json.total, 3);
      assert.deepEqual(
        all.json.items.map((c: { clientId: string }) => c.clientId),
        ['app-1', 'app-2', 'app-3'],
      );
      const one = all.json.items[1];
      assert.equal(one.protocol, '3.1.1');
      assert.equal(one.username, 'bob');
      assert.equal(one.listener, 'tcp');
      assert.equal(one.address, '127.0.0.1');
      assert.equal(one.keepAlive, 30);
      assert.ok(Date.parse(one.connectedAt) > Date.now() - 60_000);
      const alice = await api('/api/v1/clients?user=alice');
      assert.deepEqual(
        alice.json.items.map((c: { clientId: string }) => c.clientId),
        ['app-1', 'app-3'],
      );
      assert.equal((await api('/api/v1/clients?listener=ws')).json.total, 0);
      const p1 = await api('/api/v1/clients?limit=2');
      assert.equal(p1.json.total, 4);
      assert.equal(p1.json.items.length, 2);
      assert.equal(p1.json.next, 'app-2');
      const p2 = await api(`/api/v1/clients?limit=2&after=${p1.json.next}`);
      assert.deepEqual(
        p2.json.items.map((c: { clientId: string }) => c.clientId),
        ['app-3', 'other'],
      );
      assert.equal(p2.json.next, undefined);
      const bad = await api('/api/v1/clients?limit=0');
      assert.equal(bad.status, 400);
      assert.equal(bad.json.field, 'querystring.limit');
      const unknown = await api('/api/v1/clients?colour=red');
      assert.equal(unknown.status, 400);
      assert.equal(unknown.json.field, 'querystring.colour');
    } finally {
      for (const c of cs) c.destroy();
    }
  });

  test('GET /clients/{id} shows subscriptions; DELETE sends the 5.0 reason code', async () => {
    const c = await client('kick-me');
    try {
      assert.deepEqual(await subscribeRaw(c, [subOf('k/#', 1)]), [1]);
      const one = await api('/api/v1/clients/kick-me');
      assert.equal(one.status, 200);
      assert.equal(one.json.protocol, '5.0');
      assert.deepEqual(one.json.subscriptions, [
        {
          clientId: 'kick-me',
          filter: 'k/#',
          qos: 1,
          noLocal: false,
          retainAsPublished: false,
          retainHandling: 0,
        },
      ]);
      const bad = await api('/api/v1/clients/kick-me?reasonCode=0', { method: 'DELETE' });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.field, 'querystring.reasonCode');
      assert.equal(c.closed, false, 'a refused request changes nothing');
      const r = await api('/api/v1/clients/kick-me?reasonCode=137&reason=maintenance', {
        method: 'DELETE',
      });
      assert.deepEqual(r.json, { disconnected: true });
      const p = await c.next();
      assert.equal(p.type, 14);
      assert.equal((p as { reasonCode: number }).reasonCode, 0x89);
      assert.equal(
        (p as { properties?: { reasonString?: string } }).properties?.reasonString,
        'maintenance',
      );
      await c.waitClose();
      const gone = await api('/api/v1/clients/kick-me', { method: 'DELETE' });
      assert.equal(gone.status, 404);
      assert.equal(gone.json.field, 'params.id');
    } finally {
      c.destroy();
    }
  });

  test('sessions: an offline one is listed, inspected and deleted; deleting an online one disconnects it', async () => {
    const c = await client('keeper', 5, {
      cleanStart: true,
      properties: { sessionExpiryInterval: 600 },
    });
    assert.deepEqual(await subscribeRaw(c, [subOf('keep/#', 1)]), [1]);
    c.send({ type: 14, reasonCode: 0, properties: undefined });
    await c.waitClose();
    const online = await client('online-1', 5, { properties: { sessionExpiryInterval: 600 } });
    try {
      const offline = await api('/api/v1/sessions?state=offline');
      assert.deepEqual(
        offline.json.items.map((s: { clientId: string }) => s.clientId),
        ['keeper'],
      );
      const s = await api('/api/v1/sessions/keeper');
      assert.equal(s.json.online, false);
      assert.equal(s.json.expiryInterval, 600);
      assert.equal(s.json.subscriptions[0].filter, 'keep/#');
      assert.equal((await api('/api/v1/sessions?state=online&prefix=online-')).json.total, 1);
      assert.deepEqual((await api('/api/v1/sessions/keeper', { method: 'DELETE' })).json, {
        deleted: true,
      });
      assert.equal((await api('/api/v1/sessions/keeper')).status, 404);
      assert.equal(f.broker.sessions.has('keeper'), false);
      await api('/api/v1/sessions/online-1', { method: 'DELETE' });
      const p = await online.next();
      assert.equal(p.type, 14);
      assert.equal((p as { reasonCode: number }).reasonCode, 0x98);
      await online.waitClose();
      assert.equal(f.broker.sessions.has('online-1'), false);
    } finally {
      online.destroy();
    }
  });

  test('subscriptions: listed within a filter; added for a client, who then receives; removed', async () => {
    const a = await client('sub-a');
    const b = await client('sub-b');
    try {
      await subscribeRaw(a, [subOf('s/x/#', 0), subOf('other/1', 0)]);
      await subscribeRaw(b, [subOf('$share/g/s/+', 1)]);
      const within = await api(`/api/v1/subscriptions?filter=${encodeURIComponent('s/#')}`);
      assert.deepEqual(
        within.json.items.map(
          (s: { clientId: string; filter: string }) => `${s.clientId} ${s.filter}`,
        ),
        ['sub-a s/x/#', 'sub-b $share/g/s/+'],
      );
      assert.equal(within.json.items[1].group, 'g');
      assert.equal((await api('/api/v1/subscriptions?client=sub-a')).json.total, 2);
      const badFilter = await api('/api/v1/subscriptions?filter=a/%23/b');
      assert.equal(badFilter.status, 400);
      assert.equal(badFilter.json.field, 'querystring.filter');

      f.broker.publish('added/t', 'kept', { retain: true });
      const add = await api('/api/v1/sessions/sub-a/subscriptions', {
        method: 'POST',
        body: { filter: 'added/#', qos: 1 },
      });
      assert.equal(add.status, 201);
      assert.equal(add.json.qos, 1);
      const retained = await nextPublishOf(a);
      assert.equal(retained.topic, 'added/t');
      assert.equal(retained.retain, true);
      f.broker.publish('added/u', 'live', { qos: 1 });
      const live = await nextPublishOf(a);
      assert.equal(live.payload.toString(), 'live');
      a.send({ type: 4, packetId: live.packetId, reasonCode: 0, properties: undefined });

      for (const [body, field] of [
        [{ filter: 'a/#/b' }, 'body.filter'],
        [{ filter: 'x', qos: 3 }, 'body.qos'],
        [{ filter: 'x', colour: 1 }, 'body.colour'],
        [{ qos: 1 }, 'body.filter'],
        [{ filter: '$share/g/x', noLocal: true }, 'body.filter'],
      ] as const) {
        const r = await api('/api/v1/sessions/sub-a/subscriptions', { method: 'POST', body });
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.field, field, JSON.stringify(body));
      }
      assert.equal(
        (await api('/api/v1/subscriptions?client=sub-a')).json.total,
        3,
        'nothing half-applied',
      );
      const nobody = await api('/api/v1/sessions/nobody/subscriptions', {
        method: 'POST',
        body: { filter: 'x' },
      });
      assert.equal(nobody.status, 404);

      const rm = await api(
        `/api/v1/sessions/sub-a/subscriptions?filter=${encodeURIComponent('added/#')}`,
        {
          method: 'DELETE',
        },
      );
      assert.deepEqual(rm.json, { removed: true });
      f.broker.publish('added/u', 'after', { qos: 0 });
      assert.equal(await a.silent(200), true);
      const again = await api(
        `/api/v1/sessions/sub-a/subscriptions?filter=${encodeURIComponent('added/#')}`,
        {
          method: 'DELETE',
        },
      );
      assert.equal(again.status, 404);
      assert.equal(again.json.field, 'querystring.filter');
    } finally {
      a.destroy();
      b.destroy();
      f.broker.deleteRetained('added/t');
    }
  });

  test('retained: published, listed within a filter and paged, read, deleted without a publish', async () => {
    const r1 = await api('/api/v1/publish', {
      method: 'POST',
      body: {
        topic: 'r/a',
        payload: 'hello',
        retain: true,
        qos: 1,
        properties: { contentType: 'text/plain', userProperties: [['k', 'v']] },
      },
    });
    assert.deepEqual(r1.json, { published: true });
    await api('/api/v1/publish', {
      method: 'POST',
      body: {
        topic: 'r/b',
        payload: Buffer.from([0xff, 0, 1]).toString('base64'),
        encoding: 'base64',
        retain: true,
      },
    });
    await api('/api/v1/publish', {
      method: 'POST',
      body: { topic: 'q/c', payload: 'x', retain: true },
    });
    const list = await api(`/api/v1/retained?filter=${encodeURIComponent('r/+')}&limit=1`);
    assert.equal(list.json.total, 2);
    assert.deepEqual(list.json.items, [{ topic: 'r/a', qos: 1, bytes: 5 }]);
    assert.equal(list.json.next, 'r/a');
    const p2 = await api(`/api/v1/retained?filter=${encodeURIComponent('r/+')}&limit=1&after=r/a`);
    assert.deepEqual(p2.json.items, [{ topic: 'r/b', qos: 0, bytes: 3 }]);
    const one = await api('/api/v1/retained/message?topic=r/a');
    assert.equal(one.json.payload, 'hello');
    assert.equal(one.json.contentType, 'text/plain');
    assert.deepEqual(one.json.userProperties, [['k', 'v']]);
    const bin = await api('/api/v1/retained/message?topic=r/b');
    assert.equal(bin.json.payload, undefined, 'not UTF-8: no text');
    assert.equal(bin.json.payloadBase64, '/wAB');

    const watcher = await client('watcher');
    try {
      await subscribeRaw(watcher, [subOf('r/#', 0, { retainHandling: 2 })]);
      const del = await api('/api/v1/retained/message?topic=r/a', { method: 'DELETE' });
      assert.deepEqual(del.json, { deleted: true });
      assert.equal(await watcher.silent(200), true, 'deleting publishes nothing');
      assert.equal((await api('/api/v1/retained/message?topic=r/a')).status, 404);
      assert.equal(f.broker.router.retained.count, 2);
      const wild = await api('/api/v1/retained/message?topic=r/%2B');
      assert.equal(wild.status, 400);
      assert.equal(wild.json.field, 'querystring.topic');
    } finally {
      watcher.destroy();
      f.broker.deleteRetained('r/b');
      f.broker.deleteRetained('q/c');
    }
  });

  test('publish: QoS, retain and 5.0 properties reach a subscriber; bad input names the field', async () => {
    const s = await client('listener-1');
    try {
      await subscribeRaw(s, [subOf('p/#', 1)]);
      await api('/api/v1/publish', {
        method: 'POST',
        body: {
          topic: 'p/1',
          payload: 'body',
          qos: 1,
          properties: {
            responseTopic: 'p/reply',
            correlationData: Buffer.from('id-7').toString('base64'),
            messageExpiryInterval: 60,
          },
        },
      });
      const m = await nextPublishOf(s);
      assert.equal(m.topic, 'p/1');
      assert.equal(m.qos, 1);
      assert.equal(m.properties?.responseTopic, 'p/reply');
      assert.equal(m.properties?.correlationData?.toString(), 'id-7');
      s.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: undefined });
      for (const [body, field] of [
        [{ topic: 'p/+' }, 'body.topic'],
        [{ topic: '$SYS/x' }, 'body.topic'],
        [{ topic: '' }, 'body.topic'],
        [{ topic: 'p/1', qos: 3 }, 'body.qos'],
        [{ topic: 'p/1', payload: '***', encoding: 'base64' }, 'body.payload'],
        [{ topic: 'p/1', properties: { responseTopic: 'a/#' } }, 'body.properties.responseTopic'],
        [{ topic: 'p/1', properties: { topicAlias: 3 } }, 'body.properties.topicAlias'],
        [{ payload: 'x' }, 'body.topic'],
      ] as const) {
        const r = await api('/api/v1/publish', { method: 'POST', body });
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.error, 'invalid_request');
        assert.equal(r.json.field, field, JSON.stringify(body));
      }
      assert.equal(await s.silent(200), true, 'no refused publish went out');
      const notJson = await api('/api/v1/publish', {
        method: 'POST',
        body: '{"topic":',
      });
      assert.equal(notJson.status, 400);
      assert.equal(notJson.json.error, 'bad_request');
    } finally {
      s.destroy();
    }
  });

  test('GET /broker: version, uptime, listeners; secrets redacted; reload is 501 when embedded', async () => {
    const b = await api('/api/v1/broker');
    assert.match(b.json.version, /^\d+\.\d+\.\d+/);
    assert.ok(b.json.uptimeSeconds >= 0);
    assert.deepEqual(b.json.listeners, [{ type: 'tcp', host: '127.0.0.1', port: f.port }]);
    assert.equal(b.json.config.maxInflight, 100);
    const r = await api('/api/v1/broker/reload', { method: 'POST' });
    assert.equal(r.status, 501);
    assert.equal(r.json.error, 'not_supported');
  });

  test('the OpenAPI document describes every API route from the schemas the routes validate with', async () => {
    const doc = (await api('/api/v1/openapi.json')).json;
    assert.equal(doc.openapi, '3.0.3');
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    assert.deepEqual(routes.sort(), [
      'DELETE /api/v1/clients/{id}',
      'DELETE /api/v1/retained/message',
      'DELETE /api/v1/sessions/{id}',
      'DELETE /api/v1/sessions/{id}/subscriptions',
      'GET /api/v1/bridges',
      'GET /api/v1/broker',
      'GET /api/v1/clients',
      'GET /api/v1/clients/{id}',
      'GET /api/v1/retained',
      'GET /api/v1/retained/message',
      'GET /api/v1/sessions',
      'GET /api/v1/sessions/{id}',
      'GET /api/v1/subscriptions',
      'POST /api/v1/broker/reload',
      'POST /api/v1/publish',
      'POST /api/v1/sessions/{id}/subscriptions',
    ]);
    const pub = doc.paths['/api/v1/publish'].post;
    assert.deepEqual(pub.requestBody.content['application/json'].schema.required, ['topic']);
    const kick = doc.paths['/api/v1/clients/{id}'].delete;
    const names = kick.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    assert.deepEqual(names, ['path:id', 'query:reasonCode', 'query:reason']);
    assert.ok(kick.parameters[1].schema.enum.includes(0x98));
  });
});
