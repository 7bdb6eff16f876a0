// `npm run test:interop`: Debian's mosquitto_pub and mosquitto_sub (protocol -V 31, 311 and 5)
// against an embedded Petrel broker on a loopback port.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { TestBroker } from '../helpers/broker.js';
import { startBroker } from '../helpers/broker.js';

const PUB = process.env.MOSQUITTO_PUB ?? 'mosquitto_pub';
const SUB = process.env.MOSQUITTO_SUB ?? 'mosquitto_sub';

interface Run {
  child: ChildProcess;
  /** Resolves with stdout and the exit code once the process exits (or is killed at `ms`). */
  done: Promise<{ out: string; err: string; code: number | null }>;
}

const children = new Set<ChildProcess>();

function run(cmd: string, args: string[], ms = 5000): Run {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<{ out: string; err: string; code: number | null }>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('close', (code) => {
      clearTimeout(t);
      children.delete(child);
      resolve({ out, err, code });
    });
  });
  return { child, done };
}

let n = 0;
function unique(prefix: string): string {
  n++;
  return `${prefix}/${process.pid}/${n}`;
}

for (const [flag, label] of [
  ['31', 'MQTT 3.1'],
  ['311', 'MQTT 3.1.1'],
  ['5', 'MQTT 5.0'],
] as const) {
  describe(`mosquitto_pub / mosquitto_sub -V ${flag} (${label}) against Petrel`, {
    timeout: 9000,
  }, () => {
    let b: TestBroker;
    const common = (): string[] => ['-h', '127.0.0.1', '-p', String(b.port), '-V', flag];

    /** Starts mosquitto_sub and resolves once Petrel has registered its subscription. */
    const subscribe = async (topic: string, args: string[]): Promise<Run> => {
      const subscribed = new Promise<void>((resolve) => {
        const on = (e: { subscriptions: Array<{ topicFilter: string }> }): void => {
          if (e.subscriptions.some((s) => s.topicFilter === topic)) {
            b.broker.off('subscribe', on);
            resolve();
          }
        };
        b.broker.on('subscribe', on);
      });
      const r = run(SUB, [...common(), '-t', topic, ...args]);
      await Promise.race([
        subscribed,
        r.done.then((res) => {
          throw new Error(`mosquitto_sub exited early: ${res.err}`);
        }),
      ]);
      return r;
    };

    before(async () => {
      b = await startBroker();
    });
    after(async () => {
      for (const c of children) c.kill('SIGKILL');
      await b.close();
    });

    for (const qos of [0, 1, 2] as const) {
      test(`mosquitto_pub QoS ${qos} -> mosquitto_sub QoS ${qos} [MQTT-4.3.${qos + 1}-1]`, async () => {
        const topic = unique(`interop/v${flag}/q${qos}`);
        const sub = await subscribe(topic, ['-q', String(qos), '-C', '1', '-F', '%t|%q|%r|%p']);
        const pub = await run(PUB, [
          ...common(),
          '-t',
          topic,
          '-q',
          String(qos),
          '-m',
          `hello-${qos}`,
        ]).done;
        assert.equal(pub.code, 0, pub.err);
        const res = await sub.done;
        assert.equal(res.code, 0, res.err);
        assert.equal(res.out.trim(), `${topic}|${qos}|0|hello-${qos}`);
      });
    }

    test('several messages in order, QoS 1, with -l (one message per line) [MQTT-4.6.0-2]', async () => {
      const topic = unique(`interop/v${flag}/order`);
      const sub = await subscribe(topic, ['-q', '1', '-C', '5']);
      const lines = ['one', 'two', 'three', 'four', 'five'];
      // -l publishes each stdin line as a message.
      const feeder = spawn(PUB, [...common(), '-t', topic, '-q', '1', '-l'], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      children.add(feeder);
      feeder.stdin?.end(`${lines.join('\n')}\n`);
      const fed = await new Promise<number | null>((resolve) => feeder.once('close', resolve));
      children.delete(feeder);
      assert.equal(fed, 0);
      const res = await sub.done;
      assert.deepEqual(res.out.trim().split('\n'), lines);
    });

    test('a retained message reaches a later mosquitto_sub with the retain flag [MQTT-3.3.1-6]', async () => {
      const topic = unique(`interop/v${flag}/retained`);
      const pub = await run(PUB, [...common(), '-t', topic, '-q', '1', '-r', '-m', 'kept']).done;
      assert.equal(pub.code, 0, pub.err);
      const sub = run(SUB, [...common(), '-t', topic, '-q', '1', '-C', '1', '-F', '%r|%p']);
      const res = await sub.done;
      assert.equal(res.out.trim(), '1|kept');
      const clear = await run(PUB, [...common(), '-t', topic, '-r', '-n']).done;
      assert.equal(clear.code, 0, clear.err);
      const after = await run(SUB, [...common(), '-t', topic, '-C', '1', '-W', '1']).done;
      assert.equal(after.out, '', 'an empty retained message deletes it [MQTT-3.3.1-10]');
    });

    test('the will of a killed mosquitto_sub is published [MQTT-3.1.2-8]', async () => {
      const topic = unique(`interop/v${flag}/will`);
      const watcher = await subscribe(`${topic}/last`, ['-q', '1', '-C', '1']);
      const dying = await subscribe(`${topic}/any`, [
        '--will-topic',
        `${topic}/last`,
        '--will-payload',
        'bye',
        '--will-qos',
        '1',
      ]);
      dying.child.kill('SIGKILL');
      await dying.done;
      const res = await watcher.done;
      assert.equal(res.out.trim(), 'bye');
    });

    test('a persistent mosquitto_sub session (-c) gets the QoS 1 message sent while it was away [MQTT-3.1.2-5]', async () => {
      const topic = unique(`interop/v${flag}/session`);
      const id = `ms${process.pid}${n}v${flag}`;
      const expiry = flag === '5' ? ['-x', '60'] : [];
      const first = await run(SUB, [
        ...common(),
        '-c',
        '-i',
        id,
        ...expiry,
        '-q',
        '1',
        '-t',
        topic,
        '-E',
      ]).done;
      assert.equal(first.code, 0, first.err);
      const pub = await run(PUB, [...common(), '-t', topic, '-q', '1', '-m', 'while away']).done;
      assert.equal(pub.code, 0, pub.err);
      const second = await run(SUB, [
        ...common(),
        '-c',
        '-i',
        id,
        ...expiry,
        '-q',
        '1',
        '-t',
        topic,
        '-C',
        '1',
      ]).done;
      assert.equal(second.code, 0, second.err);
      assert.equal(second.out.trim(), 'while away');
    });

    test('wildcard mosquitto_sub receives from several topics [MQTT-4.7.1-2]', async () => {
      const base = unique(`interop/v${flag}/wild`);
      const sub = await subscribe(`${base}/#`, ['-C', '2', '-v']);
      await run(PUB, [...common(), '-t', `${base}/a`, '-m', 'A']).done;
      await run(PUB, [...common(), '-t', `${base}/b/c`, '-m', 'BC']).done;
      const res = await sub.done;
      assert.deepEqual(res.out.trim().split('\n'), [`${base}/a A`, `${base}/b/c BC`]);
    });
  });
}

describe('mosquitto clients -V 5 properties through Petrel', { timeout: 9000 }, () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await b.close();
  });
  test('content type, response topic, correlation data and user property are forwarded [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-20]', async () => {
    const topic = unique('interop/v5/props');
    const base = ['-h', '127.0.0.1', '-p', String(b.port), '-V', '5'];
    const subscribed = new Promise<void>((resolve) => b.broker.once('subscribe', () => resolve()));
    const sub = run(SUB, [...base, '-t', topic, '-C', '1', '-F', '%C|%R|%D|%P|%p']);
    await subscribed;
    const pub = await run(PUB, [
      ...base,
      '-t',
      topic,
      '-m',
      'body',
      '-D',
      'publish',
      'content-type',
      'text/plain',
      '-D',
      'publish',
      'response-topic',
      'reply/here',
      '-D',
      'publish',
      'correlation-data',
      'c42',
      '-D',
      'publish',
      'user-property',
      'k',
      'v',
    ]).done;
    assert.equal(pub.code, 0, pub.err);
    const res = await sub.done;
    assert.equal(res.out.trim(), 'text/plain|reply/here|c42|k:v|body');
  });
});

describe('mosquitto clients across protocol versions', { timeout: 9000 }, () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await b.close();
  });
  for (const [from, to] of [
    ['31', '5'],
    ['5', '311'],
    ['311', '31'],
  ] as const) {
    test(`-V ${from} publisher -> -V ${to} subscriber, QoS 1`, async () => {
      const topic = unique(`interop/cross/${from}-${to}`);
      const subscribed = new Promise<void>((resolve) =>
        b.broker.once('subscribe', () => resolve()),
      );
      const sub = run(SUB, [
        '-h',
        '127.0.0.1',
        '-p',
        String(b.port),
        '-V',
        to,
        '-t',
        topic,
        '-q',
        '1',
        '-C',
        '1',
      ]);
      await subscribed;
      const pub = await run(PUB, [
        '-h',
        '127.0.0.1',
        '-p',
        String(b.port),
        '-V',
        from,
        '-t',
        topic,
        '-q',
        '1',
        '-m',
        'x-ver',
      ]).done;
      assert.equal(pub.code, 0, pub.err);
      assert.equal((await sub.done).out.trim(), 'x-ver');
    });
  }
});
