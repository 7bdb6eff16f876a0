// `-F` formats are checked like mosquitto_sub checks them (same refusals, same messages) and
// split once into literal bytes, parameters and time conversions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../../src/cli/common.js';
import { FormatError, parseFormat } from '../../../src/cli/format-parse.js';
import { defaultOutput, outputFlags } from '../../../src/cli/output.js';

test('literal text, %% and @@ become one run of bytes', () => {
  assert.deepEqual(parseFormat('a%%b@@c'), [{ kind: 'text', bytes: Buffer.from('a%b@c') }]);
  assert.deepEqual(parseFormat(''), []);
});

test('every escape mosquitto documents: \\\\ \\0 \\a \\e \\n \\r \\t \\v', () => {
  assert.deepEqual(parseFormat('\\\\\\0\\a\\e\\n\\r\\t\\v'), [
    { kind: 'text', bytes: Buffer.from([0x5c, 0, 7, 0x1b, 10, 13, 9, 11]) },
  ]);
});

test('flags, field width and maximum width are read after %', () => {
  const p = (conv: string, left: boolean, zero: boolean, width: number, precision: number) => ({
    kind: 'param',
    conv,
    left,
    zero,
    width,
    precision,
  });
  assert.deepEqual(parseFormat('%t'), [p('t', false, false, 0, -1)]);
  assert.deepEqual(parseFormat('%10t'), [p('t', false, false, 10, -1)]);
  assert.deepEqual(parseFormat('%-10.3t'), [p('t', true, false, 10, 3)]);
  assert.deepEqual(parseFormat('%05l'), [p('l', false, true, 5, -1)]);
  assert.deepEqual(parseFormat('%.t'), [p('t', false, false, 0, 0)]);
  // mosquitto's printer takes the 0 after - as the padding flag.
  assert.deepEqual(parseFormat('%-05S'), [p('S', true, true, 5, -1)]);
  assert.deepEqual(parseFormat('%00t'), [p('t', false, true, 0, -1)]);
});

test('every documented parameter is accepted', () => {
  for (const c of 'ACDEFIjJlmPpqRrStUxX') {
    assert.equal(parseFormat(`%${c}`).length, 1, c);
  }
});

test('@ passes one character to strftime', () => {
  assert.deepEqual(parseFormat('x@Y@N@Q'), [
    { kind: 'text', bytes: Buffer.from('x') },
    { kind: 'time', conv: 'Y' },
    { kind: 'time', conv: 'N' },
    { kind: 'time', conv: 'Q' },
  ]);
  // Only the first byte of a multi-byte character follows the @, as in mosquitto.
  assert.deepEqual(parseFormat('@é'), [
    { kind: 'time', conv: '\u00c3' },
    { kind: 'text', bytes: Buffer.from([0xa9]) },
  ]);
});

test("mosquitto's refusals and messages", () => {
  const refused: Array<[string, string]> = [
    ['%', 'Incomplete format specifier.'],
    ['%5', 'Incomplete format specifier.'],
    ['%-', 'Incomplete format specifier.'],
    ['%-0', 'Incomplete format specifier.'],
    ['%5.', 'Incomplete format specifier.'],
    ['%5.3', 'Incomplete format specifier.'],
    ['x@', 'Incomplete format specifier.'],
    ['x\\', 'Incomplete escape specifier.'],
    ['%[', "Invalid format specifier '['."],
    ['%y', "Invalid format specifier 'y'."],
    ['%0-5t', "Invalid format specifier '-'."],
    ['\\q', "Invalid escape specifier 'q'."],
  ];
  for (const [format, message] of refused) {
    assert.throws(
      () => parseFormat(format),
      (e: unknown) => e instanceof FormatError && e.message === message,
      format,
    );
  }
});

test('-F is checked when the flag is read: a usage error naming the flag', () => {
  const o = defaultOutput();
  assert.throws(
    () => parseArgs(['-F', '%Z'], outputFlags(o)),
    /^Error: option '-F': invalid format specifier 'Z'$/,
  );
  parseArgs(['-F', '%t@H'], outputFlags(o));
  assert.equal(o.format, '%t@H');
});
