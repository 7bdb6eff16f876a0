// `%j` / `%J` JSON pieces as cJSON (which mosquitto_sub 2.0 prints with) writes them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cjsonNumber, jsonString, reprintJson } from '../../../src/cli/format-json.js';

function str(bytes: Uint8Array): string {
  const out: number[] = [];
  jsonString(out, bytes);
  return Buffer.from(out).toString('latin1');
}

function reprint(text: string | Buffer): string | undefined {
  const out: number[] = [];
  const src = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return reprintJson(out, src) ? Buffer.from(out).toString('utf8') : undefined;
}

test('strings: quote, backslash and control bytes escaped, other bytes copied, cut at NUL', () => {
  assert.equal(str(Buffer.from('a"b\\c')), '"a\\"b\\\\c"');
  assert.equal(str(Buffer.from('\b\f\n\r\t\x01\x1f\x7f')), '"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f"');
  assert.equal(str(Buffer.from([0xc3, 0xa9, 0xff])), '"\xc3\xa9\xff"');
  assert.equal(str(Buffer.from('ab\0cd')), '"ab"');
});

test('numbers: %1.15g, or %1.17g when 15 digits do not read back', () => {
  const cases: Array<[number, string]> = [
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [2.5, '2.5'],
    [0.1, '0.1'],
    [3e9, '3000000000'],
    [1e15, '1e+15'],
    [1e-7, '1e-07'],
    [0.0001, '0.0001'],
    [123456789012345680, '1.2345678901234568e+17'],
    [1 / 3, '0.33333333333333331'],
    [1e300, '1e+300'],
    [Number.POSITIVE_INFINITY, 'null'],
  ];
  for (const [n, s] of cases) assert.equal(cjsonNumber(n), s, String(n));
});

test('%J re-prints valid JSON unformatted, as cJSON parsed it', () => {
  assert.equal(reprint(' {"x" : [ true , false,null ] } '), '{"x":[true,false,null]}');
  assert.equal(
    reprint('[1e15, 3e9, 0.1, 1e-7, -0, 01, 1., -.5, 1.e5, 2.50, 1E+400]'),
    '[1e+15,3000000000,0.1,1e-07,-0,1,1,-0.5,100000,2.5,null]',
  );
  assert.equal(reprint('"\\u00e9\\n\\/\\ud83d\\ude00"'), '"é\\n/😀"');
  assert.equal(reprint('{"a":1,"a":2}'), '{"a":1,"a":2}');
  assert.equal(reprint('{}'), '{}');
  assert.equal(reprint('[]'), '[]');
  assert.equal(reprint('\x01[1]\x02'), '[1]');
  assert.equal(reprint('\ufeff5'), '5');
});

test('%J refuses what cJSON refuses', () => {
  for (const bad of [
    '1e',
    '0x10',
    '[1,]',
    '"\\ud83d"',
    '"\\q"',
    '+1',
    '.5',
    'nul',
    '{"a"}',
    '[1',
    '"x',
    '',
    '-',
  ]) {
    assert.equal(reprint(bad), undefined, bad);
  }
  assert.equal(reprint(Buffer.from('5\0')), undefined);
  assert.equal(reprint(`${'['.repeat(1001)}${']'.repeat(1001)}`), undefined);
  assert.equal(
    reprint(`${'['.repeat(1000)}${']'.repeat(1000)}`),
    `${'['.repeat(1000)}${']'.repeat(1000)}`,
  );
});
