import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { coversLevels, isValidFilter, matchLevels } from '../../../src/auth/topic-match.js';

// Topics over a small alphabet, enumerated exhaustively up to 4 levels, '$' topics included.
const WORDS = ['a', 'b', ''];
const TOPICS: string[][] = [];
function enumerate(prefix: string[]): void {
  if (prefix.length > 0) TOPICS.push(prefix);
  if (prefix.length === 4) return;
  for (const w of prefix.length === 0 ? [...WORDS, '$s'] : WORDS) enumerate([...prefix, w]);
}
enumerate([]);

const level = fc.constantFrom('a', 'b', '', '+', '$s');
const filterArb = fc
  .tuple(fc.array(level, { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => {
    const out = levels.map((l, i) => (l === '$s' && i > 0 ? 'a' : l));
    return hash ? [...out, '#'] : out;
  });

/** Reference matcher: a regular expression built from the filter. */
function reference(filter: string[], topic: string[]): boolean {
  if ((topic[0] ?? '').startsWith('$') && (filter[0] === '+' || filter[0] === '#')) return false;
  let src = '';
  filter.forEach((l, i) => {
    if (l === '#') src += i === 0 ? '.*' : '(/.*)?';
    else src += (i === 0 ? '' : '/') + (l === '+' ? '[^/]*' : l.replace('$', '\\$'));
  });
  return new RegExp(`^${src}$`).test(topic.join('/'));
}

test('matchLevels agrees with a reference matcher (# also matches the parent)', () => {
  fc.assert(
    fc.property(filterArb, (filter) => {
      for (const t of TOPICS)
        assert.equal(
          matchLevels(filter, t),
          reference(filter, t),
          `${filter.join('/')} vs ${t.join('/')}`,
        );
    }),
    { numRuns: 300 },
  );
});

test('coversLevels is sound: a covered filter never matches a topic the rule does not', () => {
  fc.assert(
    fc.property(filterArb, filterArb, (rule, sub) => {
      if (!coversLevels(rule, sub)) return;
      for (const t of TOPICS) {
        if (matchLevels(sub, t))
          assert.ok(
            matchLevels(rule, t),
            `${rule.join('/')} ⊇ ${sub.join('/')} but not ${t.join('/')}`,
          );
      }
    }),
    { numRuns: 1000 },
  );
});

test('coversLevels: every filter covers itself; typical cases', () => {
  fc.assert(fc.property(filterArb, (f) => coversLevels(f, f)));
  const c = (r: string, s: string) => coversLevels(r.split('/'), s.split('/'));
  assert.equal(c('a/#', 'a'), true);
  assert.equal(c('a/+', 'a'), false);
  assert.equal(c('#', '$SYS/x'), false);
  assert.equal(c('$SYS/#', '$SYS/x/+'), true);
  assert.equal(c('a/+/c', 'a/#'), false);
});

test('isValidFilter follows the wildcard placement rules', () => {
  for (const f of ['#', 'a/#', '+', 'a/+/b', '/', 'a//b', '+/+'])
    assert.equal(isValidFilter(f), true, f);
  for (const f of ['', 'a/#/b', 'a#', 'a+', '#a', 'a/b+', 'a\u0000b'])
    assert.equal(isValidFilter(f), false, f);
});
