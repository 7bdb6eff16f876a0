// `npm run test:interop`: `petrel sub -F` prints the same bytes as Debian's `mosquitto_sub -F`
// for one MQTT 5 message carrying every PUBLISH property, received by both through an embedded
// Petrel broker. Time sequences differ by the instant printed, so they are compared by shape.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TestBroker } from '../helpers/broker.js';
import { startBroker } from '../helpers/broker.js';

const PUB = process.env.MOSQUITTO_PUB ?? 'mosquitto_pub';
const SUB = process.env.MOSQUITTO_SUB ?? 'mosquitto_sub';
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const missing = [PUB, SUB].filter((cmd) => spawnSync(cmd, ['--help']).error !== undefined);

/** Formats whose output does not depend on the clock: compared byte for byte. */
const EXACT = [
  '%t|%p|%q|%r|%l|%m|%x|%X',
  '%C|%D|%E|%F|%P|%R|%S|%A|%%|@@',
  '%20t|%-20t|%.3t|%8.3t|%-8.3t|%30C|%-30C|%.4C|%12R|%.5R|%-12.5R|%5.t|%.0C',
  '%6E|%-6E|%06E|%4F|%04F|%-4F|%5S|%05S|%-5S|%5A|%05A|%-05A|%6l|%06l|%-6l|%4m|%04m|%-4m',
  '%70p|%-70p|%070p|%10p|%-10p|%-p|%1p',
  '%100x|%-100X|%0100x|%10x|%11x|%-x|%1x|%-9X',
  '\\\\|\\0|\\a|\\e|\\n|\\r|\\t|\\v|',
  // Conversions that only change once a year, and ones strftime does not know.
  '@C|@Y|@z|@Z|@n|@t|@%|@Q|@E|@O|@_|@ ',
];

/** Formats with the time in them: each output must match the shape. */
const SHAPES: Array<[string, RegExp]> = [
  ['%I', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/],
  ['%U', /^\d{10}\.\d{9}$/],
  ['@N', /^\d{9}$/],
  ['@s@F@T', /^\d{10}\d{4}-\d\d-\d\d\d\d:\d\d:\d\d$/],
  [
    '@a|@A|@b|@B|@c',
    /^[A-Z][a-z]{2}\|[A-Z][a-z]+day\|[A-Z][a-z]{2}\|[A-Z][a-z]+\|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/,
  ],
  conversions(),
];

/** The numeric strftime conversions, separated by `|`, and the shape of each. */
function conversions(): [string, RegExp] {
  const shapes: Record<string, string> = {
    d: '\\d\\d',
    e: '[ \\d]\\d',
    H: '\\d\\d',
    I: '\\d\\d',
    j: '\\d{3}',
    k: '[ \\d]\\d',
    l: '[ \\d]\\d',
    m: '\\d\\d',
    M: '\\d\\d',
    S: '\\d\\d',
    u: '[1-7]',
    w: '[0-6]',
    y: '\\d\\d',
    g: '\\d\\d',
    G: '\\d{4}',
    U: '\\d\\d',
    V: '\\d\\d',
    W: '\\d\\d',
    D: '\\d\\d/\\d\\d/\\d\\d',
    x: '\\d\\d/\\d\\d/\\d\\d',
    R: '\\d\\d:\\d\\d',
    X: '\\d\\d:\\d\\d:\\d\\d',
    r: '\\d\\d:\\d\\d:\\d\\d [AP]M',
    p: '[AP]M',
    P: '[ap]m',
  };
  const keys = Object.keys(shapes);
  return [
    keys.map((c) => `@${c}`).join('|'),
    new RegExp(`^${keys.map((c) => shapes[c]).join('\\|')}$`),
  ];
}

/** %j and %J: equal once the timestamp is masked, which must have mosquitto's shape. */
const JSON_FORMATS = ['%j', '%J'];
const TST = /"tst":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z[+-]\d{4}"/;

const children = new Set<ChildProcess>();

/** Starts a subscriber; resolves with its stdout bytes when it exits (killed at 8 s). */
function start(cmd: string, args: string[]): Promise<Buffer> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 8000);
    child.once('close', (code) => {
      clearTimeout(t);
      children.delete(child);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

describe('petrel sub -F prints what mosquitto_sub -F prints', {
  skip: missing.length > 0 ? `not installed: ${missing.join(', ')}` : false,
  timeout: 9500,
}, () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await b.close();
  });

  test('one v5 message with every property, through every sequence', async () => {
    const topic = `interop/format/${process.pid}`;
    const formats = [...EXACT, ...SHAPES.map(([f]) => f), ...JSON_FORMATS];
    // Retain as published: the live message keeps its retain flag, and arrives at every
    // subscriber at once with the same remaining expiry interval.
    const sub = [
      '-h',
      '127.0.0.1',
      '-p',
      String(b.port),
      '-V',
      '5',
      '-t',
      topic,
      '-C',
      '1',
      // QoS 1: %m and the mid of %j carry the packet id.
      '-q',
      '1',
      '--retain-as-published',
      '-D',
      'subscribe',
      'subscription-identifier',
      '5',
    ];
    let pending = formats.length * 2;
    const subscribed = new Promise<void>((resolve) => {
      const on = (e: { subscriptions: Array<{ topicFilter: string }> }): void => {
        if (e.subscriptions.some((s) => s.topicFilter === topic) && --pending === 0) {
          b.broker.off('subscribe', on);
          resolve();
        }
      };
      b.broker.on('subscribe', on);
    });
    const runs = formats.map((f) => ({
      format: f,
      mosquitto: start(SUB, [...sub, '-F', f]),
      petrel: start(process.execPath, [MAIN, 'sub', ...sub, '-F', f]),
    }));
    const failed = Promise.race(
      runs
        .flatMap((r) => [r.mosquitto, r.petrel])
        .map((p) => p.then(() => new Promise<never>(() => undefined))),
    );
    await Promise.race([subscribed, failed]);
    const payload = '{"t": 21.50, "s": "a\\tb \\u00e9 é", "list": [1, 2e3, true, null]}';
    const props = [
      ['content-type', 'application/json; charset=utf-8'],
      ['response-topic', 'replies/format'],
      ['correlation-data', 'corr-42'],
      ['message-expiry-interval', '3600'],
      ['payload-format-indicator', '1'],
      ['user-property', 'unit', 'celsius'],
      ['user-property', 'room', 'kitchen'],
      ['user-property', 'unit', 'kelvin'],
    ].flatMap((p) => ['-D', 'publish', ...p]);
    const address = ['-h', '127.0.0.1', '-p', String(b.port), '-V', '5', '-t', topic];
    // Not spawnSync: the broker runs in this process.
    await start(PUB, [...address, '-q', '1', '-r', '-m', payload, ...props]);

    for (const r of runs) {
      const [m, p] = await Promise.all([r.mosquitto, r.petrel]);
      assert.ok(m.length > 1, `mosquitto_sub printed nothing for -F '${r.format}'`);
      const shape = SHAPES.find(([f]) => f === r.format)?.[1];
      if (shape !== undefined) {
        for (const [who, out] of [
          ['mosquitto_sub', m],
          ['petrel sub', p],
        ] as const) {
          assert.match(
            out.toString('latin1'),
            new RegExp(`${shape.source.slice(0, -1)}\\n$`),
            `${who} -F '${r.format}'`,
          );
        }
      } else if (JSON_FORMATS.includes(r.format)) {
        assert.match(m.toString('latin1'), TST, r.format);
        assert.match(p.toString('latin1'), TST, r.format);
        const mask = (b: Buffer): string => b.toString('latin1').replace(TST, '"tst":"T"');
        assert.equal(mask(p), mask(m), `-F '${r.format}'`);
      } else {
        assert.deepEqual(
          p,
          m,
          `-F '${r.format}': ${JSON.stringify(p.toString('latin1'))} vs ${JSON.stringify(m.toString('latin1'))}`,
        );
      }
    }
  });
});
