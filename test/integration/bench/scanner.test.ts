// The generator's frame scanner must cut a byte stream into the same frames however the reads
// split it (whole, byte by byte, random cuts, large bodies across many reads).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameScanner } from '../../../src/bench/scanner.js';
import { encodePacket } from '../../../src/codec/encode.js';

function frames(): Buffer[] {
  const out: Buffer[] = [];
  for (const size of [0, 1, 100, 127, 128, 16_383, 16_384, 300_000]) {
    out.push(
      encodePacket(
        {
          type: 3,
          topic: `t/${size}`,
          payload: Buffer.alloc(size, size & 0xff),
          qos: 1,
          retain: false,
          dup: false,
          packetId: 7,
          properties: undefined,
        },
        4,
      ),
    );
  }
  out.push(Buffer.from([0x40, 0x02, 0x00, 0x07]), Buffer.from([0xd0, 0x00]));
  return out;
}

function scan(stream: Buffer, cuts: number[]): Buffer[] {
  const got: Buffer[] = [];
  const s = new FrameScanner((h, buf, start, end) => {
    // Rebuild the frame from its header and body to compare with what was sent.
    const body = Buffer.from(buf.subarray(start, end));
    const enc = [h];
    let n = body.length;
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      enc.push(b);
    } while (n > 0);
    got.push(Buffer.concat([Buffer.from(enc), body]));
  });
  let pos = 0;
  for (const c of [...cuts, stream.length]) {
    if (c > pos) s.push(stream.subarray(pos, c));
    pos = Math.max(pos, c);
  }
  return got;
}

test('frames are the same whole, byte by byte and cut at random', () => {
  const sent = frames();
  const stream = Buffer.concat(sent);
  assert.deepEqual(scan(stream, []), sent);
  const small = Buffer.concat(sent.filter((f) => f.length < 20_000));
  const bytes = Array.from({ length: small.length }, (_, i) => i);
  assert.deepEqual(
    scan(small, bytes),
    sent.filter((f) => f.length < 20_000),
  );
  let seed = 42;
  const rnd = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let round = 0; round < 50; round++) {
    const cuts = Array.from({ length: 20 }, () => Math.floor(rnd() * stream.length)).sort(
      (a, b) => a - b,
    );
    assert.deepEqual(scan(stream, cuts), sent);
  }
  // A 300 000-byte body across 64 KiB reads, as a socket delivers it.
  const reads = Array.from({ length: Math.ceil(stream.length / 65_536) }, (_, i) => i * 65_536);
  assert.deepEqual(scan(stream, reads), sent);
});

test('a big PUBLISH split across reads is handed out cut short after its first bytes', () => {
  const sent = frames();
  const stream = Buffer.concat(sent);
  const bodies = sent.map((f) => {
    let i = 1;
    while (((f[i] as number) & 0x80) !== 0) i++;
    return f.subarray(i + 1);
  });
  const check = (cuts: number[]): number => {
    const got: Array<[number, Buffer]> = [];
    const s = new FrameScanner((h, buf, start, end) => {
      got.push([h, Buffer.from(buf.subarray(start, end))]);
    }, 16_384);
    let pos = 0;
    for (const c of [...cuts, stream.length]) {
      if (c > pos) s.push(stream.subarray(pos, c));
      pos = Math.max(pos, c);
    }
    assert.equal(got.length, sent.length, 'every frame, in order');
    let cutShort = 0;
    for (let k = 0; k < sent.length; k++) {
      const [h, body] = got[k] as [number, Buffer];
      const full = bodies[k] as Buffer;
      assert.equal(h, sent[k]?.[0]);
      if (body.length === full.length) {
        assert.ok(body.equals(full));
        continue;
      }
      // Cut short: topic, packet id and 8 KiB after the topic are kept, byte for byte.
      cutShort++;
      assert.ok(full.length > 16_384);
      const topicLen = full.readUInt16BE(0);
      assert.equal(body.length, 2 + topicLen + 8192);
      assert.ok(body.equals(full.subarray(0, body.length)));
    }
    return cutShort;
  };
  assert.equal(check([]), 0, 'a frame inside one read is never cut');
  const reads = Array.from({ length: Math.ceil(stream.length / 65_536) }, (_, i) => i * 65_536);
  assert.equal(check(reads), 1, 'the 300 000-byte frame across 64 KiB reads is cut');
  // Reads ending inside the kept part, inside the skipped part and right at its end.
  const start = stream.indexOf(sent[sent.length - 3] as Buffer);
  for (const cut of [6, 100, 8200, 9000, 200_000]) {
    assert.equal(check([start + cut, start + cut + 1]), 1, `cut at ${cut}`);
  }
  // A read ending before the topic length (header 4 bytes + 1): kept whole, not cut.
  assert.equal(check([start + 5]), 0);
  const big = sent[sent.length - 3] as Buffer;
  assert.equal(check([start + big.length - 1]), 1, 'one byte short of the end');
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let round = 0; round < 50; round++) {
    const cuts = Array.from({ length: 20 }, () => Math.floor(rnd() * stream.length)).sort(
      (a, b) => a - b,
    );
    check(cuts);
  }
});

test('FrameScanner reads the Remaining Length with the codec: minimal encoding checked, split headers joined', () => {
  const got: number[] = [];
  const s = new FrameScanner((_h, _b, start, end) => got.push(end - start));
  // 200 = 0xc8 0x01 as a Variable Byte Integer, header split after its first length byte.
  const frame = Buffer.concat([Buffer.from([0x30, 0xc8, 0x01]), Buffer.alloc(200)]);
  s.push(frame.subarray(0, 2));
  s.push(frame.subarray(2));
  assert.deepEqual(got, [200]);
  // 0x80 0x00 encodes 0 in two bytes: not minimal [MQTT-1.5.5-1].
  assert.throws(() => new FrameScanner(() => undefined).push(Buffer.from([0x30, 0x80, 0x00])), {
    code: 'NON_MINIMAL_VARINT',
  });
  assert.throws(
    () => new FrameScanner(() => undefined).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])),
    { code: 'MALFORMED_VARINT' },
  );
});
