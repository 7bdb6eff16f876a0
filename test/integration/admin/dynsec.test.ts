// Dynamic security against a real `petrel broker --dynamic-security` process with its LMDB store:
// users, roles and client rules made through the API, felt at once by raw MQTT clients, and
// still there after a restart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { hashPassword } from '../../../src/auth/hash.js';
import { nextPublishOf, publishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import type { Run } from '../../helpers/cli.js';
import { killAll, runCli, startCli } from '../../helpers/cli.js';
import { call } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-dynsec-'));

interface Running {
  proc: Run;
  url: string;
  port: number;
}

async function start(dataDir: string, extra: string[] = []): Promise<Running> {
  const proc = startCli(
    ['broker', '-p', '0', '-d', dataDir, '--dynamic-security', '--http-port', '0', ...extra],
    { cwd: dir },
  );
  const port = Number((await proc.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/))[1]);
  const url = (await proc.waitFor(/admin API on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
  return { proc, url, port };
}

/** CONNECT as `username`/`password`; the CONNACK's reason code (and the client when accepted). */
async function login(
  port: number,
  username: string | undefined,
  password: string | undefined,
  clientId = `c-${Math.random().toString(16).slice(2, 8)}`,
): Promise<{ code: number; client: RawClient }> {
  const extra: Record<string, unknown> = { clientId };
  if (username !== undefined) extra.username = username;
  if (password !== undefined) extra.password = Buffer.from(password);
  const { client, connack } = await RawClient.connect(port, 5, extra);
  return { code: connack.reasonCode, client };
}

const post = (url: string, path: string, body: unknown) =>
  call(url, path, { method: 'POST', body });

describe('dynamic security (petrel broker --dynamic-security)', () => {
  after(() => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test('users made through the API log in; wrong passwords, anonymous and unknown users do not; hashes never leave', async () => {
    const b = await start(join(dir, 'd1'));
    try {
      const made = await post(b.url, '/api/v1/users', { username: 'alice', password: 's3cret' });
      assert.equal(made.status, 201, made.text);
      assert.deepEqual(made.json, { username: 'alice', disabled: false, roles: [] });
      const list = await call(b.url, '/api/v1/users');
      assert.deepEqual(list.json, {
        total: 1,
        items: [{ username: 'alice', disabled: false, roles: [] }],
      });
      assert.doesNotMatch(list.text + made.text, /scrypt|s3cret|password/i);

      const ok = await login(b.port, 'alice', 's3cret');
      assert.equal(ok.code, 0);
      ok.client.destroy();
      // 0x86 Bad User Name or Password; a CONNECT without a user name gets 0x87 Not authorized.
      assert.equal((await login(b.port, 'alice', 'wrong')).code, 0x86);
      assert.equal((await login(b.port, 'mallory', 's3cret')).code, 0x86);
      assert.equal((await login(b.port, undefined, undefined)).code, 0x87);

      const doc = (await call(b.url, '/api/v1/openapi.json')).json;
      for (const p of [
        '/api/v1/users',
        '/api/v1/users/{username}',
        '/api/v1/roles/{name}',
        '/api/v1/client-rules/{clientId}',
      ]) {
        assert.ok(doc.paths[p] !== undefined, `${p} in openapi.json`);
      }
    } finally {
      assert.equal(await b.proc.stop('SIGTERM'), 0);
    }
  });

  test('bad input is a 4xx naming the field, and changes nothing', async () => {
    const b = await start(join(dir, 'd2'));
    try {
      const cases: Array<[string, string, unknown, number, string]> = [
        ['POST', '/api/v1/users', { username: 'u' }, 400, 'body.password'],
        [
          'POST',
          '/api/v1/users',
          { username: 'u', password: 'p', roles: ['nope'] },
          400,
          'body.roles[0]',
        ],
        ['POST', '/api/v1/users', { username: 'u', password: 'p', admin: true }, 400, 'body.admin'],
        [
          'POST',
          '/api/v1/roles',
          { name: 'r', rules: [{ action: 'publish', topic: 'a/#/b', permission: 'allow' }] },
          400,
          'body.rules[0].topic',
        ],
        [
          'POST',
          '/api/v1/roles',
          { name: 'r', rules: [{ action: 'eat', topic: 'a', permission: 'allow' }] },
          400,
          'body.rules.0.action',
        ],
        ['POST', '/api/v1/roles', { name: 'bad name' }, 400, 'body.name'],
        ['PATCH', '/api/v1/users/ghost', { disabled: true }, 404, 'params.username'],
        ['PATCH', '/api/v1/users/ghost', {}, 400, 'body'],
        ['PUT', '/api/v1/roles/ghost', { rules: [] }, 404, 'params.name'],
        ['DELETE', '/api/v1/client-rules/ghost', undefined, 404, 'params.clientId'],
      ];
      for (const [method, path, body, status, field] of cases) {
        const r = await call(b.url, path, { method, body });
        assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`);
        assert.equal(r.json.field, field, `${method} ${path}: ${r.text}`);
      }
      assert.equal((await call(b.url, '/api/v1/users')).json.total, 0);
      assert.equal((await call(b.url, '/api/v1/roles')).json.total, 0);
      assert.equal(
        (await post(b.url, '/api/v1/users', { username: 'u', password: 'p' })).status,
        201,
      );
      const again = await post(b.url, '/api/v1/users', { username: 'u', password: 'q' });
      assert.equal(again.status, 409);
      assert.equal(again.json.field, 'body.username');
      // The first password still holds: the refused request changed nothing.
      assert.equal((await login(b.port, 'u', 'p')).code, 0);
    } finally {
      assert.equal(await b.proc.stop('SIGTERM'), 0);
    }
  });

  test('disabling, binding to another client id or deleting a user closes its connections with DISCONNECT 0x87 and refuses it; enabling lets it back', async () => {
    const b = await start(join(dir, 'd3'));
    try {
      await post(b.url, '/api/v1/users', { username: 'bob', password: 'pw' });
      const live = await login(b.port, 'bob', 'pw');
      assert.equal(live.code, 0);
      const off = await call(b.url, '/api/v1/users/bob', {
        method: 'PATCH',
        body: { disabled: true },
      });
      assert.equal(off.json.disabled, true);
      // [MQTT-3.14.2-1] the server's DISCONNECT uses a DISCONNECT reason code: 0x87 Not authorized.
      const d = await live.client.next();
      assert.equal(d.type, 14);
      assert.equal((d as { reasonCode: number }).reasonCode, 0x87);
      await live.client.waitClose();
      assert.equal((await login(b.port, 'bob', 'pw')).code, 0x87);
      await call(b.url, '/api/v1/users/bob', { method: 'PATCH', body: { disabled: false } });
      const back = await login(b.port, 'bob', 'pw');
      assert.equal(back.code, 0);
      const del = await call(b.url, '/api/v1/users/bob', { method: 'DELETE' });
      assert.deepEqual(del.json, { deleted: true });
      const gone = await back.client.next();
      assert.equal((gone as { reasonCode: number }).reasonCode, 0x87);
      assert.equal((await login(b.port, 'bob', 'pw')).code, 0x86);
      // A new password replaces the old one at once.
      await post(b.url, '/api/v1/users', { username: 'bob', password: 'one' });
      await call(b.url, '/api/v1/users/bob', { method: 'PATCH', body: { password: 'two' } });
      assert.equal((await login(b.port, 'bob', 'one')).code, 0x86);
      assert.equal((await login(b.port, 'bob', 'two')).code, 0);
      // Bound to a client id: that id only; binding closes its connections with another id.
      const other = await login(b.port, 'bob', 'two', 'bob-laptop');
      assert.equal(other.code, 0);
      const bound = await call(b.url, '/api/v1/users/bob', {
        method: 'PATCH',
        body: { clientId: 'bob-phone' },
      });
      assert.equal(bound.json.clientId, 'bob-phone');
      assert.equal(((await other.client.next()) as { reasonCode: number }).reasonCode, 0x87);
      assert.equal((await login(b.port, 'bob', 'two', 'bob-laptop')).code, 0x87);
      const phone = await login(b.port, 'bob', 'two', 'bob-phone');
      assert.equal(phone.code, 0);
      phone.client.destroy();
      const unbound = await call(b.url, '/api/v1/users/bob', {
        method: 'PATCH',
        body: { clientId: '' },
      });
      assert.equal(unbound.json.clientId, undefined);
      assert.equal((await login(b.port, 'bob', 'two', 'bob-laptop')).code, 0);
    } finally {
      assert.equal(await b.proc.stop('SIGTERM'), 0);
    }
  });

  test('role rules decide in order, client rules come first, a change removes subscriptions at once, and all of it survives a restart', async () => {
    const data = join(dir, 'd4');
    let b = await start(data);
    try {
      const rules = [
        { action: 'subscribe', topic: 'secret/#', permission: 'deny' },
        { action: 'publish', topic: 'out/%u', permission: 'allow' },
        { action: 'publish', topic: '#', permission: 'deny' },
      ];
      assert.equal((await post(b.url, '/api/v1/roles', { name: 'reader', rules })).status, 201);
      await post(b.url, '/api/v1/users', { username: 'carol', password: 'pw', roles: ['reader'] });
      const { client } = await login(b.port, 'carol', 'pw', 'carol-1');
      // Nothing decides `live/#`: no ACL file, so it is allowed as without dynamic security.
      assert.deepEqual(
        await subscribeRaw(client, [subOf('secret/x', 0), subOf('live/#', 0), subOf('out/+', 0)]),
        [0x87, 0, 0],
      );
      client.send(publishOf('out/carol', 'mine', 1, 5));
      assert.equal((await nextPublishOf(client)).topic, 'out/carol');
      assert.equal(((await client.next()) as { reasonCode: number }).reasonCode, 0);
      client.send(publishOf('out/dave', 'not mine', 1, 6));
      assert.equal(((await client.next()) as { reasonCode: number }).reasonCode, 0x87);
      // Rules of the client id are consulted before the roles'.
      await call(b.url, '/api/v1/client-rules/carol-1', {
        method: 'PUT',
        body: { rules: [{ action: 'subscribe', topic: 'secret/open', permission: 'allow' }] },
      });
      assert.deepEqual(await subscribeRaw(client, [subOf('secret/open', 0)], 2), [0]);
      // The role now denies `live/#`: the subscription goes, as on an ACL reload.
      const more = [{ action: 'subscribe', topic: 'live/#', permission: 'deny' }, ...rules];
      assert.equal(
        (await call(b.url, '/api/v1/roles/reader', { method: 'PUT', body: { rules: more } }))
          .status,
        200,
      );
      const session = (await call(b.url, '/api/v1/sessions/carol-1')).json;
      assert.deepEqual(session.subscriptions.map((s: { filter: string }) => s.filter).sort(), [
        'out/+',
        'secret/open',
      ]);
      client.destroy();
    } finally {
      assert.equal(await b.proc.stop('SIGTERM'), 0);
    }
    b = await start(data);
    try {
      const { code, client } = await login(b.port, 'carol', 'pw', 'carol-2');
      assert.equal(code, 0);
      assert.deepEqual(
        await subscribeRaw(client, [subOf('live/x', 0), subOf('secret/open', 0)]),
        [0x87, 0x87],
      );
      client.destroy();
      assert.equal(
        (await call(b.url, '/api/v1/client-rules/carol-1')).json.rules[0].topic,
        'secret/open',
      );
      // Deleting the role takes it from the user in the same change.
      await call(b.url, '/api/v1/roles/reader', { method: 'DELETE' });
      assert.deepEqual((await call(b.url, '/api/v1/users/carol')).json.roles, []);
    } finally {
      assert.equal(await b.proc.stop('SIGTERM'), 0);
    }
  });

  test('a name in the password file is the file’s: the API refuses it, and the file’s password logs in', async () => {
    const passwd = join(dir, 'passwd');
    writeFileSync(
      passwd,
      `filed:${await hashPassword('from-file', { params: { ln: 4, r: 8, p: 1 } })}\n`,
    );
    const cfg = join(dir, 'with-file.json');
    writeFileSync(cfg, JSON.stringify({ passwordFile: passwd }));
    const b = await start(join(dir, 'd5'), ['-c', cfg]);
    try {
      const r = await post(b.url, '/api/v1/users', { username: 'filed', password: 'api' });
      assert.equal(r.status, 409);
      assert.match(r.json.message, /password file, which takes precedence/);
      assert.equal((await login(b.port, 'filed', 'from-file')).code, 0);
      await post(b.url, '/api/v1/users', { username: 'runtime', password: 'rt' });
      assert.equal((await login(b.port, 'runtime', 'rt')).code, 0);
    } finally {
      assert.equal(await b.proc.stop('SIGTERM'), 0);
    }
  });

  test('petrel ctl user|role|client-rules: passwords from stdin or a file, never echoed; rules as allow|deny:ACTION:FILTER', async () => {
    const b = await start(join(dir, 'd6'));
    const ctl = (args: string[], input?: string) =>
      runCli(['ctl', '--url', b.url, ...args], input === undefined ? {} : { input });
    try {
      const role = await ctl([
        'role',
        'add',
        'cam',
        'deny:subscribe:cams/private/#',
        'allow:publish:cams/%u',
      ]);
      assert.equal(role.code, 0, role.stderr);
      const add = await ctl(['user', 'add', 'dora', '--roles', 'cam'], 'pa55word\n');
      assert.equal(add.code, 0, add.stderr);
      assert.equal(add.stdout, 'added user dora\n');
      const list = await ctl(['user', 'list']);
      assert.deepEqual(
        list.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/)),
        [
          ['USER', 'DISABLED', 'CLIENT', 'ROLES'],
          ['dora', 'no', '-', 'cam'],
        ],
      );
      assert.doesNotMatch(add.stdout + add.stderr + list.stdout, /pa55word/);
      assert.equal((await login(b.port, 'dora', 'pa55word')).code, 0);
      const pwFile = join(dir, 'pw');
      writeFileSync(pwFile, 'n3w\n');
      assert.equal((await ctl(['user', 'passwd', 'dora', '--password-file', pwFile])).code, 0);
      assert.equal((await login(b.port, 'dora', 'n3w')).code, 0);
      assert.equal((await ctl(['user', 'disable', 'dora'])).stdout, 'disabled user dora\n');
      assert.equal((await login(b.port, 'dora', 'n3w')).code, 0x87);
      assert.equal((await ctl(['user', 'enable', 'dora'])).code, 0);
      const roles = await ctl(['role', 'list']);
      assert.match(roles.stdout, /^cam\s+deny:subscribe:cams\/private\/# allow:publish:cams\/%u$/m);
      const { client } = await login(b.port, 'dora', 'n3w', 'dora-cam');
      assert.deepEqual(await subscribeRaw(client, [subOf('cams/private/1', 0)]), [0x87]);
      assert.equal(
        (await ctl(['client-rules', 'set', 'dora-cam', 'allow:subscribe:cams/private/1'])).code,
        0,
      );
      assert.deepEqual(await subscribeRaw(client, [subOf('cams/private/1', 0)], 2), [0]);
      client.destroy();
      const bad = await ctl(['role', 'rules', 'cam', 'allow:subscribe:a/#/b']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /400 body\.rules\[0\]\.topic: must be a valid topic filter/);
      const usage = await ctl(['role', 'add', 'x', 'maybe:publish:a']);
      assert.equal(usage.code, 2);
      const empty = await ctl(['user', 'add', 'eve'], '');
      assert.equal(empty.code, 2);
      assert.match(empty.stderr, /the password is empty/);
      const bind = await ctl(['user', 'client-id', 'dora', 'dora-cam']);
      assert.equal(bind.stdout, 'user dora is bound to dora-cam\n');
      assert.equal((await login(b.port, 'dora', 'n3w', 'elsewhere')).code, 0x87);
      assert.equal((await ctl(['user', 'client-id', 'dora'])).stdout, 'user dora is not bound\n');
      assert.equal((await login(b.port, 'dora', 'n3w', 'elsewhere')).code, 0);
      assert.equal((await ctl(['user', 'delete', 'dora'])).code, 0);
      assert.equal((await login(b.port, 'dora', 'n3w')).code, 0x86);
    } finally {
      assert.equal(await b.proc.stop('SIGTERM'), 0);
    }
  });
});
