import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MqttError } from '../../../src/codec/errors.js';
import {
  isValidTopicFilter,
  isValidTopicName,
  parseSharedSubscription,
  topicMatches,
  validateTopicFilter,
  validateTopicName,
} from '../../../src/codec/topic.js';
import { topicFilter, topicName } from './arbitraries.js';

/** Naive reference: split into levels and compare level by level. */
function naiveMatch(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe('topic names and filters', () => {
  test('[MQTT-4.7.3-1] topic names and filters must be at least one character long', () => {
    assert.equal(isValidTopicName(''), false);
    assert.equal(isValidTopicFilter(''), false);
    assert.throws(
      () => validateTopicName(''),
      (e: unknown) => e instanceof MqttError && e.reasonCode === 0x90,
    );
    assert.throws(
      () => validateTopicFilter(''),
      (e: unknown) => e instanceof MqttError && e.reasonCode === 0x8f,
    );
  });

  test('[MQTT-4.7.0-1] [MQTT-4.7.1-1] wildcards are not allowed in topic names', () => {
    for (const t of ['+', '#', 'a/+', 'a/#', 'a+', 'sport/tennis/#'])
      assert.equal(isValidTopicName(t), false, t);
    for (const t of ['/', 'a', 'a/b', '/a/', '$SYS/x', 'a b', 'é/€'])
      assert.equal(isValidTopicName(t), true, t);
  });

  test('[MQTT-4.7.1-1] [MQTT-4.7.1-2] the multi-level wildcard must be last and occupy a whole level', () => {
    for (const f of ['#', 'a/#', '/#', '+/#', 'sport/tennis/player1/#'])
      assert.equal(isValidTopicFilter(f), true, f);
    for (const f of ['a/#/b', 'a#', '#a', '#/', 'sport/tennis#', 'a/##'])
      assert.equal(isValidTopicFilter(f), false, f);
  });

  test('[MQTT-4.7.1-2] [MQTT-4.7.1-3] the single-level wildcard must occupy a whole level', () => {
    for (const f of ['+', '+/+', '/+', '+/', 'a/+/b', '+/tennis/#'])
      assert.equal(isValidTopicFilter(f), true, f);
    for (const f of ['a+', '+a', 'a/b+/c', 'sport+', '++'])
      assert.equal(isValidTopicFilter(f), false, f);
  });

  test('[MQTT-4.7.3-2] U+0000 is refused in names and filters', () => {
    assert.equal(isValidTopicName('a\u0000'), false);
    assert.equal(isValidTopicFilter('a\u0000'), false);
  });

  test('validate* agree with isValid* on generated strings', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 8, unit: fc.constantFrom('a', '/', '+', '#', '$', 's', '\u0000') }),
        (s) => {
          let nameOk = true;
          let filterOk = true;
          try {
            validateTopicName(s);
          } catch {
            nameOk = false;
          }
          try {
            validateTopicFilter(s);
          } catch {
            filterOk = false;
          }
          assert.equal(isValidTopicName(s), nameOk);
          assert.equal(isValidTopicFilter(s), filterOk);
          // Every valid topic name is also a valid filter matching exactly itself.
          if (nameOk) {
            assert.ok(filterOk);
            assert.ok(topicMatches(s, s));
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('shared subscriptions', () => {
  test("[MQTT-4.8.2-1] '$share/{group}/{filter}' is split into group and filter", () => {
    assert.deepEqual(parseSharedSubscription('$share/g/a/+'), { group: 'g', filter: 'a/+' });
    assert.deepEqual(parseSharedSubscription('$share/consumers/#'), {
      group: 'consumers',
      filter: '#',
    });
    assert.deepEqual(parseSharedSubscription('$share/g//'), { group: 'g', filter: '/' });
  });

  test('a filter that is not shared gives undefined', () => {
    for (const f of ['a/b', '$SYS/#', '$share', '$sharex/g/a', 'share/g/a']) {
      assert.equal(parseSharedSubscription(f), undefined, f);
    }
  });

  test('[MQTT-4.8.2-1] [MQTT-4.8.2-2] a malformed shared subscription throws 0x8F', () => {
    for (const f of [
      '$share/',
      '$share//a',
      '$share/g',
      '$share/g/',
      '$share/a+/x',
      '$share/#/x',
      '$share/g/a/#/b',
    ]) {
      assert.throws(
        () => parseSharedSubscription(f),
        (e: unknown) =>
          e instanceof MqttError && e.code === 'TOPIC_FILTER_INVALID' && e.reasonCode === 0x8f,
        f,
      );
      assert.equal(isValidTopicFilter(f), false, f);
    }
  });
});

describe('topicMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['#', 'a/b/c', true],
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['a/b', 'a/b', true],
    ['a/b', 'a/bc', false],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a//c', true],
  ];
  for (const [f, t, m] of cases) {
    test(`section 4.7 example: '${f}' ${m ? 'matches' : 'does not match'} '${t}'`, () => {
      assert.equal(topicMatches(f, t), m);
    });
  }

  test('[MQTT-4.7.2-1] filters starting with a wildcard do not match topics starting with $', () => {
    assert.equal(topicMatches('#', '$SYS/broker/load'), false);
    assert.equal(topicMatches('+/monitor/Clients', '$SYS/monitor/Clients'), false);
    assert.equal(topicMatches('$SYS/#', '$SYS/monitor/Clients'), true);
    assert.equal(topicMatches('$SYS/monitor/+', '$SYS/monitor/Clients'), true);
  });

  test('agrees with a naive level-by-level matcher (fast-check)', () => {
    fc.assert(
      fc.property(topicFilter, topicName, (f, t) => {
        assert.equal(topicMatches(f, t), naiveMatch(f, t), `${f} vs ${t}`);
      }),
      { numRuns: 3000 },
    );
    // Denser alphabet so that matches are frequent.
    const lv = fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 2 });
    const t = fc.array(lv, { minLength: 1, maxLength: 4 }).map((l) => l.join('/'));
    const f = fc
      .tuple(fc.array(fc.oneof(lv, fc.constant('+')), { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([l, h]) => (h ? [...l, '#'] : l).join('/'));
    fc.assert(
      fc.property(f, t, fc.boolean(), (ff, tt, dollar) => {
        const topic = dollar ? `$${tt}` : tt;
        fc.pre(isValidTopicFilter(ff) && isValidTopicName(topic));
        assert.equal(topicMatches(ff, topic), naiveMatch(ff, topic), `${ff} vs ${topic}`);
      }),
      { numRuns: 3000 },
    );
  });
});
