import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { encodePacket } from '../../../src/codec/encode.js';
import { MqttError } from '../../../src/codec/errors.js';
import { Framer } from '../../../src/codec/framer.js';
import { bodyPool, isPrivateBody } from '../../../src/shared/body-pool.js';
import { packet } from './arbitraries.js';
import { bytes, hex, pkt } from './helpers.js';

type Frame = [number, string];

function frameAll(chunks: Buffer[], max?: number): Frame[] {
  const out: Frame[] = [];
  const f = new Framer((h, b) => out.push([h, b.toString('hex')]), max);
  for (const c of chunks) f.push(c);
  assert.equal(f.buffered, 0);
  return out;
}

function cut(buf: Buffer, points: number[]): Buffer[] {
  const ps = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of ps) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('Framer', () => {
  test('splits a stream of several packets in one chunk', () => {
    const s = Buffer.concat([hex('c000'), hex('3005 0003 612f62'), hex('e000')]);
    assert.deepEqual(frameAll([s]), [
      [0xc0, ''],
      [0x30, '0003612f62'],
      [0xe0, ''],
    ]);
  });

  test('split-chunk invariance: any cut points give the same frames (fast-check)', () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(3, 4, 5)
          .chain((v) =>
            fc
              .array(packet(v as 3 | 4 | 5), { minLength: 1, maxLength: 6 })
              .map((ps) => ps.map((p) => encodePacket(p, v as 3 | 4 | 5))),
          ),
        fc.array(fc.nat(), { maxLength: 12 }),
        (encoded, points) => {
          const stream = Buffer.concat(encoded);
          const expected = frameAll([stream]);
          assert.equal(expected.length, encoded.length);
          assert.deepEqual(frameAll(cut(stream, points)), expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('one byte at a time yields the same frames, including a 3-byte Remaining Length', () => {
    const big = pkt(0x30, bytes([0, 1, 0x61], Buffer.alloc(20_000, 9)));
    const stream = Buffer.concat([hex('c000'), big, hex('4002 0001'), hex('d000')]);
    const oneByOne = [...stream].map((b) => Buffer.from([b]));
    assert.deepEqual(frameAll(oneByOne), frameAll([stream]));
  });

  test('a frame inside one chunk is a zero-copy view of the chunk', () => {
    const chunk = hex('3005 0003 612f62');
    let body: Buffer | undefined;
    new Framer((_h, b) => {
      body = b;
    }).push(chunk);
    assert.ok(body !== undefined);
    assert.equal(body.buffer, chunk.buffer);
    assert.equal(body.byteOffset, chunk.byteOffset + 2);
  });

  test('buffered reports the bytes held for an incomplete frame', () => {
    const f = new Framer(() => {});
    f.push(hex('30'));
    assert.equal(f.buffered, 1);
    f.push(hex('0a 0001'));
    assert.equal(f.buffered, 4);
    f.push(hex('61 00000000 000000'));
    assert.equal(f.buffered, 0);
  });

  test('[MQTT-3.2.2-15] a packet larger than maxPacketSize is rejected from its header, before its body', () => {
    const f = new Framer(() => assert.fail('no frame expected'), 100);
    // 0x30, Remaining Length 1000: only the header is pushed.
    assert.throws(
      () => f.push(hex('30 e807')),
      (e: unknown) =>
        e instanceof MqttError && e.code === 'PACKET_TOO_LARGE' && e.reasonCode === 0x95,
    );
    // Same when the header arrives one byte at a time.
    const g = new Framer(() => assert.fail('no frame expected'), 100);
    g.push(hex('30'));
    g.push(hex('e8'));
    assert.throws(
      () => g.push(hex('07')),
      (e: unknown) => e instanceof MqttError && e.code === 'PACKET_TOO_LARGE',
    );
  });

  test('a huge announced length allocates nothing until its bytes arrive', () => {
    const f = new Framer(() => assert.fail('no frame expected'));
    const before = process.memoryUsage().arrayBuffers;
    // Remaining Length 200,000,000 (under the default limit), then only 10 body bytes.
    f.push(bytes(0x30, [0x80, 0x84, 0xaf, 0x5f], Buffer.alloc(10)));
    assert.equal(f.buffered, 1 + 4 + 10);
    assert.ok(process.memoryUsage().arrayBuffers - before < 1_000_000);
  });

  test('a large frame split across reads arrives whole, in big or trickling reads', () => {
    const payload = Buffer.alloc(300_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const frame = pkt(0x30, str3(), payload);
    const stream = Buffer.concat([frame, hex('c000'), frame]);
    const whole = frameAll([stream]);
    // 64 KiB reads (body allocated at its first read) and reads small next to the frame (joined).
    assert.deepEqual(frameAll(cut(stream, [65_536, 131_072, 196_608, 262_144, 327_680])), whole);
    assert.deepEqual(frameAll(cut(stream, [7, 1000, 2000, 250_000, 300_010, 300_020])), whole);
    assert.equal(whole.length, 3);
  });

  test('chunksReused: pieces of a split frame are copied, so one reused read buffer serves', () => {
    const payload = Buffer.alloc(200_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 11) & 0xff;
    // Trickling start (kept as pieces, not preallocated), then big reads.
    const stream = Buffer.concat([pkt(0x30, str3(), payload), pkt(0x30, str3(), hex('0102'))]);
    const got: Frame[] = [];
    const f = new Framer((h, b) => got.push([h, b.toString('hex')]));
    f.chunksReused = true;
    const memory = Buffer.alloc(65_536);
    const cuts = [3, 10, 500, 65_000, 130_000, 195_000, stream.length];
    let at = 0;
    for (const end of cuts) {
      const n = stream.copy(memory, 0, at, end);
      f.push(memory.subarray(0, n));
      memory.fill(0xee); // the next read overwrites the memory
      at = end;
    }
    assert.deepEqual(got, frameAll([stream]));
    assert.equal(got.length, 2);
  });

  test('isPrivateBody: only a body assembled into memory of its own may be kept uncopied', () => {
    const frame = pkt(0x30, str3(), Buffer.alloc(100_000, 3));
    const bodies: Buffer[] = [];
    const f = new Framer((_h, b) => bodies.push(b));
    f.bodies = bodyPool;
    f.push(frame.subarray(0, 60_000));
    f.push(frame.subarray(60_000));
    f.push(frame); // whole in one chunk: a view of the chunk
    assert.equal(bodies.length, 2);
    assert.equal(isPrivateBody(bodies[0] as Buffer), true);
    assert.equal(isPrivateBody((bodies[0] as Buffer).subarray(10)), true);
    assert.equal(isPrivateBody(bodies[1] as Buffer), false);
    assert.equal(isPrivateBody(Buffer.from(bodies[0] as Buffer)), false);
  });

  test('maxPacketSize counts the whole packet (fixed header included) and is mutable', () => {
    const ok = frameAll([pkt(0x30, str3(), Buffer.alloc(5))], 10);
    assert.equal(ok.length, 1);
    assert.throws(() => frameAll([pkt(0x30, str3(), Buffer.alloc(6))], 10), /exceeds/);
    const out: number[] = [];
    const f = new Framer((h) => out.push(h), 10);
    f.maxPacketSize = 1000;
    f.push(pkt(0x30, str3(), Buffer.alloc(100)));
    assert.deepEqual(out, [0x30]);
  });

  test('[MQTT-1.5.5-1] a fifth Remaining Length byte is malformed, whole or byte by byte', () => {
    const bad = hex('30 ffffffff01');
    assert.throws(
      () => new Framer(() => {}).push(bad),
      (e: unknown) => e instanceof MqttError && e.code === 'MALFORMED_VARINT',
    );
    const f = new Framer(() => {});
    assert.throws(
      () => {
        for (const b of bad) f.push(Buffer.from([b]));
      },
      (e: unknown) => e instanceof MqttError && e.code === 'MALFORMED_VARINT',
    );
  });

  test('[MQTT-1.5.5-1] a non-minimal Remaining Length is malformed, whole or byte by byte', () => {
    const bad = hex('c0 8000');
    assert.throws(
      () => new Framer(() => {}).push(bad),
      (e: unknown) => e instanceof MqttError && e.code === 'NON_MINIMAL_VARINT',
    );
    const f = new Framer(() => {});
    assert.throws(
      () => {
        for (const b of bad) f.push(Buffer.from([b]));
      },
      (e: unknown) => e instanceof MqttError && e.code === 'NON_MINIMAL_VARINT',
    );
  });
  test('[MQTT-2.1.2-1] reserved packet type 0 is refused at its first byte, before any length', () => {
    const isReserved = (e: unknown) => e instanceof MqttError && e.code === 'INVALID_PACKET_TYPE';
    // The length bytes announce a body that never comes: the frame is refused anyway.
    assert.throws(() => new Framer(() => {}).push(hex('00 ff')), isReserved);
    assert.throws(() => new Framer(() => {}).push(hex('0f')), isReserved);
    const f = new Framer(() => {});
    f.push(hex('c000')); // a whole PINGREQ, then the garbage byte alone
    assert.throws(() => f.push(hex('00')), isReserved);
  });
});

function str3(): Buffer {
  return hex('0001 61');
}
