import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Framer } from '../../../src/codec/framer.js';
import {
  bodyPool,
  isPrivateBody as inAssembledFrame,
  isLentBody as inPooledFrame,
  releaseBody as releaseFrame,
} from '../../../src/shared/body-pool.js';

/** A PUBLISH-typed frame (header 0x30) with a body of `size` bytes all equal to `fill`. */
function frame(size: number, fill: number): Buffer {
  const len: number[] = [];
  let n = size;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x30, ...len]), Buffer.alloc(size, fill)]);
}

/** Pushes `buf` in chunks of `step` bytes; returns the bodies delivered. */
function feed(f: Framer, out: Buffer[], buf: Buffer, step = 16 * 1024): Buffer[] {
  const start = out.length;
  for (let i = 0; i < buf.length; i += step) f.push(buf.subarray(i, i + step));
  return out.slice(start);
}

function pooledFramer(): { f: Framer; out: Buffer[] } {
  const out: Buffer[] = [];
  const f = new Framer((_h, b) => out.push(b));
  f.bodies = bodyPool;
  return { f, out };
}

describe('body pool (a Framer with `bodies = bodyPool`)', () => {
  test('a big split frame of a pooled framer lies in pooled memory and holds its bytes', () => {
    const { f, out } = pooledFramer();
    const [body] = feed(f, out, frame(100_000, 7));
    assert.ok(body !== undefined);
    assert.equal(body.length, 100_000);
    assert.ok(inPooledFrame(body));
    assert.ok(inAssembledFrame(body));
    assert.ok(body.every((b) => b === 7));
    releaseFrame(body);
  });

  test('released memory is reused by the next frame of that size, with the new bytes', () => {
    const { f, out } = pooledFramer();
    const [a] = feed(f, out, frame(120_000, 1));
    assert.ok(a !== undefined);
    const mem = a.buffer;
    releaseFrame(a);
    assert.ok(!inPooledFrame(a), 'a released body is no longer lent out');
    const [b] = feed(f, out, frame(120_000, 2));
    assert.ok(b !== undefined);
    assert.equal(b.buffer, mem);
    assert.ok(b.every((x) => x === 2));
    releaseFrame(b);
  });

  test('a frame joined from small reads (first read a small share) is pooled too', () => {
    const { f, out } = pooledFramer();
    const bytes = frame(200_000, 9);
    // The first read carries the header and 100 body bytes: too small a share to preallocate.
    f.push(bytes.subarray(0, 104));
    const [body] = feed(f, out, bytes.subarray(104));
    assert.ok(body !== undefined);
    assert.ok(inPooledFrame(body));
    assert.equal(body.length, 200_000);
    assert.ok(body.every((x) => x === 9));
    releaseFrame(body);
  });

  test('a second release of the same memory is ignored: two later frames never share it', () => {
    const { f, out } = pooledFramer();
    const [a] = feed(f, out, frame(90_000, 3));
    assert.ok(a !== undefined);
    releaseFrame(a);
    releaseFrame(a);
    const [b] = feed(f, out, frame(90_000, 4));
    const [c] = feed(f, out, frame(90_000, 5));
    assert.ok(b !== undefined && c !== undefined);
    assert.notEqual(b.buffer, c.buffer);
    assert.ok(b.every((x) => x === 4));
    assert.ok(c.every((x) => x === 5));
    releaseFrame(b);
    releaseFrame(c);
  });

  test('frames of a framer without the pool, small frames and read chunks are never pooled', () => {
    const out: Buffer[] = [];
    const plain = new Framer((_h, b) => out.push(b));
    const [big] = feed(plain, out, frame(100_000, 1));
    assert.ok(big !== undefined);
    assert.ok(!inPooledFrame(big));
    const { f, out: out2 } = pooledFramer();
    const [small] = feed(f, out2, frame(20_000, 1), 1000);
    assert.ok(small !== undefined && !inPooledFrame(small));
    const whole = frame(100_000, 6);
    f.push(whole);
    const view = out2[out2.length - 1];
    assert.ok(view !== undefined && view.buffer === whole.buffer, 'one chunk: a zero-copy view');
    assert.ok(!inPooledFrame(view));
    // Releasing memory the pool did not lend is a no-op: the chunk is not reused.
    releaseFrame(view);
    const [next] = feed(f, out2, frame(100_000, 8));
    assert.ok(next !== undefined);
    assert.notEqual(next.buffer, whole.buffer);
    assert.ok(view.every((x) => x === 6));
    releaseFrame(next);
  });
});
