// One mosquitto.conf, two brokers: `petrel broker -c` and Debian's `mosquitto -c` start from the
// same file (so it is a valid Mosquitto config), and Debian's mosquitto_pub/mosquitto_sub see
// the same password and ACL decisions on both. Also `petrel convert`, and a bad file's exit.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../../../src/cli/config.js';
import { connect } from '../../../src/index.js';
import type { Run } from '../../helpers/cli.js';
import { CLI_MAIN, killAll, runCli, startCli, startProcess } from '../../helpers/cli.js';
import { freePort, hasMosquitto, MOSQUITTO_BIN } from '../../helpers/mosquitto.js';
import { tempConfs } from '../../helpers/mosquitto-fixtures.js';
import { makeCerts } from '../client/certs.js';

const run = promisify(execFile);
const t = tempConfs();
after(() => t.remove());
afterEach(() => killAll());

/** Started as root, Mosquitto drops to user mosquitto, which cannot read our temp dir. */
const asRoot = process.getuid?.() === 0 ? ['user root'] : [];

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitListening(r: Run, port: number): Promise<void> {
  // petrel broker says when it is up, with its signal handlers in place (a SIGTERM before them
  // would kill it instead of stopping it); mosquitto is up once its port accepts.
  if (r.child.spawnargs.includes(CLI_MAIN)) {
    await r.waitFor(new RegExp(`listening on \\w+://127\\.0\\.0\\.1:${port}\\b`), 8000);
    return;
  }
  const deadline = Date.now() + 8000;
  while (!(await canConnect(port))) {
    if (r.child.exitCode !== null) throw new Error(`exited early:\n${r.stderr()}`);
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}:\n${r.stderr()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

type Broker = 'petrel' | 'mosquitto';

function startBroker(which: Broker, conf: string): Run {
  return which === 'petrel'
    ? startCli(['broker', '-c', conf], { cwd: t.dir })
    : startProcess(MOSQUITTO_BIN, ['-c', conf], { cwd: t.dir });
}

async function mosquittoPubArgs(args: string[]) {
  try {
    await run('mosquitto_pub', args, { timeout: 5000 });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

function mosquittoPub(port: number, args: string[]) {
  return mosquittoPubArgs(['-h', '127.0.0.1', '-p', String(port), ...args]);
}

/** The password and ACL decisions, seen through mosquitto_pub/mosquitto_sub. */
async function checkAuth(port: number): Promise<void> {
  const anon = await mosquittoPub(port, ['-t', 'lab/x', '-m', 'anon']);
  assert.notEqual(anon.code, 0, 'anonymous publish refused');
  assert.match(anon.stderr, /not authori[sz]ed/i);
  const wrong = await mosquittoPub(port, ['-u', 'alice', '-P', 'nope', '-t', 'lab/x', '-m', 'x']);
  assert.notEqual(wrong.code, 0, 'wrong password refused');

  // bob may read everything; alice may write lab/# only.
  const sub = startProcess('mosquitto_sub', [
    ...['-h', '127.0.0.1', '-p', String(port), '-u', 'bob', '-P', 'bobpw'],
    ...['-t', '#', '-v', '-W', '15'],
  ]);
  const alice = (topic: string, m: string) =>
    mosquittoPub(port, ['-u', 'alice', '-P', 'alicepw', '-t', topic, '-m', m]);
  // Until bob's subscription is in place, alice's messages find nobody: repeat a few times.
  for (let i = 0; i < 40 && !sub.stdout().includes('lab/ready'); i++) {
    assert.equal((await alice('lab/ready', 'r')).code, 0);
    await new Promise((res) => setTimeout(res, 100));
  }
  await sub.waitFor('lab/ready');
  assert.equal((await alice('other/x', 'denied')).code, 0, 'a refused 3.1.1 publish is dropped');
  assert.equal((await alice('lab/x', 'allowed')).code, 0);
  await sub.waitFor('lab/x allowed');
  assert.ok(!sub.stdout().includes('other/x'), `alice wrote outside lab/#:\n${sub.stdout()}`);
  await sub.stop();
}

describe('petrel broker -c mosquitto.conf, and mosquitto -c with the same file', {
  skip: !hasMosquitto() && `${MOSQUITTO_BIN} is not installed`,
}, () => {
  let authConf: string;
  let port: number;

  test('the password and ACL files apply on Petrel as on Mosquitto', async () => {
    const passwd = t.write('', 'passwd');
    await run('mosquitto_passwd', ['-b', passwd, 'alice', 'alicepw']);
    await run('mosquitto_passwd', ['-b', passwd, 'bob', 'bobpw']);
    const acl = t.write('user alice\ntopic readwrite lab/#\n\nuser bob\ntopic read #\n', 'acl');
    port = await freePort();
    authConf = t.write(
      [
        '# listener, password file and ACL as an installation would have them',
        'per_listener_settings false',
        'allow_anonymous false',
        `password_file ${passwd}`,
        `acl_file ${acl}`,
        `listener ${port} 127.0.0.1`,
        'persistence false',
        ...asRoot,
        '',
      ].join('\n'),
      'auth.conf',
    );
    for (const which of ['petrel', 'mosquitto'] as const) {
      const broker = startBroker(which, authConf);
      try {
        await waitListening(broker, port);
        await checkAuth(port);
      } finally {
        await broker.stop();
      }
    }
  });

  test('per_listener_settings: anonymous clients are refused on one listener and admitted on the other, on both', async () => {
    const passwd = t.write('', 'passwd2');
    await run('mosquitto_passwd', ['-b', passwd, 'alice', 'alicepw']);
    const acl = t.write('user alice\ntopic readwrite lab/#\n', 'acl2');
    const [closed, open] = [await freePort(), await freePort()];
    const auth = [`password_file ${passwd}`, `acl_file ${acl}`];
    const conf = t.write(
      [
        'per_listener_settings true',
        `listener ${closed} 127.0.0.1`,
        ...auth,
        'allow_anonymous false',
        `listener ${open} 127.0.0.1`,
        ...auth,
        'allow_anonymous true',
        ...asRoot,
        '',
      ].join('\n'),
      'per-listener.conf',
    );
    for (const which of ['petrel', 'mosquitto'] as const) {
      const broker = startBroker(which, conf);
      try {
        await waitListening(broker, closed);
        await waitListening(broker, open);
        const anon = (port: number) => mosquittoPub(port, ['-t', 'lab/x', '-m', 'a']);
        const alice = (port: number) =>
          mosquittoPub(port, ['-u', 'alice', '-P', 'alicepw', '-t', 'lab/x', '-m', 'a']);
        assert.notEqual((await anon(closed)).code, 0, `${which}: anonymous on ${closed}`);
        assert.equal((await anon(open)).code, 0, `${which}: anonymous on ${open}`);
        assert.equal((await alice(closed)).code, 0, `${which}: alice on ${closed}`);
        assert.equal((await alice(open)).code, 0, `${which}: alice on ${open}`);
      } finally {
        await broker.stop();
      }
    }
  });

  test('TLS keys: a client certificate is required and its CN is the user name the ACL sees, on both', async () => {
    const certs = makeCerts();
    try {
      const p = await freePort();
      const acl = t.write('user petrel-client\ntopic readwrite lab/#\n', 'acl-tls');
      const conf = t.write(
        [
          'allow_anonymous false',
          `acl_file ${acl}`,
          `listener ${p} 127.0.0.1`,
          `cafile ${certs.ca}`,
          `certfile ${certs.serverCert}`,
          `keyfile ${certs.serverKey}`,
          'require_certificate true',
          'use_identity_as_username true',
          'tls_version tlsv1.2',
          ...asRoot,
          '',
        ].join('\n'),
        'tls.conf',
      );
      const tls = ['-h', 'localhost', '-p', String(p), '--cafile', certs.ca];
      const client = [...tls, '--cert', certs.clientCert, '--key', certs.clientKey];
      for (const which of ['petrel', 'mosquitto'] as const) {
        const broker = startBroker(which, conf);
        try {
          // mosquitto opens the port before it serves TLS; petrel says when it listens.
          await waitListening(broker, p);
          const noCert = await mosquittoPubArgs([...tls, '-t', 'lab/x', '-m', 'x']);
          assert.notEqual(noCert.code, 0, `${which}: a client without a certificate`);
          const sub = startProcess('mosquitto_sub', [...client, '-t', 'lab/#', '-v', '-W', '10']);
          for (let i = 0; i < 40 && !sub.stdout().includes('lab/x'); i++) {
            const r = await mosquittoPubArgs([...client, '-t', 'lab/x', '-m', 'hi']);
            assert.equal(r.code, 0, `${which}: ${r.stderr}`);
            await new Promise((res) => setTimeout(res, 100));
          }
          await sub.waitFor('lab/x hi');
          await sub.stop();
        } finally {
          await broker.stop();
        }
      }
    } finally {
      certs.remove();
    }
  });

  test('a v5 CONNACK announces the same limits on both, for the defaults and for set keys', async () => {
    const limits = [
      [],
      [
        ...['max_inflight_messages 7', 'max_qos 1', 'max_topic_alias 4', 'retain_available false'],
        ...['max_packet_size 5000', 'max_keepalive 30'],
      ],
    ];
    for (const lines of limits) {
      const p = await freePort();
      const conf = t.write(
        [`listener ${p} 127.0.0.1`, 'allow_anonymous true', ...lines, ...asRoot, ''].join('\n'),
        'limits.conf',
      );
      const seen: unknown[] = [];
      for (const which of ['petrel', 'mosquitto'] as const) {
        const broker = startBroker(which, conf);
        try {
          await waitListening(broker, p);
          const c = await connect(`mqtt://127.0.0.1:${p}`, {
            protocolVersion: 5,
            clientId: 'limits',
            reconnect: false,
            connectTimeout: 3000,
          });
          seen.push(c.connackInfo?.properties);
          await c.disconnect();
        } finally {
          await broker.stop();
        }
      }
      assert.deepEqual(seen[0], seen[1], lines.join(', ') || 'defaults');
    }
  });

  test('a WebSocket listener takes any path, on both', async () => {
    const [tcp, ws] = [await freePort(), await freePort()];
    const conf = t.write(
      [
        `listener ${tcp} 127.0.0.1`,
        `listener ${ws} 127.0.0.1`,
        'protocol websockets',
        'allow_anonymous true',
        ...asRoot,
        '',
      ].join('\n'),
      'ws.conf',
    );
    for (const which of ['petrel', 'mosquitto'] as const) {
      const broker = startBroker(which, conf);
      try {
        await waitListening(broker, ws);
        for (const path of ['/', '/mqtt', '/any/path']) {
          const c = await connect(`ws://127.0.0.1:${ws}${path}`, {
            reconnect: false,
            connectTimeout: 3000,
          });
          await c.disconnect();
        }
      } finally {
        await broker.stop();
      }
    }
  });
});

describe('errors and warnings of a mosquitto.conf', () => {
  test('petrel broker -c with a malformed line exits 1 naming file and line', async () => {
    const bad = t.write('listener 1883\nmax_inflight_messages lots\n', 'bad.conf');
    const r = await runCli(['broker', '-c', bad], { cwd: t.dir });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `petrel broker: ${bad}:2: max_inflight_messages: expected an integer from 0 to 65535, got 'lots'`,
      ),
    );
  });

  test('petrel broker logs each warning with file and line, and starts', async () => {
    const p = await freePort();
    const conf = t.write(
      `listener ${p} 127.0.0.1\nallow_anonymous true\nuser mosquitto\n`,
      'warn.conf',
    );
    const broker = startCli(['broker', '-c', conf], { cwd: t.dir });
    await broker.waitFor(
      `${conf}:3: user: not supported; start Petrel as the user it should run as`,
    );
    await waitListening(broker, p);
    assert.equal(await broker.stop(), 0);
  });

  test('--config-format json refuses a mosquitto.conf', async () => {
    const conf = t.write('listener 1883\n', 'fmt.conf');
    const r = await runCli(['broker', '-c', conf, '--config-format', 'json'], { cwd: t.dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /fmt\.conf: invalid JSON/);
  });
});

describe('persistence in a mosquitto.conf', () => {
  test('persistence true keeps a retained message across a restart in persistence_location/petrel; false keeps nothing', async () => {
    for (const persistence of [true, false]) {
      const p = await freePort();
      const conf = t.write(
        [
          `listener ${p} 127.0.0.1`,
          'allow_anonymous true',
          `persistence ${String(persistence)}`,
          `persistence_location ${t.dir}/store-${String(persistence)}/`,
          '',
        ].join('\n'),
        'persist.conf',
      );
      const first = startCli(['broker', '-c', conf], { cwd: t.dir });
      await waitListening(first, p);
      assert.equal((await mosquittoPub(p, ['-t', 'kept', '-m', 'v', '-r', '-q', '1'])).code, 0);
      assert.equal(await first.stop(), 0);
      const second = startCli(['broker', '-c', conf], { cwd: t.dir });
      try {
        await waitListening(second, p);
        const sub = startProcess('mosquitto_sub', [
          ...['-h', '127.0.0.1', '-p', String(p), '-t', 'kept', '-C', '1', '-W', '2'],
        ]);
        const code = await sub.exit;
        if (persistence) {
          assert.equal(sub.stdout(), 'v\n');
          assert.ok(existsSync(join(t.dir, 'store-true', 'petrel', 'data.mdb')));
        } else {
          assert.notEqual(code, 0, 'no retained message after a restart without persistence');
          assert.equal(sub.stdout(), '');
          assert.ok(!existsSync(join(t.dir, 'store-false')));
        }
      } finally {
        await second.stop();
      }
    }
  });
});

describe('reloading a mosquitto.conf', () => {
  test('SIGHUP re-reads the file: a new max_keepalive reaches the next v5 CONNACK', async () => {
    const p = await freePort();
    const text = (keepalive: number) =>
      `listener ${p} 127.0.0.1\nallow_anonymous true\nmax_keepalive ${keepalive}\n`;
    const conf = t.write(text(30), 'reload.conf');
    const broker = startCli(['broker', '-c', conf], { cwd: t.dir });
    const keepAlive = async () => {
      const c = await connect(`mqtt://127.0.0.1:${p}`, {
        protocolVersion: 5,
        keepAlive: 60,
        reconnect: false,
        connectTimeout: 3000,
      });
      const k = c.connackInfo?.properties?.serverKeepAlive;
      await c.disconnect();
      return k;
    };
    await waitListening(broker, p);
    assert.equal(await keepAlive(), 30);
    t.write(text(20), 'reload.conf');
    broker.child.kill('SIGHUP');
    await broker.waitFor('configuration reloaded');
    assert.equal(await keepAlive(), 20);
    assert.equal(await broker.stop(), 0);
  });
});

describe('petrel convert', () => {
  test('prints JSON that loads to the same options, warnings on stderr', async () => {
    const conf = t.fixture('debian-default.conf');
    const r = await runCli(['convert', conf]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      `petrel convert: warning: ${conf}:6: pid_file: not supported; pass --pid-file FILE to petrel broker`,
      `petrel convert: warning: ${conf}:11: log_dest file: not supported; the log goes to stderr`,
    ]);
    const json = t.write(r.stdout, 'converted.json');
    assert.deepEqual(await loadConfig(json), await loadConfig(conf));
  });

  test('a bad file: exit 1 and file:line; no file: exit 2', async () => {
    const bad = t.write('listener 1883\nmount_point tenant/\n', 'mount.conf');
    const r = await runCli(['convert', bad]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^petrel convert: ${bad}:2: mount_point: not supported`));
    assert.equal((await runCli(['convert'])).code, 2);
  });
});
