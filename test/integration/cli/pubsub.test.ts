// `petrel pub` / `petrel sub` / `petrel rr` as real processes, side by side with mosquitto_pub
// and mosquitto_sub on the same Mosquitto broker.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { connect } from '../../../src/client/connect.js';
import type { TestBroker as PetrelBroker } from '../../helpers/broker.js';
import { startBroker } from '../../helpers/broker.js';
import type { MosquittoHandle } from '../../helpers/mosquitto.js';
import { hasMosquitto, startMosquitto } from '../../helpers/mosquitto.js';
import { makeCerts } from '../client/certs.js';
import { killAll, runTool, start } from './tools.js';

/** Every CLI test is bounded. */
const T = { timeout: 10_000 };

type Tool = 'petrel' | 'mosquitto';

let seq = 0;
const topic = (name: string): string => `petrel-cli/${process.pid}/${name}/${++seq}`;

/** Lines of subscriber output that are messages, not `-d` debug lines. */
function messageLines(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('Client ') && !l.startsWith('Subscribed (mid'));
}

/** petrel/mosquitto publisher x petrel/mosquitto subscriber through the broker on `port`. */
async function allCombinations(port: string, version: string): Promise<void> {
  const combos: Array<[Tool, Tool]> = [
    ['petrel', 'petrel'],
    ['petrel', 'mosquitto'],
    ['mosquitto', 'petrel'],
    ['mosquitto', 'mosquitto'],
  ];
  await Promise.all(
    combos.map(async ([pubTool, subTool]) => {
      const t = topic(`combo-${version}`);
      const payload = `from ${pubTool} to ${subTool} v${version}`;
      const subArgs = ['-p', port, '-t', t, '-q', '1', '-C', '1', '-d', '-V', version];
      const sub =
        subTool === 'petrel'
          ? start('petrel', ['sub', ...subArgs])
          : start('mosquitto_sub', subArgs);
      await sub.waitFor('SUBACK');
      const pubArgs = ['-p', port, '-t', t, '-q', '1', '-m', payload, '-V', version];
      const pub =
        pubTool === 'petrel'
          ? await runTool('petrel', ['pub', ...pubArgs])
          : await runTool('mosquitto_pub', pubArgs);
      assert.equal(pub.code, 0, pub.stderr);
      assert.equal(await sub.exit, 0, sub.stderr());
      assert.deepEqual(messageLines(sub.stdout()), [payload], `${pubTool} -> ${subTool}`);
    }),
  );
}

if (hasMosquitto()) {
  describe('petrel pub/sub interoperate with mosquitto_pub/mosquitto_sub', () => {
    let broker: MosquittoHandle;
    let port: string;
    before(async () => {
      broker = await startMosquitto();
      port = String(broker.port);
    });
    after(async () => {
      await broker.close();
    });
    afterEach(() => killAll());

    for (const version of ['31', '311', '5']) {
      test(
        `-V ${version}: a message sent by either tool reaches either tool (all four combinations)`,
        T,
        () => allCombinations(port, version),
      );
    }

    test('-v, -F and --json print like mosquitto_sub', T, async () => {
      const t = topic('fmt');
      await runTool('mosquitto_pub', ['-p', port, '-t', t, '-m', 'hello', '-r', '-q', '1']);
      const base = ['-p', port, '-t', t, '-C', '1'];
      for (const extra of [['-v'], ['-F', '%t|%p|%q|%r|%l|%x'], ['-N']]) {
        const ours = await runTool('petrel', ['sub', ...base, ...extra]);
        const theirs = await runTool('mosquitto_sub', [...base, ...extra]);
        assert.equal(ours.code, 0, ours.stderr);
        assert.equal(ours.stdout, theirs.stdout, extra.join(' '));
      }
      // Times differ between two runs: compare their shape.
      const shape = (out: string): string => out.replace(/\d/g, '9');
      const timeFormat = ['-F', '%I|%t'];
      const oursTime = await runTool('petrel', ['sub', ...base, ...timeFormat]);
      const theirsTime = await runTool('mosquitto_sub', [...base, ...timeFormat]);
      assert.equal(shape(oursTime.stdout), shape(theirsTime.stdout));
      const json = await runTool('petrel', ['sub', ...base, '--json']);
      const o = JSON.parse(json.stdout) as Record<string, unknown>;
      assert.deepEqual([o.topic, o.payload, o.retain, o.qos, o.payloadlen], [t, 'hello', 1, 0, 5]);
      await runTool('petrel', ['pub', '-p', port, '-t', t, '-n', '-r']);
    });

    test(
      'pub -l sends one message per line (blank lines as empty messages), -s all of stdin, -f a file',
      T,
      async () => {
        const t = topic('stdin');
        const sub = start('mosquitto_sub', ['-p', port, '-t', t, '-C', '5', '-d', '-F', '[%p]']);
        await sub.waitFor('SUBACK');
        const l = await runTool(
          'petrel',
          ['pub', '-p', port, '-t', t, '-l', '-q', '1'],
          'one\n\nthree\n',
        );
        assert.equal(l.code, 0, l.stderr);
        const s = await runTool('petrel', ['pub', '-p', port, '-t', t, '-s'], 'all\nof it');
        assert.equal(s.code, 0, s.stderr);
        const dir = mkdtempSync(join(tmpdir(), 'petrel-cli-'));
        try {
          writeFileSync(join(dir, 'msg'), 'file body');
          const f = await runTool('petrel', ['pub', '-p', port, '-t', t, '-f', join(dir, 'msg')]);
          assert.equal(f.code, 0, f.stderr);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        assert.equal(await sub.exit, 0);
        assert.deepEqual(messageLines(sub.stdout()), [
          '[one]',
          '[]',
          '[three]',
          '[all',
          'of it]',
          '[file body]',
        ]);
      },
    );

    test(
      'pub --repeat and -n, sub -T filters out, -L URL carries host, port and topic',
      T,
      async () => {
        const t = topic('repeat');
        const sub = start('petrel', [
          'sub',
          '-L',
          `mqtt://127.0.0.1:${port}/${t}/#`,
          '-T',
          `${t}/skip`,
          '-C',
          '4',
          '-d',
          '-v',
        ]);
        await sub.waitFor('SUBACK');
        await runTool('petrel', ['pub', '-p', port, '-t', `${t}/skip`, '-m', 'no']);
        const r = await runTool('petrel', [
          'pub',
          '-L',
          `mqtt://127.0.0.1:${port}/${t}/a`,
          '-m',
          'x',
          '--repeat',
          '3',
          '--repeat-delay',
          '0.01',
        ]);
        assert.equal(r.code, 0, r.stderr);
        await runTool('petrel', ['pub', '-p', port, '-t', `${t}/n`, '-n']);
        assert.equal(await sub.exit, 0, sub.stderr());
        assert.deepEqual(messageLines(sub.stdout()), [
          `${t}/a x`,
          `${t}/a x`,
          `${t}/a x`,
          `${t}/n `,
        ]);
      },
    );

    test(
      'retained messages: -R skips them, --retained-only prints only them, --remove-retained clears them',
      T,
      async () => {
        const t = topic('retained');
        await runTool('petrel', ['pub', '-p', port, '-t', `${t}/1`, '-m', 'old', '-r']);
        const onlyRetained = await runTool('petrel', [
          'sub',
          '-p',
          port,
          '-t',
          `${t}/#`,
          '--retained-only',
          '-W',
          '1',
          '-C',
          '1',
        ]);
        assert.equal(onlyRetained.stdout, 'old\n');
        const noStale = start('petrel', ['sub', '-p', port, '-t', `${t}/#`, '-R', '-C', '1', '-d']);
        await noStale.waitFor('SUBACK');
        await runTool('petrel', ['pub', '-p', port, '-t', `${t}/2`, '-m', 'live']);
        assert.equal(await noStale.exit, 0);
        assert.deepEqual(messageLines(noStale.stdout()), ['live']);
        const removed = await runTool('petrel', [
          'sub',
          '-p',
          port,
          '-t',
          `${t}/#`,
          '--remove-retained',
          '-W',
          '0.5',
        ]);
        assert.equal(removed.code, 27);
        assert.equal(removed.stdout, 'old\n');
        const after = await runTool('mosquitto_sub', ['-p', port, '-t', `${t}/#`, '-W', '1']);
        assert.equal(after.stdout, '');
      },
    );

    test(
      'v5 -D properties reach mosquitto_sub; the will fires when petrel sub dies',
      T,
      async () => {
        const t = topic('v5');
        const sub = start('mosquitto_sub', [
          '-p',
          port,
          '-t',
          `${t}/#`,
          '-V',
          '5',
          '-C',
          '2',
          '-d',
          '-F',
          '%t %p %P',
        ]);
        await sub.waitFor('SUBACK');
        const pub = await runTool('petrel', [
          'pub',
          '-p',
          port,
          '-V',
          '5',
          '-t',
          `${t}/p`,
          '-m',
          'm',
          '-D',
          'publish',
          'user-property',
          'k',
          'v',
        ]);
        assert.equal(pub.code, 0, pub.stderr);
        const victim = start('petrel', [
          'sub',
          '-p',
          port,
          '-t',
          'unused',
          '-d',
          '--will-topic',
          `${t}/will`,
          '--will-payload',
          'dead',
          '--will-qos',
          '1',
        ]);
        await victim.waitFor('SUBACK');
        victim.child.kill('SIGKILL');
        assert.equal(await sub.exit, 0);
        assert.deepEqual(messageLines(sub.stdout()), [`${t}/p m k:v`, `${t}/will dead `]);
      },
    );

    test('rr: request/response with a responder, and exit 27 without one', T, async () => {
      const service = topic('rr');
      const responder = await connect(broker.url, { reconnect: false });
      try {
        await responder.subscribe(service, { qos: 1 });
        responder.on('message', (m) => {
          const p = m.properties;
          if (p?.responseTopic === undefined) return;
          void responder.publish(p.responseTopic, `pong:${m.payload.toString()}`, {
            properties: p.correlationData ? { correlationData: p.correlationData } : {},
          });
        });
        const ours = await runTool('petrel', [
          'rr',
          '-p',
          port,
          '-t',
          service,
          '-e',
          `${service}/reply`,
          '-m',
          'ping',
        ]);
        assert.equal(ours.code, 0, ours.stderr);
        assert.equal(ours.stdout, 'pong:ping\n');
        const theirs = await runTool('mosquitto_rr', [
          '-p',
          port,
          '-t',
          service,
          '-e',
          `${service}/reply2`,
          '-m',
          'ping',
        ]);
        assert.equal(theirs.stdout, ours.stdout);
        const none = await runTool('petrel', [
          'rr',
          '-p',
          port,
          '-t',
          topic('nobody'),
          '-m',
          'x',
          '-W',
          '0.3',
        ]);
        assert.equal(none.code, 27);
        assert.match(none.stderr, /^petrel rr: timed out/);
      } finally {
        await responder.disconnect();
      }
    });

    test(
      'sub -c keeps the session: QoS 1 messages sent while it was away arrive on return',
      T,
      async () => {
        const t = topic('persist');
        const id = `petrel-cli-persist-${process.pid}`;
        const args = ['sub', '-p', port, '-t', t, '-q', '1', '-c', '-i', id];
        const first = await runTool('petrel', [...args, '-E']);
        assert.equal(first.code, 0, first.stderr);
        await runTool('mosquitto_pub', ['-p', port, '-t', t, '-q', '1', '-m', 'while away']);
        const back = await runTool('petrel', [...args, '-C', '1', '-W', '3']);
        assert.equal(back.code, 0, back.stderr);
        assert.equal(back.stdout, 'while away\n');
      },
    );

    test('-L ws:// URLs and TLS flags (--cafile, --insecure) reach the broker', T, async () => {
      const certs = makeCerts();
      const tls = await startMosquitto({
        websockets: true,
        tls: { certfile: certs.serverCert, keyfile: certs.serverKey },
      });
      try {
        const t = topic('transports');
        const sub = start('petrel', [
          'sub',
          '-L',
          `ws://127.0.0.1:${tls.wsPort}/mqtt`,
          '-t',
          t,
          '-C',
          '3',
          '-d',
        ]);
        await sub.waitFor('SUBACK');
        const viaCa = await runTool('petrel', [
          'pub',
          '-h',
          'localhost',
          '-p',
          String(tls.tlsPort),
          '--cafile',
          certs.ca,
          '-t',
          t,
          '-m',
          'ca',
        ]);
        assert.equal(viaCa.code, 0, viaCa.stderr);
        const insecure = await runTool('petrel', [
          'pub',
          '-h',
          '127.0.0.1',
          '-p',
          String(tls.tlsPort),
          '--tls',
          '--insecure',
          '-t',
          t,
          '-m',
          'insecure',
        ]);
        assert.equal(insecure.code, 0, insecure.stderr);
        const refused = await runTool('petrel', [
          'pub',
          '-h',
          'localhost',
          '-p',
          String(tls.tlsPort),
          '--tls',
          '-t',
          t,
          '-m',
          'no',
        ]);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /^petrel pub: cannot connect .*certificate/);
        const viaWs = await runTool('petrel', [
          'pub',
          '-L',
          `ws://127.0.0.1:${tls.wsPort}/mqtt`,
          '-t',
          t,
          '-m',
          'ws',
        ]);
        assert.equal(viaWs.code, 0, viaWs.stderr);
        assert.equal(await sub.exit, 0, sub.stderr());
        assert.deepEqual(messageLines(sub.stdout()), ['ca', 'insecure', 'ws']);
      } finally {
        await tls.close();
        certs.remove();
      }
    });

    test('sub stays subscribed across a broker restart, like mosquitto_sub', T, async () => {
      const own = await startMosquitto();
      try {
        const t = topic('restart');
        const sub = start('petrel', [
          'sub',
          '-p',
          String(own.port),
          '-t',
          t,
          '-q',
          '1',
          '-C',
          '1',
          '-d',
        ]);
        await sub.waitFor('SUBACK');
        await own.restart();
        await sub.waitFor(/SUBACK[\s\S]*SUBACK/);
        await runTool('mosquitto_pub', [
          '-p',
          String(own.port),
          '-t',
          t,
          '-q',
          '1',
          '-m',
          'after restart',
        ]);
        assert.equal(await sub.exit, 0, sub.stderr());
        assert.deepEqual(messageLines(sub.stdout()), ['after restart']);
      } finally {
        await own.close();
      }
    });

    test(
      '--help prints usage and exits 0; sub -U unsubscribes a persistent session',
      T,
      async () => {
        for (const cmd of ['pub', 'sub', 'rr']) {
          const r = await runTool('petrel', [cmd, '--help']);
          assert.equal(r.code, 0);
          assert.match(r.stdout, new RegExp(`^Usage: petrel ${cmd} `));
        }
        const t = topic('unsub');
        const id = `petrel-cli-unsub-${process.pid}`;
        const session = ['-p', port, '-q', '1', '-c', '-i', id];
        await runTool('petrel', ['sub', ...session, '-t', t, '-E']);
        const u = await runTool('petrel', ['sub', ...session, '-U', t]);
        assert.equal(u.code, 0, u.stderr);
        await runTool('mosquitto_pub', ['-p', port, '-t', t, '-q', '1', '-m', 'unwanted']);
        const back = await runTool('petrel', ['sub', ...session, '-t', `${t}/other`, '-W', '0.5']);
        assert.equal(back.code, 27);
        assert.equal(back.stdout, '');
      },
    );

    test('sub -W: exits 27 with one line when nothing arrives in time', T, async () => {
      const r = await runTool('petrel', ['sub', '-p', port, '-t', topic('quiet'), '-W', '0.3']);
      assert.equal(r.code, 27);
      assert.equal(r.stderr, 'petrel sub: timed out after 0.3 s\n');
    });
  });

  describe('petrel pub/sub failures', () => {
    let broker: MosquittoHandle;
    before(async () => {
      broker = await startMosquitto({ anonymous: false });
    });
    after(async () => {
      await broker.close();
    });
    afterEach(() => killAll());

    for (const [cmd, version, text] of [
      ['pub', '311', /not authorized/],
      ['sub', '5', /not authorized/],
    ] as const) {
      test(
        `${cmd} -V ${version}: a refused connection exits non-zero with one line`,
        T,
        async () => {
          const args = cmd === 'pub' ? ['-m', 'x'] : [];
          const r = await runTool('petrel', [
            cmd,
            '-p',
            String(broker.port),
            '-t',
            't',
            '-V',
            version,
            ...args,
          ]);
          assert.notEqual(r.code, 0);
          assert.match(r.stderr, new RegExp(`^petrel ${cmd}: connection refused: `));
          assert.match(r.stderr, text);
          assert.equal(r.stderr.split('\n').length, 2);
        },
      );
    }

    test(
      'a broker that never answers CONNECT: --connect-timeout ends pub and sub with one line',
      T,
      async () => {
        const silent = createServer((socket) => {
          socket.on('error', () => undefined);
        });
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
        const addr = silent.address();
        const p = String(typeof addr === 'object' && addr !== null ? addr.port : 0);
        try {
          for (const cmd of ['pub', 'sub'] as const) {
            const extra = cmd === 'pub' ? ['-m', 'x'] : [];
            const started = Date.now();
            const r = await runTool('petrel', [
              cmd,
              '-p',
              p,
              '-t',
              't',
              '--connect-timeout',
              '0.3',
              ...extra,
            ]);
            assert.equal(r.code, 1);
            assert.equal(r.stderr, `petrel ${cmd}: no CONNACK within 300 ms\n`);
            assert.ok(Date.now() - started < 3000);
          }
        } finally {
          silent.close();
        }
      },
    );

    test('an unreachable broker exits non-zero with one line', T, async () => {
      const r = await runTool('petrel', [
        'pub',
        '-p',
        '1',
        '-h',
        '127.0.0.1',
        '-t',
        't',
        '-m',
        'x',
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^petrel pub: cannot connect to 127\.0\.0\.1:1: .*ECONNREFUSED.*\n$/);
    });

    for (const [args, flag] of [
      [['pub', '-t', 't', '-m', 'x', '--bogus'], "'--bogus'"],
      [['pub', '-t', 't', '-m', 'x', '-q', '3'], "'-q'"],
      [['pub', '-t', 't', '-m', 'x', '-V', '4'], "'-V'"],
      [['sub', '-t', 't', '-C'], "'-C'"],
      [['sub', '-t', 'a/#/b'], "'-t'"],
      [['pub', '-m', 'x'], "'-t'"],
      [['rr', '-t', 't', '-m', 'x', '-V', '311'], "'-V'"],
    ] as const) {
      test(`bad flags are named: petrel ${args.join(' ')}`, T, async () => {
        const r = await runTool('petrel', [...args]);
        assert.equal(r.code, 2);
        assert.ok(r.stderr.startsWith(`petrel ${args[0]}: `), r.stderr);
        assert.ok(r.stderr.includes(flag), r.stderr);
        assert.equal(r.stderr.split('\n').length, 2);
      });
    }
  });

  describe("the same four combinations through Petrel's broker", () => {
    let broker: PetrelBroker;
    before(async () => {
      broker = await startBroker();
    });
    after(async () => {
      await broker.close();
    });
    afterEach(() => killAll());
    for (const version of ['31', '311', '5']) {
      test(`-V ${version}: all four combinations`, T, () =>
        allCombinations(String(broker.port), version),
      );
    }
  });
}
