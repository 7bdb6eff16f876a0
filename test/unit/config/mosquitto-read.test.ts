// The mosquitto.conf reader: Mosquitto's line rules, include_dir order (the examples of
// mosquitto.conf(5)), connection sections, and errors naming file and line.
import assert from 'node:assert/strict';
import { basename, dirname } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  compareIncludeNames,
  MosquittoConfigError,
  readMosquittoConfig,
} from '../../../src/config/mosquitto-read.js';
import { tempConfs } from '../../helpers/mosquitto-fixtures.js';

const t = tempConfs();
after(() => t.remove());

function refused(text: string, pattern: RegExp): void {
  const path = t.write(text, 'bad.conf');
  assert.throws(
    () => readMosquittoConfig(path),
    (err: unknown) => err instanceof MosquittoConfigError && pattern.test(err.message),
  );
}

describe('mosquitto.conf lines', () => {
  test('comments in the first column and blank lines are skipped; CRLF and trailing blanks are not part of the value', () => {
    const path = t.write('# a comment\n\nlistener 1883 127.0.0.1  \r\nacl_file /etc/my acl\n');
    const f = readMosquittoConfig(path);
    assert.deepEqual(
      f.directives.map((d) => [d.key, d.args, d.value, d.line]),
      [
        ['listener', ['1883', '127.0.0.1'], '1883 127.0.0.1', 3],
        ['acl_file', ['/etc/my', 'acl'], '/etc/my acl', 4],
      ],
    );
    assert.equal(f.directives[0]?.file, path);
  });

  test('an indented comment is refused, as Mosquitto does, naming file and line', () => {
    refused(
      'listener 1883\n  # indented\n',
      /bad\.conf:2: a comment must start in the first column/,
    );
  });

  test('a key without a value is an error naming file and line', () => {
    refused('listener 1883\nallow_anonymous\n', /bad\.conf:2: allow_anonymous: missing value/);
  });

  test('a bridge key before any connection line is an error', () => {
    refused(
      'address 10.0.0.1\n',
      /bad\.conf:1: address: a bridge key outside a 'connection' section/,
    );
  });
});

describe('include_dir', () => {
  test("files load in Mosquitto's order: 00, 01, A, a, B, b (mosquitto.conf(5) example); other files are skipped", () => {
    const f = readMosquittoConfig(t.fixture('include-order.conf'));
    assert.deepEqual(
      f.directives.map((d) => basename(d.file)),
      ['00.conf', '01.conf', 'A.conf', 'a.conf', 'B.conf', 'b.conf'],
    );
    assert.ok(f.directives.every((d) => d.line === 2));
  });

  test('several include_dir lines are each read completely, in order (mosquitto.conf(5) example)', () => {
    const f = readMosquittoConfig(t.fixture('include-multiple.conf'));
    assert.deepEqual(
      f.directives.map((d) => `${basename(dirname(d.file))}/${basename(d.file)}`),
      ['one.d/B.conf', 'one.d/C.conf', 'two.d/A.conf', 'two.d/D.conf'],
    );
  });

  test('the comparison folds case first, then puts upper case first', () => {
    assert.deepEqual(['b', 'B', 'a_', 'aB', 'ab', 'A', 'a', '10', '1'].sort(compareIncludeNames), [
      '1',
      '10',
      'A',
      'a',
      'aB',
      'ab',
      'a_',
      'B',
      'b',
    ]);
  });

  test('a missing directory, an include_dir in an included file, or one holding the main file is an error', () => {
    refused(
      'include_dir /nonexistent/petrel\n',
      /bad\.conf:1: include_dir: cannot read \/nonexistent\/petrel/,
    );
    const nested = tempConfs();
    const self = tempConfs();
    try {
      nested.write('include_dir /tmp\n', 'nested.conf');
      refused(
        `include_dir ${nested.dir}\n`,
        /nested\.conf:1: include_dir: only allowed in the main configuration file/,
      );
      const main = self.write(`include_dir ${self.dir}\n`, 'main.conf');
      assert.throws(
        () => readMosquittoConfig(main),
        /main\.conf:1: include_dir: .* contains the main configuration file/,
      );
    } finally {
      nested.remove();
      self.remove();
    }
  });
});

describe('connection sections', () => {
  test('each connection collects the bridge keys that follow it, with file and line; other keys stay global', () => {
    const path = t.write(
      [
        'listener 1883',
        'connection one',
        'address a.example:1883 b.example:1884',
        'topic # out 1',
        'sys_interval 5',
        'connection two',
        'address c.example',
        '',
      ].join('\n'),
    );
    const f = readMosquittoConfig(path);
    assert.deepEqual(
      f.connections.map((c) => ({
        name: c.name,
        line: c.line,
        keys: c.directives.map((d) => `${d.line}:${d.key}=${d.args.join(',')}`),
      })),
      [
        {
          name: 'one',
          line: 2,
          keys: ['3:address=a.example:1883,b.example:1884', '4:topic=#,out,1'],
        },
        { name: 'two', line: 6, keys: ['7:address=c.example'] },
      ],
    );
    assert.deepEqual(
      f.directives.map((d) => d.key),
      ['listener', 'sys_interval'],
    );
  });

  test('the bridge examples of mosquitto.conf(5) become one section each', () => {
    const f = readMosquittoConfig(t.fixture('bridge-remap.conf'));
    assert.deepEqual(
      f.connections.map((c) => [c.name, c.line, c.directives.map((d) => `${d.line}:${d.value}`)]),
      [
        [
          'test-mosquitto-org',
          2,
          [
            '3:test.mosquitto.org',
            '4:true',
            '5:clients/total in 0 test/mosquitto/org/ $SYS/broker/',
          ],
        ],
        [
          'remap-tree',
          8,
          [
            '9:broker.example:1883 backup.example:1884',
            '10:# both 2 local/topic/ remote/topic/',
            '11:20',
          ],
        ],
        ['backoff', 14, ['15:broker.example', '16:sensors/# out 1', '17:10 30']],
      ],
    );
    const c = f.connections[0];
    assert.equal(c?.name, 'test-mosquitto-org');
    assert.deepEqual(c?.directives.find((d) => d.key === 'topic')?.args, [
      'clients/total',
      'in',
      '0',
      'test/mosquitto/org/',
      '$SYS/broker/',
    ]);
  });
});
