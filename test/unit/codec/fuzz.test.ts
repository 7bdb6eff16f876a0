import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { ProtocolVersion } from '../../../src/codec/constants.js';
import { decodePacket } from '../../../src/codec/decode.js';
import { encodePacket } from '../../../src/codec/encode.js';
import { MqttError } from '../../../src/codec/errors.js';
import { Framer } from '../../../src/codec/framer.js';
import { packet } from './arbitraries.js';

const LIMIT = 512;

/** Feeds chunks through a Framer and the decoder; returns the error thrown, if any. */
function feed(chunks: Uint8Array[], version: ProtocolVersion): unknown {
  const f = new Framer((h, b) => {
    assert.ok(b.length + 2 <= LIMIT, 'a frame never exceeds the limit');
    decodePacket(h, b, version);
  }, LIMIT);
  try {
    for (const c of chunks) {
      f.push(Buffer.from(c));
      assert.ok(f.buffered <= LIMIT, `buffered ${f.buffered} beyond the limit`);
    }
  } catch (e) {
    return e;
  }
  return undefined;
}

function onlyMqttErrors(e: unknown): void {
  if (e !== undefined && !(e instanceof MqttError)) throw e;
  if (e instanceof MqttError) {
    assert.equal(typeof e.code, 'string');
    assert.ok(e.reasonCode >= 0x80 && e.reasonCode <= 0xff, `reason code ${e.reasonCode}`);
  }
}

describe('robustness', () => {
  for (const v of [3, 4, 5] as const) {
    test(`random bytes at level ${v} throw nothing but MqttError and never buffer beyond the limit`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ minLength: 0, maxLength: 64 }), { maxLength: 12 }),
          (chunks) => {
            onlyMqttErrors(feed(chunks, v));
          },
        ),
        { numRuns: 1500 },
      );
    });

    test(`random bodies behind every header byte at level ${v} throw nothing but MqttError`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 255 }),
          fc.uint8Array({ maxLength: 80 }),
          (h, body) => {
            try {
              decodePacket(h, Buffer.from(body), v);
            } catch (e) {
              onlyMqttErrors(e);
            }
          },
        ),
        { numRuns: 3000 },
      );
    });

    test(`valid packets with mutated bytes at level ${v} throw nothing but MqttError`, () => {
      fc.assert(
        fc.property(
          packet(v),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 4,
          }),
          (p, edits) => {
            const b = Buffer.from(encodePacket(p, v));
            for (const [i, x] of edits) b[i % b.length] = x;
            onlyMqttErrors(feed([b], v));
          },
        ),
        { numRuns: 800 },
      );
    });
  }
});
