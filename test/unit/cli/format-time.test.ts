// `@c` conversions print what glibc's strftime prints in the C locale (expected values from GNU
// date with the same TZ), and %Z comes from the zone's TZif file.
import assert from 'node:assert/strict';
import { test } from 'node:test';

// Node re-reads the time zone when TZ is assigned; a zone with a half-hour offset and DST.
process.env.TZ = 'America/St_Johns';

import { isoTime, parseTzif, strftime, tzName, zoneName } from '../../../src/cli/format-time.js';

function all(ms: number): Record<string, string> {
  const d = new Date(ms);
  const out: Record<string, string> = {};
  for (const c of 'aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ%') out[c] = strftime(c, d, 42);
  return out;
}

test('a Sunday just after midnight in ISO week 53 of the year before (NST, -0330)', () => {
  assert.deepEqual(all(1_609_645_029_000), {
    a: 'Sun',
    A: 'Sunday',
    b: 'Jan',
    B: 'January',
    c: 'Sun Jan  3 00:07:09 2021',
    C: '20',
    d: '03',
    D: '01/03/21',
    e: ' 3',
    F: '2021-01-03',
    g: '20',
    G: '2020',
    h: 'Jan',
    H: '00',
    I: '12',
    j: '003',
    k: ' 0',
    l: '12',
    m: '01',
    M: '07',
    n: '\n',
    p: 'AM',
    P: 'am',
    r: '12:07:09 AM',
    R: '00:07',
    s: '1609645029',
    S: '09',
    t: '\t',
    T: '00:07:09',
    u: '7',
    U: '01',
    V: '53',
    w: '0',
    W: '00',
    x: '01/03/21',
    X: '00:07:09',
    y: '21',
    Y: '2021',
    z: '-0330',
    Z: 'NST',
    '%': '%',
  });
});

test('a summer afternoon in a leap year (NDT, -0230)', () => {
  const t = all(1_721_060_100_000);
  assert.deepEqual(
    [t.c, t.I, t.l, t.p, t.P, t.r, t.j, t.U, t.V, t.W, t.u, t.k, t.z, t.Z],
    [
      'Mon Jul 15 13:45:00 2024',
      '01',
      ' 1',
      'PM',
      'pm',
      '01:45:00 PM',
      '197',
      '28',
      '29',
      '29',
      '1',
      '13',
      '-0230',
      'NDT',
    ],
  );
});

test('the last days of December can be in week 1 of the next ISO year', () => {
  const t = all(1_735_560_000_000);
  assert.deepEqual([t.G, t.g, t.V, t.U, t.W, t.j], ['2025', '25', '01', '52', '53', '365']);
});

test('@N is the nanoseconds of the second, nine digits; unknown characters print after a %', () => {
  const d = new Date(0);
  assert.equal(strftime('N', d, 42), '000000042');
  assert.equal(strftime('N', d, 999_999_999), '999999999');
  for (const c of 'EOQqiJKLfov0_-^#. +1') assert.equal(strftime(c, d, 0), `%${c}`);
});

test('%I of mosquitto is %FT%T%z', () => {
  assert.equal(isoTime(new Date(1_609_645_029_999)), '2021-01-03T00:07:09-0330');
});

test('TZif: the abbreviation in force at an instant, and the newest one of that offset after the last transition', () => {
  // A hand-made version 1 file: two types, one transition at t = 1000.
  const chars = Buffer.from('AAA\0BBB\0');
  const head = Buffer.alloc(44);
  head.write('TZif', 0, 'latin1');
  for (const [k, n] of [0, 0, 0, 1, 2, chars.length].entries()) head.writeUInt32BE(n, 20 + k * 4);
  const body = Buffer.alloc(4 + 1 + 12);
  body.writeInt32BE(1000, 0);
  body[4] = 1;
  body.writeInt32BE(3600, 5);
  body[10] = 0; // desigidx of type 0
  body.writeInt32BE(7200, 11);
  body[15] = 1;
  body[16] = 4;
  const zone = parseTzif(Buffer.concat([head, body, chars]));
  assert.ok(zone !== undefined);
  assert.equal(zoneName(zone, 999, 3600), 'AAA');
  assert.equal(zoneName(zone, 1000, 7200), 'BBB');
  assert.equal(zoneName(zone, 5000, 3600), 'AAA');
  assert.equal(zoneName(zone, 5000, 60), undefined);
  assert.equal(parseTzif(Buffer.from('not a zone file')), undefined);
});

test('%Z follows TZ: a zone file, or the names of a POSIX TZ string', () => {
  const saved = process.env.TZ;
  try {
    process.env.TZ = 'Europe/Berlin';
    assert.equal(tzName(new Date(Date.UTC(2024, 0, 15))), 'CET');
    assert.equal(tzName(new Date(Date.UTC(2024, 6, 15))), 'CEST');
    process.env.TZ = 'UTC';
    assert.equal(tzName(new Date(0)), 'UTC');
    // No file of that name: glibc takes the name from the string itself.
    process.env.TZ = 'XYZ-2';
    assert.equal(tzName(new Date(0)), 'XYZ');
    process.env.TZ = '<+0530>-5:30';
    assert.equal(tzName(new Date(0)), '+0530');
  } finally {
    process.env.TZ = saved;
  }
});
