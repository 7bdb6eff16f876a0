// The batch format of forwarded messages (src/cluster/wire.ts): a version byte, then per message
// its length and its record; read whole or refused naming the problem.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Message } from '../../../src/broker/message.js';
import {
  BATCH_START,
  batchRecordSize,
  decodeBatch,
  encodeBatch,
  encodeForward,
  encodePublishPart,
  writeBatchRecord,
} from '../../../src/cluster/wire.js';

const now = Date.now();
const publishOf = (topic: string, payload: string, qos: 0 | 1 | 2): Buffer =>
  encodePublishPart(
    new Message(topic, Buffer.from(payload), qos, false, undefined, 'origin', now),
    now,
  );

test('records written one after the other into a batch read back as every message, in order', () => {
  const pub = publishOf('a//b/ .*>', 'héllo', 1);
  const groups = ['g\0x/#', 'ü\0y'];
  const second = publishOf('$x/y', '', 0);
  const n1 = batchRecordSize('client-ü', 'n1.run.7', groups, pub);
  const n2 = batchRecordSize('', 'n1.run.8', [], second);
  // Written into a larger buffer, as the forwarder's batches are: the sizes must be exact.
  const buf = Buffer.alloc(1 + n1 + n2 + 50, 0xee);
  BATCH_START.copy(buf, 0);
  let pos = writeBatchRecord(buf, 1, 'client-ü', 'n1.run.7', groups, pub);
  assert.equal(pos, 1 + n1);
  pos = writeBatchRecord(buf, pos, '', 'n1.run.8', [], second);
  assert.equal(pos, 1 + n1 + n2);
  const data = buf.subarray(0, pos);
  const got = decodeBatch(data);
  assert.equal(got.length, 2);
  const [f, g] = got;
  assert.equal(f?.origin, 'client-ü');
  assert.equal(f?.msgId, 'n1.run.7');
  assert.deepEqual(f?.groups, groups);
  assert.equal(f?.packet.topic, 'a//b/ .*>');
  assert.equal(f?.packet.qos, 1);
  assert.equal(f?.packet.payload.toString(), 'héllo');
  assert.equal(g?.origin, '');
  assert.equal(g?.packet.topic, '$x/y');
  assert.equal(g?.packet.qos, 0);
  // The same bytes as a batch of records encoded whole.
  const whole = encodeBatch([
    encodeForward('client-ü', 'n1.run.7', groups, pub),
    encodeForward('', 'n1.run.8', [], second),
  ]);
  assert.deepEqual(whole, data);
});

test('a batch that is not one is refused naming the problem', () => {
  const pub = publishOf('t', 'x', 1);
  const rec = encodeForward('o', 'id.1', [], pub);
  const good = encodeBatch([rec, rec]);
  assert.equal(decodeBatch(good).length, 2);
  assert.throws(() => decodeBatch(Buffer.alloc(0)), /batch version \(empty\) unknown/);
  assert.throws(() => decodeBatch(Buffer.of(9)), /batch version 9 unknown/);
  assert.throws(() => decodeBatch(good.subarray(0, good.length - 3)), /record 1 truncated/);
  assert.throws(() => decodeBatch(good.subarray(0, 3)), /batch truncated at byte 1/);
  // A record whose PUBLISH does not parse: named by its index, the whole batch refused.
  const broken = Buffer.from(rec);
  broken[rec.length - pub.length] = 0x40; // a PUBACK's first byte where the PUBLISH starts
  assert.throws(() => decodeBatch(encodeBatch([rec, broken])), /record 1: /);
  assert.deepEqual(decodeBatch(Buffer.from(BATCH_START)), [], 'an empty batch is no message');
});
