import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Message } from '../../../src/broker/message.js';
import { RetainedIndex } from '../../../src/broker/routing/retained.js';
import { SubEntry } from '../../../src/broker/routing/subscription.js';
import { TopicTrie } from '../../../src/broker/routing/topic-trie.js';
import { Session } from '../../../src/broker/session/session.js';
import { topicMatches } from '../../../src/codec/topic.js';

const owner = { onSessionTimer() {} };
const level = fc.constantFrom('a', 'b', 'c', '$x', '');
const topicArb = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join('/'));
const filterArb = fc
  .tuple(
    fc.array(fc.constantFrom('a', 'b', '+', '$x', ''), { minLength: 1, maxLength: 4 }),
    fc.boolean(),
  )
  .map(([l, hash]) => (hash ? [...l, '#'] : l).join('/'));

function entry(s: Session, filter: string, qos: 0 | 1 | 2 = 0, subId = 0): SubEntry {
  return new SubEntry(s, filter, filter, qos, false, false, 0, subId, undefined);
}

describe('TopicTrie', () => {
  test('[MQTT-4.7.1-1] [MQTT-4.7.2-1] matches exactly what the reference matcher matches (property)', () => {
    fc.assert(
      fc.property(
        fc.array(filterArb, { minLength: 1, maxLength: 12 }),
        topicArb,
        (filters, topic) => {
          const trie = new TopicTrie();
          const sessions = filters.map((f, i) => {
            const s = new Session(`c${i}`, 4, owner);
            trie.add(entry(s, f));
            return s;
          });
          const { sessions: got } = trie.match(topic.split('/'), '');
          const expected = sessions.filter((_, i) => topicMatches(filters[i] as string, topic));
          assert.deepEqual(new Set(got), new Set(expected));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('one session with overlapping filters is returned once with the highest QoS and every subscription id', () => {
    const trie = new TopicTrie();
    const s = new Session('c', 5, owner);
    trie.add(entry(s, 'a/#', 0, 1));
    trie.add(entry(s, 'a/+', 2, 2));
    trie.add(new SubEntry(s, 'a/b', 'a/b', 1, false, false, 0, 0, undefined));
    const { sessions } = trie.match(['a', 'b'], '');
    assert.equal(sessions.length, 1);
    assert.equal(s.matchQos, 2);
    assert.deepEqual(s.matchSubIds?.sort(), [1, 2]);
  });

  test('removal prunes and counts', () => {
    const trie = new TopicTrie();
    const s = new Session('c', 4, owner);
    const e = entry(s, 'x/+/z');
    assert.equal(trie.add(e), true);
    assert.equal(trie.count, 1);
    assert.equal(trie.remove(e), true);
    assert.equal(trie.count, 0);
    assert.equal(trie.match(['x', 'y', 'z'], '').sessions.length, 0);
  });

  test('No Local skips the origin session only', () => {
    const trie = new TopicTrie();
    const me = new Session('me', 5, owner);
    const other = new Session('other', 5, owner);
    trie.add(new SubEntry(me, 't', 't', 0, true, false, 0, 0, undefined));
    trie.add(new SubEntry(other, 't', 't', 0, true, false, 0, 0, undefined));
    assert.deepEqual(trie.match(['t'], 'me').sessions, [other]);
  });

  test('shared groups are returned per (group, filter) and pick members round robin', () => {
    const trie = new TopicTrie();
    const a = new Session('a', 5, owner);
    const b = new Session('b', 5, owner);
    trie.add(new SubEntry(a, '$share/g/t/+', 't/+', 1, false, false, 0, 0, 'g'));
    trie.add(new SubEntry(b, '$share/g/t/+', 't/+', 1, false, false, 0, 0, 'g'));
    const { shared } = trie.match(['t', 'x'], '');
    assert.equal(shared.length, 1);
    const g = shared[0];
    assert.ok(g !== undefined);
    const picks = [
      g.pick()?.session.clientId,
      g.pick()?.session.clientId,
      g.pick()?.session.clientId,
    ];
    assert.deepEqual(picks, ['a', 'b', 'a']);
  });
});

describe('RetainedIndex', () => {
  test('wildcard lookup returns exactly the matching retained topics (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(topicArb, { maxLength: 15 }), filterArb, (topics, filter) => {
        const idx = new RetainedIndex();
        for (const t of topics)
          idx.set(t.split('/'), new Message(t, Buffer.from('x'), 0, true, undefined, '', 0));
        const got = idx.match(filter, []).map((m) => m.topic);
        const expected = topics.filter((t) => topicMatches(filter, t));
        assert.deepEqual(new Set(got), new Set(expected));
        assert.equal(got.length, expected.length);
      }),
      { numRuns: 500 },
    );
  });

  test('delete prunes and counts ($SYS excluded from the count)', () => {
    const idx = new RetainedIndex();
    idx.set(['a', 'b'], new Message('a/b', Buffer.from('x'), 0, true, undefined, '', 0));
    idx.set(['$SYS', 'x'], new Message('$SYS/x', Buffer.from('x'), 0, true, undefined, '', 0));
    assert.equal(idx.count, 1);
    idx.set(['a', 'b'], undefined);
    assert.equal(idx.count, 0);
    assert.deepEqual(idx.match('a/#', []), []);
  });
});
