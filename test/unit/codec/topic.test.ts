import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MqttError } from '../../../src/codec/errors.js';
import {
  filterCovers,
  hasWildcard,
  isSharedSubscription,
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

describe('rule filters (shared: false, as for ACL rules)', () => {
  test('[MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.3-1] the wildcard placement rules are the same', () => {
    const plain = { shared: false };
    for (const f of ['#', 'a/#', '+', 'a/+/b', '/', 'a//b', '+/+', 'devices/%c/#', 'users/%u'])
      assert.equal(isValidTopicFilter(f, plain), true, f);
    for (const f of ['', 'a/#/b', 'a#', 'a+', '#a', 'a/b+', 'a\u0000b'])
      assert.equal(isValidTopicFilter(f, plain), false, f);
  });

  test("'$share' is an ordinary first level when shared subscriptions are off", () => {
    for (const f of ['$share/+/x', '$share/g', '$share//a', '$share/g/', '$share/#']) {
      assert.equal(isValidTopicFilter(f, { shared: false }), true, f);
      assert.doesNotThrow(() => validateTopicFilter(f, { shared: false }), f);
      assert.equal(isValidTopicFilter(f), false, f);
    }
  });

  test('on other filters the option changes nothing (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 8, unit: fc.constantFrom('a', '/', '+', '#', '$', '%', '\u0000') }),
        (s) => {
          fc.pre(!isSharedSubscription(s));
          assert.equal(isValidTopicFilter(s, { shared: false }), isValidTopicFilter(s));
          assert.equal(isValidTopicFilter(s, { shared: true }), isValidTopicFilter(s));
        },
      ),
      { numRuns: 1500 },
    );
  });
});

test('hasWildcard finds + and # anywhere', () => {
  for (const s of ['+', '#', 'a/+', 'a#', 'x/y+z']) assert.equal(hasWildcard(s), true, s);
  for (const s of ['', 'a', 'a/b', '$SYS/x', '%c']) assert.equal(hasWildcard(s), false, s);
});

describe('shared subscriptions', () => {
  test('isSharedSubscription is a prefix test', () => {
    assert.equal(isSharedSubscription('$share/g/a'), true);
    for (const f of ['$share', '$sharex/g/a', 'a/$share/g', '$SYS/#'])
      assert.equal(isSharedSubscription(f), false, f);
  });

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

// Small alphabet, enumerated exhaustively up to 4 levels, '$' topics included: dense matches.
const WORDS = ['a', 'b', ''];
const TOPICS: string[] = [];
function enumerate(prefix: string[]): void {
  if (prefix.length > 0) TOPICS.push(prefix.join('/'));
  if (prefix.length === 4) return;
  for (const w of prefix.length === 0 ? [...WORDS, '$s'] : WORDS) enumerate([...prefix, w]);
}
enumerate([]);

const smallFilter = fc
  .tuple(
    fc.array(fc.constantFrom('a', 'b', '', '+', '$s'), { minLength: 1, maxLength: 4 }),
    fc.boolean(),
  )
  .map(([levels, hash]) => {
    const out = levels.map((l, i) => (l === '$s' && i > 0 ? 'a' : l));
    return (hash ? [...out, '#'] : out).join('/');
  });

/** Reference matcher: a regular expression built from the filter. */
function regexMatch(filter: string, topic: string): boolean {
  const f = filter.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  let src = '';
  f.forEach((l, i) => {
    if (l === '#') src += i === 0 ? '.*' : '(/.*)?';
    else src += (i === 0 ? '' : '/') + (l === '+' ? '[^/]*' : l.replace('$', '\\$'));
  });
  return new RegExp(`^${src}$`).test(topic);
}

/** Reference for filterCovers: the level-by-level rule, on split filters. */
function levelCovers(ruleFilter: string, subFilter: string): boolean {
  const rule = ruleFilter.split('/');
  const sub = subFilter.split('/');
  if ((sub[0] ?? '').startsWith('$') && (rule[0] === '+' || rule[0] === '#')) return false;
  for (let i = 0; ; i++) {
    const r = rule[i];
    const s = sub[i];
    if (r === undefined) return s === undefined;
    if (r === '#') return true;
    if (s === undefined || s === '#') return false;
    if (r === '+') continue;
    if (s === '+' || r !== s) return false;
  }
}

describe('topicMatches on every small topic', () => {
  test('[MQTT-4.7.1-1] [MQTT-4.7.2-1] agrees with a regular-expression matcher (# also matches the parent)', () => {
    fc.assert(
      fc.property(smallFilter, (filter) => {
        for (const t of TOPICS)
          assert.equal(topicMatches(filter, t), regexMatch(filter, t), `${filter} vs ${t}`);
      }),
      { numRuns: 300 },
    );
  });
});

describe('filterCovers', () => {
  test('agrees with the level-by-level rule (fast-check)', () => {
    fc.assert(
      fc.property(smallFilter, smallFilter, (rule, sub) => {
        assert.equal(filterCovers(rule, sub), levelCovers(rule, sub), `${rule} ⊇ ${sub}`);
      }),
      { numRuns: 3000 },
    );
  });

  test('is sound: a covered filter never matches a topic the rule does not', () => {
    fc.assert(
      fc.property(smallFilter, smallFilter, (rule, sub) => {
        if (!filterCovers(rule, sub)) return;
        for (const t of TOPICS) {
          if (topicMatches(sub, t))
            assert.ok(topicMatches(rule, t), `${rule} ⊇ ${sub} but not ${t}`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('[MQTT-4.7.2-1] every filter covers itself; typical cases', () => {
    fc.assert(fc.property(smallFilter, (f) => filterCovers(f, f)));
    const cases: Array<[string, string, boolean]> = [
      ['a/#', 'a', true],
      ['a/#', 'a/b/+', true],
      ['a/+', 'a', false],
      ['a/+', 'a/', true],
      ['a/+', 'a/+', true],
      ['a/b', 'a/+', false],
      ['a/+', 'a/#', false],
      ['#', '$SYS/x', false],
      ['+/x', '$SYS/x', false],
      ['$SYS/#', '$SYS/x/+', true],
      ['a/+/c', 'a/#', false],
      ['a/bc', 'a/b', false],
      ['a/b', 'a/bc', false],
      ['a//b', 'a//b', true],
      ['a/b', 'a/b/c', false],
      ['a/b/c', 'a/b', false],
    ];
    for (const [r, s, want] of cases) assert.equal(filterCovers(r, s), want, `${r} ⊇ ${s}`);
  });
});
